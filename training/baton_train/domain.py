"""The shapes domain v1: scene sampling, rendering and canonical captions.

Follows docs/shapes-domain.md exactly; every constant comes from the
vocabulary file shared with the TypeScript packages.
"""
import json
import os

import numpy as np

VOCAB_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "shapes", "vocabulary.json")
with open(VOCAB_PATH) as f:
    VOCAB = json.load(f)

PALETTE = VOCAB["palette"]
COLOURS = list(PALETTE.keys())
SHAPES = VOCAB["shapes"]
SIZES = VOCAB["sizes"]
CELLS = VOCAB["cells"]
CENTRES = VOCAB["cellCentres"]
JITTER = VOCAB["jitter"]
MARGIN = VOCAB["margin"]
WHERE = VOCAB["where"]
SUPERSAMPLE = 4


def sample_object(rng, background, taken_colours, taken_cells):
    colour = rng.choice([c for c in COLOURS if c != background and c not in taken_colours])
    cell = int(rng.choice([i for i in range(9) if i not in taken_cells]))
    return {
        "shape": str(rng.choice(SHAPES)),
        "size": str(rng.choice(list(SIZES.keys()))),
        "colour": str(colour),
        "cell": cell,
    }


def place(rng, obj):
    col, row = obj["cell"] % 3, obj["cell"] // 3
    obj["cx"] = CENTRES[col] + rng.uniform(-JITTER, JITTER)
    obj["cy"] = CENTRES[row] + rng.uniform(-JITTER, JITTER)
    return obj


def boxes_clear(a, b):
    ha = SIZES[a["size"]] / 2 + MARGIN
    hb = SIZES[b["size"]] / 2 + MARGIN
    return abs(a["cx"] - b["cx"]) >= ha + hb or abs(a["cy"] - b["cy"]) >= ha + hb


def sample_scene(rng, n_objects=None):
    background = str(rng.choice(COLOURS))
    n = n_objects if n_objects is not None else int(rng.integers(1, 3))
    while True:
        objects = []
        for _ in range(n):
            objects.append(sample_object(rng, background, [o["colour"] for o in objects], [o["cell"] for o in objects]))
        # Re-draw the jitter a few times, then the attributes, until the grown boxes are clear.
        for _ in range(8):
            for o in objects:
                place(rng, o)
            if n == 1 or boxes_clear(objects[0], objects[1]):
                return {"background": background, "objects": objects}


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def caption(scene):
    parts = []
    for o in scene["objects"]:
        parts.append(f"{article(o['size'])} {o['size']} {o['colour']} {o['shape']} {WHERE[CELLS[o['cell']]]}")
    bg = scene["background"]
    return " and ".join(parts) + f", on {article(bg)} {bg} background"


def render(scene, size, mask_of=None):
    """The scene at size × size, 4× supersampled; mask_of(o, x, y) draws an object (render_mask by default)."""
    mask_of = mask_of or render_mask
    n = size * SUPERSAMPLE
    coords = (np.arange(n, dtype=np.float32) + 0.5) / n
    x = coords[None, :]
    y = coords[:, None]
    img = np.empty((n, n, 3), dtype=np.float32)
    img[:] = np.array(PALETTE[scene["background"]], dtype=np.float32)
    for o in scene["objects"]:
        img[mask_of(o, x, y)] = np.array(PALETTE[o["colour"]], dtype=np.float32)
    img = img.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def render_mask(o, x, y):
    """The object's pixels on a grid of sample points x (a row), y (a column), in fractions of S."""
    d = SIZES[o["size"]]
    cx, cy = o["cx"], o["cy"]
    if o["shape"] == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= (d / 2) ** 2
    if o["shape"] == "square":
        return (np.abs(x - cx) <= d / 2) & (np.abs(y - cy) <= d / 2)
    top = cy - d / 2
    return (y >= top) & (y <= cy + d / 2) & (np.abs(x - cx) <= (y - top) / 2)


def caption_words():
    """Every token a canonical caption can contain."""
    words = {"a", "an", "and", "on", "background", ","}
    words.update(COLOURS, SHAPES, SIZES.keys())
    for phrase in WHERE.values():
        words.update(phrase.split())
    return sorted(words)
