"""The scorer (issue 26): a small CNN that reads a scene and says, per head, what it sees: the
background colour, and for each of the nine cells which colour sits there (or none), its shape
and its size. best_of ranks candidates by how likely the scorer finds the caption's labels.

It learns from scenes drawn by scorer_data.py (rendered with the faults a generated image has,
labelled by the spec's definitions measured on those drawings), never from the model's images,
and it is a network, not the rule-based judge that `baton eval` measures with.
"""
import torch
import torch.nn.functional as F
from torch import nn

from . import domain
from .scorer_data import COLOUR_LABELS, RESOLUTION, SHAPE_LABELS, SIZE_LABELS, load_inputs
from .train import finish, train_loop

PER_CELL = len(COLOUR_LABELS) + len(SHAPE_LABELS) + len(SIZE_LABELS)


def heads():
    """The manifest's head list, in the order of the model's logits."""
    out = [{"name": "background", "labels": domain.COLOURS}]
    for cell in domain.CELLS:
        out += [{"name": f"{cell}.colour", "labels": COLOUR_LABELS},
                {"name": f"{cell}.shape", "labels": SHAPE_LABELS},
                {"name": f"{cell}.size", "labels": SIZE_LABELS}]
    return out


class Scorer(nn.Module):
    """Convolutions down to 8 × 8, pooled to the 3 × 3 grid of cells; pixel_values in [-1, 1]."""

    def __init__(self, widths):
        super().__init__()
        layers, c = [], 3
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1), nn.GroupNorm(8, w), nn.GELU(),
                       nn.Conv2d(w, w, 3, padding=1), nn.GroupNorm(8, w), nn.GELU()]
            c = w
        self.features = nn.Sequential(*layers)
        self.cell = nn.Sequential(nn.Conv2d(c + 2, 128, 1), nn.GELU(), nn.Conv2d(128, PER_CELL, 1))
        self.background = nn.Sequential(nn.Linear(c, 64), nn.GELU(), nn.Linear(64, len(domain.COLOURS)))

    def forward(self, pixel_values):
        f = self.features(pixel_values)
        # adaptive_avg_pool2d(f, 3) as two matrix products (ONNX has no adaptive pooling to 3 from 8).
        p = pool_matrix(f.shape[-1], 3)
        cells = torch.einsum("ih,bchw,jw->bcij", p, f, p)
        b = cells.shape[0]
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, 3), torch.linspace(-1, 1, 3), indexing="ij")
        where = torch.stack([xs, ys]).unsqueeze(0).expand(b, 2, 3, 3)
        per_cell = self.cell(torch.cat([cells, where], 1)).flatten(2).transpose(1, 2)  # [B, 9, PER_CELL]
        bg = self.background(f.mean(dim=(2, 3)))
        return torch.cat([bg, per_cell.reshape(b, -1)], 1)


def pool_matrix(n_in, n_out):
    """Rows average the windows adaptive_avg_pool2d uses: [⌊i·n/k⌋, ⌈(i+1)·n/k⌉)."""
    m = torch.zeros(n_out, n_in)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def augment(u8):
    """Noise and a slight colour cast (the drawings are already blurred: scorer_data.py)."""
    x = u8.permute(0, 3, 1, 2).float() / 127.5 - 1.0
    b = x.shape[0]
    x = x + torch.randn(b, 3, 1, 1) * 0.03 + torch.randn_like(x) * torch.rand(b, 1, 1, 1) * 0.05
    return x


def make_scorer(cfg):
    return Scorer(cfg["scorer"]["widths"])


def stage_scorer(cfg, ckpt):
    imgs, labels, shapes = load_inputs(ckpt)
    net = make_scorer(cfg)
    s = cfg["scorer"]

    def step(i):
        idx = torch.randint(0, len(imgs), (s["batch"],))
        out = net(augment(imgs[idx]))
        y = labels[idx]
        loss = F.cross_entropy(out[:, :8], y[:, 0])
        per_cell = out[:, 8:].reshape(-1, 9, PER_CELL)
        yc = y[:, 1:].reshape(-1, 9, 3)
        c, sh = len(COLOUR_LABELS), len(SHAPE_LABELS)
        loss = loss + F.cross_entropy(per_cell[..., :c].reshape(-1, c), yc[..., 0].reshape(-1))
        size = yc[..., 2].reshape(-1)
        if (size >= 0).any():
            loss = loss + F.cross_entropy(per_cell[..., c + sh:].reshape(-1, PER_CELL - c - sh), size, ignore_index=-100)
        # Shape: the soft label the drawing's fill ratio gives (scorer_data.py).
        there = yc[..., 1].reshape(-1) >= 0
        if there.any():
            target = shapes[idx].reshape(-1, sh)[there]
            logp = F.log_softmax(per_cell[..., c:c + sh].reshape(-1, sh)[there], -1)
            loss = loss - (target * logp).sum(-1).mean()
        return loss

    mods, partial = train_loop(ckpt, "scorer", s["steps"], {"net": net}, s["lr"], step, cfg["ema"])
    finish(ckpt, "scorer", {"net": mods["net"].state_dict()}, partial)
