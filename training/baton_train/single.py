"""The fair single-stage baseline (issue 15): the base's own DiT — same width, depth and
heads, patch 1 — over 16 × 16 latents (128 px), with the family's text encoder and VAE
frozen and the full noise range, so that the only difference from the cascade is the method.

Its inputs live in `{ckpt}/single_inputs/`:
  images.u8  [N, 128, 128, 3]   rendered scenes (`single_data`)
  ids.i64    [N, L]             their canonical captions, tokenized
  z.f32      [N, C, 16, 16]     VAE latents × vae_scaling_factor
  ehs.f32    [N, L, D]          text-encoder states (the empty prompt embeds to zeros)
z and ehs come from the torch checkpoints in a full run (`single_inputs`), or from a
committed family's ONNX encoders (`npx tsx training/encode-onnx.ts`), so the baseline can be
retrained alone, against exactly the encoders the cascade ships with.
"""
import json
import os

import numpy as np
import torch

from . import domain
from .models import DiT
from .tokenizer import Tokenizer
from .train import c_in, encode_all, finish, load_text, load_vae, log, noised_full_range, train_loop, v_loss


def inputs_dir(ckpt):
    return os.path.join(ckpt, "single_inputs")


def make_single(cfg, guidance=False):
    b = cfg["base"]
    return DiT(cfg["latent_channels"], 16, dim=b["dim"], depth=b["depth"], heads=b["heads"], text_dim=cfg["text_dim"],
               guidance=guidance)


def stage_single_data(cfg, ckpt):
    d = inputs_dir(ckpt)
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(cfg["seed"] + 15)
    scenes = [domain.sample_scene(rng) for _ in range(cfg["single"]["scenes"])]
    captions = [domain.caption(s) for s in scenes]
    np.stack([domain.render(s, 128) for s in scenes]).tofile(os.path.join(d, "images.u8"))
    Tokenizer.build(cfg["max_length"]).encode_batch(captions).numpy().astype(np.int64).tofile(os.path.join(d, "ids.i64"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"n": len(scenes), "size": 128, "max_length": cfg["max_length"], "captions": captions}, f)
    log(ckpt, f"single_data: {len(scenes)} scenes at 128 px")


def read_meta(ckpt):
    with open(os.path.join(inputs_dir(ckpt), "meta.json")) as f:
        return json.load(f)


@torch.no_grad()
def stage_single_inputs(cfg, ckpt):
    """The torch path: encode with the checkpoints' VAE and text encoder."""
    d, meta = inputs_dir(ckpt), read_meta(ckpt)
    n, L = meta["n"], meta["max_length"]
    imgs = np.fromfile(os.path.join(d, "images.u8"), dtype=np.uint8).reshape(n, 128, 128, 3)
    ids = torch.from_numpy(np.fromfile(os.path.join(d, "ids.i64"), dtype=np.int64).reshape(n, L))
    enc, _, scale = load_vae(cfg, ckpt)
    text = load_text(cfg, ckpt)
    z = encode_all(enc, scale, imgs)
    ehs = torch.cat([text(ids[i:i + 256]) for i in range(0, n, 256)])
    z.numpy().astype(np.float32).tofile(os.path.join(d, "z.f32"))
    ehs.numpy().astype(np.float32).tofile(os.path.join(d, "ehs.f32"))
    log(ckpt, f"single_inputs: z {tuple(z.shape)}, ehs {tuple(ehs.shape)} from the checkpoints")


def load_inputs(cfg, ckpt):
    d, meta = inputs_dir(ckpt), read_meta(ckpt)
    n, c = meta["n"], cfg["latent_channels"]
    z = np.fromfile(os.path.join(d, "z.f32"), dtype=np.float32).reshape(n, c, 16, 16)
    ehs = np.fromfile(os.path.join(d, "ehs.f32"), dtype=np.float32).reshape(n, meta["max_length"], cfg["text_dim"])
    return torch.from_numpy(z), torch.from_numpy(ehs)


def stage_single(cfg, ckpt):
    z, ehs = load_inputs(cfg, ckpt)
    net = make_single(cfg)
    s = cfg["single"]

    def step(i):
        idx = torch.randint(0, len(z), (s["batch"],))
        z0 = z[idx]
        x, t, sigma = noised_full_range(z0)
        # Caption dropout: the empty prompt's states are zeros (padding is zeroed by the encoder).
        keep = (torch.rand(len(idx)) >= cfg["caption_dropout"]).float().view(-1, 1, 1)
        return v_loss(net(c_in(x, sigma), t, ehs[idx] * keep), x, z0, sigma)

    mods, partial = train_loop(ckpt, "single", s["steps"], {"net": net}, s["lr"], step, cfg["ema"])
    finish(ckpt, "single", {"net": mods["net"].state_dict()}, partial)
