"""Networks of the shapes-v1 family: VAE, text encoder, base DiT, relay / single-stage conv UNet.

All denoisers take (sample, timestep, encoder_hidden_states[, low_res_latent][, guidance_scale])
and return the network output (v-prediction), matching the Optimum ONNX I/O names.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sincos_2d(n, dim):
    """Fixed 2-D sin-cos positions for an n × n grid (MAE / DiT)."""
    coords = torch.arange(n, dtype=torch.float32)
    quarter = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    parts = []
    for c in (yy.reshape(-1), xx.reshape(-1)):
        a = c[:, None] * omega[None]
        parts += [torch.sin(a), torch.cos(a)]
    return torch.cat(parts, dim=1)  # [n², dim]


class Attention(nn.Module):
    def __init__(self, dim, heads, kv_dim=None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(kv_dim or dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None, bias=None):
        ctx = x if ctx is None else ctx
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k, v = self.kv(ctx).reshape(b, ctx.shape[1], 2, h, d // h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
        if bias is not None:
            att = att + bias
        y = att.softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, n, d))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, max_length, dim=128, layers=2, heads=4, pad_id=0):
        super().__init__()
        self.pad_id = pad_id
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.randn(max_length, dim) * 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "n1": nn.LayerNorm(dim), "att": Attention(dim, heads),
                "n2": nn.LayerNorm(dim), "mlp": nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)),
            }))
        self.norm = nn.LayerNorm(dim)

    def forward(self, input_ids):
        keep = (input_ids != self.pad_id).float()  # [B, L]
        x = self.tok(input_ids) + self.pos[None, : input_ids.shape[1]]
        bias = ((1.0 - keep) * -1e4)[:, None, None, :]
        for blk in self.blocks:
            x = x + blk["att"](blk["n1"](x), bias=bias)
            x = x + blk["mlp"](blk["n2"](x))
        # Padding positions are zero, so the empty prompt (all padding) embeds to zeros.
        return self.norm(x) * keep[..., None]


def pooled(ehs):
    count = (ehs.abs().sum(-1) > 0).float().sum(-1, keepdim=True).clamp(min=1.0)
    return ehs.sum(1) / count


class CondEmbedding(nn.Module):
    """Time + pooled text (+ guidance scale, for distilled students) → one vector."""

    def __init__(self, dim, text_dim, guidance=False):
        super().__init__()
        self.dim = dim
        self.t_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.text = nn.Sequential(nn.Linear(text_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.guidance = None
        if guidance:
            self.guidance = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
            nn.init.zeros_(self.guidance[-1].weight)
            nn.init.zeros_(self.guidance[-1].bias)

    def forward(self, t, ehs, w=None):
        c = self.t_mlp(timestep_embedding(t, self.dim)) + self.text(pooled(ehs))
        if self.guidance is not None:
            c = c + self.guidance(timestep_embedding(w * 100.0, self.dim))
        return c

    def add_guidance(self):
        g = CondEmbedding(self.dim, 1, guidance=True).guidance
        self.guidance = g


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class DiTBlock(nn.Module):
    def __init__(self, dim, heads, text_dim):
        super().__init__()
        self.n1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.att = Attention(dim, heads)
        self.nc = nn.LayerNorm(dim)
        self.cross = Attention(dim, heads, kv_dim=text_dim)
        nn.init.zeros_(self.cross.out.weight)
        nn.init.zeros_(self.cross.out.bias)
        self.n2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        nn.init.zeros_(self.ada[-1].weight)
        nn.init.zeros_(self.ada[-1].bias)

    def forward(self, x, c, ehs, bias):
        s1, g1, b1, s2, g2, b2 = self.ada(c).chunk(6, dim=-1)
        x = x + b1[:, None] * self.att(modulate(self.n1(x), s1, g1))
        x = x + self.cross(self.nc(x), ehs, bias)
        x = x + b2[:, None] * self.mlp(modulate(self.n2(x), s2, g2))
        return x


def text_bias(ehs):
    keep = (ehs.abs().sum(-1) > 0).float()
    # An all-padding prompt attends to nothing useful; keep one key open so softmax is defined.
    keep = torch.cat([keep[:, :1].clamp(min=1.0), keep[:, 1:]], dim=1)
    return ((1.0 - keep) * -1e4)[:, None, None, :]


class DiT(nn.Module):
    """Base denoiser: patch 1 over an n × n latent, fixed 2-D positions, adaLN-zero, cross-attention."""

    def __init__(self, channels, grid, dim=128, depth=4, heads=4, text_dim=128, guidance=False):
        super().__init__()
        self.inp = nn.Linear(channels, dim)
        self.register_buffer("pos", sincos_2d(grid, dim)[None], persistent=False)
        self.cond = CondEmbedding(dim, text_dim, guidance)
        self.blocks = nn.ModuleList([DiTBlock(dim, heads, text_dim) for _ in range(depth)])
        self.nf = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ada_f = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.out = nn.Linear(dim, channels)
        for m in (self.ada_f[-1], self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, sample, timestep, encoder_hidden_states, guidance_scale=None):
        b, ch, h, w = sample.shape
        x = self.inp(sample.flatten(2).transpose(1, 2)) + self.pos
        c = self.cond(timestep, encoder_hidden_states, guidance_scale)
        bias = text_bias(encoder_hidden_states)
        for blk in self.blocks:
            x = blk(x, c, encoder_hidden_states, bias)
        shift, scale = self.ada_f(c).chunk(2, dim=-1)
        x = self.out(modulate(self.nf(x), shift, scale))
        return x.transpose(1, 2).reshape(b, ch, h, w)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cdim):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(cdim, 2 * cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, c):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(F.silu(c)).chunk(2, dim=-1)
        h = self.n2(h) * (1 + scale[..., None, None]) + shift[..., None, None]
        return self.skip(x) + self.c2(F.silu(h))


class CrossAttn2d(nn.Module):
    def __init__(self, ch, text_dim, heads=4):
        super().__init__()
        self.norm = nn.GroupNorm(8, ch)
        self.att = Attention(ch, heads, kv_dim=text_dim)
        nn.init.zeros_(self.att.out.weight)
        nn.init.zeros_(self.att.out.bias)

    def forward(self, x, ehs, bias):
        b, c, h, w = x.shape
        y = self.att(self.norm(x).flatten(2).transpose(1, 2), ehs, bias)
        return x + y.transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    """Fully convolutional two-level UNet with FiLM and cross-attention at the bottom.

    relay=True: low_res_latent (z_L) is concatenated to the input. coords=True adds
    fixed coordinate maps (the single-stage model must place objects by itself).
    """

    def __init__(self, channels, base=64, text_dim=128, relay=True, coords=False, guidance=False):
        super().__init__()
        self.relay, self.coords = relay, coords
        cin = channels * (2 if relay else 1) + (2 if coords else 0)
        cdim = base * 2
        self.cond = CondEmbedding(cdim, text_dim, guidance)
        self.inp = nn.Conv2d(cin, base, 3, padding=1)
        self.d1 = ResBlock(base, base, cdim)
        self.down1 = nn.Conv2d(base, base * 2, 3, stride=2, padding=1)
        self.d2 = ResBlock(base * 2, base * 2, cdim)
        self.down2 = nn.Conv2d(base * 2, base * 2, 3, stride=2, padding=1)
        self.m1 = ResBlock(base * 2, base * 2, cdim)
        self.xa = CrossAttn2d(base * 2, text_dim)
        self.m2 = ResBlock(base * 2, base * 2, cdim)
        self.u2 = ResBlock(base * 4, base * 2, cdim)
        self.u1 = ResBlock(base * 3, base, cdim)
        self.u0 = ResBlock(base, base, cdim)
        self.nout = nn.GroupNorm(8, base)
        self.out = nn.Conv2d(base, channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, sample, timestep, encoder_hidden_states, low_res_latent=None, guidance_scale=None):
        c = self.cond(timestep, encoder_hidden_states, guidance_scale)
        x = sample
        if self.relay:
            x = torch.cat([x, low_res_latent], dim=1)
        if self.coords:
            # linspace(-1, 1, n), written with arange so the ONNX export keeps n dynamic.
            b, _, h, w = x.shape
            ys = (torch.arange(h).float() * (2.0 / (h - 1)) - 1.0).view(1, 1, h, 1).expand(b, 1, h, w)
            xs = (torch.arange(w).float() * (2.0 / (w - 1)) - 1.0).view(1, 1, 1, w).expand(b, 1, h, w)
            x = torch.cat([x, xs, ys], dim=1)
        bias = text_bias(encoder_hidden_states)
        h0 = self.d1(self.inp(x), c)
        h1 = self.d2(self.down1(h0), c)
        h2 = self.m1(self.down2(h1), c)
        h2 = self.m2(self.xa(h2, encoder_hidden_states, bias), c)
        u = F.interpolate(h2, scale_factor=2.0, mode="nearest")
        u = self.u2(torch.cat([u, h1], 1), c)
        u = F.interpolate(u, scale_factor=2.0, mode="nearest")
        u = self.u1(torch.cat([u, h0], 1), c)
        u = self.u0(u, c)
        return self.out(F.silu(self.nout(u)))


class VAEResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        return self.skip(x) + self.c2(F.silu(self.n2(self.c1(F.silu(self.n1(x))))))


class Encoder(nn.Module):
    """Pixels in [-1, 1] → latent mean (8× spatial compression)."""

    def __init__(self, channels, widths=(32, 64, 128, 128)):
        super().__init__()
        layers = [nn.Conv2d(3, widths[0], 3, padding=1)]
        for i in range(3):
            layers += [VAEResBlock(widths[i], widths[i]), nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1)]
        layers += [VAEResBlock(widths[3], widths[3]), nn.GroupNorm(8, widths[3]), nn.SiLU(), nn.Conv2d(widths[3], channels, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, sample):
        return self.net(sample)


class Decoder(nn.Module):
    def __init__(self, channels, widths=(128, 128, 64, 32)):
        super().__init__()
        layers = [nn.Conv2d(channels, widths[0], 3, padding=1), VAEResBlock(widths[0], widths[0])]
        for i in range(3):
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(widths[i], widths[i + 1], 3, padding=1),
                       VAEResBlock(widths[i + 1], widths[i + 1])]
        layers += [nn.GroupNorm(8, widths[3]), nn.SiLU(), nn.Conv2d(widths[3], 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, latent_sample):
        return self.net(latent_sample)
