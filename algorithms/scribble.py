"""Scribble colorization: Levin, Lischinski and Weiss, "Colorization using Optimization" (2004).

Neighbouring pixels with similar luminance should have similar chroma. Every
pixel r that is not a hint satisfies U(r) - sum_s w_rs U(s) = 0 over its
(2d+1)x(2d+1) window, with w_rs proportional to exp(-(Y(r) - Y(s))^2 / c_r) and
normalised to sum to 1 (the rule for c_r is the authors' reference code, see
SPEC section 1); hint pixels hold their chroma exactly. The matrix is the same
for every chroma channel; it is solved with a multigrid-preconditioned Krylov
method (:mod:`algorithms.multigrid`) or, for reference, a direct sparse solve.
"""

from __future__ import annotations

import math
import os
from typing import Optional

import numpy as np
import scipy.sparse as sparse

from algorithms.colorspace import join_luminance_chroma, luminance, rgb_to_yiq
from algorithms.errors import BadInputError, MemoryBudgetError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter

#: A marked pixel is a hint where sum over R, G, B of |gray - marked| exceeds this
#: (values in [0, 1]), as in the authors' code.
MARK_THRESHOLD = 0.01

#: The smallest allowed c_r (the reference code's floor).
MIN_VARIANCE = 2e-6

#: Working precision: float32 halves memory and time; the solution differs from a
#: float64 solve by far less than one 8-bit level.
DTYPE = np.float32

#: Images whose shorter side is at most this are solved directly (and the
#: coarse-to-fine guess recurses down to this size).
COARSEST_SIDE = 48

#: Relative residual at which the iterative solver stops.
DEFAULT_TOLERANCE = 1e-3

# Bytes per pixel per window entry for the system, its multigrid hierarchy and
# the solver's work vectors: about 450 measured at radius 1 (benchmarks/bench_levin.py),
# with headroom.
_BYTES_PER_ENTRY = 40
_BYTES_PER_PIXEL = 600


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


