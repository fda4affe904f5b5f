"""python3 -m baton_train train|export|all|tune-relay [--tiny] [--ckpt DIR] [--out DIR]"""
import argparse
import os

import torch

from . import config
from .stages import run_all


def main():
    p = argparse.ArgumentParser(prog="python3 -m baton_train")
    p.add_argument("command", choices=["train", "export", "all", "tune-relay"])
    p.add_argument("--tiny", action="store_true", help="CI smoke configuration: a few steps of every trainer")
    p.add_argument("--ckpt", default=os.path.expanduser("~/.cache/baton/shapes-v1"), help="checkpoints (outside the repo)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "models", "shapes-v1"))
    p.add_argument("--only", nargs="*", help="run only these stages")
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get("BATON_THREADS", "2")))
    cfg = config.TINY if a.tiny else config.FULL
    if a.command == "tune-relay":  # a further step on an exported family (relay_tune.py)
        from .relay_tune import tune_relay
        tune_relay(cfg, a.ckpt, a.out)
    if a.command in ("train", "all"):
        run_all(cfg, a.ckpt, a.only)
    if a.command in ("export", "all"):
        from .export import export_all, export_scorer, export_single
        if a.command == "export" and a.only == ["single"]:
            export_single(cfg, a.ckpt, a.out)  # retrain and replace the baseline alone
        elif a.command == "export" and a.only == ["scorer"]:
            export_scorer(cfg, a.ckpt, a.out)  # train and replace the scorer alone
        else:
            export_all(cfg, a.ckpt, a.out)


if __name__ == "__main__":
    main()
