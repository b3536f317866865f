"""Scribble colorization (Levin et al.): default and exact solves against SciPy's SuperLU.

Usage:
    python benchmarks/bench_levin.py [--sizes 0.085 0.25 1 4] [--direct-up-to 1.1]
                                     [--cases levin dev] [--data ../shared/data]

Two kinds of photo, each at every size in ``--sizes`` (megapixels):

- ``levin``: the authors' example (../shared/data/levin/example.png and its marked copy)
  enlarged bicubically, as a photo would be (soft edges), the strokes enlarged by pixel
  repetition; at 0.085 MP it is the original;
- ``dev``: a mosaic of dev photos at their own resolution with 250 hint patches of 7x7
  pixels carrying the true colours.

For each, the default solve, the exact solve (``--exact``, ``max_solve_pixels=math.inf``)
and a reference solution of the same system run in fresh processes, one after another.
The reference is SuperLU's up to ``--direct-up-to`` MP (its memory grows faster than the
image); above, it is the grid-multigrid GMRES run far past the exact solve's aim (every
estimated error below 1e-7, relative residual below 1e-12), marked ``tight`` and
``(vs tight)``. Reported: wall and CPU time, the ratio to the reference's time in the
same run, and the result's PSNR against the reference and the share of pixels within
1/255 of it in every one of R, G, B; for the default solve, the notes also give its time
when run again in the same process (``again``: the app's next preview, the solver's
imports already paid). The machine is shared: ``uptime`` is printed before
and after, and same-run ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import glob
import math
import multiprocessing
import os
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# Before NumPy: the settings the command line and the app run with (NumPy's huge-page
# advice off; see colorize_app/__init__.py), here and in every solve's fresh process.
import colorize_app  # noqa: F401, I001
import numpy as np

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "data")
PATCHES = 250
PATCH_SIZE = 7


def mosaic(paths: list[str], megapixels: float, seed: int) -> np.ndarray:
    """A 4:3 RGB image of ``megapixels`` tiled from dev photos at their own resolution."""
    from colorize_app.io.media import read_image

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

    from colorize_app.io.media import read_image

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


def levin_example(folder: str, megapixels: float) -> tuple:
    """(gray (H, W, 3), hint_chroma, hint_mask) of the authors' example at ``megapixels``."""
    import cv2

    from algorithms.scribble import hints_from_marked
    from colorize_app.io.media import read_image

    gray = read_image(os.path.join(folder, "example.png")).pixels
    marked = read_image(os.path.join(folder, "example_marked.png")).pixels
    hint_chroma, hint_mask = hints_from_marked(gray, marked)
    height, width = gray.shape[:2]
    scale = math.sqrt(megapixels * 1e6 / (height * width))
    if abs(scale - 1) < 0.02:
        return gray, hint_chroma, hint_mask
    size = (round(width * scale), round(height * scale))
    gray = np.clip(cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), 0, 1)
    hint_mask = cv2.resize(hint_mask.astype(np.uint8), size,
                           interpolation=cv2.INTER_NEAREST) > 0
    hint_chroma = cv2.resize(hint_chroma, size, interpolation=cv2.INTER_NEAREST)
    hint_chroma[~hint_mask] = 0
    return gray, hint_chroma, hint_mask


def problem(job: dict) -> tuple:
    if job["case"] == "levin":
        return levin_example(os.path.join(job["data"], "levin"), job["megapixels"])
    paths = sorted(glob.glob(os.path.join(job["data"], "dev", "*.jpg")))
    truth = mosaic(paths, job["megapixels"], seed=1)
    hint_chroma, hint_mask = patch_hints(truth, seed=1)
    return truth, hint_chroma, hint_mask


def tight_solve(gray: np.ndarray, hint_chroma: np.ndarray, hint_mask: np.ndarray) -> np.ndarray:
    """RGB of the grid-multigrid GMRES solution converged far past the exact solve's aim."""
    from algorithms.colorspace import join_luminance_chroma, luminance
    from algorithms.levin_solvers import multigrid_for
    from algorithms.levin_system import right_hand_side

    luma = luminance(gray)
    rhs = right_hand_side(hint_chroma, hint_mask, None, 0).astype(np.float64)
    multigrid, rhs = multigrid_for(luma, hint_chroma, hint_mask, rhs, 1, 0.0, np.float64,
                                   sweeps=2, scaled=True)
    chroma, report = multigrid.solve_accurately(
        rhs, error_tolerance=1e-7, residual_tolerance=1e-12, max_iterations=400,
        krylov_vectors=40)
    if not report.converged:
        warnings.warn(f"the tight reference did not converge: {report}", stacklevel=2)
    chroma = chroma.reshape(*luma.shape, 2)
    chroma[hint_mask] = hint_chroma[hint_mask]
    return join_luminance_chroma(luma, chroma.astype(np.float32))


