"""Keyframe colour against the truth: how well does one coloured frame colour its shot?

For each clip of ``../shared/data/video/`` (gray frames + true colour frames), keyframes
are made from the truth and carried through the clip by :func:`deep_video_prior.keyframes.
propagate_keyframes`, the automatic colour (the shipped CNN per frame, refined by the
Balanced preset, as ``colorize video`` does) filling in:

- ``first``: the true colour of the first frame of each shot;
- ``strokes``: 30 small strokes (5 px wide, 16 px long, placed at random, each in the true
  colour under its centre) on the first frame of each shot, colorized by Levin et al. over
  the automatic colour (stroke reach 30 %), as the keyframe;
- ``every30``: the true colour of every 30th frame (and of each shot's first frame).

Block colour error: mean over the frames that are not keyframes of the mean over 12 px
blocks of the distance between block-mean a/b and the truth's (the measure of
benchmarks/bench_video_colour.py). Beside it: the automatic colour (per frame, and refined),
the keyframe copied unchanged to the frames after it, and the keyframe warped frame to
frame by plain DIS optical flow (medium preset, bilinear), restarted at each keyframe; the
warping error (temporal stability, the truth's beside it); the engine's seconds per frame,
wall (CPU, both cores together), and the CPU seconds per frame it adds to a pass of the
same engine without keyframes (reading, converting and writing each frame), the automatic
colour not counted. ``--check-baselines`` reproduces the issue's
figures (goat, 60 frames at 384x216, the true frame 0).

Usage::

    python benchmarks/bench_keyframes.py [--clips goat ...] [--modes first strokes every30]
        [--cache DIR] [--check-baselines]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_video import read_frames  # noqa: E402
from bench_video_colour import block_error, cnn_frames  # noqa: E402

from algorithms.metrics import temporal_flows, warping_error  # noqa: E402
from algorithms.scribble import hints_from_marked  # noqa: E402
from colorize_app.sessions.video_presets import PRESETS as PRESET_TABLE  # noqa: E402
from deep_video_prior.keyframes import (  # noqa: E402
    Keyframe,
    KeyframeSettings,
    keyframe_from_hints,
    keyframe_from_rgb,
    propagate_keyframes,
)
from deep_video_prior.pipeline import refine_video  # noqa: E402
from deep_video_prior.shots import detect_shots  # noqa: E402
from deep_video_prior.temporal import FLOW_PRESETS, join_chroma  # noqa: E402

#: The refinement presets by the window's labels (the table's).
PRESETS = {preset.label: preset.settings for preset in PRESET_TABLE.values()}

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "video"
STROKES, STROKE_WIDTH, STROKE_LENGTH, STROKE_REACH = 30, 5.0, 16.0, 0.30
EVERY = 30


def refined(gray: list, colour: list) -> list:
    frames: list = [None] * len(gray)

    def write(index: int, frame: np.ndarray) -> None:
        frames[index] = frame

    refine_video(gray, colour, write, settings=PRESETS["Balanced"])
    return frames


def keyframe_indices(shots: list[range], mode: str) -> list[int]:
    if mode == "every30":
        return sorted({i for shot in shots for i in range(shot.start, shot.stop, EVERY)})
    return [shot.start for shot in shots]


def stroke_keyframe(index: int, gray: np.ndarray, truth: np.ndarray, automatic: np.ndarray,
                    seed: int = 0) -> Keyframe:
    """Levin over the automatic colour from 30 short true-colour strokes."""
    from algorithms.colorspace import rgb_to_yiq
    from colorize_app.documents.strokes import Stroke, Strokes, prior_weight_for_reach

    rng = np.random.default_rng(seed + index)
    height, width = gray.shape
    strokes = Strokes((height, width))
    for _ in range(STROKES):
        x, y = rng.uniform(10, width - 10), rng.uniform(10, height - 10)
        angle = rng.uniform(0, np.pi)
        dx, dy = 0.5 * STROKE_LENGTH * np.cos(angle), 0.5 * STROKE_LENGTH * np.sin(angle)
        colour = truth[int(round(y)), int(round(x))]
        strokes.add(Stroke([(x - dx, y - dy), (x + dx, y + dy)],
                           (float(colour[0]), float(colour[1]), float(colour[2])),
                           STROKE_WIDTH))
    rgb_gray = np.repeat(gray[..., None], 3, axis=2)
    marked, mask = strokes.rasterise(rgb_gray)
    # Each stroke's true colour under it, pixel by pixel would be too kind: one colour.
    hint_chroma, hint_mask = hints_from_marked(gray, marked, mask)
    prior = rgb_to_yiq(automatic)[..., 1:].astype(np.float32)
    key, _ = keyframe_from_hints(index, gray, hint_chroma, hint_mask, prior_chroma=prior,
                                 prior_weight=prior_weight_for_reach(STROKE_REACH,
                                                                     gray.shape))
    return key


def copied(gray: list, shots: list[range], keys: dict[int, np.ndarray]) -> list:
    """Each keyframe's a/b unchanged on the frames after it (in its shot)."""
    frames = []
    for shot in shots:
        ab = None
        for t in shot:
            ab = keys.get(t, ab)
            assert ab is not None  # every shot starts at a keyframe (keyframe_indices)
            frames.append(join_chroma(gray[t], ab))
    return frames


