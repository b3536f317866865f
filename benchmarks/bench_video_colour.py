"""Video refinement against the truth: is each object's colour kept while flicker goes?

For each clip of ``../shared/data/video/`` (gray frames + true colour frames) three
per-frame colorizations are refined by each preset:

- ``global``: the true colours with a made per-frame flicker of the whole frame: a and b
  (CIELAB) each scaled by a gain in [0.6, 1.4] and shifted by up to half the clip's
  spread of a/b (the mean over frames of the per-frame standard deviation of a and b);
- ``local``: the true colours with a smooth random field that changes over time: a and b
  scaled by 1 + 0.25 g and shifted by (half the spread) f, where g and f are smooth fields
  (a 3 x 5 grid of unit normal values, bicubically resized), each an AR(1) process over
  frames with correlation 0.5;
- ``cnn``: the shipped default CNN on each gray frame (the real per-frame colour).

Columns: block colour error (mean over frames and 12 px blocks of the distance between
block-mean a/b and the truth's) as a ratio to the flickering input's and to "one colour
per frame"'s; for ``cnn`` also the error to the per-frame colour itself (a/b units);
warping error (the gray input's floor, then result / per-frame with the excess ratio
(result - floor) / (per-frame - floor)); fidelity PSNR to the per-frame video; the
colourfulness ratio to the per-frame video; wall-clock seconds (CPU seconds). The
baselines (temporal mean of a/b per shot, per-frame global normaliser of a/b mean and
spread to the shot's, one colour per frame: each frame's mean a/b) are rows too.

Usage::

    python benchmarks/bench_video_colour.py [--clips goat ...] [--frames 90] [--upscale]
        [--kinds global local cnn] [--presets Fast Balanced Best "Deep Video Prior"]
        [--cache DIR] [--strip CLIP --strip-out docs/images/video_refine_strip.jpg]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("video")  # as `colorize video`: before anything imports TensorFlow

from algorithms.colorspace import lab_to_rgb_fast, rgb_to_lab_fast  # noqa: E402
from algorithms.metrics import (  # noqa: E402
    colourfulness,
    fidelity_psnr,
    temporal_flows,
    warping_error,
)
from colorize_app.sessions.video_presets import PRESETS as PRESET_TABLE  # noqa: E402
from deep_video_prior.pipeline import refine_video  # noqa: E402
from deep_video_prior.shots import detect_shots  # noqa: E402

#: The refinement presets by the window's labels (the table's).
PRESETS = {preset.label: preset.settings for preset in PRESET_TABLE.values()}

# The frame reader of the other video benchmark (this folder is on the path when run).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_video import read_frames  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "video"
UPSCALED = (854, 480)
BLOCK = 12


lab = rgb_to_lab_fast
rgb_of = lab_to_rgb_fast


def smooth_field(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    grid = rng.normal(0.0, 1.0, (3, 5)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def flicker(colour: list[np.ndarray], kind: str, seed: int = 0) -> list[np.ndarray]:
    """The true frames with a made flicker of a/b, ``kind`` "global" or "local"."""
    rng = np.random.default_rng(seed)
    height, width = colour[0].shape[:2]
    spread = float(np.mean([lab(f)[..., 1:].reshape(-1, 2).std(0).mean() for f in colour]))
    amplitude = 0.5 * spread
    fields = None
    frames = []
    for frame in colour:
        image = lab(frame)
        if kind == "global":
            gain, offset = rng.uniform(0.6, 1.4, 2), rng.uniform(-amplitude, amplitude, 2)
            image[..., 1:] = image[..., 1:] * gain + offset
        else:
            new = [smooth_field(rng, height, width) for _ in range(3)]
            fields = new if fields is None else [0.5 * old + np.sqrt(0.75) * fresh
                                                 for old, fresh in zip(fields, new)]
            gain = 1.0 + 0.25 * fields[2]
            image[..., 1] = image[..., 1] * gain + amplitude * fields[0]
            image[..., 2] = image[..., 2] * gain + amplitude * fields[1]
        frames.append(rgb_of(image))
    return frames


def cnn_frames(clip: Path, gray: list[np.ndarray], cache: Path | None, size) -> list:
    path = None
    if cache is not None:
        tag = f"{clip.name}_{len(gray)}_{gray[0].shape[1]}x{gray[0].shape[0]}"
        path = cache / f"cnn_{tag}.npy"
        if path.exists():
            return [f.astype(np.float32) / 255 for f in np.load(path)]
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_registry import resolve_model

    with Colorizer(load_model(resolve_model(None))) as colorizer:
        frames = [np.clip(colorizer.colorize(g), 0, 1).astype(np.float32) for g in gray]
    if cache is not None and path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, np.stack([np.round(f * 255).astype(np.uint8) for f in frames]))
    return frames


def block_ab(rgb: np.ndarray) -> np.ndarray:
    ab = lab(rgb)[..., 1:]
    height, width = (ab.shape[0] // BLOCK) * BLOCK, (ab.shape[1] // BLOCK) * BLOCK
    return ab[:height, :width].reshape(height // BLOCK, BLOCK, width // BLOCK, BLOCK,
                                       2).mean(axis=(1, 3))


def block_error(frames: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(np.mean([np.linalg.norm(block_ab(f) - block_ab(t), axis=-1).mean()
                          for f, t in zip(frames, truth)]))


def baselines(frames: list[np.ndarray], shots: list[range]) -> dict[str, list[np.ndarray]]:
    """Temporal mean, global normaliser and one colour per frame, each within its shot."""
    labs = [lab(f) for f in frames]
    means = np.array([image[..., 1:].reshape(-1, 2).mean(0) for image in labs])
    spreads = np.array([image[..., 1:].reshape(-1, 2).std(0) for image in labs])
    result: dict[str, list[np.ndarray]] = {"temporal mean": [], "global normaliser": [],
                                           "one colour per frame": []}
    for shot in shots:
        mean_ab = np.mean([labs[t][..., 1:] for t in shot], axis=0)
        shot_mean, shot_spread = means[shot.start:shot.stop].mean(0), spreads[
            shot.start:shot.stop].mean(0)
        for t in shot:
            image = labs[t].copy()
            image[..., 1:] = mean_ab
            result["temporal mean"].append(rgb_of(image))
            image[..., 1:] = ((labs[t][..., 1:] - means[t]) * shot_spread
                              / np.maximum(spreads[t], 1e-3) + shot_mean)
            result["global normaliser"].append(rgb_of(image))
            image[..., 1:] = means[t]
            result["one colour per frame"].append(rgb_of(image))
    return result


def mean_colourfulness(frames: list[np.ndarray]) -> float:
    return float(np.mean([colourfulness(f) for f in frames]))


def strip(rows: list[list[np.ndarray]], indices: list[int], width: int = 240) -> np.ndarray:
    """Rows of frames (RGB in [0, 1]) side by side, each ``width`` wide, 2 px gaps."""
    lines = []
    for frames in rows:
        tiles = []
        for index in indices:
            frame = frames[index]
            height = round(frame.shape[0] * width / frame.shape[1])
            tiles.append(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA))
            tiles.append(np.ones((height, 2, 3), np.float32))
        lines.append(np.hstack(tiles[:-1]))
        lines.append(np.ones((2, lines[-1].shape[1], 3), np.float32))
    return np.vstack(lines[:-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--clips", nargs="*")
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--upscale", action="store_true", help="resize clips to 854x480")
    parser.add_argument("--kinds", nargs="*", default=["global", "local", "cnn"])
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--cache", type=Path, help="folder caching the CNN's frames")
    parser.add_argument("--strip", help="clip whose cnn frames make the strip image")
    parser.add_argument("--strip-out", type=Path,
                        default=ROOT / "docs" / "images" / "video_refine_strip.jpg")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no video data at {args.data}: nothing measured")
        return 0
    print("(timings on a shared, loaded 2-core machine: wall s (CPU s))")
    print("| clip | per-frame | result | block error / input | / one colour | vs per-frame |"
          " E_warp floor | E_warp ratio (excess) | fidelity dB | colourfulness | time s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    clips = args.clips or sorted(p.name for p in args.data.iterdir() if (p / "gray").is_dir())
    size = UPSCALED if args.upscale else None
    for name in clips:
        clip = args.data / name
        gray = read_frames(clip / "gray", True, size, args.frames)
        truth = read_frames(clip / "color", False, size, len(gray))
        flows = temporal_flows(gray)
        floor = warping_error([np.dstack([g] * 3) for g in gray], flows=flows)
        shots = detect_shots(gray)
        label = f"{name} ({len(gray)} x {gray[0].shape[1]}x{gray[0].shape[0]})"
        for kind in args.kinds:
            processed = (cnn_frames(clip, gray, args.cache, size) if kind == "cnn"
                         else flicker(truth, kind))
            e_input = block_error(processed, truth)
            w_input = warping_error(processed, flows=flows)
            colour_input = mean_colourfulness(processed)
            rows: list[tuple[str, list, tuple[float, float] | None]] = [
                ("per-frame (input)", processed, None)]
            rows += [(k, v, None) for k, v in baselines(processed, shots).items()]
            one = block_error(rows[-1][1], truth)
            results = {}
            for preset in args.presets:
                refined: list = [None] * len(gray)

                def write(index: int, frame: np.ndarray, refined=refined) -> None:
                    refined[index] = frame

                started, cpu = time.perf_counter(), time.process_time()
                refine_video(gray, processed, write, settings=PRESETS[preset])
                timing = (time.perf_counter() - started, time.process_time() - cpu)
                rows.append((preset, refined, timing))
                results[preset] = refined
            for result, frames, took in rows:
                error = block_error(frames, truth)
                warp = warping_error(frames, flows=flows)
                excess = (f" ({(warp - floor) / (w_input - floor):.2f})"
                          if w_input - floor > 0.05 * floor else "")
                versus = f"{block_error(frames, processed):.2f}" if kind == "cnn" else ""
                fidelity = (f"{fidelity_psnr(frames, processed):.1f}"
                            if frames is not processed else "")
                seconds = f"{took[0]:.0f} ({took[1]:.0f})" if took else ""
                print(f"| {label} | {kind} | {result} | {error / e_input:.2f} | "
                      f"{error / one:.2f} | {versus} | {floor:.5f} | {warp / w_input:.2f}"
                      f"{excess} | {fidelity} | {mean_colourfulness(frames) / colour_input:.2f}"
                      f" | {seconds} |", flush=True)
            if kind == "cnn" and name == args.strip and "Balanced" in results:
                picks = [round(i * (len(gray) - 1) / 3) for i in range(4)]
                image = strip([processed, results["Balanced"], truth], picks)
                args.strip_out.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(args.strip_out),
                            cv2.cvtColor(np.round(image * 255).astype(np.uint8),
                                         cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
                print(f"strip (per-frame, Balanced, truth; frames {picks}) -> {args.strip_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
