"""Exports the trained family to ONNX in the Hugging Face Optimum layout, with a manifest.

models/shapes-v1/
  manifest.json              versioned, sha256 of every file
  tokenizer/tokenizer.json
  text_encoder/model.onnx    input_ids → last_hidden_state
  unet/model.onnx            sample, timestep, encoder_hidden_states → out_sample (base, 8 × 8)
  relay_unet/model.onnx      … + low_res_latent
  unet_distilled/…, relay_unet_distilled/…   … + guidance_scale (guidance folded in)
  unet_single/model.onnx     the fair single-stage baseline: the base DiT over 16 × 16 (128 px)
  vae_encoder/model.onnx     sample → latent_sample
  vae_decoder/model.onnx     latent_sample → sample
"""
import hashlib
import json
import os
import time

import torch

from . import scorer, single, train
from .reference import write_golden
from .tokenizer import Tokenizer

OPSET = 16  # torch 1.13 exports LayerNorm without affine wrongly at 17


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


class Wrap(torch.nn.Module):
    def __init__(self, net, names):
        super().__init__()
        self.net, self.names = net, names

    def forward(self, *args):
        return self.net(**dict(zip(self.names, args)))


def export(module, out, rel, inputs, output, dynamic):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    names = list(inputs.keys())
    torch.onnx.export(Wrap(module.eval(), names), tuple(inputs.values()), path, input_names=names,
                      output_names=[output], dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    dtypes = {n: ("int64" if v.dtype == torch.long else "float32") for n, v in inputs.items()}
    return {"file": rel, "sha256": sha256(path), "inputs": dtypes, "outputs": {output: "float32"}}


def load_net(make, state):
    net = make()
    net.load_state_dict(state)
    return net.eval()


def export_all(cfg, ckpt, out):
    os.makedirs(out, exist_ok=True)
    c, L, D = cfg["latent_channels"], cfg["max_length"], cfg["text_dim"]
    tok = Tokenizer.build(L)
    os.makedirs(os.path.join(out, "tokenizer"), exist_ok=True)
    tok.save(os.path.join(out, "tokenizer", "tokenizer.json"))
    enc, dec, scale = train.load_vae(cfg, ckpt)
    text = train.load_text(cfg, ckpt)
    B = 2
    ids = torch.zeros(B, L, dtype=torch.long)
    ehs = torch.randn(B, L, D)
    t = torch.tensor([999, 10], dtype=torch.long)
    w = torch.tensor([4.0, 2.0])
    batch = {0: "batch"}
    img = {0: "batch", 2: "height", 3: "width"}
    comps = {
        "text_encoder": export(text, out, "text_encoder/model.onnx", {"input_ids": ids}, "last_hidden_state",
                               {"input_ids": batch, "last_hidden_state": batch}),
        "vae_encoder": export(enc, out, "vae_encoder/model.onnx", {"sample": torch.randn(B, 3, 64, 64)}, "latent_sample",
                              {"sample": img, "latent_sample": img}),
        "vae_decoder": export(dec, out, "vae_decoder/model.onnx", {"latent_sample": torch.randn(B, c, 8, 8)}, "sample",
                              {"latent_sample": img, "sample": img}),
    }
    base_in = {"sample": torch.randn(B, c, 8, 8), "timestep": t, "encoder_hidden_states": ehs}
    base_dyn = {"sample": batch, "timestep": batch, "encoder_hidden_states": batch, "out_sample": batch}
    comps["unet"] = export(load_net(lambda: train.make_base(cfg), train.load(ckpt, "base")["net"]), out,
                           "unet/model.onnx", base_in, "out_sample", base_dyn)
    comps["unet_distilled"] = export(load_net(lambda: train.make_base(cfg, guidance=True), train.load(ckpt, "distill_base")["net"]),
                                     out, "unet_distilled/model.onnx", {**base_in, "guidance_scale": w}, "out_sample",
                                     {**base_dyn, "guidance_scale": batch})
    relay_in = {"sample": torch.randn(B, c, 16, 16), "timestep": t, "encoder_hidden_states": ehs,
                "low_res_latent": torch.randn(B, c, 16, 16)}
    relay_dyn = {"sample": img, "timestep": batch, "encoder_hidden_states": batch, "low_res_latent": img, "out_sample": img}
    comps["relay_unet"] = export(load_net(lambda: train.make_unet(cfg, "relay"), train.load(ckpt, "relay")["net"]), out,
                                 "relay_unet/model.onnx", relay_in, "out_sample", relay_dyn)
    comps["relay_unet_distilled"] = export(
        load_net(lambda: train.make_unet(cfg, "relay", guidance=True), train.load(ckpt, "distill_relay")["net"]), out,
        "relay_unet_distilled/model.onnx", {**relay_in, "guidance_scale": w}, "out_sample", {**relay_dyn, "guidance_scale": batch})
    comps["unet_single"] = export_single_net(cfg, ckpt, out)
    comps["scorer"], scorer_entry = export_scorer_net(cfg, ckpt, out)
    s = cfg["sampler"]
    manifest = {
        "schema_version": 1,
        "id": "shapes-v1" if cfg is not None and cfg["latent_channels"] == 8 else "shapes-v1-tiny",
        "description": "Baton's embedded default family, trained on the synthetic shapes domain (docs/shapes-domain.md).",
        "created": int(time.time()),
        "prediction_type": "v_prediction",
        "prompt_expander": "shapes",
        "schedule": {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"},
        "latent_channels": c,
        "vae_scale_factor": 8,
        "vae_scaling_factor": scale,
        "tokenizer": {"file": "tokenizer/tokenizer.json", "sha256": sha256(os.path.join(out, "tokenizer", "tokenizer.json")),
                      "max_length": L},
        "components": comps,
        "base": {"resolution": 64},
        "relay": {"scale": 2, "start_t": 499, "max_stages": 3},
        "variants": {
            "standard": {"base": {"component": "unet", "steps": s["base_steps"], "guidance": s["base_guidance"]},
                         "relay": {"component": "relay_unet", "steps": s["relay_steps"], "guidance": s["relay_guidance"]}},
            "distilled": {"base": {"component": "unet_distilled", "steps": s["distilled_base_steps"], "guidance": s["base_guidance"]},
                          "relay": {"component": "relay_unet_distilled", "steps": s["distilled_relay_steps"],
                                    "guidance": s["relay_guidance"]}},
        },
        "single_stage": {"component": "unet_single", "resolution": 128, "steps": s["base_steps"], "guidance": s["base_guidance"]},
        "scorer": scorer_entry,
        "limits": {"max_prompt_chars": 1000, "max_batch": 8},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    write_golden(cfg, ckpt, os.path.join(out, "golden.json"))
    print(f"exported to {out}")


def export_single_net(cfg, ckpt, out):
    """The single-stage baseline has the base's inputs and output (a DiT), over 16 × 16 latents."""
    c, L, D = cfg["latent_channels"], cfg["max_length"], cfg["text_dim"]
    B = 2
    inputs = {"sample": torch.randn(B, c, 16, 16), "timestep": torch.tensor([999, 10], dtype=torch.long),
              "encoder_hidden_states": torch.randn(B, L, D)}
    net = load_net(lambda: single.make_single(cfg), train.load(ckpt, "single")["net"])
    dyn = {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch"}}
    return export(net, out, "unet_single/model.onnx", inputs, "out_sample", dyn)


def export_scorer_net(cfg, ckpt, out):
    """best_of's scorer: pixel_values [B, 3, R, R] in [-1, 1] → logits, the manifest's heads in order."""
    r = scorer.RESOLUTION
    net = load_net(lambda: scorer.make_scorer(cfg), train.load(ckpt, "scorer")["net"])
    comp = export(net, out, "scorer/model.onnx", {"pixel_values": torch.randn(2, 3, r, r)}, "logits",
                  {"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
    return comp, {"component": "scorer", "resolution": r, "heads": scorer.heads()}


def replace_component(out, key, name, comp, entry=None):
    """Replaces one component of an exported family (its file, manifest entry and sum), and the
    manifest's `key` section with `entry` (None: a component no section names, as the relay)."""
    path = os.path.join(out, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["components"][name] = comp
    if key is not None:
        manifest[key] = entry
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"exported {name} to {out}")


def export_scorer(cfg, ckpt, out):
    replace_component(out, "scorer", "scorer", *export_scorer_net(cfg, ckpt, out))


def export_single(cfg, ckpt, out):
    """Replaces only the single-stage component of an exported family (its manifest entry and sum)."""
    s = cfg["sampler"]
    replace_component(out, "single_stage", "unet_single", export_single_net(cfg, ckpt, out),
                      {"component": "unet_single", "resolution": 128, "steps": s["base_steps"], "guidance": s["base_guidance"]})
