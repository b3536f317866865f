"""The scribble window's live preview: recolour a small copy, show it at full size."""

from __future__ import annotations

import cv2
import numpy as np

from algorithms.colorspace import join_luminance_chroma, luminance, rgb_to_yiq
from algorithms.scribble import colorize_scribbles, hints_from_marked
from colorize_app.documents.strokes import prior_weight_for_reach
from colorize_app.gui.jobs import Task
from colorize_app.sessions.scribble import ScribbleSession

#: Longest side of the copy that the live preview recolours.
PREVIEW_SIDE = 192


def preview_task(session: ScribbleSession) -> Task:
    """A job recolouring a copy of the session's photo at most PREVIEW_SIDE pixels long,
    with the stroke reach over its prior kept (see prior_weight_for_reach).

    The photo, marked image and mask are resized here on the UI thread, so later painting
    cannot change the job's input.
    """
    photo, prior = session.photo, session.prior_chroma
    height, width = photo.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(height, width))
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    small_marked = cv2.resize(session.marked, size, interpolation=cv2.INTER_NEAREST)
    small_mask = cv2.resize(session.mask.astype(np.uint8), size,
                            interpolation=cv2.INTER_NEAREST)
    if prior is not None:
        prior = cv2.resize(prior, size, interpolation=cv2.INTER_AREA)
    weight = prior_weight_for_reach(session.stroke_reach, (size[1], size[0])) \
        if prior is not None else 0.0

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
