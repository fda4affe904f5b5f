"""Trains the shapes-v1 family stage by stage, resuming from checkpoints.

Stages: data → vae → latents → base → relay → distill_base → distill_relay → single_data →
single_inputs → single (the fair single-stage baseline, single.py).
Each finished stage leaves `{ckpt}/{stage}.pt`; a stage in progress saves
`{ckpt}/{stage}.partial.pt` every few minutes and resumes from it.
"""
import copy
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import domain, sigmas
from .models import DiT, Decoder, Encoder, TextEncoder, UNet
from .tokenizer import Tokenizer

SAVE_EVERY_S = 120


def log(ckpt, msg):
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    with open(os.path.join(ckpt, "train.log"), "a") as f:
        f.write(line + "\n")


def to_pixels(u8):
    """uint8 [N, H, W, 3] → float [-1, 1] NCHW."""
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def down_up(img):
    """Relay hand-off in pixel space: bilinear ½ down, bilinear ×2 up (align_corners = False)."""
    lo = F.interpolate(img, scale_factor=0.5, mode="bilinear", align_corners=False)
    return F.interpolate(lo, scale_factor=2.0, mode="bilinear", align_corners=False)


class Ema:
    def __init__(self, model, decay):
        self.model = copy.deepcopy(model).eval()
        self.decay = decay
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model, step):
        d = min(self.decay, (1 + step) / (10 + step))
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.mul_(d).add_(p.detach(), alpha=1 - d)


