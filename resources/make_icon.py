"""Draw the application icon, resources/icon.png: a disc turning from gray to colour.

Run ``python resources/make_icon.py`` after changing the drawing; the PNG is committed.
The upper-left half of a hue wheel is shown as its own luminance, the lower-right half
in colour, which is what the application does to a photo.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

SIZE = 256
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")


def draw_icon(size: int = SIZE) -> np.ndarray:
    """The icon as an RGBA uint8 array of shape (size, size, 4)."""
    centre = (size - 1) / 2.0
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64)
    dy, dx = rows - centre, columns - centre
    radius = np.hypot(dx, dy)
    outer = 0.47 * size

    hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
    saturation = np.clip(radius / outer, 0.0, 1.0) ** 0.7
    hsv = np.stack([hue, saturation, np.full_like(hue, 0.95)], axis=2)
    colour = np.asarray(Image.fromarray(np.uint8(np.rint(hsv * 255)), "HSV").convert("RGB"))
    colour = colour.astype(np.float64) / 255.0
    gray = colour @ np.array([0.299, 0.587, 0.114])

    # Soft diagonal seam between the gray and the coloured half, 3 pixels wide.
    colour_share = np.clip((dx + dy) / 3.0 + 0.5, 0.0, 1.0)[..., None]
    rgb = colour_share * colour + (1.0 - colour_share) * gray[..., None]

    ring = np.clip(outer + 0.5 - radius, 0.0, 1.0)  # anti-aliased edge of the disc
    border = np.clip(radius - (outer - 0.035 * size) + 0.5, 0.0, 1.0)[..., None]
    rgb = (1.0 - border) * rgb + border * 0.2
    rgba = np.dstack([rgb, ring])
    return np.uint8(np.rint(np.clip(rgba, 0.0, 1.0) * 255))


if __name__ == "__main__":
    Image.fromarray(draw_icon(), "RGBA").save(OUTPUT, optimize=True)
    print(f"wrote {OUTPUT}")
