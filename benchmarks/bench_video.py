"""Figures for video refinement (docs/methods.md, 'Video refinement') on the video clips.

For each clip of ``../shared/data/video/`` (gray frames + a per-frame colorization) the
refinement is run at the given settings (default: the shipped defaults) and the script
prints its time, the warping error (the gray input's floor, the per-frame video's, the
refined video's, refined / per-frame, and the excess ratio (refined - gray) / (per-frame -
gray): how much of the flicker above the floor is left), the fidelity PSNR of the refined
video to the per-frame one (in brackets its ceiling: the per-frame chroma on the gray
luminance, since the output keeps the gray input's luminance), its colourfulness ratio
(mean over frames, refined / per-frame) and the largest per-shot chroma gain applied.
The time is wall-clock, with the process CPU time in brackets.

The per-frame colour: ``goat/processed`` (the authors' demo) for goat; for the other clips
the shipped CNN (models/zhang_small.npz) when it exists, else a simulated flickering
per-frame colorization (the true colour frames, each with a random chroma gain in
[0.6, 1.4] and hue rotation in [-25, 25] degrees) - the output says which.

``--upscale`` resizes the clip to 854x480 first (the target size of the issue), for timing.

Usage::

    python benchmarks/bench_video.py [--clips goat ...] [--frames 90] [--upscale]
        [--preset Balanced|Fast|Best|"Deep Video Prior"] [--epochs N] [--width W]
        [--working-pixels P] [--output chroma|rgb] [--no-irt] [--no-match-chroma]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("video")  # as `colorize video`: before anything imports TensorFlow

from algorithms.colorspace import (  # noqa: E402
    join_luminance_chroma_in_gamut,
    rgb_to_yiq,
    yiq_to_rgb,
)
from algorithms.metrics import (  # noqa: E402
    colourfulness,
    fidelity_psnr,
    temporal_flows,
    warping_error,
)
from colorize_app.sessions.video_presets import PRESETS as PRESET_TABLE  # noqa: E402
from deep_video_prior.pipeline import refine_video  # noqa: E402

#: The refinement presets by the window's labels (the table's).
PRESETS = {preset.label: preset.settings for preset in PRESET_TABLE.values()}

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "video"
UPSCALED = (854, 480)


def read_frames(folder: Path, gray: bool, size=None, count=None) -> list[np.ndarray]:
    """The first ``count`` (all) JPEG frames of a folder, float32 in [0, 1], maybe resized."""
    frames = []
    for path in sorted(folder.glob("*.jpg"))[:count]:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f"{path}: not a readable image")
        if not gray:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if size is not None:
            image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
        frames.append(image.astype(np.float32) / 255.0)
    return frames


def simulated_flicker(colour: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """True colour frames with a random chroma gain and hue rotation per frame."""
    rng = np.random.default_rng(seed)
    frames = []
    for frame in colour:
        yiq = rgb_to_yiq(frame)
        gain, angle = rng.uniform(0.6, 1.4), np.deg2rad(rng.uniform(-25, 25))
        rotation = gain * np.array([[np.cos(angle), -np.sin(angle)],
                                    [np.sin(angle), np.cos(angle)]], np.float32)
        yiq[..., 1:] = yiq[..., 1:] @ rotation.T
        frames.append(yiq_to_rgb(yiq).astype(np.float32))
    return frames


def per_frame_colour(clip: Path, gray: list[np.ndarray], size) -> tuple[list, str]:
    if (clip / "processed").is_dir():
        return read_frames(clip / "processed", False, size)[:len(gray)], "authors' processed"
    model_path = ROOT / "models" / "zhang_small.npz"
    if model_path.exists():
        from algorithms.cnn.colorizer import Colorizer
        from colorize_app.io.model_files import load_npz

        with Colorizer(load_npz(model_path)) as colorizer:
            return [colorizer.colorize(g).astype(np.float32) for g in gray], "shipped CNN"
    colour = read_frames(clip / "color", False, size)[:len(gray)]
    return simulated_flicker(colour), "SIMULATED flicker (no shipped model)"


def mean_colourfulness(frames: list[np.ndarray]) -> float:
    return float(np.mean([colourfulness(f) for f in frames]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--clips", nargs="*")
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--upscale", action="store_true", help="resize clips to 854x480")
    parser.add_argument("--preset", choices=list(PRESETS), default="Balanced",
                        help="the settings the options below change (default Balanced)")
    known, _ = parser.parse_known_args()
    defaults = PRESETS[known.preset]
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--working-pixels", type=int, default=defaults.working_pixels)
    parser.add_argument("--warmup-epochs", type=int, default=defaults.warmup_epochs)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--coarse-fraction", type=float, default=defaults.coarse_fraction)
    parser.add_argument("--output", choices=("chroma", "rgb"), default=defaults.output)
    parser.add_argument("--no-irt", action="store_true")
    parser.add_argument("--no-match-chroma", action="store_true")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no video data at {args.data}: nothing measured")
        return 0
    settings = dataclasses.replace(
        defaults, epochs=args.epochs, width=args.width, working_pixels=args.working_pixels,
        warmup_epochs=args.warmup_epochs, learning_rate=args.learning_rate,
        coarse_fraction=args.coarse_fraction, output=args.output, irt=not args.no_irt,
        match_chroma=defaults.match_chroma and not args.no_match_chroma)
    print(f"settings: {settings}")
    print("(timings on a shared, loaded 2-core machine)")
    print("| clip | frames | size | per-frame colour | shots | time s (CPU s) | E_warp gray |"
          " per-frame | refined | ratio | excess ratio | fidelity dB (ceiling) |"
          " colourfulness ratio | gain |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    clips = args.clips or sorted(p.name for p in args.data.iterdir() if (p / "gray").is_dir())
    for name in clips:
        clip = args.data / name
        size = UPSCALED if args.upscale else None
        gray = read_frames(clip / "gray", True, size)[:args.frames]
        processed, source = per_frame_colour(clip, gray, size)
        refined: list = [None] * len(gray)

        def write(index: int, frame: np.ndarray, refined=refined) -> None:
            refined[index] = frame

        started, cpu_started = time.perf_counter(), time.process_time()
        report = refine_video(gray, processed, write, settings=settings)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        flows = temporal_flows(gray)
        floor = warping_error([np.dstack([g] * 3) for g in gray], flows=flows)
        before = warping_error(processed, flows=flows)
        after = warping_error(refined, flows=flows)
        ratio = mean_colourfulness(refined) / mean_colourfulness(processed)
        # The best any output keeping the gray luminance can do: the per-frame chroma itself.
        ceiling = fidelity_psnr([join_luminance_chroma_in_gamut(g, rgb_to_yiq(p)[..., 1:])
                                 for g, p in zip(gray, processed)], processed)
        # Undefined where the per-frame video hardly flickers more than the gray floor.
        excess = (f"{(after - floor) / (before - floor):.2f}"
                  if before - floor > 0.05 * floor else "n/a")
        height, width = gray[0].shape
        print(f"| {name} | {len(gray)} | {width}x{height} | {source} | {len(report.shots)} | "
              f"{seconds:.0f} ({cpu_seconds:.0f}) | {floor:.5f} | {before:.5f} | {after:.5f} | "
              f"{after / before:.2f} | {excess} | {fidelity_psnr(refined, processed):.1f}"
              f" ({ceiling:.1f}) | "
              f"{ratio:.2f} | {max(report.chroma_gains):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
