"""Refining a per-frame colorized video, shot by shot: flicker removed, local colour kept.

The colour (CIELAB a/b) of each frame is worked out at a small working size: either each
frame's global colour is stabilised (:func:`temporal.stabilise_chroma`) and then averaged
along the motion over the frames around it (``method="filter"``, the default,
:func:`temporal.flow_filter`), or it is fitted by a fresh Deep Video Prior U-Net per shot
(``method="network"``). The result is brought to full size by joint bilateral upsampling
that follows the full-resolution lightness (colour edges stay on lightness edges), joined
with the gray frame's luminance, so detail and brightness are exactly the input's.
Frames are streamed: gray frames are read twice (small copies, then at full size for the
output), processed frames once, shot by shot.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import cv2
import numpy as np

from algorithms.colorspace import join_luminance_chroma_in_gamut, luminance, rgb_to_yiq
from algorithms.edge_aware import joint_bilateral_upsample
from algorithms.errors import BadInputError, ColorizeError
from algorithms.metrics import colourfulness
from algorithms.progress import CancelCheck, ProgressCallback, Reporter, duration_text
from deep_video_prior.network import DvpNetwork
from deep_video_prior.settings import RefineReport, RefineSettings
from deep_video_prior.shots import probe, shots_from_probes
from deep_video_prior.temporal import (
    FLOW_PRESETS,
    flow_filter,
    gray_lightness,
    join_chroma,
    rgb_to_ab,
    stabilise_chroma,
)
from deep_video_prior.train import Epoch, shot_cost, train_shot

#: Working sides are multiples of this, so that half of them suits the U-Net (16).
WORKING_MULTIPLE = 32
#: Share of the progress bar given to the first pass over the gray frames.
_READ_SHARE = 0.03
#: Limits of the per-shot chroma gain (a shot coloured gray by the per-frame pass stays so).
GAIN_RANGE = (0.5, 3.0)
#: The measured defaults (a frozen dataclass: safe to share).
DEFAULT_SETTINGS = RefineSettings()


def working_size(height: int, width: int, pixels: int) -> tuple[int, int]:
    """(h, w), multiples of 32, of about ``pixels`` pixels with the frame's aspect ratio.

    Never larger than the frame (rounded to 32, at least 32).
    """
    scale = min(1.0, float(np.sqrt(pixels / (height * width))))

    def scaled(side: int) -> int:
        return max(WORKING_MULTIPLE, int(round(side * scale / WORKING_MULTIPLE))
                   * WORKING_MULTIPLE)

    return scaled(height), scaled(width)


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    shrinking = height < image.shape[0]
    return cv2.resize(np.asarray(image, np.float32), (width, height),
                      interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _frame_size(frame: np.ndarray, name: str, index: int) -> tuple[int, int]:
    frame = np.asarray(frame)
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise BadInputError(f"{name} frame {index} is not an image: shape {frame.shape}")
    return frame.shape[:2]


def _describe(size: tuple[int, int]) -> str:
    return f"{size[1]}x{size[0]}"


def network_target(processed_small: np.ndarray, output: str) -> np.ndarray:
    """What the network fits for a processed frame: YIQ chroma (h, w, 2) or RGB (h, w, 3).

    (YIQ rather than a/b: on the tests' clip of moving shapes a network fitting a/b lost
    half the chroma of a dark blue shape in 20 epochs, one fitting YIQ did not.)
    """
    rgb = np.asarray(processed_small, np.float32)
    return rgb_to_yiq(rgb)[..., 1:] if output == "chroma" else rgb


def network_chroma(prediction: np.ndarray, output: str, y: np.ndarray) -> np.ndarray:
    """CIELAB a/b (h, w, 2) of a network output (YIQ chroma, or RGB clipped to [0, 1]).

    ``y`` (h, w) is the gray frame's luminance in [0, 1] that YIQ chroma is joined with.
    """
    if output == "chroma":
        return rgb_to_ab(join_luminance_chroma_in_gamut(np.asarray(y, np.float32),
                                                        prediction))
    return rgb_to_ab(prediction)


#: Lightness at which a/b are judged for colourfulness (mid-gray).
_GAIN_LIGHTNESS = 50.0


def target_normalisation(targets: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Per-channel offset and one common scale that give a shot's targets mean 0, std 1.

    The network fits ``(target - offset) * scale``: Adam moves each weight by about the
    learning rate per step, so raw chroma (means of 0.1 or so) would take hundreds of
    steps just to reach the right mean. The scale is common to all channels, so the IRT
    confidence mask (a comparison of errors maxed over channels) is unchanged and the
    IRT loss is only multiplied by it.
    """
    offset = np.mean([t.mean(axis=(0, 1)) for t in targets], axis=0).astype(np.float32)
    spread = float(np.mean([np.abs(t - offset).mean() for t in targets]))
    return offset, 1.0 / max(spread, 1e-3)


