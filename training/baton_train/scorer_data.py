"""The scorer's training scenes (issue 26): rendered, drawn imperfectly, and labelled by what
the spec's definition of each attribute says of the drawing.

A generated image differs from a clean render where best_of must choose: corners rounded, edges
bowed in or out, edges soft. Each scene is drawn with such faults at random, then blurred, and
each object's shape label is what docs/shapes-domain.md defines a shape to be (its fill ratio,
foreground area over bounding box, measured on these pixels: square ≥ 0.90, circle ≥ 0.64, else
triangle), softened near those bounds so the scorer learns how close a drawing is to becoming
another shape. The labels come from the scenes drawn here, never from the model's images.

Writes `{ckpt}/scorer_inputs/`:
  images.u8  [N, R, R, 3]   the drawn, blurred scenes (R = 128)
  labels.i64 [N, 1 + 27]    background, then per cell: colour (0 = empty), shape, size (-100 = none)
  shapes.f32 [N, 9, 3]      per cell, the soft shape label (circle, square, triangle order of
                            SHAPE_LABELS; zeros where the cell is empty)
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from . import domain
from .train import log

RESOLUTION = 128
COLOUR_LABELS = ["none"] + domain.COLOURS
SHAPE_LABELS = list(domain.SHAPES)
SIZE_LABELS = list(domain.SIZES.keys())
# The spec's fill-ratio bounds and its foreground distance, from the vocabulary file the judge reads
# (docs/shapes-domain.md, "How alignment is judged").
JUDGE = domain.VOCAB["judge"]
SQUARE_FILL, CIRCLE_FILL, FOREGROUND = JUDGE["squareFill"], JUDGE["circleFill"], JUDGE["foregroundDistance"]
# How soft a shape label is near a bound (in fill ratio).
SOFTNESS = 0.02


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


def bowed_mask(x, y, o, bow):
    """A square whose edges bow in (bow > 0) or out (bow < 0) by a fraction of its half side at their middles."""
    h, cx, cy = domain.SIZES[o["size"]] / 2, o["cx"], o["cy"]
    u, v = (x - cx) / h, (y - cy) / h
    return (np.abs(u) <= 1 - bow * (1 - np.minimum(v * v, 1))) & (np.abs(v) <= 1 - bow * (1 - np.minimum(u * u, 1)))


def draw(scene, size, rounding, bowing):
    """domain.render, with each square's or triangle's corners rounded by rounding[cell] and each square's edges bowed by bowing[cell]."""

    def mask_of(o, x, y):
        rho, bow = rounding[o["cell"]], bowing[o["cell"]]
        if o["shape"] == "circle":
            return domain.render_mask(o, x, y)
        mask = domain.render_mask(o, x, y) if rho == 0 else rounded_mask(x, y, o, rho)
        if o["shape"] != "square" or bow == 0:
            return mask
        # Bowed in: what both keep; bowed out: either.
        return mask & bowed_mask(x, y, o, bow) if bow > 0 else mask | bowed_mask(x, y, o, bow)

    return domain.render(scene, size, mask_of)


def fill_ratio(img, o, background):
    """The spec's fill ratio of one object: foreground pixels near it over their bounding box (None if none)."""
    size = img.shape[0]
    reach = domain.SIZES[o["size"]] / 2 + domain.MARGIN
    left, top = (int(max(0, np.floor((o[k] - reach) * size))) for k in ("cx", "cy"))
    right, bottom = (int(min(size, np.ceil((o[k] + reach) * size))) for k in ("cx", "cy"))
    window = img[top:bottom, left:right].astype(np.float32)
    fg = np.linalg.norm(window - np.array(domain.PALETTE[background], dtype=np.float32), axis=-1) > FOREGROUND
    ys, xs = np.nonzero(fg)
    if len(ys) == 0:
        return None
    return len(ys) / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1))


def shape_target(r):
    """The soft shape label for a fill ratio r, in SHAPE_LABELS order."""
    sig = lambda t: 1 / (1 + np.exp(-t / SOFTNESS))  # noqa: E731
    p = {"square": sig(r - SQUARE_FILL), "triangle": sig(CIRCLE_FILL - r)}
    p["circle"] = max(0.0, 1 - p["square"] - p["triangle"])
    return [p[s] for s in SHAPE_LABELS]


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


def blur_u8(imgs, sigmas):
    """Each image blurred by its own σ (pixels), back to uint8."""
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float()
    out = blur(x, torch.from_numpy(sigmas.astype(np.float32)))
    return out.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def stage_scorer_data(cfg, ckpt):
    d = inputs_dir(ckpt)
    os.makedirs(d, exist_ok=True)
    n = cfg["scorer"]["scenes"]
    rng = np.random.default_rng(cfg["seed"] + 26)
    scenes = [domain.sample_scene(rng) for _ in range(n)]
    # Half the squares and triangles have their corners rounded, a third of the squares their
    # edges bowed; every scene is blurred by up to 1.2 px.
    rounding = np.where(rng.random((n, 9)) < 0.5, rng.random((n, 9)), 0.0)
    bowing = np.where(rng.random((n, 9)) < 0.33, rng.uniform(-0.12, 0.18, (n, 9)), 0.0)
    sigmas = rng.uniform(0.0, 1.2, n)
    imgs = np.stack([draw(s, RESOLUTION, r, b) for s, r, b in zip(scenes, rounding, bowing)])
    imgs = np.concatenate([blur_u8(imgs[i:i + 256], sigmas[i:i + 256]) for i in range(0, n, 256)])
    shapes = np.zeros((n, 9, 3), dtype=np.float32)
    for i, s in enumerate(scenes):
        for o in s["objects"]:
            r = fill_ratio(imgs[i], o, s["background"])
            shapes[i, o["cell"]] = shape_target(r) if r is not None else np.eye(3)[SHAPE_LABELS.index(o["shape"])]
    imgs.tofile(os.path.join(d, "images.u8"))
    np.array([labels_of(s) for s in scenes], dtype=np.int64).tofile(os.path.join(d, "labels.i64"))
    shapes.tofile(os.path.join(d, "shapes.f32"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"n": n, "size": RESOLUTION}, f)
    log(ckpt, f"scorer_data: {n} scenes at {RESOLUTION} px")


def load_inputs(ckpt):
    d = inputs_dir(ckpt)
    with open(os.path.join(d, "meta.json")) as f:
        n = json.load(f)["n"]
    imgs = np.fromfile(os.path.join(d, "images.u8"), dtype=np.uint8).reshape(n, RESOLUTION, RESOLUTION, 3)
    labels = np.fromfile(os.path.join(d, "labels.i64"), dtype=np.int64).reshape(n, 28)
    shapes = np.fromfile(os.path.join(d, "shapes.f32"), dtype=np.float32).reshape(n, 9, 3)
    return torch.from_numpy(imgs), torch.from_numpy(labels), torch.from_numpy(shapes)
