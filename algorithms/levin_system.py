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

from algorithms.grid_hierarchy import stencil_matrix
from algorithms.threads import in_row_bands

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


def affinity_weights(luma: np.ndarray, radius: int = 1, return_sums: bool = False):
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
    sums : (H, W) ndarray of float32
        With ``return_sums``: each pixel's sum of exp(-(Y(r) - Y(s))^2 / c_r) before
        normalising (between 0.01 and the window size).
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
    sums = weights.sum(axis=0)
    weights /= sums
    if return_sums:
        return weights, sums
    return weights


def stencil_offsets(radius: int) -> list[tuple[int, int]]:
    """(dy, dx) of every entry of a row of the system, the pixel itself included, row-major."""
    return [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]


def levin_stencil(
    luma: np.ndarray,
    hint_mask: np.ndarray,
    radius: int = 1,
    prior_weight: float = 0.0,
    eliminate_hints: bool = False,
    return_sums: bool = False,
):
    """The system's rows as a stencil: ``stencil[k, y, x]`` is the entry of pixel (y, x)'s
    row at its neighbour ``stencil_offsets(radius)[k]``, 0 outside the image.

    Hint rows are identity rows. With ``eliminate_hints`` the entries of other rows at
    hint pixels are 0 as well: the hints' known values then go to the right-hand side
    (:func:`hint_coupling`), which leaves the solution unchanged and decouples the
    hints from the unknowns (what the grid multigrid wants).

    Returns
    -------
    stencil : ((2 radius + 1)^2, H, W) ndarray of float32
    sums : (H, W) ndarray of float32
        With ``return_sums``: the unnormalised weight sums of :func:`affinity_weights`.
    """
    height, width = luma.shape
    entries = (2 * radius + 1) ** 2
    centre = entries // 2
    stencil = np.empty((entries, height, width), DTYPE)
    sums = np.empty((height, width), DTYPE)

    def band(first: int, stop: int) -> None:
        # A band's weights need its neighbours' luminance: the rows around it come along.
        top, bottom = max(first - radius, 0), min(stop + radius, height)
        weights, band_sums = affinity_weights(luma[top:bottom], radius, return_sums=True)
        rows = slice(first - top, stop - top)
        np.negative(weights[:centre, rows], out=stencil[:centre, first:stop])
        np.negative(weights[centre:, rows], out=stencil[centre + 1 :, first:stop])
        sums[first:stop] = band_sums[rows]

    in_row_bands(band, height)
    stencil[centre] = 1.0 + prior_weight
    stencil[:, hint_mask] = 0.0
    stencil[centre, hint_mask] = 1.0
    if eliminate_hints:
        eliminate_hint_columns(stencil, hint_mask)
    return (stencil, sums) if return_sums else stencil


def eliminate_hint_columns(stencil: np.ndarray, hint_mask: np.ndarray) -> np.ndarray:
    """Set every row's entries at hint pixels to 0, in place (see :func:`levin_stencil`)."""
    radius = int(round(np.sqrt(len(stencil)))) // 2
    centre = len(stencil) // 2
    padded = np.pad(hint_mask, radius)
    height, width = hint_mask.shape
    for index, (dy, dx) in enumerate(stencil_offsets(radius)):
        if index != centre:
            neighbour_is_hint = padded[radius + dy : radius + dy + height,
                                       radius + dx : radius + dx + width]
            stencil[index][neighbour_is_hint] = 0.0
    return stencil


def hint_coupling(
    stencil: np.ndarray, hint_values: np.ndarray, hint_mask: np.ndarray
) -> np.ndarray:
    """(H*W, C) float32: minus the products of a full stencil's entries with neighbouring
    hints' values, to add to the right-hand side of the system with hints eliminated."""
    radius = int(round(np.sqrt(len(stencil)))) // 2
    height, width = hint_mask.shape
    channels = hint_values.shape[2]
    centre = len(stencil) // 2
    offsets = [offset for index, offset in enumerate(stencil_offsets(radius)) if index != centre]
    padded_mask = np.pad(hint_mask, radius)
    near_hint = np.zeros_like(hint_mask)
    for dy, dx in offsets:
        near_hint |= padded_mask[radius + dy : radius + dy + height,
                                 radius + dx : radius + dx + width]
    near_hint &= ~hint_mask
    pixels = np.flatnonzero(near_hint)
    if len(pixels) > hint_mask.size // 4:
        return _dense_hint_coupling(stencil, hint_values, hint_mask)
    # Only pixels next to a hint have a coupling: strokes and patches leave most of the
    # photo without one (a tenth of the time at 1 MP with 250 hint patches).
    rows, columns = np.divmod(pixels, width)
    flat_mask = hint_mask.ravel()
    flat_values = hint_values.reshape(-1, channels)
    coupling = np.zeros((hint_mask.size, channels), stencil.dtype)
    for index, (dy, dx) in enumerate(stencil_offsets(radius)):
        if index == centre:
            continue
        inside = ((rows + dy >= 0) & (rows + dy < height)
                  & (columns + dx >= 0) & (columns + dx < width))
        neighbours = np.where(inside, pixels + dy * width + dx, pixels)
        is_hint = inside & flat_mask[neighbours]
        known = np.where(is_hint[:, None], flat_values[neighbours], 0)
        coupling[pixels] -= stencil[index].ravel()[pixels, None] * known
    return coupling


def _dense_hint_coupling(
    stencil: np.ndarray, hint_values: np.ndarray, hint_mask: np.ndarray
) -> np.ndarray:
    """:func:`hint_coupling` over the whole image, for hints that cover much of it."""
    radius = int(round(np.sqrt(len(stencil)))) // 2
    height, width = hint_mask.shape
    channels = hint_values.shape[2]
    # Channels first, in the stencil's precision: each product is then one contiguous
    # (H, W) pass (a fifth of the time of (H, W, C) products in float64 at 1 MP).
    known = np.moveaxis(np.where(hint_mask[..., None], hint_values, 0).astype(stencil.dtype),
                        -1, 0)
    padded = np.pad(known, ((0, 0), (radius, radius), (radius, radius)))
    coupling = np.zeros((channels, height, width), stencil.dtype)
    centre = len(stencil) // 2
    for index, (dy, dx) in enumerate(stencil_offsets(radius)):
        if index != centre:
            neighbour = padded[:, radius + dy : radius + dy + height,
                               radius + dx : radius + dx + width]
            coupling -= stencil[index] * neighbour
    coupling[:, hint_mask] = 0.0
    return coupling.reshape(channels, -1).T


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
    matrix = stencil_matrix(levin_stencil(luma, hint_mask, radius, prior_weight))
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