def chroma_gain(refined: Sequence[np.ndarray] | np.ndarray,
                processed: Sequence[np.ndarray] | np.ndarray) -> float:
    """Gain making the refined shot as colourful as the per-frame one.

    Both are CIELAB a/b frames (h, w, 2), as a list or stacked (n, h, w, 2), judged at
    mid-gray lightness (unclipped RGB): colourfulness (Hasler and Suesstrunk) then grows
    almost linearly with a/b, so the ratio of the mean colourfulness of the two calibrates
    the gain. Averaging flickering colours shrinks chroma (two hues average to a duller
    one; L1 and early stopping pull towards the shot's mean colour); this gain gives the
    saturation back.
    """
    def mean_colourfulness(frames: Sequence[np.ndarray] | np.ndarray) -> float:
        values = []
        for chroma in frames:
            lab = np.dstack([np.full(chroma.shape[:2], _GAIN_LIGHTNESS, np.float32),
                             chroma.astype(np.float32)])
            values.append(colourfulness(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)))
        return float(np.mean(values))

    wanted, got = mean_colourfulness(processed), mean_colourfulness(refined)
    if got <= 1e-6:
        return 1.0
    return float(np.clip(wanted / got, *GAIN_RANGE))


def _settings_key(settings: RefineSettings) -> str:
    fields = {k: v for k, v in vars(settings).items() if k != "threads"}
    return repr(sorted(fields.items()))


def _shot_key(settings: RefineSettings, shot: range, grays: Sequence[np.ndarray],
              first_processed: np.ndarray) -> str:
    digest = hashlib.sha256(_settings_key(settings).encode())
    digest.update(f"{shot.start}:{shot.stop}".encode())
    for gray in grays:
        digest.update(np.ascontiguousarray(gray).tobytes())
    digest.update(np.round(first_processed * 255).astype(np.uint8).tobytes())
    return digest.hexdigest()


class ShotStore(Protocol):
    """Where finished shots are kept, so that a later run resumes (the caller's storage).

    ``name`` is unique per shot of a video (e.g. ``shot0001_000120-000245``); ``key`` is a
    hex digest of the shot's inputs and settings. ``chroma`` is the shot's working-size
    colour (frames, h, w, 2 or 3) float32, ``gain`` its chroma gain.
    """

    def load(self, name: str, key: str) -> tuple[np.ndarray, float] | None:
        """The saved (chroma, gain) of shot ``name``, or None if absent or of another key."""

    def save(self, name: str, key: str, chroma: np.ndarray, gain: float) -> None:
        """Keep a finished shot."""


def _checkpoint_name(index: int, shot: range) -> str:
    return f"shot{index:04d}_{shot.start:06d}-{shot.stop:06d}"


class _Progress:
    """Progress over the whole job, with an ETA from the cost done so far per second."""

    def __init__(self, reporter: Reporter, total_cost: float, shot_count: int) -> None:
        self.reporter, self.total, self.shots = reporter, max(total_cost, 1e-9), shot_count
        self.done = 0.0
        self.started = time.monotonic()

    def __call__(self, cost: float, shot: int, what: str) -> None:
        self.done += cost
        eta = ""
        if self.done > 0:
            rate = (time.monotonic() - self.started) / self.done
            eta = f", ETA {duration_text(max(self.total - self.done, 0.0) * rate)}"
        message = f"shot {shot + 1}/{self.shots}, {what}{eta}"
        self.reporter(_READ_SHARE + (1 - _READ_SHARE) * min(self.done / self.total, 1.0),
                      message)


