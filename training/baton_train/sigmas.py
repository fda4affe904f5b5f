"""σ-space DDPM schedule, denoiser wrapper and the reference samplers.

Notation (docs/relay-diffusion.md): β_t scaled-linear, ᾱ_t = ∏(1 − β_s),
σ_t = √((1 − ᾱ_t)/ᾱ_t). D(x, σ) is the denoiser; z_L the upsampled
low-resolution latent; P the number of relay steps.
"""
import math

import numpy as np
import torch

T = 1000


def alpha_bars(T=T, beta_start=0.00085, beta_end=0.012):
    betas = np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), T, dtype=np.float64) ** 2
    return np.cumprod(1.0 - betas)


ALPHA_BARS = alpha_bars()
SIGMAS = np.sqrt((1.0 - ALPHA_BARS) / ALPHA_BARS)  # σ_0 ≈ 0.029 … σ_999 ≈ 14.61


def grid(n):
    """t_i = floor(linspace(999, 0, n, endpoint=False)), running 999 → …."""
    return [int(math.floor(v)) for v in np.linspace(T - 1, 0, n, endpoint=False)]


def relay_grid(n_full, P):
    """The last P steps of the n_full-step grid (starts at t = 499 when n_full = 2P)."""
    return grid(n_full)[n_full - P :]


def nearest_t(sigma):
    return int(np.argmin(np.abs(np.log(SIGMAS) - math.log(sigma))))


def denoise(net_out, x, sigma, prediction_type):
    """D(x, σ) from the network output F(x/√(1+σ²), t, c) (diffusers' prediction types).

    sigma: tensor broadcastable to x.
    """
    if prediction_type == "epsilon":
        return x - sigma * net_out
    if prediction_type == "v_prediction":
        return x / (1 + sigma**2) - sigma / torch.sqrt(1 + sigma**2) * net_out
    if prediction_type == "sample":
        return net_out
    raise ValueError(f"unknown prediction_type {prediction_type!r}")


def v_target(x, z0, sigma):
    """The v that makes denoise(v, x, σ) == z0."""
    return (x / (1 + sigma**2) - z0) * torch.sqrt(1 + sigma**2) / sigma


class PortableNoise:
    """The portable Gaussian generator shared with the TypeScript engine.

    xoshiro128** seeded by splitmix32 from (seed + stream·0x9E3779B9) mod 2³²;
    each normal pair by Box–Muller from two 53-bit uniforms.
    """

    M = 0xFFFFFFFF

    def __init__(self, seed, stream=0):
        s = (seed + stream * 0x9E3779B9) & self.M
        state = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & self.M
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & self.M
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & self.M
            z = z ^ (z >> 16)
            state.append(z)
        self.s = state

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (32 - k))) & PortableNoise.M

    def next_u32(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 9) & self.M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 11)
        return result

    def uniform(self):
        a = self.next_u32() >> 5
        b = self.next_u32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0  # [0, 1)

    def normal(self, n):
        out = np.empty(n, dtype=np.float32)
        for i in range(0, n, 2):
            u1 = 1.0 - self.uniform()  # (0, 1]
            u2 = self.uniform()
            r = math.sqrt(-2.0 * math.log(u1))
            out[i] = r * math.cos(2 * math.pi * u2)
            if i + 1 < n:
                out[i + 1] = r * math.sin(2 * math.pi * u2)
        return out


def cfg_call(model_fn, x, t, cond, uncond, w, extra=None):
    """One model call on [uncond; cond] and u + w (c − u); w may be None (distilled)."""
    if w is None:
        return model_fn(x, t, cond, extra)
    b = x.shape[0]
    out = model_fn(torch.cat([x, x]), torch.cat([t, t]), torch.cat([uncond, cond]),
                   None if extra is None else {k: torch.cat([v, v]) for k, v in extra.items()})
    u, c = out[:b], out[b:]
    return u + w.view(-1, 1, 1, 1) * (c - u)


def sample_base(model_fn, noise, cond, uncond, n, w, prediction_type, guidance_input=None):
    """Deterministic Euler in σ-space (DDIM η = 0). noise ~ N(0, I)."""
    ts = grid(n)
    sig = [float(SIGMAS[t]) for t in ts] + [0.0]
    x = noise * math.sqrt(1 + sig[0] ** 2)
    for i, t in enumerate(ts):
        s = sig[i]
        tt = torch.full((x.shape[0],), t, dtype=torch.long)
        out = cfg_call(model_fn, x / math.sqrt(1 + s * s), tt, cond, uncond, w, guidance_input)
        d = denoise(out, x, torch.tensor(s), prediction_type)
        x = x + (sig[i + 1] - s) * (x - d) / s
    return x


def sample_relay(model_fn, zL, noise, cond, uncond, P, w, prediction_type, n_full=None, guidance_input=None):
    """Linear relay sampler (LinearRelayEDMSampler): last P steps of the n_full grid."""
    n_full = n_full or 2 * P
    ts = relay_grid(n_full, P)
    sig = [float(SIGMAS[t]) for t in ts] + [0.0]
    x = zL + sig[0] * noise
    for i, t in enumerate(ts):
        k = P - i  # counts down P … 1
        s, s_next = sig[i], sig[i + 1]
        tt = torch.full((x.shape[0],), t, dtype=torch.long)
        out = cfg_call(model_fn, x / math.sqrt(1 + s * s), tt, cond, uncond, w,
                       merge(guidance_input, {"low_res": zL}))
        d = denoise(out, x, torch.tensor(s), prediction_type)
        a = s_next / s
        beta = a * k / P - (k - 1) / P
        x = a * x + (1 - a + beta) * d - beta * zL
    return x


def merge(a, b):
    out = dict(b)
    if a:
        out.update(a)
    return out
