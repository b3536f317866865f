"""The scribble window's live preview: recolour a small copy, show it at full size."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from algorithms.colorspace import join_luminance_chroma, luminance, rgb_to_yiq
from algorithms.scribble import colorize_scribbles, hints_from_marked
from colorize_app.gui.jobs import Task

#: Longest side of the copy that the live preview recolours.
PREVIEW_SIDE = 192
#: Default stroke reach over an automatic colorization (a share of the photo's longer side).
DEFAULT_REACH = 0.10


def prior_weight_for_reach(reach: float, shape: tuple[int, ...]) -> float:
    """The prior weight lambda at which a stroke's colour reaches ``reach`` (a share of the
    longer side, > 0) of an image of ``shape`` (H, W[, C]) before the prior wins.

    Along smooth luminance a stroke's influence fades over about 1 / sqrt(lambda) pixels,
    so the weight is set per solve size: the preview's small copy and the full-size result
    then spread a stroke equally far in the picture.
    """
    side = max(int(shape[0]), int(shape[1]), 1)
    return float(1.0 / (max(reach, 1e-6) * side) ** 2)


def preview_task(photo: np.ndarray, marked: np.ndarray, mask: np.ndarray,
                 prior_chroma: Optional[np.ndarray], reach: float) -> Task:
    """A job recolouring a copy of ``photo`` at most PREVIEW_SIDE pixels long; ``reach``
    is the stroke reach over ``prior_chroma`` (see prior_weight_for_reach).

    ``photo`` (H, W[, 3]), ``marked`` (H, W, 3) and ``mask`` (H, W) are the window's
    arrays, resized here on the UI thread, so later painting cannot change the job's input.
    """
    height, width = photo.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(height, width))
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    small_marked = cv2.resize(marked, size, interpolation=cv2.INTER_NEAREST)
    small_mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    prior = prior_chroma
    if prior is not None:
        prior = cv2.resize(prior, size, interpolation=cv2.INTER_AREA)
    weight = prior_weight_for_reach(reach, (size[1], size[0])) if prior is not None else 0.0

    def task(progress, cancelled):
        hint_chroma, hint_mask = hints_from_marked(small, small_marked, small_mask)
        return colorize_scribbles(small, hint_chroma, hint_mask, prior_chroma=prior,
                                  prior_weight=weight, progress=progress, cancelled=cancelled)

    return task


def full_size_preview(photo: np.ndarray, small_rgb: np.ndarray) -> np.ndarray:
    """The small result's chroma on the photo's own full-resolution luminance, (H, W, 3)."""
    height, width = photo.shape[:2]
    preview = cv2.resize(small_rgb, (width, height), interpolation=cv2.INTER_LINEAR)
    yiq = rgb_to_yiq(preview)
    return np.clip(join_luminance_chroma(luminance(photo), yiq[..., 1:]), 0, 1)