def refine_video(gray_frames: Sequence[np.ndarray], processed_frames: Sequence[np.ndarray],
                 write_frame: Callable[[int, np.ndarray], None], *,
                 settings: RefineSettings = DEFAULT_SETTINGS,
                 checkpoints: ShotStore | None = None,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> RefineReport:
    """Remove the flicker of a per-frame colorized video by Deep Video Prior.

    Parameters
    ----------
    gray_frames : sequence of ndarray
        The original frames (H, W) or (H, W, 3) float in [0, 1] (gray: R = G = B; of a
        colour frame only the luminance is used). Read twice, in order.
    processed_frames : sequence of ndarray
        The per-frame colorized frames (H, W, 3) float in [0, 1], same count and size.
        Read once, in order (it may compute each frame on access).
    write_frame : callable
        ``write_frame(index, rgb)`` receives every refined frame (H, W, 3) float32 in
        [0, 1], once, in order; its luminance equals the gray frame's.
    settings : RefineSettings
        Network, schedule and working size.
    checkpoints : ShotStore, optional
        Where finished shots are saved; a later call with the same inputs and settings
        reads them back instead of training again.
    progress, cancelled : callable, optional
        Progress ``(fraction, message)`` naming the shot, epoch and ETA; cancel check,
        polled at every training step and frame (raises CancelledError).

    Returns
    -------
    RefineReport
    """
    started = time.monotonic()
    reporter = Reporter(progress, cancelled)
    count, processed_count = len(gray_frames), len(processed_frames)
    if count != processed_count:
        raise BadInputError(f"GRAY has {count} frames but PROCESSED has {processed_count}")
    if count == 0:
        raise BadInputError("GRAY has no frames")
    for name in ("epochs", "width", "working_pixels"):
        if getattr(settings, name) < 1:
            raise BadInputError(f"{name} must be at least 1, got {getattr(settings, name)}")
    if settings.output not in ("chroma", "rgb"):
        raise BadInputError(f"output must be 'chroma' or 'rgb', got {settings.output!r}")
    if settings.method not in ("filter", "network"):
        raise BadInputError(f"method must be 'filter' or 'network', got {settings.method!r}")
    if settings.flow_preset not in FLOW_PRESETS:
        raise BadInputError(f"flow preset must be one of {', '.join(FLOW_PRESETS)}, got "
                            f"{settings.flow_preset!r}")
    if not 0.0 <= settings.strength < 1.0 or settings.stabilise_window < 0:
        raise BadInputError("strength must be in [0, 1) and stabilise_window at least 0")

    # Pass 1: small gray copies for shot detection and training.
    full_size: tuple[int, int] | None = None
    small_grays, probes = [], []
    for index in range(count):
        frame = gray_frames[index]
        size = _frame_size(frame, "GRAY", index)
        if full_size is None:
            full_size = size
            small_size = working_size(*full_size, settings.working_pixels)
        elif size != full_size:
            raise BadInputError(f"GRAY frame {index} is {_describe(size)} but frame 0 is "
                                f"{_describe(full_size)}")
        y = luminance(np.asarray(frame, np.float32))
        probes.append(probe(y))
        small_grays.append(_resize(y, small_size).astype(np.float16))
        reporter(_READ_SHARE * (index + 1) / count, f"reading frame {index + 1}/{count}")
    shots = shots_from_probes(probes)
    del probes
    assert full_size is not None  # set by frame 0 (there is at least one frame)

    report = RefineReport(shots=shots, frames=count)
    channels = 2 if settings.output == "chroma" else 3
    pixels = small_size[0] * small_size[1]
    costs = [_training_cost(settings, len(shot), pixels) + len(shot) * pixels
             for shot in shots]
    tracker = _Progress(reporter, sum(costs), len(shots))

    for shot_index, shot in enumerate(shots):
        grays = small_grays[shot.start:shot.stop]
        first = processed_frames[shot.start]
        if _frame_size(first, "PROCESSED", shot.start) != full_size:
            raise BadInputError(
                f"GRAY frames are {_describe(full_size)} but PROCESSED frames are "
                f"{_describe(np.asarray(first).shape[:2])}")
        first_small = _resize(first, small_size)
        key = _shot_key(settings, shot, grays, first_small)
        name = _checkpoint_name(shot_index, shot)
        saved = checkpoints.load(name, key) if checkpoints is not None else None
        if saved is not None:
            chroma, gain = saved
            report.resumed_shots.append(shot_index)
            tracker.total -= costs[shot_index] - len(shot) * pixels
        else:
            chroma, gain, epochs = _refine_shot(
                shot, shot_index, grays, first_small, processed_frames, full_size, small_size,
                settings, channels, tracker)
            report.epochs_run += epochs
            if not (np.all(np.isfinite(chroma)) and np.isfinite(gain)):
                # Never checkpoint (or write) a diverged shot: a rerun would resume from it.
                raise ColorizeError(
                    f"refinement diverged on shot {shot_index + 1} (non-finite colours): "
                    "try fewer epochs or a lower learning rate")
            if checkpoints is not None:
                checkpoints.save(name, key, chroma, gain)
        report.chroma_gains.append(gain)
        _write_shot(shot, shot_index, chroma, gain, gray_frames, grays, full_size,
                    write_frame, tracker, pixels)
    report.seconds = time.monotonic() - started
    return report


def _training_cost(settings: RefineSettings, frame_count: int, pixels: int) -> float:
    """Relative cost of working out one shot's colour (writing a frame costs ``pixels``)."""
    if settings.method == "filter":
        return 2.0 * frame_count * pixels  # two passes of optical flow and warping
    return shot_cost(settings, frame_count, pixels)


def _refine_shot(shot: range, shot_index: int, grays: list[np.ndarray],
                 first_small: np.ndarray, processed_frames: Sequence[np.ndarray],
                 full_size: tuple[int, int], small_size: tuple[int, int],
                 settings: RefineSettings, channels: int, tracker: _Progress
                 ) -> tuple[np.ndarray, float, int]:
    """Work out one shot's colour: its a/b (n, h, w, 2) float16, gain and epochs run."""
    processed_chroma, targets = [], []
    for index in shot:
        if index == shot.start:
            small = first_small
        else:
            frame = processed_frames[index]
            if _frame_size(frame, "PROCESSED", index) != full_size:
                raise BadInputError(f"PROCESSED frame {index} is "
                                    f"{_describe(np.asarray(frame).shape[:2])} but GRAY "
                                    f"frames are {_describe(full_size)}")
            small = _resize(frame, small_size)
        processed_chroma.append(rgb_to_ab(small).astype(np.float16))
        if settings.method == "network":
            targets.append(network_target(small, settings.output))
        tracker(0.0, shot_index, f"reading frame {index + 1}")
    if settings.method == "filter":
        # A per-frame jump of the whole frame's colour is removed first: the motion
        # filter alone would only average it down.
        stable = stabilise_chroma(processed_chroma, settings.stabilise_window)
        step = float(small_size[0] * small_size[1])
        passes = {"forward": "motion pass 1/2", "backward": "motion pass 2/2"}
        filtered = flow_filter([g.astype(np.float32) for g in grays], stable,
                               settings.strength, settings.flow_preset,
                               lambda which: tracker(step, shot_index, passes[which]))
        chroma = np.stack(filtered).astype(np.float16)
        gain = chroma_gain(chroma, processed_chroma) if settings.match_chroma else 1.0
        return chroma, gain, 0

    def on_step(epoch: Epoch, cost: float) -> None:
        tracker(cost, shot_index, epoch.label)

    offset, scale = target_normalisation(targets)
    # float16 halves the memory of long shots; each step converts one frame back.
    targets = [((target - offset) * scale).astype(np.float16) for target in targets]
    with DvpNetwork(settings.width, channels, settings.irt, settings.learning_rate,
                    seed=settings.seed, threads=settings.threads) as network:
        epochs = train_shot(network, grays, targets, settings, on_step)
        chroma = np.stack([network_chroma(network.predict(gray) / scale + offset,
                                          settings.output, gray)
                           for gray in grays]).astype(np.float16)
    gain = chroma_gain(chroma, processed_chroma) if settings.match_chroma else 1.0
    return chroma, gain, epochs


def _write_shot(shot: range, shot_index: int, chroma: np.ndarray, gain: float,
                gray_frames: Sequence[np.ndarray], small_grays: Sequence[np.ndarray],
                full_size: tuple[int, int], write_frame: Callable[[int, np.ndarray], None],
                tracker: _Progress, pixels: int) -> None:
    """Pass 2 for one shot: full-size luminance joined with the upsampled a/b."""
    for offset, index in enumerate(shot):
        frame = gray_frames[index]
        size = _frame_size(frame, "GRAY", index)
        if size != full_size:
            raise BadInputError(f"GRAY frame {index} is {_describe(size)} but frame 0 is "
                                f"{_describe(full_size)}")
        y = luminance(np.asarray(frame, np.float32))
        ab = chroma[offset].astype(np.float32) * gain
        if ab.shape[:2] != full_size:
            ab = joint_bilateral_upsample(
                ab, gray_lightness(small_grays[offset].astype(np.float32)), gray_lightness(y))
        tracker(pixels, shot_index, f"writing frame {index + 1}")
        write_frame(index, join_chroma(y, ab))
