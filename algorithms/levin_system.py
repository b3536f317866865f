"""The linear system of Levin, Lischinski and Weiss (2004), assembled with numpy.

Every pixel r that is not a hint satisfies U(r) - sum_s w_rs U(s) = 0 over its
(2d+1)x(2d+1) window, with w_rs proportional to exp(-(Y(r) - Y(s))^2 / c_r) and
normalised to sum to 1; c_r follows the authors' reference code (see docs/methods.md,
'Scribble colorization').
Hint pixels hold their value exactly. Solving is :mod:`algorithms.scribble`'s job.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sparse

#: The smallest allowed c_r (the reference code's floor).
MIN_VARIANCE = 2e-6

#: Working precision: float32 halves memory and time; the solution differs from a
#: float64 solve by far less than one 8-bit level.
DTYPE = np.float32


def window_offsets(radius: int) -> list[tuple[int, int]]:
    """(dy, dx) of the neighbours in a (2 radius + 1)^2 window, centre excluded, row-major."""
    return [
        (dy, dx)
        for dy in range(-radius, radius + 1)
        for dx in range(-radius, radius + 1)
        if (dy, dx) != (0, 0)
    ]


def affinity_weights(luma: np.ndarray, radius: int = 1) -> np.ndarray:
    """Normalised weights w_rs of every pixel r to each neighbour s of its window.

    Parameters
    ----------
    luma : (H, W) ndarray, float in [0, 1]
        Luminance Y.
    radius : int
        Window radius d; the window is (2d+1)x(2d+1), clipped at the borders.

    Returns
    -------
    weights : (K, H, W) ndarray of float32
        ``weights[k]`` is the weight of the neighbour at ``window_offsets(radius)[k]``;
        0 where that neighbour lies outside the image. Each pixel's weights sum to 1.
    """
    height, width = luma.shape
    luma = luma.astype(DTYPE, copy=False)
    offsets = window_offsets(radius)
    # Outside the image: +inf makes (Y(s) - Y(r))^2 infinite, hence weight 0 and
    # never the minimum; zeros and a count give the window statistics of valid pixels.
    padded_inf = np.pad(luma, radius, constant_values=np.inf)
    padded = np.pad(luma, radius)
    padded_valid = np.pad(np.ones_like(luma), radius)

    squared_diff = np.empty((len(offsets), height, width), DTYPE)
    window_sum = luma.copy()
    window_sum_sq = luma * luma
    window_count = np.ones_like(luma)
    for index, (dy, dx) in enumerate(offsets):
        window = (slice(radius + dy, radius + dy + height), slice(radius + dx, radius + dx + width))
        np.subtract(padded_inf[window], luma, out=squared_diff[index])
        np.square(squared_diff[index], out=squared_diff[index])
        neighbour = padded[window]
        window_sum += neighbour
        window_sum_sq += neighbour * neighbour
        window_count += padded_valid[window]

    # c_r: 0.6 x the window variance (centre included), at least so large that the
    # most similar neighbour keeps weight ratio 0.01, and at least 2e-6.
    window_mean = window_sum / window_count
    variance = np.maximum(window_sum_sq / window_count - window_mean * window_mean, 0)
    closest = squared_diff.min(axis=0)
    scale = np.maximum(0.6 * variance, closest * DTYPE(-1.0 / math.log(0.01)))
    np.maximum(scale, MIN_VARIANCE, out=scale)

    weights = np.divide(squared_diff, -scale, out=squared_diff)
    np.exp(weights, out=weights)
    weights /= weights.sum(axis=0)
    return weights


def levin_matrix(
    luma: np.ndarray,
    hint_mask: np.ndarray,
    radius: int = 1,
    prior_weight: float = 0.0,
) -> sparse.csr_matrix:
    """The (H*W, H*W) system matrix of Levin et al., rows and columns in row-major pixel order.

    Hint rows are identity rows. Other rows are (1 + prior_weight) at the diagonal
    and -w_rs at each neighbour s. The matrix is not symmetric.
    """
    height, width = luma.shape
    pixels = height * width
    weights = affinity_weights(luma, radius)
    offsets = window_offsets(radius)
    # Columns of each row in increasing order: the neighbours above, the pixel, below.
    centre = len(offsets) // 2
    entries = offsets[:centre] + [(0, 0)] + offsets[centre:]
    index_dtype = np.int32 if pixels * len(entries) < 2**31 else np.int64
    row_pixels = np.arange(pixels, dtype=index_dtype)
    columns = np.empty((pixels, len(entries)), index_dtype)
    values = np.empty((pixels, len(entries)), DTYPE)
    for position, (dy, dx) in enumerate(entries):
        # Out-of-image neighbours have weight 0 and are dropped below; clipping only
        # keeps their column index in range until then.
        np.clip(row_pixels + (dy * width + dx), 0, pixels - 1, out=columns[:, position])
        if position == centre:
            values[:, position] = 1.0 + prior_weight
        else:
            index = position if position < centre else position - 1
            np.negative(weights[index].ravel(), out=values[:, position])
    del weights
    hints = hint_mask.ravel()
    values[hints] = 0.0
    values[hints, centre] = 1.0
    matrix = sparse.csr_matrix(
        (
            values.ravel(),
            columns.ravel(),
            np.arange(0, pixels * len(entries) + 1, len(entries), dtype=index_dtype),
        ),
        shape=(pixels, pixels),
    )
    matrix.eliminate_zeros()
    return matrix


def right_hand_side(
    hint_values: np.ndarray,
    hint_mask: np.ndarray,
    prior: np.ndarray | None,
    prior_weight: float,
) -> np.ndarray:
    """(H*W, C) right-hand side: hints at hint rows, lambda x prior elsewhere."""
    channels = hint_values.shape[2]
    mask_flat = hint_mask.ravel()
    rhs = np.zeros((mask_flat.size, channels), DTYPE)
    if prior_weight > 0:
        prior = np.asarray(prior, dtype=DTYPE).reshape(-1, channels)
        rhs[~mask_flat] = prior_weight * prior[~mask_flat]
    rhs[mask_flat] = hint_values.reshape(-1, channels)[mask_flat]
    return rhs
