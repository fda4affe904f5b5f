"""The scorer (issue 26): a small CNN that reads a rendered scene and says, per head, what it
sees — the background colour, and for each of the nine cells which colour sits there (or none),
its shape and its size. best_of ranks candidates by how likely the scorer finds the caption's
labels. It learns from rendered scenes only, never from the model's images, and is a different
method from the spec's rule-based judge that `baton eval` measures with: an independent judge.

Its inputs live in `{ckpt}/scorer_inputs/`:
  images.u8  [N, R, R, 3]   rendered scenes (R = 128)
  labels.i64 [N, 1 + 27]    background, then per cell: colour (0 = empty), shape, size (-100 = none)
  rounding.f32 [N, 9]       per cell, how far a square or triangle was rounded toward its incircle
                            (0 = drawn sharp, 1 = the incircle): its shape label is that soft mix
                            with circle, so the scorer learns how sharp a corner must be
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import domain
from .train import finish, log, train_loop

RESOLUTION = 128
COLOUR_LABELS = ["none"] + domain.COLOURS
SHAPE_LABELS = list(domain.SHAPES)
SIZE_LABELS = list(domain.SIZES.keys())
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


def inputs_dir(ckpt):
    return os.path.join(ckpt, "scorer_inputs")


def labels_of(scene):
    row = [domain.COLOURS.index(scene["background"])] + [0, -100, -100] * 9
    for o in scene["objects"]:
        k = 1 + 3 * o["cell"]
        row[k:k + 3] = [COLOUR_LABELS.index(o["colour"]), SHAPE_LABELS.index(o["shape"]), SIZE_LABELS.index(o["size"])]
    return row


def rounded_mask(x, y, o, rho):
    """A square or triangle with its corners rounded by a fraction rho of its inradius: the
    polygon shrunk toward its incentre, then grown by the same distance (rho = 1: the incircle)."""
    d, cx, cy = domain.SIZES[o["size"]], o["cx"], o["cy"]
    if o["shape"] == "square":
        verts = np.array([[-d / 2, -d / 2], [d / 2, -d / 2], [d / 2, d / 2], [-d / 2, d / 2]]) + [cx, cy]
        incentre, area = np.array([cx, cy]), d * d
    else:
        verts = np.array([[0.0, -d / 2], [d / 2, d / 2], [-d / 2, d / 2]]) + [cx, cy]
        a, b, c = verts
        la, lb, lc = np.linalg.norm(b - c), np.linalg.norm(c - a), np.linalg.norm(a - b)
        incentre, area = (la * a + lb * b + lc * c) / (la + lb + lc), d * d / 2
    perimeter = np.linalg.norm(np.roll(verts, -1, 0) - verts, axis=1).sum()
    r_in = 2 * area / perimeter
    r = min(rho, 0.98) * r_in  # 1 would shrink the polygon to a point
    shrunk = incentre + (verts - incentre) * (r_in - r) / r_in
    return polygon_distance(x, y, shrunk) <= r


def polygon_distance(x, y, verts):
    """Distance from each point to a convex polygon (0 inside); vertices clockwise in image axes."""
    px, py = np.broadcast_arrays(x, y)
    inside = np.ones(px.shape, dtype=bool)
    dist = np.full(px.shape, np.inf, dtype=np.float32)
    for i in range(len(verts)):
        (ax, ay), (bx, by) = verts[i], verts[(i + 1) % len(verts)]
        ex, ey = bx - ax, by - ay
        inside &= (ex * (py - ay) - ey * (px - ax)) >= 0
        t = np.clip(((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey), 0, 1)
        dist = np.minimum(dist, np.hypot(px - ax - t * ex, py - ay - t * ey))
    return np.where(inside, 0.0, dist)


def render_rounded(scene, size, rounding):
    """domain.render, with each object's corners rounded by rounding[cell] (squares, triangles)."""

    def mask_of(o, x, y):
        rho = rounding[o["cell"]]
        return domain.render_mask(o, x, y) if o["shape"] == "circle" or rho == 0 else rounded_mask(x, y, o, rho)

    return domain.render(scene, size, mask_of)


