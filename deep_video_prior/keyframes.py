"""Keyframe colour for film: a few coloured frames, carried through their shots by motion.

Given a shot's gray frames, an automatic colour for every frame and one or more keyframes
(frame index -> CIELAB a/b, optionally with a confidence per pixel), each frame takes the
colour of the nearest keyframe before and after it in its shot, followed along dense
optical flow (:mod:`deep_video_prior.keyframes_track`), where that can be trusted; gaps the
motion opened (disocclusions) are filled from the trusted colour around them along the
gray frame's edges; the automatic colour fills in where no keyframe colour reaches. A
keyframe never crosses a shot cut. Only a/b change: every output frame's luminance is the
gray input's exactly. See docs/methods.md, 'Keyframes'.

A pure numpy/OpenCV engine: no file I/O, progress and cancel callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from algorithms.colorspace import luminance
from algorithms.edge_aware import joint_bilateral_upsample
from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter
from deep_video_prior.keyframes_follow import Follower, KeyframeSettings, blurred_gray, spread
from deep_video_prior.keyframes_track import Flows
from deep_video_prior.temporal import FLOW_PRESETS, gray_lightness, join_chroma, rgb_to_ab

#: The measured defaults (a frozen dataclass: safe to share).
DEFAULT_SETTINGS = KeyframeSettings()
#: Most frame pairs whose flows are kept for the second pass over a shot (memory).
MAX_KEPT_FLOWS = 500


@dataclass
class Keyframe:
    """The colour of one frame: ``ab`` (H, W, 2) float32 CIELAB a/b at the video's size, and
    optionally ``confidence`` (H, W) in [0, 1] (0: no colour given there, e.g. a partial
    keyframe); None means 1 everywhere."""

    index: int
    ab: np.ndarray
    confidence: np.ndarray | None = None


def keyframe_from_rgb(index: int, rgb: np.ndarray,
                      confidence: np.ndarray | None = None) -> Keyframe:
    """A keyframe from a colour image (H, W, 3) in [0, 1]; only its a/b are used."""
    rgb = np.asarray(rgb, np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise BadInputError(f"keyframe {index} is not a colour image: shape {rgb.shape}")
    return Keyframe(index, rgb_to_ab(rgb), confidence)


def keyframe_from_hints(index: int, gray: np.ndarray, hint_chroma: np.ndarray,
                        hint_mask: np.ndarray, *, prior_chroma: np.ndarray | None = None,
                        prior_weight: float = 0.0, progress: ProgressCallback | None = None,
                        cancelled: CancelCheck | None = None) -> tuple[Keyframe, np.ndarray]:
    """A keyframe from colour hints on the gray frame (strokes), colorized by Levin et al.

    ``hint_chroma``, ``hint_mask``: as :func:`algorithms.scribble.hints_from_marked` gives
    them; ``prior_chroma`` (YIQ I, Q) and ``prior_weight``: the automatic colour the
    strokes correct (see :func:`algorithms.scribble.colorize_scribbles`). Returns the
    keyframe and the colorized frame (H, W, 3).
    """
    from algorithms.scribble import colorize_scribbles

    rgb = colorize_scribbles(gray, hint_chroma, hint_mask, prior_chroma=prior_chroma,
                             prior_weight=prior_weight, progress=progress,
                             cancelled=cancelled)
    return keyframe_from_rgb(index, rgb), rgb


@dataclass
class KeyframeReport:
    """What :func:`propagate_keyframes` did: the shots, the keyframes used per shot (frame
    indices), the share of each frame's pixels coloured from keyframes, seconds."""

    shots: list[range] = field(default_factory=list)
    keyframes_by_shot: list[list[int]] = field(default_factory=list)
    keyframe_share: list[float] = field(default_factory=list)
    seconds: float = 0.0


def working_shape(height: int, width: int, pixels: int) -> tuple[int, int]:
    """(h, w) of about ``pixels`` pixels with the frame's aspect ratio, never larger."""
    scale = min(1.0, float(np.sqrt(pixels / (height * width))))
    return max(8, round(height * scale)), max(8, round(width * scale))


