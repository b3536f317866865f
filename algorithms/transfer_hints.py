"""Confident matches as hints, spread by the scribble engine (Irony et al. 2005).

Welsh et al.'s per-pixel matches leave blocky seams and colour edges that ignore
the photo's edges. Irony, Cohen-Or and Lischinski keep only the matches they are
sure of and let Levin et al.'s optimisation fill in the rest along luminance, so
that colour edges fall on luminance edges. This module decides which matches are
confident and runs that propagation, at a reduced working scale for large photos
(the solve is the slow part; chroma needs less resolution than lightness) with an
edge-aware upsampling back to the photo's size.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import uniform_filter

from algorithms.edge_aware import guided_filter
from algorithms.progress import Reporter
from algorithms.scribble import propagate

#: Share of the pixels kept as hints: the most confident ones ...
HINT_SHARE = 0.1
#: ... and, whatever the share, every pixel this confident (score in a, b units).
SURE_SCORE = 1.0
#: a, b units of score per L unit of match distance (tuned on the dev photos, see README).
DISTANCE_WEIGHT = 7.0
#: Lightness bins (over L in [0, 100]) within which match distances are compared.
LIGHTNESS_BINS = 20
#: Hints are also kept in every block of this size (pixels), so that they cover the image.
HINT_BLOCK = 32
#: Largest image solved at full resolution; larger ones are solved at a reduced scale.
MAX_SOLVE_PIXELS = 120_000
#: Edge-preserving smoothing of the guided upsampling, in (L / 100)^2 units.
GUIDE_EPSILON = 1e-4


def relative_distance(distance: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """Match distance minus the median distance of pixels of about the same lightness.

    The luminance remapping rarely lines the target's levels up exactly with the
    reference's: a whole region may then match with one common offset in L. That
    says nothing about how sure the match is, so it is taken out: distances are
    compared among pixels of the same lightness bin (LIGHTNESS_BINS over [0, 100]).
    """
    bins = np.clip((lightness * (LIGHTNESS_BINS / 100.0)).astype(int), 0, LIGHTNESS_BINS - 1)
    typical = np.zeros(LIGHTNESS_BINS, np.float32)
    for level in np.unique(bins):  # at most LIGHTNESS_BINS passes
        typical[level] = np.median(distance[bins == level])
    return distance - typical[bins]


def confident_hints(
    ab: np.ndarray, distance: np.ndarray, lightness: np.ndarray, size: int = 5
) -> np.ndarray:
    """Which per-pixel matches to keep as hints for propagation.

    A match is confident when it is close for its lightness (feature ``distance``
    below that of pixels of the same lightness, see :func:`relative_distance`: the
    pixel really looks like its sample) and its neighbours in a ``size`` x ``size``
    window got similar chroma (low local standard deviation of ``ab``): a lone
    pixel coloured differently from its surroundings is a wrong or noisy match, and
    a window that straddles two colours is a seam. The score is
    DISTANCE_WEIGHT * relative distance + that standard deviation (a, b units).
    Kept: every pixel with score <= SURE_SCORE, the HINT_SHARE best overall, and
    the best pixel of every HINT_BLOCK x HINT_BLOCK block so that hints cover the
    image.

    Parameters
    ----------
    ab : (H, W, 2) ndarray
        Per-pixel matched chroma.
    distance : (H, W) ndarray
        Feature distance of each pixel's match, in L units.
    lightness : (H, W) ndarray
        CIELAB L of the target, in [0, 100].

    Returns
    -------
    (H, W) bool ndarray
    """
    ab = ab.astype(np.float64)
    local_mean = uniform_filter(ab, (size, size, 1), mode="reflect")
    local_square = uniform_filter(ab * ab, (size, size, 1), mode="reflect")
    local_std = np.sqrt(np.maximum(local_square - local_mean**2, 0.0).sum(axis=2))
    score = DISTANCE_WEIGHT * relative_distance(distance, lightness) + local_std
    threshold = max(SURE_SCORE, float(np.quantile(score, HINT_SHARE)))
    hints = score <= threshold
    # The best pixel of each block, so that no large area is left to mere extrapolation.
    height, width = score.shape
    block_rows = -(-height // HINT_BLOCK)
    block_columns = -(-width // HINT_BLOCK)
    padded = np.full((block_rows * HINT_BLOCK, block_columns * HINT_BLOCK), np.inf)
    padded[:height, :width] = score
    blocks = padded.reshape(block_rows, HINT_BLOCK, block_columns, HINT_BLOCK)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(block_rows, block_columns, -1)
    best = blocks.argmin(axis=2)
    rows = np.arange(block_rows)[:, None] * HINT_BLOCK + best // HINT_BLOCK
    columns = np.arange(block_columns)[None, :] * HINT_BLOCK + best % HINT_BLOCK
    hints[rows.ravel(), columns.ravel()] = True
    return hints


def _resize(image: np.ndarray, width: int, height: int, shrink: bool) -> np.ndarray:
    import cv2

    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(image, np.float32), (width, height),
                         interpolation=method)
    return resized.reshape(height, width, *image.shape[2:])


def propagate_confident(
    lightness: np.ndarray,
    ab: np.ndarray,
    distance: np.ndarray,
    report: Reporter,
) -> tuple[np.ndarray, float]:
    """Keep the confident matches of ``ab`` and spread them along ``lightness``.

    Parameters
    ----------
    lightness : (H, W) ndarray
        CIELAB L of the target, in [0, 100].
    ab, distance : (H, W, 2) and (H, W) ndarrays
        Per-pixel matches and their feature distances (L units).
    report : Reporter

    Returns
    -------
    ab : (H, W, 2) float32 ndarray
        The propagated chroma.
    hint_fraction : float
        Share of the (working-scale) pixels kept as hints.
    """
    height, width = lightness.shape
    factor = max(1, math.ceil(math.sqrt(height * width / MAX_SOLVE_PIXELS)))
    small_height, small_width = -(-height // factor), -(-width // factor)
    if factor > 1:
        # Area averages: the working image sees every pixel's match, not a sample of them.
        work_l = _resize(lightness, small_width, small_height, shrink=True)
        work_ab = _resize(ab, small_width, small_height, shrink=True)
        work_distance = _resize(distance, small_width, small_height, shrink=True)
    else:
        work_l, work_ab, work_distance = lightness, ab, distance
    hints = confident_hints(work_ab, work_distance, work_l)
    solved = propagate(
        work_l.astype(np.float64) / 100.0, work_ab.astype(np.float64), hints,
        progress=report.stage(0.0, 0.9),
    ).astype(np.float32)
    if factor > 1:
        upsampled = _resize(solved, width, height, shrink=False)
        solved = guided_filter(lightness / np.float32(100.0), upsampled, factor, GUIDE_EPSILON)
    report(1.0, "propagated")
    return solved, float(hints.mean())