def stage_scorer_data(cfg, ckpt):
    d = inputs_dir(ckpt)
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(cfg["seed"] + 26)
    scenes = [domain.sample_scene(rng) for _ in range(cfg["scorer"]["scenes"])]
    # Half the squares and triangles are drawn with their corners rounded, by a uniform amount.
    rounding = np.where(rng.random((len(scenes), 9)) < 0.5, rng.random((len(scenes), 9)), 0.0).astype(np.float32)
    np.stack([render_rounded(s, RESOLUTION, r) for s, r in zip(scenes, rounding)]).tofile(os.path.join(d, "images.u8"))
    np.array([labels_of(s) for s in scenes], dtype=np.int64).tofile(os.path.join(d, "labels.i64"))
    rounding.tofile(os.path.join(d, "rounding.f32"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"n": len(scenes), "size": RESOLUTION}, f)
    log(ckpt, f"scorer_data: {len(scenes)} scenes at {RESOLUTION} px")


def load_inputs(ckpt):
    d = inputs_dir(ckpt)
    with open(os.path.join(d, "meta.json")) as f:
        n = json.load(f)["n"]
    imgs = np.fromfile(os.path.join(d, "images.u8"), dtype=np.uint8).reshape(n, RESOLUTION, RESOLUTION, 3)
    labels = np.fromfile(os.path.join(d, "labels.i64"), dtype=np.int64).reshape(n, 28)
    rounding = np.fromfile(os.path.join(d, "rounding.f32"), dtype=np.float32).reshape(n, 9)
    return torch.from_numpy(imgs), torch.from_numpy(labels), torch.from_numpy(rounding)


def blur(x, sigma):
    """Per-image Gaussian blur (σ in pixels; 0 leaves the image), so soft edges look like the model's."""
    k = torch.arange(-3, 4, dtype=torch.float32)
    w = torch.exp(-(k[None, :] ** 2) / (2 * sigma[:, None].clamp(min=1e-3) ** 2))
    w = w / w.sum(1, keepdim=True)
    b, c, h, wd = x.shape
    y = F.conv2d(F.pad(x.reshape(1, b * c, h, wd), (3, 3, 0, 0), mode="replicate"),
                 w.repeat_interleave(c, 0).view(b * c, 1, 1, 7), groups=b * c)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3), mode="replicate"), w.repeat_interleave(c, 0).view(b * c, 1, 7, 1), groups=b * c)
    return y.view(b, c, h, wd)


def augment(u8):
    """What a generated image differs from a render by: blur, noise, a slight colour cast."""
    x = u8.permute(0, 3, 1, 2).float() / 127.5 - 1.0
    b = x.shape[0]
    x = blur(x, torch.rand(b) * 0.6)
    x = x + torch.randn(b, 3, 1, 1) * 0.03 + torch.randn_like(x) * torch.rand(b, 1, 1, 1) * 0.05
    return x


def make_scorer(cfg):
    return Scorer(cfg["scorer"]["widths"])


def stage_scorer(cfg, ckpt):
    imgs, labels, rounding = load_inputs(ckpt)
    circle = SHAPE_LABELS.index("circle")
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
        # Shape: a soft label, the drawn shape mixed with circle by how far its corners were rounded.
        shape, t = yc[..., 1].reshape(-1), rounding[idx].reshape(-1)
        there = shape >= 0
        if there.any():
            target = F.one_hot(shape[there], sh).float() * (1 - t[there, None])
            target[:, circle] += t[there]
            logp = F.log_softmax(per_cell[..., c:c + sh].reshape(-1, sh)[there], -1)
            loss = loss - (target * logp).sum(-1).mean()
        return loss

    mods, partial = train_loop(ckpt, "scorer", s["steps"], {"net": net}, s["lr"], step, cfg["ema"])
    finish(ckpt, "scorer", {"net": mods["net"].state_dict()}, partial)