def _small(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.shape[:2] == shape:
        return image
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def _to_8bit(y: np.ndarray) -> np.ndarray:
    return np.round(np.clip(y, 0.0, 1.0) * 255.0).astype(np.uint8)


def check_keyframes(keyframes: Sequence[Keyframe], count: int,
                    size: tuple[int, int]) -> list[Keyframe]:
    """The keyframes sorted by frame; BadInputError (one line) for one out of the video's
    ``count`` frames, of another size than (H, W) ``size``, or given twice."""
    seen: set[int] = set()
    for key in keyframes:
        if not 0 <= key.index < count:
            raise BadInputError(f"keyframe {key.index} is out of range: the video has frames "
                                f"0 to {count - 1}")
        if key.index in seen:
            raise BadInputError(f"frame {key.index} has two keyframes")
        seen.add(key.index)
        shape = np.asarray(key.ab).shape
        if shape != size + (2,):
            raise BadInputError(f"keyframe {key.index} is {shape[1]}x{shape[0]} but the video "
                                f"is {size[1]}x{size[0]}")
        if key.confidence is not None and np.asarray(key.confidence).shape != size:
            raise BadInputError(f"keyframe {key.index}: its confidence is not "
                                f"{size[1]}x{size[0]}")
    return sorted(keyframes, key=lambda key: key.index)


def propagate_keyframes(gray_frames: Sequence[np.ndarray],
                        automatic_frames: Sequence[np.ndarray],
                        keyframes: Sequence[Keyframe],
                        write_frame: Callable[[int, np.ndarray], None], *,
                        shots: Sequence[range] | None = None,
                        settings: KeyframeSettings = DEFAULT_SETTINGS,
                        progress: ProgressCallback | None = None,
                        cancelled: CancelCheck | None = None) -> KeyframeReport:
    """Colour a video from keyframes, the automatic colour filling in.

    Parameters
    ----------
    gray_frames : sequence of ndarray
        The frames (H, W) or (H, W, 3) float in [0, 1] (only the luminance is used); read
        twice, in order.
    automatic_frames : sequence of ndarray
        The automatic colour (H, W, 3) in [0, 1] of every frame; read once, in order.
    keyframes : sequence of Keyframe
        At most one per frame, each (H, W).
    write_frame : callable
        ``write_frame(index, rgb)`` receives every frame (H, W, 3) float32 in [0, 1] once,
        in order; its luminance is the gray frame's exactly.
    shots : sequence of range, optional
        The shots (consecutive ranges covering the video); found by
        :func:`deep_video_prior.shots.detect_shots`'s rule when not given.
    progress, cancelled : callable, optional
        Progress ``(fraction, message)`` and cancel check, per frame.

    Returns
    -------
    KeyframeReport

    Memory: the gray frames at the working size (130 kB a frame at 480 x 272, uint8), and
    within a shot the backward pass's colour for the frames before its last keyframe
    (0.8 MB a frame) and the flows of up to MAX_KEPT_FLOWS frame pairs (1 MB each).
    """
    from deep_video_prior.shots import probe, shots_from_probes

    started = time.monotonic()
    report = Reporter(progress, cancelled)
    count = len(gray_frames)
    if count == 0:
        raise BadInputError("the video has no frames")
    if len(automatic_frames) != count:
        raise BadInputError(f"the video has {count} frames but its automatic colour "
                            f"{len(automatic_frames)}")
    if settings.flow_preset not in FLOW_PRESETS:
        raise BadInputError(f"flow preset must be one of {', '.join(FLOW_PRESETS)}")
    size: tuple[int, int] | None = None
    small_grays, probes = [], []
    for index in range(count):
        y = luminance(np.asarray(gray_frames[index], np.float32))
        if size is None:
            size = (int(y.shape[0]), int(y.shape[1]))
            shape = working_shape(*size, settings.working_pixels)
        elif y.shape != size:
            raise BadInputError(f"frame {index} is {y.shape[1]}x{y.shape[0]} but frame 0 is "
                                f"{size[1]}x{size[0]}")
        if shots is None:
            probes.append(probe(y))
        small_grays.append(_to_8bit(_small(y, shape)))
        report(0.1 * (index + 1) / count, f"reading frame {index + 1}/{count}")
    assert size is not None
    keys = check_keyframes(keyframes, count, size)
    shot_list = list(shots) if shots is not None else shots_from_probes(probes)
    result = KeyframeReport(shots=shot_list)
    shot_reporter = report.stage(0.1, 1.0)
    for shot in shot_list:
        in_shot = [key for key in keys if key.index in shot]
        result.keyframes_by_shot.append([key.index for key in in_shot])
        _colour_shot(shot, in_shot, gray_frames, automatic_frames, small_grays, size, shape,
                     settings, write_frame, result, shot_reporter, count)
    result.seconds = time.monotonic() - started
    return result


def _small_keyframe(key: Keyframe, gray_small: np.ndarray,
                    shape: tuple[int, int]) -> np.ndarray:
    """(h, w, 4) float32: the keyframe's gray (blurred, 0..1), a, b and confidence."""
    confidence = (np.ones(key.ab.shape[:2], np.float32) if key.confidence is None
                  else np.clip(np.asarray(key.confidence, np.float32), 0.0, 1.0))
    return np.dstack([blurred_gray(gray_small), _small(key.ab, shape),
                      _small(confidence, shape)]).astype(np.float32)


def _colour_shot(shot: range, keys: list[Keyframe], gray_frames: Sequence[np.ndarray],
                 automatic_frames: Sequence[np.ndarray], small_grays: list[np.ndarray],
                 size: tuple[int, int], shape: tuple[int, int], settings: KeyframeSettings,
                 write_frame: Callable[[int, np.ndarray], None], result: KeyframeReport,
                 report: Reporter, count: int) -> None:
    """Colour one shot: a backward pass from each keyframe (kept), then a forward pass
    that joins both ways, blends with the automatic colour and writes each frame."""
    grays = small_grays[shot.start:shot.stop]
    local = [key.index - shot.start for key in keys]
    smalls = [_small_keyframe(key, grays[i], shape) for key, i in zip(keys, local)]
    # Both passes use the flows between the first and last keyframe: kept (1 MB a frame at
    # the working size) unless that span is long, then computed twice.
    span = range(local[0], local[-1]) if keys else range(0)
    flows = Flows(grays, settings.flow_preset, span if len(span) <= MAX_KEPT_FLOWS else range(0))
    # Progress in frame steps, two per frame: the backward pass takes up to one (the
    # frames before the last keyframe), writing the rest.
    total = 2 * count
    done = [2 * shot.start]

    def tick(message: str, steps: int = 1) -> None:
        done[0] += steps
        report(done[0] / total, message)

    behind: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}
    for j in range(len(keys) - 1, -1, -1):
        follower = Follower(smalls[j], grays[local[j]], settings)
        stop = local[j - 1] if j > 0 else -1
        for t in range(local[j] - 1, stop, -1):
            forward, backward = flows.pair(t)  # t -> t + 1 and back
            follower.advance(forward, backward, grays[t])
            behind[t] = (follower.known.astype(np.float16), follower.use.astype(np.float16),
                         follower.distance)
            tick(f"frame {shot.start + t + 1}/{count}: following keyframes back")
    done[0] = 2 * shot.start + (len(shot) if keys else 0)
    follower_ahead, current = None, -1
    for t in range(len(shot)):
        if current + 1 < len(keys) and t == local[current + 1]:
            current += 1
            follower_ahead = Follower(smalls[current], grays[t], settings)
        elif follower_ahead is not None:
            forward, backward = flows.pair(t - 1)
            follower_ahead.advance(backward, forward, grays[t])
        parts = []
        if follower_ahead is not None:
            parts.append((follower_ahead.known, follower_ahead.use, follower_ahead.distance))
        if t in behind:
            ab, use, distance = behind.pop(t)
            parts.append((ab.astype(np.float32), use.astype(np.float32), distance))
        index = shot.start + t
        rgb, share = _frame(parts, grays[t], gray_frames[index], automatic_frames[index],
                            size, shape, settings)
        result.keyframe_share.append(share)
        write_frame(index, rgb)
        tick(f"frame {index + 1}/{count}", 1 if keys else 2)


