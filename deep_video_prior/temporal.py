"""Keeping each object's colour while removing flicker: chroma in CIELAB a/b at a working size.

Two steps, both on small copies of a shot's frames:

- :func:`stabilise_chroma` removes the flicker of each frame's global colour: the mean and
  spread of its a and b are matched to their running median over the neighbouring frames.
- :func:`flow_filter` removes local flicker while keeping local colour: a recursive
  average of each pixel's colour along its motion (dense optical flow of the gray frames),
  run forward and backward in time and averaged, so every frame takes its colour from
  about ``2 / (1 - strength)`` frames around it. Where the flow is wrong (occlusions,
  objects entering) the warped gray does not match the frame and the pixel keeps its own
  per-frame colour.

Pure numpy/OpenCV functions with a per-frame callback (progress and cancel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from algorithms.colorspace import (
    join_luminance_chroma_in_gamut,
    lab_to_rgb_fast,
    rgb_to_lab_fast,
    rgb_to_yiq,
)

#: A frame's spread of a/b is scaled by at most this factor (or its inverse) to match.
MAX_SPREAD_GAIN = 2.0
#: Spread (a/b units) below which a frame counts as colourless (its spread is not scaled).
_MIN_SPREAD = 0.5
#: OpenCV DIS optical flow presets by name.
FLOW_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
#: A warped gray value differing from the frame's by this much (gray 0..1) halves the
#: trust in the warped colour a further e times: the flow is likely wrong there.
MATCH_TOLERANCE = 0.08


def rgb_to_ab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB a/b (H, W, 2) float32 of an RGB image (H, W, 3) in [0, 1]."""
    return rgb_to_lab_fast(rgb)[..., 1:]


#: Steps of the gray-to-lightness table (L changes by under 0.1 between neighbouring steps).
_LIGHTNESS_STEPS = 4096


def _lightness_table() -> np.ndarray:
    y = np.linspace(0.0, 1.0, _LIGHTNESS_STEPS, dtype=np.float32)
    return rgb_to_lab_fast(np.dstack([y, y, y]))[0, :, 0].copy()


_LIGHTNESS = _lightness_table()


def gray_lightness(y: np.ndarray) -> np.ndarray:
    """CIELAB L (H, W) float32 in [0, 100] of a gray image (H, W) in [0, 1].

    Looked up in a table of the neutral colours' L (a full-frame colour conversion
    per frame cost more than the rest of writing it).
    """
    index = np.clip(np.asarray(y, np.float32), 0.0, 1.0) * (_LIGHTNESS_STEPS - 1) + 0.5
    return _LIGHTNESS[index.astype(np.intp)]


def lab_to_rgb(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) float32 in [0, 1] from CIELAB L (H, W) and a/b (H, W, 2)."""
    return lab_to_rgb_fast(np.dstack([np.asarray(lightness, np.float32),
                                      np.asarray(ab, np.float32)]))


def join_chroma(y: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) float32 from luminance Y (H, W) in [0, 1] and CIELAB a/b (H, W, 2).

    The colour is that of a/b at the gray frame's lightness; its luminance is then set to
    exactly Y (out-of-gamut colours desaturated at constant luminance, not clipped).
    """
    rgb = lab_to_rgb(gray_lightness(y), ab)
    return join_luminance_chroma_in_gamut(np.asarray(y, np.float32),
                                          rgb_to_yiq(rgb)[..., 1:]).astype(np.float32)


def stabilise_chroma(chromas: Sequence[np.ndarray], window: int) -> list[np.ndarray]:
    """Each frame's a/b mean and spread matched to their running median over the shot.

    Parameters
    ----------
    chromas : sequence of ndarray
        The per-frame a/b (h, w, 2) of one shot.
    window : int
        Frames either side whose median is the reference (0: no change). A frame whose
        whole colour jumps (a per-frame gain or offset of a/b) is brought back to its
        neighbours'; a change that lasts longer than ``window`` frames is kept.

    Returns
    -------
    list of (h, w, 2) ndarray, each of its input's float type
    """
    if window < 1 or len(chromas) < 2:
        return [np.asarray(c, np.float32) for c in chromas]
    # Statistics in float32, frames kept in their own type (float16 for long shots).
    means = np.array([np.asarray(c, np.float32).reshape(-1, 2).mean(axis=0) for c in chromas])
    spreads = np.array([np.asarray(c, np.float32).reshape(-1, 2).std(axis=0) for c in chromas])
    result = []
    for t, chroma in enumerate(chromas):
        frame = np.asarray(chroma, np.float32)
        around = slice(max(0, t - window), t + window + 1)
        mean, spread = np.median(means[around], axis=0), np.median(spreads[around], axis=0)
        gain = np.where(spreads[t] > _MIN_SPREAD, spread / np.maximum(spreads[t], 1e-6), 1.0)
        gain = np.clip(gain, 1.0 / MAX_SPREAD_GAIN, MAX_SPREAD_GAIN)
        result.append(((frame - means[t]) * gain + mean).astype(np.asarray(chroma).dtype))
    return result


