"""Joint bilateral upsampling of colour worked out at a small size (Kopf et al. 2007).

Each full-size pixel takes a weighted mean of the colours of the nearby small-size
pixels, weighted by distance and by how close each one's lightness is to its own. A small
pixel that straddles an edge has a lightness between the two sides' and is mostly ignored
by both, so a colour edge on a lightness edge comes back sharp (plain resizing, or a
guided filter of the resized colour, blends the colours over the scale factor in pixels).
"""

from __future__ import annotations

import numpy as np

#: Lightness difference (CIELAB L units) at which a small pixel's weight falls to 1/e.
LIGHTNESS_SIGMA = 6.0
#: Small pixels either side of the nearest one that contribute.
RADIUS = 1
#: Weight of every small pixel whatever its lightness: a pixel unlike all its neighbours
#: (a highlight) gets their distance-weighted mean rather than nothing.
_FLOOR = 1e-4


def joint_bilateral_upsample(chroma: np.ndarray, small_lightness: np.ndarray,
                             lightness: np.ndarray,
                             sigma: float = LIGHTNESS_SIGMA) -> np.ndarray:
    """Bring ``chroma`` (h, w, C) to the size of ``lightness`` (H, W), following its edges.

    ``small_lightness`` (h, w) is the lightness (CIELAB L, 0..100) at the small size, e.g.
    the area-downscaled gray frame's; ``lightness`` (H, W) the full-size one.
    Returns (H, W, C) float32.
    """
    import cv2

    chroma = np.asarray(chroma, np.float32)
    small_lightness = np.asarray(small_lightness, np.float32)
    lightness = np.asarray(lightness, np.float32)
    h, w = small_lightness.shape
    height, width = lightness.shape
    # Position of each full-size pixel centre in small-pixel units, and its nearest pixel.
    ys = (np.arange(height, dtype=np.float32) + 0.5) * (h / height) - 0.5
    xs = (np.arange(width, dtype=np.float32) + 0.5) * (w / width) - 0.5
    nearest_y, nearest_x = np.floor(ys + 0.5), np.floor(xs + 0.5)
    stack = np.ascontiguousarray(np.dstack([small_lightness, chroma]))
    total = np.zeros((height, width, chroma.shape[2]), np.float32)
    weights = np.zeros((height, width), np.float32)
    for dy in range(-RADIUS, RADIUS + 1):
        spatial_y = np.exp(-((nearest_y + dy - ys) ** 2) / 2.0).astype(np.float32)
        map_y = np.broadcast_to((nearest_y + dy)[:, None], (height, width))
        for dx in range(-RADIUS, RADIUS + 1):
            spatial_x = np.exp(-((nearest_x + dx - xs) ** 2) / 2.0).astype(np.float32)
            map_x = np.broadcast_to((nearest_x + dx)[None, :], (height, width))
            # A gather by OpenCV: whole-pixel coordinates, edge pixels repeated outside.
            sample = cv2.remap(stack, np.ascontiguousarray(map_x, np.float32),
                               np.ascontiguousarray(map_y, np.float32), cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_REPLICATE)
            sample = sample.reshape(height, width, -1)
            range_weight = np.exp(-((sample[..., 0] - lightness) / sigma) ** 2) + _FLOOR
            weight = range_weight * spatial_y[:, None] * spatial_x[None, :]
            total += weight[..., None] * sample[..., 1:]
            weights += weight
    return total / weights[..., None]
