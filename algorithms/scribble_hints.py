"""Scribble hints (Levin et al. 2004): which pixels a user painted, and their chroma."""

from __future__ import annotations

import numpy as np

from algorithms.colorspace import rgb_to_yiq
from algorithms.errors import BadInputError

#: A marked pixel is a hint where sum over R, G, B of |gray - marked| exceeds this
#: (values in [0, 1]), as in the authors' code.
MARK_THRESHOLD = 0.01


def hints_from_marked(
    image: np.ndarray,
    marked: np.ndarray,
    mask: np.ndarray | None = None,
    threshold: float = MARK_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Hints from a marked image (the authors' convention) and/or an explicit mask.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray, float in [0, 1]
        The photo being colorized (gray, or colour for recolouring).
    marked : (H, W, 3) ndarray, float in [0, 1]
        The same photo with colour strokes painted on it.
    mask : (H, W) ndarray, optional
        Nonzero where a pixel is a hint. When given it decides alone, so strokes in a
        neutral colour (gray, white) and "keep" strokes (the photo's own colour
        unchanged) count as hints; without it a pixel is a hint where
        sum |image - marked| over R, G, B exceeds ``threshold``.

    Returns
    -------
    hint_chroma : (H, W, 2) ndarray of float32
        I and Q of ``marked`` (0 where not a hint).
    hint_mask : (H, W) ndarray of bool
    """
    image = np.asarray(image, dtype=np.float32)
    marked = np.asarray(marked, dtype=np.float32)
    if marked.ndim == 2:
        marked = np.repeat(marked[..., None], 3, axis=2)
    if image.shape[:2] != marked.shape[:2]:
        raise BadInputError(
            f"the marked image is {marked.shape[1]}x{marked.shape[0]} but the photo is "
            f"{image.shape[1]}x{image.shape[0]}: they must be the same size"
        )
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim == 3:
            mask = mask.max(axis=2)
        if mask.shape != image.shape[:2]:
            raise BadInputError(
                f"the mask is {mask.shape[1]}x{mask.shape[0]} but the photo is "
                f"{image.shape[1]}x{image.shape[0]}: they must be the same size"
            )
        hint_mask = mask > 0
    else:
        image_rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
        hint_mask = np.abs(image_rgb - marked).sum(axis=2) > threshold
    hint_chroma = rgb_to_yiq(marked)[..., 1:]
    hint_chroma[~hint_mask] = 0
    return hint_chroma, hint_mask
