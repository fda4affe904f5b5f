"""Trains a committed family's relay further (issue 26): `python3 -m baton_train tune-relay`.

best_of keeps the best of a few candidates, and what the candidates miss is shape: small
squares and triangles whose corners the relay rounds off, so the judge sees circles. The relay
is where shape is decided (training.md, "What was learned here"), so this step continues its
training from the committed weights, on new scenes of which `hard_share` hold at least one
small square or triangle, at a lower learning rate.

It needs no torch checkpoints: the relay, the VAE and the text encoder are read back from the
family's ONNX files (`from_onnx.py`, checked by re-exporting the starting relay to its own
sha256), the relay's inputs are made as inference makes them (½ down, through the VAE, ×2 up,
encoded), and the result replaces `relay_unet` in the family, with the golden numbers' relay
part recomputed. The distilled relay is left as it is (a student of the relay before this).

Stages, resumable as the others: `relay_tune_data` → `relay_tune`, then the export.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from . import domain, export, sigmas, train
from .from_onnx import load_from_onnx
from .reference import noise
from .tokenizer import Tokenizer

HARD_SHAPES = ("square", "triangle")
_B, _IMG = {0: "batch"}, {0: "batch", 2: "height", 3: "width"}
RELAY_DYNAMIC = {"sample": _IMG, "timestep": _B, "encoder_hidden_states": _B, "low_res_latent": _IMG, "out_sample": _IMG}


def onnx_path(family, component):
    with open(os.path.join(family, "manifest.json")) as f:
        manifest = json.load(f)
    return os.path.join(family, manifest["components"][component]["file"]), manifest


def relay_example(cfg, b=2, side=16):
    c, L, D = cfg["latent_channels"], cfg["max_length"], cfg["text_dim"]
    return {"sample": torch.randn(b, c, side, side), "timestep": torch.tensor([999, 10][:b]),
            "encoder_hidden_states": torch.randn(b, L, D), "low_res_latent": torch.randn(b, c, side, side)}


def family_nets(cfg, family):
    """The family's VAE, text encoder and relay as torch modules, and its latent scale."""
    enc, dec = train.make_vae(cfg)
    c = cfg["latent_channels"]
    load_from_onnx(enc, onnx_path(family, "vae_encoder")[0], {"sample": torch.randn(2, 3, 64, 64)})
    load_from_onnx(dec, onnx_path(family, "vae_decoder")[0], {"latent_sample": torch.randn(2, c, 8, 8)})
    text = train.make_text(cfg, Tokenizer.build(cfg["max_length"]))
    load_from_onnx(text, onnx_path(family, "text_encoder")[0], {"input_ids": torch.zeros(2, cfg["max_length"], dtype=torch.long)})
    relay = train.make_unet(cfg, "relay")
    path, manifest = onnx_path(family, "relay_unet")
    load_from_onnx(relay, path, relay_example(cfg))
    return enc, dec, text, relay, manifest["vae_scaling_factor"]


def is_hard(scene):
    return any(o["size"] == "small" and o["shape"] in HARD_SHAPES for o in scene["objects"])


def sample_scenes(rng, n, hard_share):
    """n scenes; a share of them drawn again until one holds a small square or triangle."""
    out = []
    for _ in range(n):
        scene = domain.sample_scene(rng)
        if rng.random() < hard_share:
            while not is_hard(scene):
                scene = domain.sample_scene(rng)
        out.append(scene)
    return out


@torch.no_grad()
def encode_set(enc, dec, text, scale, scenes, side, bs):
    """Latents z, the relay input z_L as inference makes it, and the captions' text states."""
    tok = Tokenizer.build(text.pos.shape[0])
    z, zL, ehs = [], [], []
    for i in range(0, len(scenes), bs):
        chunk = scenes[i:i + bs]
        x = train.to_pixels(np.stack([domain.render(s, side) for s in chunk]))
        z.append(enc(x) * scale)
        lo = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
        up = F.interpolate(dec(enc(lo)), scale_factor=2.0, mode="bilinear", align_corners=False)
        zL.append(enc(up) * scale)
        ehs.append(text(tok.encode_batch([domain.caption(s) for s in chunk])))
    return torch.cat(z), torch.cat(zL), torch.cat(ehs)


def stage_relay_tune_data(cfg, ckpt, family):
    t = cfg["relay_tune"]
    rng = np.random.default_rng(cfg["seed"] + 26)
    enc, dec, text, _, scale = family_nets(cfg, family)
    out = {}
    for key, n, side, bs in (("r128", t["scenes"], 128, 64), ("r256", t["scenes256"], 256, 16)):
        scenes = sample_scenes(rng, n, t["hard_share"])
        out[key] = encode_set(enc, dec, text, scale, scenes, side, bs)
        hard = sum(map(is_hard, scenes)) / max(1, len(scenes))
        train.log(ckpt, f"relay_tune_data: {n} scenes at {side} px, {hard:.0%} with a small square or triangle")
    torch.save(out, os.path.join(ckpt, "relay_tune_data.pt"))


