"""Hard cuts in a video, found on its gray frames (the authors train one model per shot)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from algorithms.colorspace import luminance

#: Frames are compared at about this many pixels (fast, and blind to fine motion).
_PROBE_PIXELS = 64 * 36
#: Half-width of the window whose median is a frame pair's usual change.
_WINDOW = 7
#: A cut changes the histogram this many times more than the local median change ...
_RATIO = 3.0
#: ... and by at least this much (L1 distance of normalised 32-bin histograms, 0..2).
_MIN_HISTOGRAM_DISTANCE = 0.25
#: ... and the mean absolute difference jumps too (gray levels 0..255).
_MIN_MEAN_DIFFERENCE = 12.0
#: Shots shorter than this are merged into the previous one (flashes, not cuts).
MIN_SHOT_LENGTH = 4


def probe(frame: np.ndarray) -> np.ndarray:
    """A small float32 luminance copy (0..255) of an (H, W) or (H, W, 3) frame in [0, 1]."""
    y = np.asarray(luminance(np.asarray(frame, np.float32)), np.float32)
    scale = min(1.0, np.sqrt(_PROBE_PIXELS / y.size))
    size = (max(1, round(y.shape[1] * scale)), max(1, round(y.shape[0] * scale)))
    return cv2.resize(y, size, interpolation=cv2.INTER_AREA) * 255.0


def _changes(probes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Histogram distance and mean absolute difference of each frame to the one before."""
    histograms = [np.histogram(p, bins=32, range=(0.0, 256.0))[0] / p.size for p in probes]
    histogram_change = np.array([0.0] + [np.abs(h - g).sum()
                                         for g, h in zip(histograms, histograms[1:])])
    mean_change = np.array([0.0] + [float(np.mean(np.abs(b - a)))
                                    for a, b in zip(probes, probes[1:])])
    return histogram_change, mean_change


def _jumps(change: np.ndarray, minimum: float) -> np.ndarray:
    """True where ``change`` stands out against the median of its neighbours."""
    is_jump = np.zeros(change.size, bool)
    for index in range(1, change.size):
        around = np.r_[change[max(1, index - _WINDOW):index],
                       change[index + 1:index + 1 + _WINDOW]]
        usual = float(np.median(around)) if around.size else 0.0
        is_jump[index] = change[index] > max(_RATIO * usual, minimum)
    return is_jump


def shots_from_probes(probes: Sequence[np.ndarray]) -> list[range]:
    """The shots of a video given :func:`probe` copies of its frames, in order."""
    count = len(probes)
    if count == 0:
        return []
    histogram_change, mean_change = _changes(probes)
    cuts = np.flatnonzero(_jumps(histogram_change, _MIN_HISTOGRAM_DISTANCE)
                          & _jumps(mean_change, _MIN_MEAN_DIFFERENCE))
    starts = [0]
    for cut in cuts:
        if cut - starts[-1] >= MIN_SHOT_LENGTH and count - cut >= MIN_SHOT_LENGTH:
            starts.append(int(cut))
    return [range(start, stop) for start, stop in zip(starts, starts[1:] + [count])]


def detect_shots(frames: Sequence[np.ndarray]) -> list[range]:
    """Split a video into shots at hard cuts.

    Parameters
    ----------
    frames : sequence of ndarray
        Gray or RGB frames (H, W) or (H, W, 3) in [0, 1], read once, in order.

    Returns
    -------
    list of range
        Consecutive frame ranges covering the video; a cut starts a new range where
        both the luminance histogram and the mean absolute difference to the previous
        frame jump to at least three times their median over the 7 frame pairs either
        side (and above an absolute floor). Shots shorter than 4 frames are not split off.
    """
    return shots_from_probes([probe(frame) for frame in frames])