def _frame(parts: list[tuple[np.ndarray, np.ndarray, int]], gray8: np.ndarray,
           gray_frame: np.ndarray, automatic: np.ndarray, size: tuple[int, int],
           shape: tuple[int, int], settings: KeyframeSettings) -> tuple[np.ndarray, float]:
    """One output frame from the keyframe colour followed to it ((a/b, weight, frames
    from its keyframe) per keyframe), and the share of it coloured from keyframes."""
    y = luminance(np.asarray(gray_frame, np.float32))
    automatic = np.asarray(automatic, np.float32)
    if automatic.shape[:2] != size:
        raise BadInputError(f"the automatic colour is {automatic.shape[1]}x"
                            f"{automatic.shape[0]} but the video is {size[1]}x{size[0]}")
    automatic_ab = rgb_to_ab(automatic)
    if not parts:
        return join_chroma(y, automatic_ab), 0.0
    automatic_small = _small(automatic_ab, shape)
    # The keyframes either side, each by its weight over its distance: the nearer one
    # dominates and hands over smoothly; trusted where either is.
    shares = [use / (1.0 + distance) for _, use, distance in parts]
    total = np.maximum(sum(shares), 1e-6)
    known = sum(share[..., None] * ab for share, (ab, _, _) in zip(shares, parts)) / total[
        ..., None]
    use = 1.0 - np.prod([1.0 - weight for _, weight, _ in parts], axis=0)
    # Where no keyframe colour is trusted the automatic colour fills in, corrected by how
    # the keyframe colour differs from it nearby (spread along the gray frame's edges):
    # fully where enough trusted weight arrives, not at all inside a region that edges
    # close off (something new).
    lightness = gray_lightness(gray8.astype(np.float32) / 255.0)
    # Weight below a tenth counts as none (the tails of the trust measures).
    weight = np.clip((use - 0.1) / (settings.trust - 0.1), 0.0, 1.0)
    correction, reach = spread(known - automatic_small, weight, lightness, settings)
    fallback = automatic_small + reach[..., None] * correction
    change = weight[..., None] * (known - fallback) + fallback - automatic_small
    if shape != size:
        change = joint_bilateral_upsample(change, lightness, gray_lightness(y))
    share = float(np.mean(weight + (1.0 - weight) * reach))
    return join_chroma(y, automatic_ab + change), share