def tune_batch(data, n, p256):
    """16 × 16 latent pairs with their text states: whole 128-px scenes and 256-px crops."""
    n256 = int(round(n * p256))
    z, zL, ehs = data["r128"]
    i = torch.randint(0, len(z), (n - n256,))
    parts = [(z[i], zL[i], ehs[i])]
    if n256:
        z2, zL2, ehs2 = data["r256"]
        j = torch.randint(0, len(z2), (n256,))
        h = z.shape[-1]
        y, x = torch.randint(0, z2.shape[-1] - h + 1, (2,)).tolist()
        parts.append((z2[j, :, y:y + h, x:x + h], zL2[j, :, y:y + h, x:x + h], ehs2[j]))
    return [torch.cat(p) for p in zip(*parts)]


def check_start(cfg, ckpt, net, family):
    """The relay read back from ONNX re-exports to the committed file, byte for byte."""
    comp = export.export(net, os.path.join(ckpt, "relay_start"), "model.onnx", relay_example(cfg), "out_sample", RELAY_DYNAMIC)
    want = onnx_path(family, "relay_unet")[1]["components"]["relay_unet"]["sha256"]
    assert comp["sha256"] == want, f"the relay read from {family} re-exports to {comp['sha256']}, not {want}"
    train.log(ckpt, f"relay_tune: starts from {family}'s relay_unet (sha256 {want[:12]}…)")


def stage_relay_tune(cfg, ckpt, family):
    data = torch.load(os.path.join(ckpt, "relay_tune_data.pt"))
    *_, net, _ = family_nets(cfg, family)
    if not os.path.exists(os.path.join(ckpt, "relay_tune.partial.pt")):
        check_start(cfg, ckpt, net, family)
    net.train()
    t = cfg["relay_tune"]

    def step(i):
        z0, zL, ehs = tune_batch(data, t["batch"], t["crop256"])
        # Caption dropout zeroes the text states, which is what the empty prompt encodes to.
        keep = lambda: (torch.rand(len(z0)) >= cfg["caption_dropout"]).float().view(-1, 1, 1)  # noqa: E731
        return train.relay_loss(net, z0, zL, lambda: ehs * keep())

    mods, partial = train.train_loop(ckpt, "relay_tune", t["steps"], {"net": net}, t["lr"], step, cfg["ema"], warmup=100)
    train.finish(ckpt, "relay_tune", {"net": mods["net"].state_dict()}, partial)


@torch.no_grad()
def export_relay(cfg, ckpt, family):
    """Replaces relay_unet in the family, and the relay part of its golden numbers."""
    _, _, text, _, _ = family_nets(cfg, family)
    net = export.load_net(lambda: train.make_unet(cfg, "relay"), train.load(ckpt, "relay_tune")["net"])
    comp = export.export(net, family, "relay_unet/model.onnx", relay_example(cfg), "out_sample", RELAY_DYNAMIC)
    export.replace_component(family, None, "relay_unet", comp)
    golden_path = os.path.join(family, "golden.json")
    with open(golden_path) as f:
        golden = json.load(f)
    golden.update(relay_golden(cfg, golden, net, text))
    with open(golden_path, "w") as f:
        json.dump(golden, f)
    print(f"exported the tuned relay to {family}")


def relay_golden(cfg, golden, relay, text):
    """The golden relay latents again, from the golden z_L (reference.py's relay half)."""
    c = cfg["latent_channels"]
    ids = torch.tensor([golden["input_ids"]] * len(golden["seeds"]))
    cond, uncond = text(ids), text(torch.zeros_like(ids))
    zL = torch.tensor(golden["z_L"]).view(len(golden["seeds"]), c, 16, 16)
    n1 = torch.stack([noise(s, 1, (c, 16, 16)) for s in golden["seeds"]])
    r = golden["relay"]
    w = torch.full((len(golden["seeds"]),), float(r["guidance"]))
    z = sigmas.sample_relay(lambda x, t, e, extra: relay(x, t, e, extra["low_res"]), zL, n1, cond, uncond, r["steps"], w,
                            "v_prediction")
    return {"relay_latents": [round(float(v), 7) for v in z.reshape(-1)], "relay_shape": list(z.shape)}


def tune_relay(cfg, ckpt, family):
    os.makedirs(ckpt, exist_ok=True)
    torch.manual_seed(cfg["seed"] + 26)
    if not os.path.exists(os.path.join(ckpt, "relay_tune_data.pt")):
        train.log(ckpt, "relay_tune_data: start")
        stage_relay_tune_data(cfg, ckpt, family)
    if not train.done(ckpt, "relay_tune"):
        train.log(ckpt, "relay_tune: start")
        stage_relay_tune(cfg, ckpt, family)
    export_relay(cfg, ckpt, family)