def train_loop(ckpt, name, steps, modules, lr, step_fn, ema_decay=None, warmup=200):
    """Generic resumable loop. modules: dict of trainable nn.Modules; step_fn(step) → loss."""
    params = [p for m in modules.values() for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    emas = {k: Ema(m, ema_decay) for k, m in modules.items()} if ema_decay else {}
    partial = os.path.join(ckpt, f"{name}.partial.pt")
    start = 0
    if os.path.exists(partial):
        st = torch.load(partial)
        for k, m in modules.items():
            m.load_state_dict(st["modules"][k])
        for k, e in emas.items():
            e.model.load_state_dict(st["emas"][k])
        opt.load_state_dict(st["opt"])
        torch.set_rng_state(st["rng"])
        np.random.set_state(st["np_rng"])
        start = st["step"]
        log(ckpt, f"{name}: resumed at step {start}")
    last_save, t0, acc = time.time(), time.time(), 0.0
    for step in range(start, steps):
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / warmup) * (0.5 * (1 + math.cos(math.pi * step / steps)) * 0.9 + 0.1)
        loss = step_fn(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        for k, e in emas.items():
            e.update(modules[k], step)
        acc += loss.item()
        if (step + 1) % 100 == 0:
            log(ckpt, f"{name}: step {step + 1}/{steps} loss {acc / 100:.4f} {(time.time() - t0) / 100:.3f}s/step")
            acc, t0 = 0.0, time.time()
        if time.time() - last_save > SAVE_EVERY_S:
            torch.save({"modules": {k: m.state_dict() for k, m in modules.items()},
                        "emas": {k: e.model.state_dict() for k, e in emas.items()},
                        "opt": opt.state_dict(), "rng": torch.get_rng_state(), "np_rng": np.random.get_state(),
                        "step": step + 1}, partial)
            last_save = time.time()
    result = {k: (emas[k].model if k in emas else m) for k, m in modules.items()}
    return result, partial


def finish(ckpt, name, state, partial):
    torch.save(state, os.path.join(ckpt, f"{name}.pt"))
    if partial and os.path.exists(partial):
        os.remove(partial)
    log(ckpt, f"{name}: done")


def done(ckpt, name):
    return os.path.exists(os.path.join(ckpt, f"{name}.pt"))


def load(ckpt, name):
    return torch.load(os.path.join(ckpt, f"{name}.pt"))


# --- stages -----------------------------------------------------------------

def stage_data(cfg, ckpt):
    rng = np.random.default_rng(cfg["seed"])
    d = cfg["data"]
    base_scenes = [domain.sample_scene(rng) for _ in range(d["base_scenes"])]
    relay_scenes = [domain.sample_scene(rng) for _ in range(d["relay_scenes"])]
    scenes256 = [domain.sample_scene(rng) for _ in range(d["relay256_scenes"])]
    out = {
        "base_captions": [domain.caption(s) for s in base_scenes],
        "base_images": np.stack([domain.render(s, 64) for s in base_scenes]),
        "relay_captions": [domain.caption(s) for s in relay_scenes],
        "relay_images": np.stack([domain.render(s, 128) for s in relay_scenes]),
        "relay256_captions": [domain.caption(s) for s in scenes256],
        "relay256_images": np.stack([domain.render(s, 256) for s in scenes256]),
    }
    torch.save(out, os.path.join(ckpt, "data.pt"))
    log(ckpt, f"data: {len(base_scenes)} base, {len(relay_scenes)} relay, {len(scenes256)} 256-px scenes")


def make_vae(cfg):
    c = cfg["latent_channels"]
    return Encoder(c, tuple(cfg["vae"]["enc"])), Decoder(c, tuple(cfg["vae"]["dec"]))


def stage_vae(cfg, ckpt):
    data = torch.load(os.path.join(ckpt, "data.pt"))
    imgs128, imgs256 = data["relay_images"], data["relay256_images"]
    enc, dec = make_vae(cfg)
    v = cfg["vae"]
    crop = v["crop"]
    gen = np.random.default_rng(cfg["seed"] + 1)

    def batch():
        out = []
        for _ in range(v["batch"]):
            # Mostly 128-px scenes, some 256-px and whole 64-px-equivalent views, so every scale is seen.
            r = gen.random()
            src = imgs256 if r < 0.25 else imgs128
            img = src[gen.integers(len(src))]
            if r > 0.85:
                img = np.asarray(F.interpolate(to_pixels(img[None]), size=(crop, crop), mode="area")[0])
                out.append(torch.from_numpy(img))
                continue
            y, x = gen.integers(0, img.shape[0] - crop + 1, size=2)
            out.append(to_pixels(img[None, y:y + crop, x:x + crop])[0])
        return torch.stack(out)

    def step(i):
        x = batch()
        z = enc(x)
        # Small latent noise keeps the decoder tolerant of a denoiser's errors.
        rec = dec(z + 0.05 * torch.randn_like(z))
        return (rec - x).abs().mean() + F.mse_loss(rec, x) + 1e-4 * z.pow(2).mean()

    mods, partial = train_loop(ckpt, "vae", v["steps"], {"enc": enc, "dec": dec}, v["lr"], step, ema_decay=None, warmup=100)
    with torch.no_grad():
        z = torch.cat([mods["enc"](to_pixels(imgs128[i:i + 64])) for i in range(0, min(len(imgs128), 1024), 64)])
        scale = float(1.0 / z.std())
    finish(ckpt, "vae", {"enc": mods["enc"].state_dict(), "dec": mods["dec"].state_dict(), "scale": scale}, partial)
    log(ckpt, f"vae: scaling factor {scale:.5f}")


def load_vae(cfg, ckpt):
    st = load(ckpt, "vae")
    enc, dec = make_vae(cfg)
    enc.load_state_dict(st["enc"])
    dec.load_state_dict(st["dec"])
    return enc.eval(), dec.eval(), st["scale"]


@torch.no_grad()
def encode_all(enc, scale, imgs, hand_off=False, bs=64):
    out = []
    for i in range(0, len(imgs), bs):
        x = to_pixels(imgs[i:i + bs])
        if hand_off:
            x = down_up(x)
        out.append(enc(x) * scale)
    return torch.cat(out)


def stage_latents(cfg, ckpt):
    data = torch.load(os.path.join(ckpt, "data.pt"))
    enc, _, scale = load_vae(cfg, ckpt)
    tok = Tokenizer.build(cfg["max_length"])
    out = {
        "base_z": encode_all(enc, scale, data["base_images"]),
        "base_ids": tok.encode_batch(data["base_captions"]),
        "relay_z": encode_all(enc, scale, data["relay_images"]),
        "relay_zL": encode_all(enc, scale, data["relay_images"], hand_off=True),
        "relay_ids": tok.encode_batch(data["relay_captions"]),
        "r256_z": encode_all(enc, scale, data["relay256_images"], bs=16),
        "r256_zL": encode_all(enc, scale, data["relay256_images"], hand_off=True, bs=16),
        "r256_ids": tok.encode_batch(data["relay256_captions"]),
    }
    torch.save(out, os.path.join(ckpt, "latents.pt"))
    log(ckpt, f"latents: base {tuple(out['base_z'].shape)} std {out['base_z'].std():.3f}, relay {tuple(out['relay_z'].shape)}")


@torch.no_grad()
def stage_relay_inputs(cfg, ckpt):
    """z_L for the 128-px relay set as inference makes it: the low-resolution image goes
    through the VAE first (½ down, encode, decode, ×2 up, encode), so the relay learns to
    restore what the 64-px latents lose (small shapes' corners), guided by the caption."""
    data = torch.load(os.path.join(ckpt, "data.pt"))
    enc, dec, scale = load_vae(cfg, ckpt)
    out = []
    imgs = data["relay_images"]
    for i in range(0, len(imgs), 64):
        x = to_pixels(imgs[i:i + 64])
        lo = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
        rec = dec(enc(lo))
        up = F.interpolate(rec, scale_factor=2.0, mode="bilinear", align_corners=False)
        out.append(enc(up) * scale)
    torch.save({"relay_zL": torch.cat(out)}, os.path.join(ckpt, "relay_inputs.pt"))
    log(ckpt, f"relay_inputs: {len(imgs)} z_L through the VAE at 64 px")


def load_relay_latents(ckpt):
    lat = torch.load(os.path.join(ckpt, "latents.pt"))
    path = os.path.join(ckpt, "relay_inputs.pt")
    if os.path.exists(path):
        lat["relay_zL"] = torch.load(path)["relay_zL"]
    return lat


def sample_t_high(n, gen=None):
    """Timesteps weighted toward the high-noise end (layout is learned there)."""
    u = torch.rand(n)
    t = (1 - (1 - u) ** 2) * 1000
    return t.long().clamp(0, 999)


def noised_full_range(z0):
    """x = z0 + σ ε at timesteps weighted toward high noise (the base's and single-stage's training input)."""
    t = sample_t_high(len(z0))
    sigma = SIG[t]
    return z0 + sigma.view(-1, 1, 1, 1) * torch.randn_like(z0), t, sigma


def drop_captions(ids, p):
    keep = (torch.rand(ids.shape[0]) >= p).long()[:, None]
    return ids * keep  # pad id is 0: a dropped caption is the empty prompt


SIG = torch.tensor(sigmas.SIGMAS, dtype=torch.float32)


def v_loss(out, x, z0, sigma):
    s = sigma.view(-1, 1, 1, 1)
    return F.mse_loss(out, sigmas.v_target(x, z0, s))


def c_in(x, sigma):
    return x / torch.sqrt(1 + sigma.view(-1, 1, 1, 1) ** 2)


def make_text(cfg, tok):
    return TextEncoder(tok.vocab_size, cfg["max_length"], dim=cfg["text_dim"], pad_id=tok.pad_id)


def make_base(cfg, guidance=False):
    b = cfg["base"]
    return DiT(cfg["latent_channels"], 8, dim=b["dim"], depth=b["depth"], heads=b["heads"], text_dim=cfg["text_dim"], guidance=guidance)


def make_unet(cfg, key, relay=True, coords=False, guidance=False):
    return UNet(cfg["latent_channels"], base=cfg[key]["width"], text_dim=cfg["text_dim"], relay=relay, coords=coords, guidance=guidance)


def stage_base(cfg, ckpt):
    lat = torch.load(os.path.join(ckpt, "latents.pt"))
    z, ids = lat["base_z"], lat["base_ids"]
    tok = Tokenizer.build(cfg["max_length"])
    text, net = make_text(cfg, tok), make_base(cfg)
    b = cfg["base"]

    def step(i):
        idx = torch.randint(0, len(z), (b["batch"],))
        z0 = z[idx]
        x, t, sigma = noised_full_range(z0)
        ehs = text(drop_captions(ids[idx], cfg["caption_dropout"]))
        return v_loss(net(c_in(x, sigma), t, ehs), x, z0, sigma)

    mods, partial = train_loop(ckpt, "base", b["steps"], {"text": text, "net": net}, b["lr"], step, cfg["ema"])
    finish(ckpt, "base", {k: m.state_dict() for k, m in mods.items()}, partial)


def load_text(cfg, ckpt):
    tok = Tokenizer.build(cfg["max_length"])
    text = make_text(cfg, tok)
    text.load_state_dict(load(ckpt, "base")["text"])
    for p in text.parameters():
        p.requires_grad_(False)
    return text.eval()


def relay_batch(lat, n, p256):
    """16 × 16 latent pairs: whole 128-px scenes, and crops of 256-px scenes (scale robustness)."""
    n256 = int(round(n * p256))
    i = torch.randint(0, len(lat["relay_z"]), (n - n256,))
    z0, zL, ids = [lat["relay_z"][i]], [lat["relay_zL"][i]], [lat["relay_ids"][i]]
    if n256:
        j = torch.randint(0, len(lat["r256_z"]), (n256,))
        h = lat["relay_z"].shape[-1]
        y, x = torch.randint(0, lat["r256_z"].shape[-1] - h + 1, (2,)).tolist()
        z0.append(lat["r256_z"][j, :, y:y + h, x:x + h])
        zL.append(lat["r256_zL"][j, :, y:y + h, x:x + h])
        ids.append(lat["r256_ids"][j])
    return torch.cat(z0), torch.cat(zL), torch.cat(ids)


T_R = 500


def relay_loss(net, z0, zL, text_states):
    """LinearRelayDiffusionLoss: t ~ U{0..T_r−1}, the blurred mean, then noise; v-prediction.
    text_states() gives the batch's (caption-dropped) states, drawn after the noise."""
    t = torch.randint(0, T_R, (len(z0),))
    sigma = SIG[t]
    blur = (t.float() / T_R).view(-1, 1, 1, 1)
    x = (1 - blur) * z0 + blur * zL + sigma.view(-1, 1, 1, 1) * torch.randn_like(z0)
    return v_loss(net(c_in(x, sigma), t, text_states(), zL), x, z0, sigma)


def stage_relay(cfg, ckpt):
    lat = load_relay_latents(ckpt)
    text = load_text(cfg, ckpt)
    net = make_unet(cfg, "relay")
    r = cfg["relay"]

    def step(i):
        z0, zL, ids = relay_batch(lat, r["batch"], r["crop256"])

        @torch.no_grad()
        def ehs():
            return text(drop_captions(ids, cfg["caption_dropout"]))

        return relay_loss(net, z0, zL, ehs)

    mods, partial = train_loop(ckpt, "relay", r["steps"], {"net": net}, r["lr"], step, cfg["ema"])
    finish(ckpt, "relay", {"net": mods["net"].state_dict()}, partial)


# --- progressive distillation --------------------------------------------------

def euler_step(x, d, s, s_next):
    return x + (s_next - s) * (x - d) / s


def d_from(out, x, sigma):
    return sigmas.denoise(out, x, sigma.view(-1, 1, 1, 1), "v_prediction")


def stage_distill_base(cfg, ckpt):
    lat = torch.load(os.path.join(ckpt, "latents.pt"))
    text = load_text(cfg, ckpt)
    z, ids = lat["base_z"], lat["base_ids"]
    c = cfg["distill_base"]
    teacher = make_base(cfg)
    teacher.load_state_dict(load(ckpt, "base")["net"])
    teacher_guided = False
    n = c["teacher_steps"]
    while n > c["student_steps"]:
        name = f"distill_base_{n // 2}"
        student = make_base(cfg, guidance=True)
        student.load_state_dict(teacher.state_dict(), strict=False)
        if done(ckpt, name):
            student.load_state_dict(load(ckpt, name)["net"])
        else:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)
            ts = sigmas.grid(n)
            sig = [float(sigmas.SIGMAS[t]) for t in ts] + [0.0]

            def teacher_out(x, t, ehs, unc, w):
                s = SIG[t]
                tt = t
                if teacher_guided:
                    return d_from(teacher(c_in(x, s), tt, ehs, w), x, s)
                out = teacher(c_in(torch.cat([x, x]), torch.cat([s, s])), torch.cat([tt, tt]), torch.cat([unc, ehs]))
                u, cc = out.chunk(2)
                return d_from(u + w.view(-1, 1, 1, 1) * (cc - u), x, s)

            def step(i, ts=ts, sig=sig):
                idx = torch.randint(0, len(z), (c["batch"],))
                j = 2 * torch.randint(0, len(ts) // 2, (1,)).item()  # student step = teacher steps j, j+1
                w = torch.empty(len(idx)).uniform_(*c["w"])
                with torch.no_grad():
                    ehs = text(ids[idx])
                    unc = torch.zeros_like(ehs)
                    s0, s1, s2 = sig[j], sig[j + 1], sig[j + 2]
                    x = z[idx] + s0 * torch.randn_like(z[idx])
                    t0 = torch.full((len(idx),), ts[j], dtype=torch.long)
                    x1 = euler_step(x, teacher_out(x, t0, ehs, unc, w), s0, s1)
                    t1 = torch.full((len(idx),), ts[j + 1], dtype=torch.long)
                    x2 = euler_step(x1, teacher_out(x1, t1, ehs, unc, w), s1, s2)
                    # The D that takes x from s0 to s2 in one Euler step.
                    target = x2 if s2 == 0 else x - (x2 - x) * s0 / (s2 - s0)
                s = torch.full((len(idx),), s0)
                return v_loss(student(c_in(x, s), t0, ehs, w), x, target, s)

            mods, partial = train_loop(ckpt, name, c["steps_per_round"], {"net": student}, c["lr"], step, cfg["ema"], warmup=50)
            student = mods["net"]
            finish(ckpt, name, {"net": student.state_dict()}, partial)
        teacher, teacher_guided, n = student, True, n // 2
    finish(ckpt, "distill_base", {"net": teacher.state_dict()}, None)


def stage_distill_relay(cfg, ckpt):
    lat = load_relay_latents(ckpt)
    text = load_text(cfg, ckpt)
    c = cfg["distill_relay"]
    teacher = make_unet(cfg, "relay")
    teacher.load_state_dict(load(ckpt, "relay")["net"])
    teacher_guided = False
    P = c["teacher_steps"]
    while P > c["student_steps"]:
        name = f"distill_relay_{P // 2}"
        student = make_unet(cfg, "relay", guidance=True)
        student.load_state_dict(teacher.state_dict(), strict=False)
        if done(ckpt, name):
            student.load_state_dict(load(ckpt, name)["net"])
        else:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)
            ts = sigmas.relay_grid(2 * P, P)
            sig = [float(sigmas.SIGMAS[t]) for t in ts] + [0.0]

            def teacher_d(x, t, ehs, unc, zL, w):
                s = SIG[t]
                if teacher_guided:
                    return d_from(teacher(c_in(x, s), t, ehs, zL, w), x, s)
                out = teacher(c_in(torch.cat([x, x]), torch.cat([s, s])), torch.cat([t, t]), torch.cat([unc, ehs]), torch.cat([zL, zL]))
                u, cc = out.chunk(2)
                return d_from(u + w.view(-1, 1, 1, 1) * (cc - u), x, s)

            def relay_step(x, d, zL, k, P_, s, s_next):
                a = s_next / s
                beta = a * k / P_ - (k - 1) / P_
                return a * x + (1 - a + beta) * d - beta * zL

            def step(i, ts=ts, sig=sig, P=P):
                z0, zL, ids = relay_batch(lat, c["batch"], cfg["relay"]["crop256"])
                j = 2 * torch.randint(0, P // 2, (1,)).item()
                k = P - j  # teacher counter at step j; the student's is k / 2
                w = torch.empty(len(z0)).uniform_(*c["w"])
                with torch.no_grad():
                    ehs = text(ids)
                    unc = torch.zeros_like(ehs)
                    s0, s1, s2 = sig[j], sig[j + 1], sig[j + 2]
                    blur = k / P
                    x = (1 - blur) * z0 + blur * zL + s0 * torch.randn_like(z0)
                    t0 = torch.full((len(z0),), ts[j], dtype=torch.long)
                    x1 = relay_step(x, teacher_d(x, t0, ehs, unc, zL, w), zL, k, P, s0, s1)
                    t1 = torch.full((len(z0),), ts[j + 1], dtype=torch.long)
                    x2 = relay_step(x1, teacher_d(x1, t1, ehs, unc, zL, w), zL, k - 1, P, s1, s2)
                    # Solve the student's relay step (P/2 steps, counter k/2) for D.
                    ks, Ps, a = k // 2, P // 2, s2 / s0
                    beta = a * ks / Ps - (ks - 1) / Ps
                    target = (x2 - a * x + beta * zL) / (1 - a + beta)
                s = torch.full((len(z0),), s0)
                return v_loss(student(c_in(x, s), t0, ehs, zL, w), x, target, s)

            mods, partial = train_loop(ckpt, name, c["steps_per_round"], {"net": student}, c["lr"], step, cfg["ema"], warmup=50)
            student = mods["net"]
            finish(ckpt, name, {"net": student.state_dict()}, partial)
        teacher, teacher_guided, P = student, True, P // 2
    finish(ckpt, "distill_relay", {"net": teacher.state_dict()}, None)