def run_case(job: dict) -> dict:
    """One solve in a fresh process: its RGB result, wall and CPU time, any warning."""
    from algorithms.colorspace import luminance
    from algorithms.scribble import MAX_SOLVE_PIXELS, colorize_scribbles

    photo, hint_chroma, hint_mask = problem(job)
    gray = luminance(photo)
    limit = math.inf if job["solver"] == "exact" else MAX_SOLVE_PIXELS
    solver = "direct" if job["solver"] == "direct" else "multigrid"
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if job["solver"] == "tight":
            rgb = tight_solve(gray, hint_chroma, hint_mask)
        else:
            rgb = colorize_scribbles(gray, hint_chroma, hint_mask, solver=solver,
                                     max_solve_pixels=limit)
    notes = [str(w.message) for w in caught]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if job["solver"] == "default":
        # The same solve again in the same process, as the app's next preview of the same
        # photo runs: the first call also pays for importing the solver (about 0.1 s).
        start = time.perf_counter()
        colorize_scribbles(gray, hint_chroma, hint_mask, max_solve_pixels=limit)
        notes.append(f"again {time.perf_counter() - start:.2f} s")
    return {"rgb": rgb, "seconds": seconds, "cpu": cpu, "shape": gray.shape,
            "warnings": notes}


def in_fresh_process(job: dict) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_case, (job,))


def compare(result: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(PSNR in dB, share of pixels within 1/255 in each of R, G, B) of result vs reference."""
    difference = np.abs(result.astype(np.float64) - reference)
    psnr = 10 * np.log10(1 / max(float(np.mean(difference**2)), 1e-20))
    return psnr, float(np.mean(difference.max(axis=2) <= 1 / 255 + 1e-9))


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.085, 0.25, 1.0, 4.0])
    parser.add_argument("--cases", nargs="+", default=["levin", "dev"],
                        choices=["levin", "dev"])
    parser.add_argument("--direct-up-to", type=float, default=1.1,
                        help="largest size (MP) solved by SuperLU for reference")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.data, "levin", "example.png")) or not glob.glob(
            os.path.join(args.data, "dev", "*.jpg")):
        print(f"the Levin example or the dev photos are not in {args.data}: this benchmark "
              "needs ../shared/data; nothing measured")
        return 0
    print(f"Levin scribble colorization, {os.cpu_count()} cores; load before: {load()}")
    print(f"{'case':>6} {'MP':>5} {'solver':>8} {'time s':>7} {'cpu s':>6} {'/ref':>8} "
          f"{'PSNR':>6} {'<=1/255':>8}  notes")
    for case in args.cases:
        for megapixels in args.sizes:
            job = {"case": case, "megapixels": megapixels, "data": args.data}
            rows = {}
            solvers = ["direct" if megapixels <= args.direct_up_to else "tight"]
            for solver in solvers + ["default", "exact"]:
                rows[solver] = in_fresh_process({**job, "solver": solver})
            reference = rows[solvers[0]]
            for solver, row in rows.items():
                pixels = row["shape"][0] * row["shape"][1] / 1e6
                ratio = f"{row['seconds'] / reference['seconds']:8.3f}"
                psnr, within = compare(row["rgb"], reference["rgb"])
                quality = f"{min(psnr, 99.99):6.2f} {within * 100:7.3f}%"
                notes = "; ".join(row["warnings"] + (["(vs tight)"] if solvers[0] == "tight"
                                                     and solver != "tight" else []))
                print(f"{case:>6} {pixels:5.2f} {solver:>8} {row['seconds']:7.2f} "
                      f"{row['cpu']:6.2f} {ratio:>8} {quality}  {notes}", flush=True)
    print(f"load after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
