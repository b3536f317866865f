"""Scribble colorization (Levin et al.) speed, memory and quality on the dev photos.

Usage:
    python benchmarks/bench_levin.py [--data ../shared/data/dev] [--photos 10]
                                     [--sizes 0.25 1 12] [--direct-sizes 0.25 1]
                                     [--native-photos 3]

Hints: 250 square patches of 7x7 pixels at random places, carrying the true
photo's YIQ chroma (a user's strokes stand in for them). Quality is PSNR of the
colorized photo against the true colour photo, next to the gray photo's PSNR and
next to a direct exact solve of the same system (SciPy SuperLU) where
``--direct-sizes`` asks for one (a direct solve at 1 MP takes about a minute and
8 GB). Images of a given size are mosaics of dev photos at their own resolution
(no upsampling, which would make them unnaturally smooth). Each case runs in a
fresh process, so its peak memory (max RSS) is its own.

Targets (issue 2): 1 MP <= 1 s (must: <= 2 s); 0.25 MP <= 0.3 s; 12 MP <= 15 s and
<= 4 GB; PSNR within 0.1 dB of the exact solve.
"""

from __future__ import annotations

import argparse
import glob
import math
import multiprocessing
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "data", "dev")
PATCHES = 250
PATCH_SIZE = 7


def mosaic(paths: list[str], megapixels: float, seed: int) -> np.ndarray:
    """A 4:3 RGB image of ``megapixels`` tiled from dev photos at their own resolution."""
    from colorize_app.media import read_image

    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(megapixels * 1e6 / width))
    canvas = np.zeros((height, width, 3), np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(paths))
    y = index = 0
    while y < height:
        x, row_height = 0, height - y
        while x < width:
            photo = read_image(paths[order[index % len(paths)]]).pixels
            index += 1
            tile = photo[: height - y, : width - x]
            canvas[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
            x += tile.shape[1]
            row_height = min(row_height, tile.shape[0])
        y += row_height
    return canvas


def scaled_photo(path: str, megapixels: float) -> np.ndarray:
    """One dev photo resized (area averaging) to about ``megapixels``."""
    import cv2

    from colorize_app.media import read_image

    photo = read_image(path).pixels
    scale = (megapixels * 1e6 / (photo.shape[0] * photo.shape[1])) ** 0.5
    size = (int(round(photo.shape[1] * scale)), int(round(photo.shape[0] * scale)))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA)


