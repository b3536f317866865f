"""How far one stroke spreads over an automatic colorization, per prior weight.

"Refine with strokes" solves Levin et al.'s system with the CNN result as a prior pulled on
with weight lambda. A stroke's colour reaches about 1 / sqrt(lambda) pixels along smooth
luminance before the prior wins, so a fixed lambda reaches less of a larger photo. For a
few photos this paints one short stroke of a far-off colour in the flattest region, then
reports, per weight: the share of the stroke's region (pixels of similar luminance
connected to it) that took the stroke's colour, and the share of the rest of the photo
that changed. Usage: ``python benchmarks/bench_refine_prior.py [photos...] [--side N]``.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

from algorithms.colorspace import luminance, rgb_to_yiq  # noqa: E402
from algorithms.scribble import colorize_scribbles  # noqa: E402
from colorize_app.documents.strokes import prior_weight_for_reach  # noqa: E402
from colorize_app.io import media  # noqa: E402

#: Chroma change (YIQ I, Q distance) that counts as "recoloured" (the stroke is 0.15 away
#: from the automatic colour or more), and one that counts as clearly recoloured.
CHANGED, CLEARLY = 0.03, 0.075


def flattest_point(luma: np.ndarray, window: int = 41) -> tuple[int, int]:
    """(row, column) of the smallest local luminance variance, away from the border."""
    mean = cv2.blur(luma, (window, window))
    variance = cv2.blur(luma * luma, (window, window)) - mean * mean
    margin = window
    inner = variance[margin:-margin, margin:-margin]
    row, column = np.unravel_index(np.argmin(inner), inner.shape)
    return row + margin, column + margin


def stroke_region(luma: np.ndarray, row: int, column: int, tolerance: float = 0.06) -> np.ndarray:
    """Pixels within ``tolerance`` of the stroke's luminance, connected to it."""
    similar = (np.abs(luma - luma[row, column]) < tolerance).astype(np.uint8)
    _, labels = cv2.connectedComponents(similar, connectivity=4)
    return labels == labels[row, column]


def measure(path: str, side: int, weights: list[float], reaches: list[float], colorizer):
    photo = media.read_image(path).pixels
    height, width = photo.shape[:2]
    scale = side / max(height, width)
    photo = cv2.resize(photo, (int(width * scale), int(height * scale)),
                       interpolation=cv2.INTER_AREA)
    gray = luminance(photo)
    automatic = colorizer.colorize(gray)
    prior = rgb_to_yiq(automatic)[..., 1:].astype(np.float32)
    row, column = flattest_point(gray)
    mask = np.zeros(gray.shape, bool)
    cv2.line(mask.view(np.uint8), (column - 20, row), (column + 20, row), 1, 6)
    mask = mask.astype(bool)
    # A far-off colour: the prior's chroma there turned half way round, made strong.
    here = prior[row, column]
    direction = -here / (np.linalg.norm(here) + 1e-6) if np.linalg.norm(here) > 0.01 \
        else np.array([0.0, 0.15], np.float32)
    hint = np.zeros_like(prior)
    hint[mask] = 0.15 * direction
    region = stroke_region(gray, row, column)
    rows = []
    settings = [("lambda", w, w) for w in weights] + [
        ("reach", r, prior_weight_for_reach(r, gray.shape)) for r in reaches]
    for kind, value, weight in settings:
        started = time.perf_counter()
        rgb = colorize_scribbles(gray, hint, mask, prior_chroma=prior, prior_weight=weight)
        seconds = time.perf_counter() - started
        change = np.linalg.norm(rgb_to_yiq(rgb)[..., 1:] - prior, axis=-1)
        inside = (change > CHANGED)[region & ~mask].mean() if (region & ~mask).any() else 0.0
        outside = (change > CLEARLY)[~region].mean() if (~region).any() else 0.0
        rows.append((kind, value, weight, inside, outside, region.mean(), seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="*")
    parser.add_argument("--side", type=int, default=800, help="long side in pixels")
    parser.add_argument("--weights", default="0.05,0.005,0.0005,0.0001")
    parser.add_argument("--reaches", default="0.1,0.25,0.5")
    args = parser.parse_args()
    photos = args.photos or sorted(glob.glob(
        os.path.join(ROOT, "..", "shared", "data", "dev", "dev_00[1-4].jpg")))
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_registry import resolve_model

    colorizer = Colorizer(load_model(resolve_model(None)))
    print(f"region: share of the stroke's region recoloured (> {CHANGED}); rest: share of "
          f"the other pixels clearly recoloured (> {CLEARLY}); region %: its share of the "
          "photo")
    print(f"{'photo':<12} {'setting':<14} {'lambda':>9} {'region':>7} {'rest':>6} "
          f"{'region %':>8} {'s':>5}")
    for path in photos:
        for kind, value, weight, inside, outside, share, seconds in measure(
                path, args.side, [float(w) for w in args.weights.split(",")],
                [float(r) for r in args.reaches.split(",")], colorizer):
            print(f"{os.path.basename(path):<12} {kind + ' ' + format(value, 'g'):<14} "
                  f"{weight:9.2e} {inside:7.1%} {outside:6.1%} {share:8.1%} {seconds:5.1f}")


if __name__ == "__main__":
    main()
