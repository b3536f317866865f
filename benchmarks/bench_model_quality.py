"""Quality of automatic colorization models on the dev photos, side by side in one run.

For each dev photo (../shared/data/dev/, resized so its long side is ``--size``), the gray
input is the photo's CIELAB lightness. Each model colorizes it at each temperature; the
rows compare (SPEC section 5):

- raw AuC: the mean over thresholds 0..150 of the fraction of pixels whose ab lies within
  the threshold of the truth (gray, ab = 0, is the baseline to beat);
- PSNR of the 8-bit RGB result against the true photo;
- colourfulness ratio: the mean colourfulness of the results over the mean colourfulness of
  the true photos (1.0 = as colourful as the truth; gray is 0).

It also times one 256 x 256 forward pass per model (median of 5, after a warm-up; the
machine's load average is printed since the timings move with it), and with ``--grid FILE``
writes a picture grid of the photos in resources/samples/ (input / each model / truth).

Usage::

    python benchmarks/bench_model_quality.py [--models shipped other.npz ...]
        [--temperatures 0.38 1.0] [--photos 60] [--size 512] [--grid docs/images/grid.jpg]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "data" / "dev"
SAMPLES = ROOT / "resources" / "samples"


def read_truth(path: Path, size: int) -> np.ndarray:
    """The photo as RGB (H, W, 3) float32 in [0, 1], long side at most ``size``."""
    import cv2

    from colorize_app.media import read_image

    pixels = read_image(path).pixels
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    scale = size / max(pixels.shape[:2])
    if scale < 1:
        shape = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
        pixels = cv2.resize(pixels, shape, interpolation=cv2.INTER_AREA)
    return np.clip(pixels, 0.0, 1.0)


def model_label(spec: str) -> str:
    return spec if spec == "shipped" or not os.path.exists(spec) else Path(spec).stem


def load_colorizer(spec: str):
    from algorithms.cnn.colorizer import Colorizer
    from algorithms.cnn.model_file import load_model
    from algorithms.cnn.registry import resolve_model

    path = resolve_model(None if spec == "shipped" else spec)
    return Colorizer(load_model(path))


def forward_seconds(colorizer) -> float:
    lightness = np.random.default_rng(0).uniform(0, 100, (256, 256)).astype(np.float32)
    network_input = colorizer.model.normalise_lightness(lightness)
    colorizer.network.run(network_input)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        colorizer.network.run(network_input)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluate(truths: list[np.ndarray], models: list[str], temperatures: list[float]) -> None:
    from algorithms.colorspace import lab_to_rgb_fast, rgb_to_lab
    from algorithms.metrics import colourfulness, psnr, raw_auc

    labs = [rgb_to_lab(truth) for truth in truths]
    true_colour = float(np.mean([colourfulness(truth) for truth in truths]))
    gray = [lab_to_rgb_fast(np.dstack([lab[..., :1], 0 * lab[..., 1:]]))
            for lab in labs]
    print(f"{'model':<28} {'T':>5} {'raw AuC':>8} {'PSNR dB':>8} {'colour':>7} {'fwd 256':>8}")

    def row(name: str, temperature: str, auc: list, psnrs: list, results: list, fwd: str):
        ratio = float(np.mean([colourfulness(r) for r in results])) / true_colour
        print(f"{name:<28} {temperature:>5} {np.mean(auc):8.4f} {np.mean(psnrs):8.2f} "
              f"{ratio:7.2f} {fwd:>8}", flush=True)

    row("gray (ab = 0)", "-", [raw_auc(0 * lab[..., 1:], lab[..., 1:]) for lab in labs],
        [psnr(g, t) for g, t in zip(gray, truths)], gray, "-")
    for spec in models:
        with load_colorizer(spec) as colorizer:
            fwd = f"{forward_seconds(colorizer):.3f} s"
            runs = []
            for truth in truths:
                colorizer.colorize(truth)
                runs.append({t: colorizer.ab_at(t) for t in temperatures})
        for temperature in temperatures:
            aucs, psnrs, results = [], [], []
            for lab, truth, run in zip(labs, truths, runs):
                ab = run[temperature]
                # The conversion the colorizer itself uses, so the figures are what users get.
                result = lab_to_rgb_fast(np.dstack([lab[..., :1], ab]))
                aucs.append(raw_auc(ab, lab[..., 1:]))
                psnrs.append(psnr(result, truth))
                results.append(result)
            row(model_label(spec), f"{temperature:g}", aucs, psnrs, results, fwd)
            fwd = ""
    row("truth", "-", [1.0], [float("inf")], truths, "-")


def letterbox(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` scaled to fit (height, width), centred on white."""
    import cv2

    scale = min(height / image.shape[0], width / image.shape[1])
    shape = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    scaled = cv2.resize(image, shape, interpolation=cv2.INTER_AREA)
    tile = np.ones((height, width, 3), np.float32)
    top, left = (height - shape[1]) // 2, (width - shape[0]) // 2
    tile[top:top + shape[1], left:left + shape[0]] = scaled
    return tile


def picture_grid(models: list[str], temperature: float, output: str, size: int) -> None:
    """Rows: the sample photos; columns: gray input, each model, truth."""
    import cv2

    from algorithms.colorspace import luminance
    from colorize_app.media import list_images, write_image

    truths = [read_truth(Path(p), size) for p in list_images(SAMPLES)]
    columns = [[np.repeat(luminance(truth)[..., None], 3, axis=2) for truth in truths]]
    for spec in models:
        with load_colorizer(spec) as colorizer:
            columns.append([colorizer.colorize(truth, temperature) for truth in truths])
    columns.append(truths)
    labels = ["input"] + [model_label(m) for m in models] + ["truth"]
    tile_h, tile_w = size * 2 // 3, size
    rows = []
    for index in range(len(truths)):
        tiles = []
        for column in columns:
            tiles.append(letterbox(column[index], tile_h, tile_w))
        rows.append(np.hstack(tiles))
    header = np.ones((28, tile_w * len(columns), 3), np.float32)
    for position, label in enumerate(labels):
        cv2.putText(header, label, (position * tile_w + 6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (0, 0, 0), 1, cv2.LINE_AA)
    write_image(output, np.vstack([header] + rows), quality=88)
    print(f"picture grid ({len(truths)} samples, T = {temperature:g}) -> {output}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["shipped"],
                        help="model names or files ('shipped': the default model)")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.38])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--size", type=int, default=512, help="long side of the photos")
    parser.add_argument("--grid", metavar="FILE", help="write a picture grid of the samples")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if DEV.is_dir() and args.photos > 0:
        from colorize_app.media import list_images

        files = list_images(DEV)[: args.photos]
        print(f"{len(files)} dev photos of {DEV}, long side {args.size}")
        evaluate([read_truth(Path(f), args.size) for f in files], args.models,
                 args.temperatures)
    elif not DEV.is_dir():
        print(f"{DEV} is missing: no dev-set table")
    if args.grid:
        picture_grid(args.models, args.temperatures[0], args.grid, args.size // 2 * 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
