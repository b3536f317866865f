"""Figures for colour transfer (Welsh et al. 2002): quality on the dev photos and speed.

Quality: each dev photo is split down the middle; the left half (in colour) is the
reference, the right half (made gray: its CIELAB L with a = b = 0) is the target.
PSNR (8-bit RGB, docs/methods.md) against the right half's true colours is printed
for the gray image itself, the plain per-pixel transfer and the propagated one.

Speed: a 1-megapixel target with a 0.25-megapixel reference (whole-image mode), and
swatch mode with three pairs, wall-clock and CPU seconds (best of ``--repeat`` runs).

Without the dev photos the script says so on stderr, prints no quality figures and
times synthetic images instead.

Usage::

    python benchmarks/bench_transfer.py [--data ../shared/data/dev] [--limit 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from algorithms import transfer_hints  # noqa: E402
from algorithms.colorspace import lab_to_rgb, rgb_to_lab  # noqa: E402
from algorithms.regions import Rect, SwatchPair  # noqa: E402
from algorithms.transfer import transfer_colour  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dev"


def load(path: Path) -> np.ndarray:
    """An RGB photo as float32 in [0, 1]."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), np.float32) / 255.0


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    image = Image.fromarray(np.round(rgb * 255).astype(np.uint8))
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS), np.float32) / 255.0


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """The gray version of a photo: same CIELAB L, no chroma, as RGB."""
    lab = rgb_to_lab(rgb)
    lab[..., 1:] = 0.0
    return lab_to_rgb(lab).astype(np.float32)


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of 8-bit RGB images (values in [0, 1] rounded to 0..255)."""
    a = np.round(np.clip(result, 0, 1) * 255).astype(np.float64)
    b = np.round(np.clip(truth, 0, 1) * 255).astype(np.float64)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def window_only(target: np.ndarray, reference: np.ndarray, samples: int) -> np.ndarray:
    """The propagated variant with the match-distance confidence term switched off."""
    saved = transfer_hints.DISTANCE_WEIGHT
    transfer_hints.DISTANCE_WEIGHT = 0.0
    try:
        return transfer_colour(target, reference, samples=samples).rgb
    finally:
        transfer_hints.DISTANCE_WEIGHT = saved


def quality(paths: list[Path], samples: int, ablation: bool) -> None:
    print(f"Quality: left half -> right half, {len(paths)} dev photos, {samples} samples")
    extra = f"{'window':>8}" if ablation else ""
    print(f"{'photo':<14}{'gray':>8}{'plain':>8}{'propag.':>9}{extra}{'hints':>7}")
    rows = []
    for path in paths:
        rgb = load(path)
        half = rgb.shape[1] // 2
        reference, truth = rgb[:, :half], rgb[:, half:]
        target = gray_of(truth)
        plain = transfer_colour(target, reference, samples=samples, method="plain")
        propagated = transfer_colour(target, reference, samples=samples)
        row = [psnr(target, truth), psnr(plain.rgb, truth), psnr(propagated.rgb, truth)]
        if ablation:
            row.append(psnr(window_only(target, reference, samples), truth))
        rows.append(row)
        figures = "".join(f"{value:8.2f}" for value in row[3:])
        print(f"{path.name:<14}{row[0]:8.2f}{row[1]:8.2f}{row[2]:9.2f}{figures}"
              f"{propagated.hint_fraction:7.2f}")
    mean = np.mean(rows, axis=0)
    figures = "".join(f"{value:8.2f}" for value in mean[3:])
    print(f"{'mean':<14}{mean[0]:8.2f}{mean[1]:8.2f}{mean[2]:9.2f}{figures}")
    wins_gray = sum(row[2] > row[0] for row in rows)
    wins_plain = sum(row[2] > row[1] for row in rows)
    print(f"propagated beats gray on {wins_gray}/{len(rows)} photos, "
          f"plain on {wins_plain}/{len(rows)}")
    if ablation:
        print("window: propagated with the window-agreement confidence term only")


def synthetic_photos() -> list[np.ndarray]:
    """Two smooth random colour images (stand-ins for photos when the data is missing)."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(0)
    photos = []
    for _ in range(2):
        noise = gaussian_filter(rng.random((683, 1024, 3)), (6, 6, 0))
        noise -= noise.min(axis=(0, 1))
        photos.append((noise / noise.max(axis=(0, 1))).astype(np.float32))
    return photos


def best_time(function, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (all threads) of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def speed(photos: list[np.ndarray], repeat: int) -> None:
    target = gray_of(resize(photos[0], 1225, 816))  # 1.0 megapixel
    reference = resize(photos[1 % len(photos)], 612, 408)  # 0.25 megapixel
    print(f"\nSpeed (best of {repeat}): target {target.shape[1]}x{target.shape[0]}, "
          f"reference {reference.shape[1]}x{reference.shape[0]}")
    pairs = [
        SwatchPair(Rect(20, 20, 120, 100), Rect(40, 40, 200, 150)),
        SwatchPair(Rect(250, 150, 120, 100), Rect(500, 300, 200, 150)),
        SwatchPair(Rect(450, 280, 120, 100), Rect(900, 600, 200, 150)),
    ]
    for label, kwargs in (
        ("whole image, plain", {"method": "plain"}),
        ("whole image, propagated", {}),
        ("3 swatch pairs, plain", {"method": "plain", "pairs": pairs}),
        ("3 swatch pairs, propagated", {"pairs": pairs}),
    ):
        wall, cpu = best_time(
            lambda kwargs=kwargs: transfer_colour(target, reference, **kwargs), repeat
        )
        print(f"{label:<28}{wall:7.2f} s wall {cpu:7.2f} s CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev photos")
    parser.add_argument("--limit", type=int, default=60, help="use at most this many photos")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--ablation", action="store_true",
                        help="also run propagation without the match-distance confidence term")
    args = parser.parse_args()
    paths = sorted(args.data.glob("*.jpg"))[: args.limit] if args.data.is_dir() else []
    if not paths:
        print(f"dev photos MISSING in {args.data} (../shared/data/dev, or pass --data FOLDER): "
              "no quality figures; speed measured on synthetic images", file=sys.stderr)
    elif not args.skip_quality:
        quality(paths, args.samples, args.ablation)
    if not args.skip_speed:
        photos = [load(path) for path in paths[:2]] or synthetic_photos()
        speed(photos, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
