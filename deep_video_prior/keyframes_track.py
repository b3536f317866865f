"""Following a keyframe's pixels through a shot: composed optical flow with confidence.

Helpers of :mod:`deep_video_prior.keyframes` (see docs/methods.md, 'Keyframes'). Everything is
at the working size: gray frames are (h, w) uint8, flows (h, w, 2) float32 in pixels.

A :class:`Track` holds, for every pixel of the current frame, where it lies in the
keyframe (a coordinate map) and how far that can be trusted. Stepping to the next frame
composes the map with the dense flow between the two frames, so colour is always read
from the keyframe itself (one interpolation, however far the frame), never re-warped
from the previous frame's warped colour, which would blur and drift.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from deep_video_prior.temporal import FLOW_PRESETS

#: Forward-backward flow mismatch (pixels squared) always accepted, plus this share of the
#: flows' squared lengths (fast motion is measured less exactly); twice that is occlusion.
OCCLUSION_FLOOR = 0.5
OCCLUSION_SHARE = 0.01


class Flows:
    """Dense optical flow (OpenCV DIS) between neighbouring gray frames of one shot.

    ``grays`` are the shot's (h, w) uint8 frames; pairs in ``keep`` (indices t of the pair
    t, t + 1) are kept once computed (float16), as both passes over the shot use them.
    """

    def __init__(self, grays: Sequence[np.ndarray], preset: str, keep: range) -> None:
        if preset not in FLOW_PRESETS:
            raise ValueError(f"unknown flow preset {preset!r}")
        self.grays, self.keep = grays, keep
        self._dis = cv2.DISOpticalFlow_create(FLOW_PRESETS[preset])  # type: ignore[attr-defined]
        self._kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def pair(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(flow from frame t to t + 1, flow from t + 1 to t), each (h, w, 2) float32."""
        if t in self._kept:
            forward, backward = self._kept[t]
            return forward.astype(np.float32), backward.astype(np.float32)
        forward = self._dis.calc(self.grays[t], self.grays[t + 1], None)
        backward = self._dis.calc(self.grays[t + 1], self.grays[t], None)
        if t in self.keep:
            self._kept[t] = (forward.astype(np.float16), backward.astype(np.float16))
        return forward, backward


def _squared(vectors: np.ndarray) -> np.ndarray:
    return vectors[..., 0] ** 2 + vectors[..., 1] ** 2


class Track:
    """Where each pixel of the current frame lies in the keyframe, and its confidence.

    ``state`` is (h, w, 3) float32: x and y in the keyframe (pixels), and the tracking
    confidence in [0, 1]: 1 on the keyframe, times 0 wherever the pixel was occluded or
    came from outside the frame on the way.
    """

    def __init__(self, shape: tuple[int, int], confidence: np.ndarray | None = None) -> None:
        height, width = shape
        self.columns, self.rows = np.meshgrid(np.arange(width, dtype=np.float32),
                                              np.arange(height, dtype=np.float32))
        self.grid = np.dstack([self.columns, self.rows])
        ones = np.ones(shape, np.float32) if confidence is None else confidence
        self.state = np.dstack([self.columns, self.rows, ones]).astype(np.float32)

    def step(self, to_previous: np.ndarray, previous_to: np.ndarray) -> None:
        """Move to the next frame (either way in time) given the flow from the new frame
        to the previous one and back. A pixel whose two flows do not cancel is occluded in
        one of the frames: it loses its confidence (forward-backward check)."""
        sample_x = self.columns + to_previous[..., 0]
        sample_y = self.rows + to_previous[..., 1]
        moved = cv2.remap(self.state, sample_x, sample_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        back = cv2.remap(previous_to, sample_x, sample_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
        mismatch = _squared(to_previous + back)
        allowed = OCCLUSION_FLOOR + OCCLUSION_SHARE * (_squared(to_previous) + _squared(back))
        # 1 up to the allowed mismatch, 0 at twice it: hard enough that a visible pixel's
        # confidence does not wear away over hundreds of frames.
        visible = np.clip(2.0 - mismatch / allowed, 0.0, 1.0)
        # What comes in from outside the frame has no keyframe colour yet.
        height, width = visible.shape
        visible *= ((sample_x >= 0) & (sample_x <= width - 1)
                    & (sample_y >= 0) & (sample_y <= height - 1))
        moved[..., 2] *= visible
        self.state = np.asarray(moved, np.float32)  # float32 already: no copy

    def anchor(self, gray8: np.ndarray, blurred: np.ndarray, key8: np.ndarray,
               key_blurred: np.ndarray, dis: cv2.DISOpticalFlow, recover: bool = False,
               tolerance: float = 0.08) -> None:
        """Correct the drift of the composed map: flow from this frame (``gray8``, uint8)
        straight to the keyframe (``key8``), started from the map, is taken wherever its
        gray matches better over a 5 x 5 window (``blurred``: both grays lightly blurred,
        0..1). Composition alone accumulates every step's small error."""
        start = np.ascontiguousarray(self.state[..., :2] - self.grid)
        direct = self.grid + dis.calc(gray8, key8, start)

        def mismatch(positions: np.ndarray) -> np.ndarray:
            seen = cv2.remap(key_blurred, positions[..., 0], positions[..., 1],
                             cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            return cv2.blur(np.abs(seen - blurred), (5, 5))

        new, old = mismatch(direct), mismatch(self.state[..., :2])
        better = new < old
        self.state[..., :2] = np.where(better[..., None], direct, self.state[..., :2])
        if recover:
            np.maximum(self.state[..., 2], np.exp(-(np.minimum(new, old) / tolerance) ** 2),
                       out=self.state[..., 2])

    def sample(self, keyframe: np.ndarray) -> np.ndarray:
        """The keyframe's channels (h, w, C) read at each pixel's keyframe position."""
        sampled = cv2.remap(keyframe, self.state[..., 0], self.state[..., 1], cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
        return sampled.reshape(keyframe.shape[:2] + (-1,))

    @property
    def confidence(self) -> np.ndarray:
        return self.state[..., 2]


def carry(previous: np.ndarray, to_previous: np.ndarray, columns: np.ndarray,
          rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The previous frame's channels (h, w, C) moved onto the new frame along the flow from
    the new frame to the previous one, and (h, w) True where they came from inside it.
    ``columns`` and ``rows`` (h, w) float32 are each pixel's coordinates."""
    height, width = to_previous.shape[:2]
    sample_x, sample_y = columns + to_previous[..., 0], rows + to_previous[..., 1]
    moved = cv2.remap(previous, sample_x, sample_y, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE).reshape(previous.shape)
    inside = ((sample_x >= 0) & (sample_x <= width - 1)
              & (sample_y >= 0) & (sample_y <= height - 1))
    return moved, inside
