"""One keyframe's colour followed through its shot, one way in time (see docs/methods.md,
'Keyframes'): the settings, the follower and the edge-aware filling of gaps.

Helpers of :mod:`deep_video_prior.keyframes`, at the working size: gray frames (h, w) uint8,
colour (h, w, 2) CIELAB a/b float32, weights (h, w) in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from algorithms.edge_aware import global_smooth
from deep_video_prior.keyframes_track import Track, carry
from deep_video_prior.temporal import FLOW_PRESETS, gray_lightness


@dataclass(frozen=True)
class KeyframeSettings:
    """How keyframe colour is carried (defaults measured in benchmarks/bench_keyframes.py).

    Attributes
    ----------
    working_pixels : int
        Flow and confidence are worked out on frames downscaled to about this many pixels
        (never upscaled); the colour is brought back to full size along the lightness.
    flow_preset : str
        OpenCV DIS optical flow preset: "ultrafast", "fast" or "medium".
    match_tolerance : float
        Gray difference (0..1) between a pixel and its keyframe position at which the
        trust in the carried colour falls to 1/e (the track slipped to another surface).
    reach : float
        Frames over which a keyframe's confidence falls to 1/e however well it is
        tracked (the scene's light and colours slowly change).
    fill_strength : float
        Lambda of the edge-aware fill of disoccluded gaps (the fast global smoother on
        the gray frame): how far trusted colour spreads into them, at the working size.
    fill_support : float
        Share of trusted weight the fill must gather for its colour to be used in full;
        below it the automatic colour takes over gradually.
    fill_lightness : float
        CIELAB L difference between a pixel and the surfaces its fill comes from at which
        the fill's weight falls to 1/e (colour does not flood into something new).
    trust : float
        Weight from which a pixel takes the keyframe colour in full (from 0.1 up to it,
        gradually; below 0.1 the fill or the automatic colour).
    anchor, anchor_preset : bool, str
        Re-anchor the composed map on the keyframe at every frame (flow straight to the
        keyframe with this DIS preset, kept where it matches better).
    recover : bool
        Let re-anchoring restore the trust of a track where the keyframe matches again.
    """

    working_pixels: int = 480 * 272
    flow_preset: str = "medium"
    match_tolerance: float = 0.08
    reach: float = 600.0
    fill_strength: float = 300.0
    fill_support: float = 0.5
    fill_lightness: float = 8.0
    trust: float = 0.5
    anchor: bool = True
    anchor_preset: str = "medium"
    recover: bool = True


def blurred_gray(gray8: np.ndarray) -> np.ndarray:
    """A gray frame (0..1) lightly blurred: the photometric check ignores noise and grain."""
    return cv2.GaussianBlur(gray8.astype(np.float32) / 255.0, (0, 0), 1.0)


class Follower:
    """One keyframe's colour followed frame by frame, one way in time, at the working size.

    Each frame's colour is read from the keyframe along the composed flow (sharp, no
    drift) where that is trusted; elsewhere the follower's own previous frame, moved
    along the flow, stands in where its gray still matches (occlusions, lost tracks);
    gaps left are filled from the trusted colour around them (:func:`fill`), and a gap
    once filled keeps that colour as it moves on.

    Two weights are carried: ``direct`` (from the keyframe, by tracking and carrying) is
    what fills spread from; ``use`` adds what filling gave. A fill never spreads its own
    result again, else it would feed on itself frame after frame and take over
    something new; and weights are carried as the better of two, never accumulated (a
    weak trust repeated frame after frame must stay weak).
    """

    def __init__(self, key_small: np.ndarray, gray8: np.ndarray,
                 settings: KeyframeSettings) -> None:
        self.key, self.settings, self.distance = key_small, settings, 0
        self.key8 = gray8
        self.dis = cv2.DISOpticalFlow_create(  # type: ignore[attr-defined]
            FLOW_PRESETS[settings.anchor_preset])
        self.track = Track(gray8.shape)
        direct = key_small[..., 3]
        self.known, self.use = fill(key_small[..., 1:3], direct, gray8, settings)
        self._previous = np.dstack([self.known, direct, self.use, blurred_gray(gray8)])

    def advance(self, to_previous: np.ndarray, previous_to: np.ndarray,
                gray8: np.ndarray) -> None:
        """Move on to the next frame (gray ``gray8``), given the flows between them."""
        settings = self.settings
        self.distance += 1
        self.track.step(to_previous, previous_to)
        blurred = blurred_gray(gray8)
        if settings.anchor:
            self.track.anchor(gray8, blurred, self.key8, self.key[..., 0], self.dis,
                              settings.recover, settings.match_tolerance)
        sampled = self.track.sample(self.key)
        fade = np.exp(-self.distance / settings.reach)
        tracked = (self.track.confidence * sampled[..., 3] * fade
                   * match(sampled[..., 0], blurred, settings))
        moved, inside = carry(self._previous, to_previous, self.track.columns,
                              self.track.rows)
        still = (inside * np.exp(-1.0 / settings.reach)
                 * match(moved[..., 4], blurred, settings))
        carried, carried_use = moved[..., 2] * still, moved[..., 3] * still
        # The colour read from the keyframe first, the carried one where that is not
        # trusted.
        carried_share = (1.0 - tracked) * carried
        ab = ((tracked[..., None] * sampled[..., 1:3] + carried_share[..., None] * moved[..., :2])
              / np.maximum(tracked + carried_share, 1e-6)[..., None])
        direct = np.maximum(tracked, carried)
        known, use = fill(ab, direct, gray8, settings)
        # A gap filled earlier keeps its colour where that holds better than a new fill.
        kept = (carried_use > use)[..., None]
        self.known = np.where(kept, moved[..., :2], known)
        self.use = np.maximum(use, carried_use)
        self._previous = np.dstack([self.known, direct, self.use, blurred])


def match(gray: np.ndarray, blurred: np.ndarray, settings: KeyframeSettings) -> np.ndarray:
    """Trust (h, w) in [0, 1] that a colour read at ``gray`` belongs to this surface."""
    return np.exp(-((gray - blurred) / settings.match_tolerance) ** 2)


def spread(values: np.ndarray, weight: np.ndarray, lightness: np.ndarray,
            settings: KeyframeSettings) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (h, w, 2) where ``weight`` (h, w) is high spread to the pixels around,
    along the lightness's edges (normalised fast global smoothing): the spread values and
    how far they hold (h, w) in [0, 1]: by the weight that arrives, and only from
    surfaces of about the same lightness (not across the edges of something new)."""
    spread = global_smooth(lightness, np.dstack([weight[..., None] * values,
                                                 weight * lightness, weight]),
                           settings.fill_strength)
    support = np.maximum(spread[..., 3], 1e-4)
    source_lightness = spread[..., 2] / support
    alike = np.exp(-((source_lightness - lightness) / settings.fill_lightness) ** 2)
    reach = np.clip(support / settings.fill_support, 0.0, 1.0) * alike
    return spread[..., :2] / support[..., None], reach


def fill(ab: np.ndarray, weight: np.ndarray, gray8: np.ndarray,
          settings: KeyframeSettings) -> tuple[np.ndarray, np.ndarray]:
    """Colour (h, w, 2) where ``weight`` (h, w) is low taken from the trusted colour around
    it (:func:`_spread`), and the new weight, raised where that colour holds."""
    weight = np.asarray(weight, np.float32)
    lightness = gray_lightness(gray8.astype(np.float32) / 255.0)
    filled, reach = spread(ab, weight, lightness, settings)
    own = np.clip(weight / settings.trust, 0.0, 1.0)[..., None]
    known = own * ab + (1.0 - own) * filled
    use = weight + (1.0 - weight) * reach
    return np.asarray(known, np.float32), np.asarray(use, np.float32)