def patch_hints(truth: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """250 random 7x7 patches carrying the true chroma: (hint_chroma, hint_mask)."""
    from algorithms.colorspace import rgb_to_yiq

    height, width = truth.shape[:2]
    rng = np.random.default_rng(seed)
    hint_mask = np.zeros((height, width), bool)
    for y, x in zip(rng.integers(0, height - PATCH_SIZE, PATCHES),
                    rng.integers(0, width - PATCH_SIZE, PATCHES)):
        hint_mask[y : y + PATCH_SIZE, x : x + PATCH_SIZE] = True
    hint_chroma = rgb_to_yiq(truth)[..., 1:]
    hint_chroma[~hint_mask] = 0
    return hint_chroma, hint_mask


def run_case(job: dict) -> dict:
    """Colorize one image (in a fresh process) and report time, memory and PSNR."""
    from algorithms.colorspace import luminance
    from algorithms.metrics import psnr
    from algorithms.scribble import MAX_SOLVE_PIXELS, colorize_scribbles
    from colorize_app.media import read_image

    if job["kind"] == "mosaic":
        truth = mosaic(job["paths"], job["megapixels"], job["seed"])
    elif job["kind"] == "native":
        truth = read_image(job["path"]).pixels
    else:
        truth = scaled_photo(job["path"], job["megapixels"])
    gray = luminance(truth)
    hint_chroma, hint_mask = patch_hints(truth, job["seed"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    solver, _, mode = job["solver"].partition("-")  # "multigrid-full": no reduced-size solve
    limit = math.inf if mode == "full" else MAX_SOLVE_PIXELS
    result = colorize_scribbles(gray, hint_chroma, hint_mask, solver=solver,
                                max_solve_pixels=limit)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    gray_rgb = np.repeat(gray[..., None], 3, axis=2)
    return {
        "shape": truth.shape[:2],
        "seconds": seconds,
        "peak_bytes": peak,
        "baseline_bytes": before,
        "psnr": psnr(result, truth),
        "gray_psnr": psnr(gray_rgb, truth),
    }


def in_fresh_process(job: dict) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_case, (job,))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder of dev photos")
    parser.add_argument("--photos", type=int, default=10,
                        help="photos for the 0.25 MP quality table")
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1.0, 12.0],
                        help="megapixels of the timed mosaics")
    parser.add_argument("--direct-sizes", type=float, nargs="*", default=[0.25, 1.0],
                        help="sizes whose mosaic is also solved directly (slow)")
    parser.add_argument("--native-photos", type=int, default=3,
                        help="photos compared at their own size (a direct solve: ~1 min each)")
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.data, "*.jpg")))
    if not paths:
        print(f"dev photos not found in {args.data}: this benchmark needs ../shared/data/dev; "
              "nothing measured")
        return 0

    print(f"Levin scribble colorization; {PATCHES} hint patches of {PATCH_SIZE}x{PATCH_SIZE}; "
          f"{os.cpu_count()} cores; data {os.path.abspath(args.data)}")
    print("\nSpeed and memory (mosaics of dev photos, each case in a fresh process)")
    print(f"{'MP':>6} {'size':>11} {'solver':>14} {'time s':>8} {'peak GB':>8} "
          f"{'PSNR':>7} {'gray':>7}")
    for megapixels in args.sizes:
        solvers = ["multigrid"]
        if megapixels <= 2:
            solvers.append("multigrid-full")
        if megapixels in args.direct_sizes:
            solvers.append("direct")
        for solver in solvers:
            job = {"kind": "mosaic", "paths": paths, "megapixels": megapixels, "seed": 1,
                   "solver": solver}
            row = in_fresh_process(job)
            height, width = row["shape"]
            print(f"{height * width / 1e6:6.2f} {width:>5}x{height:<5} {solver:>14} "
                  f"{row['seconds']:8.2f} {row['peak_bytes'] / 2**30:8.2f} "
                  f"{row['psnr']:7.2f} {row['gray_psnr']:7.2f}", flush=True)

    print(f"\nQuality at 0.25 MP on {args.photos} dev photos: multigrid vs direct exact solve")
    quality_table(paths[: args.photos], {"kind": "photo", "megapixels": 0.25})
    if args.native_photos:
        print(f"\nQuality at the photos' own size (about 0.7 MP) on {args.native_photos} dev "
              "photos: multigrid vs direct exact solve")
        quality_table(paths[: args.native_photos], {"kind": "native"})
    return 0


def quality_table(paths: list[str], kind: dict) -> None:
    """PSNR of the default and the full-size multigrid solves next to the direct one."""
    solvers = ("direct", "multigrid-full", "multigrid")
    print(f"{'photo':>12} {'gray':>6} {'direct':>7} {'full':>7} {'diff':>6} {'time':>5} "
          f"{'default':>7} {'diff':>6} {'time':>5}")
    differences = {solver: [] for solver in solvers[1:]}
    for path in paths:
        rows = {solver: in_fresh_process({**kind, "path": path, "seed": 2, "solver": solver})
                for solver in solvers}
        cells = []
        for solver in solvers[1:]:
            difference = rows[solver]["psnr"] - rows["direct"]["psnr"]
            differences[solver].append(difference)
            cells.append(f"{rows[solver]['psnr']:7.2f} {difference:+6.2f} "
                         f"{rows[solver]['seconds']:5.2f}")
        print(f"{os.path.basename(path):>12} {rows['direct']['gray_psnr']:6.2f} "
              f"{rows['direct']['psnr']:7.2f} {' '.join(cells)}", flush=True)
    for solver, values in differences.items():
        print(f"{solver}: PSNR minus direct: mean {np.mean(values):+.3f} dB, "
              f"largest |difference| {np.max(np.abs(values)):.3f} dB")


if __name__ == "__main__":
    sys.exit(main())