def _to_8bit(y: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.asarray(y, np.float32), 0, 1) * 255).astype(np.uint8)


class _Warper:
    """Warps the accumulated colour of one frame onto the next, with a trust per pixel."""

    def __init__(self, shape: tuple[int, int], preset: str) -> None:
        if preset not in FLOW_PRESETS:
            raise ValueError(f"unknown flow preset {preset!r}")
        # Made untyped, as in keyframes_track: OpenCV's stubs lack DISOpticalFlow_create and
        # want an output array where calc takes None (OpenCV then allocates the flow).
        self.flow = cv2.DISOpticalFlow_create(FLOW_PRESETS[preset])  # type: ignore[attr-defined]
        height, width = shape
        self.columns, self.rows = np.meshgrid(np.arange(width, dtype=np.float32),
                                              np.arange(height, dtype=np.float32))

    def __call__(self, gray_to: np.ndarray, gray_from: np.ndarray, colour_from: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """``colour_from`` moved onto ``gray_to``'s frame and the match (h, w, 1) in [0, 1]."""
        flow = self.flow.calc(_to_8bit(gray_to), _to_8bit(gray_from), None)
        sample_x, sample_y = self.columns + flow[..., 0], self.rows + flow[..., 1]
        warped = cv2.remap(colour_from, sample_x, sample_y, cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)
        warped_gray = cv2.remap(np.asarray(gray_from, np.float32), sample_x, sample_y,
                                cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        height, width = gray_to.shape
        inside = ((sample_x >= 0) & (sample_x <= width - 1)
                  & (sample_y >= 0) & (sample_y <= height - 1))
        difference = (warped_gray - np.asarray(gray_to, np.float32)) / MATCH_TOLERANCE
        match = np.exp(-difference**2) * inside
        return warped, match[..., None].astype(np.float32)


def flow_filter(grays: Sequence[np.ndarray], chromas: Sequence[np.ndarray], strength: float,
                preset: str = "fast",
                on_frame: Callable[[str], None] | None = None) -> list[np.ndarray]:
    """Average each pixel's colour along its motion, forward and backward in time.

    Parameters
    ----------
    grays : sequence of ndarray
        Gray frames (h, w) in [0, 1] of one shot (the flow is computed on them).
    chromas : sequence of ndarray
        Their colours (h, w, C), e.g. a/b.
    strength : float
        In [0, 1): the weight of the colour carried along the motion against the frame's
        own; about ``1 / (1 - strength)`` frames contribute in each direction.
    preset : str
        DIS optical flow preset: "ultrafast", "fast" or "medium".
    on_frame : callable, optional
        Called with "forward" or "backward" after each frame (progress; it may raise to
        cancel).

    Returns
    -------
    list of (h, w, C) float32 ndarray
        Kept as float16 between the two passes (long shots); the result is float32.
    """
    count = len(grays)
    if not 0.0 <= strength < 1.0:
        raise ValueError(f"strength must be in [0, 1), got {strength}")
    if count == 0:
        return []
    warp = _Warper(np.asarray(grays[0]).shape, preset)
    forward: list[np.ndarray] = []
    carried = None
    for t in range(count):
        own = np.asarray(chromas[t], np.float32)
        if carried is not None:
            warped, match = warp(grays[t], grays[t - 1], carried)
            weight = strength * match
            own = weight * warped + (1.0 - weight) * own
        carried = own
        forward.append(own.astype(np.float16))
        if on_frame is not None:
            on_frame("forward")
    result: list[np.ndarray | None] = [None] * count
    carried = None
    for t in range(count - 1, -1, -1):
        own = np.asarray(chromas[t], np.float32)
        if carried is not None:
            warped, match = warp(grays[t], grays[t + 1], carried)
            weight = strength * match
            own = weight * warped + (1.0 - weight) * own
        carried = own
        result[t] = 0.5 * (own + forward[t].astype(np.float32))
        forward[t] = None  # type: ignore[call-overload]  # frees the memory as it goes
        if on_frame is not None:
            on_frame("backward")
    return result  # type: ignore[return-value]
