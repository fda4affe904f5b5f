"""Reference sampler: golden numbers for the TypeScript engine's tests.

A fixed caption and seeds through a whole base + relay loop, with the portable
noise generator, the torch networks, CFG batched, and the relay hand-off
(decode, bilinear ×2, encode). Written to models/<id>/golden.json.
"""
import json
import math

import torch
import torch.nn.functional as F

from . import sigmas, train
from .tokenizer import Tokenizer

CAPTION = "a large red circle in the top left corner and a small blue triangle at the bottom, on a yellow background"
SEEDS = [7, 1234567]
BASE_STEPS, BASE_W = 6, 4.0
RELAY_STEPS, RELAY_W = 4, 2.0


def noise(seed, stream, shape):
    return torch.from_numpy(sigmas.PortableNoise(seed, stream).normal(math.prod(shape))).view(*shape)


@torch.no_grad()
def write_golden(cfg, ckpt, path):
    c = cfg["latent_channels"]
    tok = Tokenizer.build(cfg["max_length"])
    text = train.load_text(cfg, ckpt)
    base = train.make_base(cfg)
    base.load_state_dict(train.load(ckpt, "base")["net"])
    relay = train.make_unet(cfg, "relay")
    relay.load_state_dict(train.load(ckpt, "relay")["net"])
    enc, dec, scale = train.load_vae(cfg, ckpt)
    base.eval(), relay.eval()

    ids = tok.encode_batch([CAPTION] * len(SEEDS))
    cond = text(ids)
    uncond = text(torch.zeros_like(ids))
    n0 = torch.stack([noise(s, 0, (c, 8, 8)) for s in SEEDS])
    w = torch.full((len(SEEDS),), BASE_W)

    def base_fn(x, t, ehs, extra):
        return base(x, t, ehs)

    def relay_fn(x, t, ehs, extra):
        return relay(x, t, ehs, extra["low_res"])

    z_base = sigmas.sample_base(base_fn, n0, cond, uncond, BASE_STEPS, w, "v_prediction")
    img = dec(z_base / scale)
    up = F.interpolate(img, scale_factor=2.0, mode="bilinear", align_corners=False)
    zL = enc(up) * scale
    n1 = torch.stack([noise(s, 1, (c, 16, 16)) for s in SEEDS])
    z_relay = sigmas.sample_relay(relay_fn, zL, n1, cond, uncond, RELAY_STEPS, torch.full((len(SEEDS),), RELAY_W), "v_prediction")
    flat = lambda t: [round(float(v), 7) for v in t.reshape(-1)]
    golden = {
        "caption": CAPTION, "seeds": SEEDS,
        "base": {"steps": BASE_STEPS, "guidance": BASE_W}, "relay": {"steps": RELAY_STEPS, "guidance": RELAY_W, "start_t": 499},
        "input_ids": ids[0].tolist(),
        "noise_base_first": flat(n0[0].reshape(-1)[:16]),
        "base_latents": flat(z_base), "base_shape": list(z_base.shape),
        "z_L": flat(zL), "relay_latents": flat(z_relay), "relay_shape": list(z_relay.shape),
    }
    with open(path, "w") as f:
        json.dump(golden, f)
