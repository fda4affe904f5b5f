"""The training run: every stage in order, each skipped when its artifact exists (resumable)."""
import os
import zlib

import numpy as np
import torch

from .scorer import stage_scorer
from .scorer_data import stage_scorer_data
from .single import stage_single, stage_single_data, stage_single_inputs
from .train import (
    done,
    log,
    stage_base,
    stage_data,
    stage_distill_base,
    stage_distill_relay,
    stage_latents,
    stage_relay,
    stage_relay_inputs,
    stage_vae,
)

STAGES = [
    ("data", stage_data),
    ("vae", stage_vae),
    ("latents", stage_latents),
    ("base", stage_base),
    ("relay_inputs", stage_relay_inputs),
    ("relay", stage_relay),
    ("distill_base", stage_distill_base),
    ("distill_relay", stage_distill_relay),
    ("single_data", stage_single_data),
    ("single_inputs", stage_single_inputs),
    ("single", stage_single),
    ("scorer_data", stage_scorer_data),
    ("scorer", stage_scorer),
]


# The single-stage inputs are files, not a checkpoint: made once, reused (see single.py).
INPUT_FILES = {"single_data": "single_inputs/meta.json", "single_inputs": "single_inputs/z.f32",
               "scorer_data": "scorer_inputs/meta.json"}


def run_all(cfg, ckpt, only=None):
    os.makedirs(ckpt, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    np.random.seed(cfg["seed"] % 2**32)
    for name, fn in STAGES:
        if only and name not in only:
            continue
        if name in ("data", "latents", "relay_inputs"):
            if os.path.exists(os.path.join(ckpt, f"{name}.pt")):
                continue
        elif name in INPUT_FILES:
            if os.path.exists(os.path.join(ckpt, INPUT_FILES[name])):
                continue
        elif done(ckpt, name):
            continue
        log(ckpt, f"{name}: start")
        # Each stage seeds itself, so a resumed run makes the same artifacts.
        torch.manual_seed(cfg["seed"] + zlib.crc32(name.encode()) % 1000)
        fn(cfg, ckpt)