def plain_warp(gray: list, shots: list[range], keys: dict[int, np.ndarray]) -> list:
    """Each keyframe's a/b warped frame to frame by DIS flow (medium), restarted at keys."""
    # Untyped as in deep_video_prior: OpenCV's stubs lack this maker and calc's None flow.
    dis = cv2.DISOpticalFlow_create(FLOW_PRESETS["medium"])  # type: ignore[attr-defined]
    height, width = gray[0].shape
    columns, rows = np.meshgrid(np.arange(width, dtype=np.float32),
                                np.arange(height, dtype=np.float32))
    eight = [np.round(g * 255).astype(np.uint8) for g in gray]
    frames = []
    for shot in shots:
        ab = None
        for t in shot:
            if t in keys:
                ab = keys[t]
            elif ab is not None:
                flow = dis.calc(eight[t], eight[t - 1], None)
                ab = cv2.remap(ab, columns + flow[..., 0], rows + flow[..., 1],
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            assert ab is not None  # every shot starts at a keyframe (keyframe_indices)
            frames.append(join_chroma(gray[t], ab))
    return frames


def run_clip(name: str, gray: list, truth: list, automatic: list, modes: list[str],
             settings: KeyframeSettings, show) -> None:
    shots = detect_shots(gray)
    smooth = refined(gray, automatic)
    # The same engine with no keyframe: reading, converting and joining every frame, what
    # writing the automatic colour costs anyway; propagation adds the rest.
    started = time.process_time()
    propagate_keyframes(gray, smooth, [], lambda index, frame: None, shots=shots,
                        settings=settings)
    base_cpu = (time.process_time() - started) / len(gray)
    flows = temporal_flows(gray)
    truth_warp = warping_error(truth, flows=flows)
    for mode in modes:
        indices = keyframe_indices(shots, mode)
        if mode == "strokes":
            keys = [stroke_keyframe(i, gray[i], truth[i], smooth[i]) for i in indices]
        else:
            keys = [keyframe_from_rgb(i, truth[i]) for i in indices]
        ab_keys = {key.index: key.ab for key in keys}
        others = [t for t in range(len(gray)) if t not in ab_keys]

        def error(frames: list, others=others) -> float:
            return block_error([frames[t] for t in others], [truth[t] for t in others])

        out: list = [None] * len(gray)

        def write(index: int, frame: np.ndarray, out=out) -> None:
            out[index] = frame

        started, cpu = time.perf_counter(), time.process_time()
        propagate_keyframes(gray, smooth, keys, write, shots=shots, settings=settings)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = {
            "automatic (per frame)": automatic,
            "automatic (refined)": smooth,
            "keyframe copied": copied(gray, shots, ab_keys),
            "plain flow warp": plain_warp(gray, shots, ab_keys),
            "keyframes (ours)": out,
        }
        errors = {label: error(frames) for label, frames in rows.items()}
        ours = errors["keyframes (ours)"]
        show(f"| {name} ({len(gray)} x {gray[0].shape[1]}x{gray[0].shape[0]}, "
             f"{len(shots)} shot{'s' if len(shots) > 1 else ''}) | {mode} ({len(keys)}) | "
             + " | ".join(f"{errors[label]:.2f}" for label in rows)
             + f" | {ours / errors['plain flow warp']:.2f} | "
             f"{ours / errors['automatic (per frame)']:.2f} | "
             f"{warping_error(out, flows=flows) * 1e3:.2f} ({truth_warp * 1e3:.2f}) | "
             f"{wall / len(gray):.3f} ({cpu / len(gray):.3f}) | "
             f"{cpu / len(gray) - base_cpu:.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--clips", nargs="*")
    parser.add_argument("--modes", nargs="*", default=["first", "strokes", "every30"])
    parser.add_argument("--cache", type=Path, help="folder caching the CNN's frames")
    parser.add_argument("--check-baselines", action="store_true",
                        help="goat, 60 frames at 384x216, the true frame 0 (the issue's)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no video data at {args.data}: nothing measured")
        return 0
    settings = KeyframeSettings()

    def show(line: str) -> None:
        print(line, flush=True)

    print("Block colour error (a/b units) over the frames that are not keyframes; "
          "warping error x 1e3 (the truth's); seconds per frame wall (CPU)")
    print("| clip | keyframes | automatic | automatic refined | copied | plain flow warp | "
          "ours | ours / warp | ours / automatic | E_warp | s per frame | CPU s added |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    if args.check_baselines:
        clip, size = args.data / "goat", (384, 216)
        gray = read_frames(clip / "gray", True, size, 60)
        truth = read_frames(clip / "color", False, size, 60)
        run_clip("goat", gray, truth, cnn_frames(clip, gray, args.cache, size), ["first"],
                 settings, show)
        return 0
    clips = args.clips or sorted(p.name for p in args.data.iterdir() if (p / "gray").is_dir())
    for name in clips:
        clip = args.data / name
        gray = read_frames(clip / "gray", True)
        truth = read_frames(clip / "color", False, None, len(gray))
        run_clip(name, gray, truth, cnn_frames(clip, gray, args.cache, None), args.modes,
                 settings, show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
