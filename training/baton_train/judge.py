"""A second alignment judge, written from docs/shapes-domain.md ("How alignment is judged") alone.

It shares no code with the product's judge (packages/shapes/src/judge.ts): its own caption
reader, palette, labelling and measures. best_of picks its candidate with the product judge's
measurements (packages/shapes/src/score.ts), so `baton eval --best-of N` grading with that same
judge would grade its own pick. This judge grades the images `baton eval --save DIR` wrote:

    /usr/bin/python3 -m baton_train.judge DIR      (run from training/)

DIR holds the images and `index.jsonl`, a line per image: {"file", "caption", "group"}. It prints
whole-caption alignment per group and overall, and how often it agrees with the product judge
(the `aligned` each line carries).
"""

import json
import re
import sys
from collections import deque
from pathlib import Path

import numpy as np
from PIL import Image

PALETTE = {
    "red": (220, 50, 47),
    "orange": (245, 140, 30),
    "yellow": (240, 210, 50),
    "green": (50, 160, 70),
    "blue": (40, 90, 210),
    "purple": (140, 70, 170),
    "white": (245, 245, 240),
    "black": (25, 25, 30),
}
WHERE = {
    "in the top left corner": (0, 0),
    "at the top": (1, 0),
    "in the top right corner": (2, 0),
    "on the left": (0, 1),
    "in the center": (1, 1),
    "on the right": (2, 1),
    "in the bottom left corner": (0, 2),
    "at the bottom": (1, 2),
    "in the bottom right corner": (2, 2),
}
OBJECT = re.compile(
    r"an? (small|large) (\w+) (circle|square|triangle) (" + "|".join(WHERE) + r")$"
)


def read_caption(text):
    """The canonical caption as (background, [(size, colour, shape, (col, row))]), or None."""
    m = re.fullmatch(r"(.+), on an? (\w+) background", text.strip())
    if not m or m.group(2) not in PALETTE:
        return None
    objects = []
    for part in m.group(1).split(" and "):
        o = OBJECT.fullmatch(part.strip())
        if not o or o.group(2) not in PALETTE:
            return None
        objects.append((o.group(1), o.group(2), o.group(3), WHERE[o.group(4)]))
    return m.group(2), objects


def nearest(rgb):
    return min(PALETTE, key=lambda n: sum((a - b) ** 2 for a, b in zip(rgb, PALETTE[n])))


def components(mask):
    """4-connected components of a boolean mask, each an array of (y, x)."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        queue = deque([(y0, x0)])
        pixels = []
        while queue:
            y, x = queue.popleft()
            pixels.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        out.append(np.array(pixels))
    return out


def detect(img):
    """(background colour, [(colour, shape, size, (col, row))]) as the spec measures them."""
    s = img.shape[0]
    border = np.ones((s, s), dtype=bool)
    border[2:-2, 2:-2] = False
    bg = np.median(img[border].astype(np.float64), axis=0)
    fg = np.sqrt(((img.astype(np.float64) - bg) ** 2).sum(axis=2)) > 60
    found = []
    for px in components(fg):
        if len(px) < 0.01 * s * s:
            continue
        ys, xs = px[:, 0], px[:, 1]
        w = xs.max() - xs.min() + 1
        h = ys.max() - ys.min() + 1
        r = len(px) / (w * h)
        shape = "square" if r >= 0.90 else "circle" if r >= 0.64 else "triangle"
        size = "large" if max(w, h) >= 0.30 * s else "small"
        # The centroid of pixel centres, in thirds of the side.
        col = min(2, int((xs.mean() + 0.5) / s * 3))
        row = min(2, int((ys.mean() + 0.5) / s * 3))
        colour = nearest(np.median(img[ys, xs].astype(np.float64), axis=0))
        found.append((colour, shape, size, (col, row)))
    return nearest(bg), found


def aligned(img, caption):
    background, objects = caption
    bg, found = detect(img)
    if bg != background or len(found) != len(objects):
        return False
    for size, colour, shape, cell in objects:
        match = [f for f in found if f[0] == colour]
        if not match or match[0][1:] != (shape, size, cell):
            return False
    return True


def main(folder):
    folder = Path(folder)
    lines = [json.loads(x) for x in (folder / "index.jsonl").read_text().splitlines() if x.strip()]
    per, agree = {}, 0
    for line in lines:
        caption = read_caption(line["caption"])
        if caption is None:
            sys.exit(f"{line['file']}: not a canonical caption: {line['caption']!r}")
        img = np.asarray(Image.open(folder / line["file"]).convert("RGB"))
        ok = aligned(img, caption)
        per.setdefault(line.get("group", "all"), []).append(ok)
        agree += ok == line.get("aligned", ok)
    for group, oks in sorted(per.items()):
        print(f"{group}: {100 * sum(oks) / len(oks):.1f} % aligned ({sum(oks)}/{len(oks)})")
    every = [ok for oks in per.values() for ok in oks]
    print(f"all: {100 * sum(every) / len(every):.1f} % aligned ({sum(every)}/{len(every)})")
    print(f"agrees with the product judge on {agree}/{len(lines)} images")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m baton_train.judge DIR")
    main(sys.argv[1])