def _right_hand_side(
    hint_values: np.ndarray,
    hint_mask: np.ndarray,
    prior: Optional[np.ndarray],
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


def estimate_memory(shape: tuple[int, ...], radius: int = 1) -> int:
    """Bytes the iterative solve needs for an image of ``shape`` at window ``radius``."""
    pixels = int(shape[0]) * int(shape[1])
    entries = (2 * radius + 1) ** 2
    return pixels * (_BYTES_PER_PIXEL + _BYTES_PER_ENTRY * max(entries - 9, 0))


def available_memory() -> Optional[int]:
    """Bytes of memory available to this process now, or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(shape: tuple[int, ...], radius: int, budget: Optional[int]) -> None:
    needed = estimate_memory(shape, radius)
    budget = available_memory() if budget is None else budget
    if budget is not None and needed > budget:
        megapixels = shape[0] * shape[1] / 1e6
        raise MemoryBudgetError(
            f"a {megapixels:.1f}-megapixel image needs about {needed / 2**30:.1f} GB to colorize "
            f"but only {budget / 2**30:.1f} GB is available; downscale the image first"
        )


def propagate(
    luma: np.ndarray,
    hint_values: np.ndarray,
    hint_mask: np.ndarray,
    *,
    radius: int = 1,
    prior: Optional[np.ndarray] = None,
    prior_weight: float = 0.0,
    solver: str = "multigrid",
    tolerance: float = DEFAULT_TOLERANCE,
    memory_budget: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    cancelled: Optional[CancelCheck] = None,
) -> np.ndarray:
    """Spread hinted values over an image along its luminance (Levin et al.).

    Parameters
    ----------
    luma : (H, W) ndarray, float in [0, 1]
        Luminance that guides the propagation (Y of YIQ, or L / 100 of CIELAB).
    hint_values : (H, W, C) ndarray, float
        Values to spread (chroma channels); read only where ``hint_mask`` is True.
    hint_mask : (H, W) ndarray of bool
        True where a hint holds.
    radius : int
        Window radius d (the paper's and the reference code's is 1: a 3x3 window).
    prior : (H, W, C) ndarray, optional
        Values that pull non-hint pixels toward them with ``prior_weight``: row r
        becomes (1 + lambda) U(r) - sum_s w_rs U(s) = lambda prior(r).
    prior_weight : float
        lambda >= 0; 0 is the plain method.
    solver : {"multigrid", "direct"}
        Multigrid-preconditioned GMRES, or SciPy's direct SuperLU solve (slow, for reference).
    tolerance : float
        Relative residual at which the multigrid solver stops.
    memory_budget : int, optional
        Bytes the solve may use; the available memory when None.

    Returns
    -------
    values : (H, W, C) ndarray of float32
        Hint pixels keep their hinted values exactly.
    """
    luma = np.asarray(luma)
    if luma.ndim != 2:
        raise BadInputError(f"luminance must be a 2-D image, got shape {luma.shape}")
    hint_values = np.asarray(hint_values)
    if hint_values.ndim == 2:
        hint_values = hint_values[..., None]
    hint_mask = np.asarray(hint_mask, dtype=bool)
    if hint_values.shape[:2] != luma.shape or hint_mask.shape != luma.shape:
        raise BadInputError(
            f"hints of size {hint_mask.shape[1]}x{hint_mask.shape[0]} do not match "
            f"the image size {luma.shape[1]}x{luma.shape[0]}"
        )
    if not isinstance(radius, (int, np.integer)) or radius < 1:
        raise BadInputError(f"window radius must be a positive integer, got {radius!r}")
    _check_memory(luma.shape, radius, memory_budget)
    if prior_weight < 0 or not math.isfinite(prior_weight):
        raise BadInputError(f"prior weight must be >= 0, got {prior_weight}")
    if prior_weight > 0 and (prior is None or np.shape(prior)[:2] != luma.shape):
        raise BadInputError("a prior weight needs a prior image of the same size")
    if not hint_mask.any() and prior_weight == 0:
        raise BadInputError("no hints: paint at least one colour stroke")
    if solver not in ("multigrid", "direct"):
        raise BadInputError(f"unknown solver {solver!r}; use 'multigrid' or 'direct'")

    reporter = Reporter(progress, cancelled)
    height, width = luma.shape
    channels = hint_values.shape[2]
    rhs = _right_hand_side(hint_values, hint_mask, prior, prior_weight)
    if hint_mask.all():
        return rhs.reshape(height, width, channels)

    reporter(0.0, "building the system")
    matrix = levin_matrix(luma, hint_mask, radius, prior_weight)
    if solver == "direct" or min(height, width) <= COARSEST_SIDE:
        solution = _direct_solve(matrix, rhs)
    else:
        from algorithms.multigrid import AlgebraicMultigrid

        reporter(0.1, "first guess")
        guess = _coarse_to_fine_guess(luma, hint_values, hint_mask, radius, prior, prior_weight)
        reporter(0.25, "building the solver")
        multigrid = AlgebraicMultigrid(matrix)
        reporter(0.45, "solving")
        solution = multigrid.solve(
            rhs,
            guess=guess.reshape(-1, channels),
            tolerance=tolerance,
            reporter=reporter.stage(0.45, 1.0),
        )
    solution = solution.astype(DTYPE, copy=False).reshape(height, width, channels)
    # Hard constraints hold exactly, whatever the solver's tolerance.
    solution[hint_mask] = hint_values[hint_mask]
    reporter(1.0, "done")
    return solution


def _direct_solve(matrix: sparse.csr_matrix, rhs: np.ndarray) -> np.ndarray:
    from scipy.sparse.linalg import splu

    return splu(matrix.astype(np.float64).tocsc()).solve(rhs.astype(np.float64))


def _half_size(image: np.ndarray) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    return cv2.resize(image, ((width + 1) // 2, (height + 1) // 2), interpolation=cv2.INTER_AREA)


def _coarse_to_fine_guess(
    luma: np.ndarray,
    hint_values: np.ndarray,
    hint_mask: np.ndarray,
    radius: int,
    prior: Optional[np.ndarray],
    prior_weight: float,
) -> np.ndarray:
    """A cheap first guess (H, W, C): the same method solved at half size, upsampled.

    Recursion down to a small image solved directly; on the way up, each level's
    guess is the upsampled coarser one, smoothed by Gauss-Seidel on that level's
    own system. Only a starting point: the Krylov solver then solves the exact
    full-size system.
    """
    import cv2
    from pyamg.relaxation.relaxation import gauss_seidel

    height, width = luma.shape
    channels = hint_values.shape[2]
    coverage = _half_size(hint_mask.astype(np.float32))
    coarse_mask = coverage > 0
    hinted = np.where(hint_mask[..., None], hint_values, 0).astype(np.float32)
    coarse_values = _half_size(hinted).reshape(*coverage.shape, channels)
    coarse_values /= np.maximum(coverage, 1e-12)[..., None]
    coarse_luma = _half_size(luma.astype(np.float32))
    coarse_prior = None if prior is None else _half_size(np.asarray(prior, np.float32))
    if coarse_prior is not None:
        coarse_prior = coarse_prior.reshape(*coverage.shape, channels)
    coarse_matrix = levin_matrix(coarse_luma, coarse_mask, radius, prior_weight)
    coarse_rhs = _right_hand_side(coarse_values, coarse_mask, coarse_prior, prior_weight)
    if min(coarse_luma.shape) <= COARSEST_SIDE:
        coarse = _direct_solve(coarse_matrix, coarse_rhs).astype(np.float32)
    else:
        coarse = _coarse_to_fine_guess(
            coarse_luma, coarse_values, coarse_mask, radius, coarse_prior, prior_weight
        ).reshape(-1, channels)
        for channel in range(channels):
            smoothed = np.ascontiguousarray(coarse[:, channel])
            gauss_seidel(coarse_matrix, smoothed, np.ascontiguousarray(coarse_rhs[:, channel]),
                         iterations=2, sweep="symmetric")
            coarse[:, channel] = smoothed
    coarse = coarse.reshape(*coverage.shape, channels)
    guess = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    return guess.reshape(height, width, channels)


def hints_from_marked(
    image: np.ndarray,
    marked: np.ndarray,
    mask: Optional[np.ndarray] = None,
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


def colorize_scribbles(
    image: np.ndarray,
    hint_chroma: np.ndarray,
    hint_mask: np.ndarray,
    *,
    radius: int = 1,
    prior_chroma: Optional[np.ndarray] = None,
    prior_weight: float = 0.0,
    solver: str = "multigrid",
    progress: Optional[ProgressCallback] = None,
    cancelled: Optional[CancelCheck] = None,
) -> np.ndarray:
    """Colorize (or recolour) a photo from chroma hints, Levin et al. 2004.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray, float in [0, 1]
        Gray or colour photo; its luminance Y is kept exactly.
    hint_chroma : (H, W, 2) ndarray
        YIQ chroma (I, Q) of the hints; see :func:`hints_from_marked`.
    hint_mask : (H, W) ndarray of bool
        True where a hint holds.
    radius, solver, progress, cancelled
        As for :func:`propagate`.
    prior_chroma : (H, W, 2) ndarray, optional
        I, Q that unhinted pixels are pulled toward with ``prior_weight`` (for
        example an automatic colorization that strokes correct).

    Returns
    -------
    rgb : (H, W, 3) ndarray of float32 in [0, 1]
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim not in (2, 3) or image.size == 0:
        raise BadInputError(f"expected a gray or RGB image, got shape {image.shape}")
    luma = luminance(image)
    chroma = propagate(
        luma,
        hint_chroma,
        hint_mask,
        radius=radius,
        prior=prior_chroma,
        prior_weight=prior_weight,
        solver=solver,
        progress=progress,
        cancelled=cancelled,
    )
    return join_luminance_chroma(luma, chroma).astype(np.float32)
