"""Scribble colorization: Levin, Lischinski and Weiss, "Colorization using Optimization" (2004).

Neighbouring pixels with similar luminance should have similar chroma: the
system of :mod:`algorithms.levin_system`, the same matrix for every chroma
channel, is solved here with an algebraic-multigrid-preconditioned Krylov method
(:mod:`algorithms.multigrid`), or, for reference, with a direct sparse solve
(:mod:`algorithms.levin_solvers` builds them). This module chooses between them
and joins the solved chroma with the photo's own luminance; hints are read from a
marked image in :mod:`algorithms.scribble_hints`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from algorithms.colorspace import join_luminance_chroma, luminance
from algorithms.errors import BadInputError, MemoryBudgetError
from algorithms.grid_hierarchy import stencil_matrix
from algorithms.levin_solvers import (
    direct_solve,
    downsized_problem,
    multigrid_for,
    smooth,
    upsize,
)
from algorithms.levin_system import (
    DTYPE,
    levin_matrix,
    levin_stencil,
    right_hand_side,
)
from algorithms.progress import CancelCheck, ProgressCallback, Reporter
from algorithms.scribble_hints import MARK_THRESHOLD, hints_from_marked

__all__ = [
    "InexactSolveWarning", "MARK_THRESHOLD", "MAX_SOLVE_PIXELS", "colorize_scribbles",
    "estimate_memory", "hints_from_marked", "propagate",
]

#: Images whose shorter side is at most this are solved directly.
COARSEST_SIDE = 48

#: Images of at most this many pixels are solved directly (SuperLU) by default too: at
#: 0.01 MP the two took about as long, at 0.03 MP SuperLU twice the multigrid solve's time
#: (the Levin example and dev photos; at 0.085 MP 0.33-0.54 s against 0.14-0.15 s).
DIRECT_PIXELS = 0.02e6

#: Above this many pixels the multigrid solver works at reduced size (see propagate).
#: Measured on a 1 MP mosaic of dev photos with 250 hint patches
#: (benchmarks/bench_levin.py): solved at 0.3 or 0.5 MP and refined at full size the
#: result was 43-44 dB from the exact solution, solved at full size 48-52 dB in
#: about the same time. ``max_solve_pixels=math.inf`` asks for the exact solve.
MAX_SOLVE_PIXELS = 1.1e6

#: The exact solve of a larger image starts from the default solve at this size.
EXACT_GUESS_PIXELS = 0.3e6

#: The direct (SuperLU) reference solve is refused above this: it took 49 s and 3.6 GB at
#: 1 MP, and its fill-in grows faster than the pixel count.
MAX_DIRECT_PIXELS = 2.0e6

#: Gauss-Seidel sweeps of the full-size system after a reduced-size solve.
FULL_SIZE_SWEEPS = 4

#: Estimated root-mean-square chroma error (I, Q) at which the default iterative solve
#: stops: R, G, B then lie 47-60 dB (PSNR) from the exact solution (benchmarks/bench_levin.py,
#: the Levin example and dev photos at 0.25 and 1 MP). A residual is no such measure here:
#: on a soft-edged synthetic photo a relative residual of 1e-4 was 35 dB from the exact
#: solution.
DEFAULT_TOLERANCE = 0.0017

#: The default solve checks its error estimate after every GMRES iteration (a check costs
#: a linear combination of the Krylov vectors, a small part of an iteration; checking every
#: second one made the Levin example take 6 iterations where 3 reached 56 dB)...
DEFAULT_CHECK_EVERY = 1
#: ...smooths with this many damped Jacobi sweeps each way (its products run in parallel
#: for the two chroma channels, where Gauss-Seidel's take turns: the same iterations in
#: 12-22 % less time at 0.25 and 1 MP; see algorithms.multigrid.GridMultigrid)...
DEFAULT_SMOOTHER, DEFAULT_SWEEPS = "jacobi", 2
#: ...stops after at most this many...
DEFAULT_MAX_ITERATIONS = 24
#: ...and keeps this many Krylov vectors per chroma channel before GMRES restarts.
DEFAULT_KRYLOV_VECTORS = 12

#: The exact solve (``max_solve_pixels=math.inf``) aims for every pixel within this much
#: of the exact solution in each of R, G, B (values in [0, 1]).
EXACT_RGB_ERROR = 1 / 255

#: R, G and B move by at most this times the larger change of I and Q
#: (the largest row sum of |YIQ -> RGB| over I and Q: B = Y - 1.106 I + 1.703 Q).
_RGB_PER_CHROMA = 2.81

#: The exact solve's error estimate must be this many times below its aim: on the dev
#: photos at 1 MP the estimate once read a third of the true largest error.
_EXACT_SAFETY = 2.0

#: Up to this many pixels the exact solve is SuperLU's direct one: exact by construction.
#: Above it the iterative solve runs, and warns when it cannot show that it reached
#: EXACT_RGB_ERROR. SuperLU needed 1.8-3.7 GB and 7-56 s at 1 MP on a busy 2-core machine,
#: the iterative solve a fraction of that (docs/methods.md).
EXACT_DIRECT_PIXELS = 0.3e6

#: The exact solve's relative residual |b - A x| / |b| must also fall below this before its
#: error estimate is trusted: a stalled GMRES changes its iterate little (which would read
#: as converged) but does not reduce the residual.
EXACT_RESIDUAL = 1e-6

#: GMRES iterations the exact solve may take per chroma channel before it gives up
#: and says how far it got.
EXACT_MAX_ITERATIONS = 160

#: The exact solve checks its error estimate every this many GMRES iterations: on the
#: Levin example at 4 MP after 10 and 8 iterations (every pixel within 1/255 of the
#: converged solution), where checks every 4 iterations stopped after 16 and 16.
EXACT_CHECK_EVERY = 1

#: The exact solve smooths with this many damped Jacobi sweeps before and after each
#: coarse correction: on the Levin example at 4 MP, checked every 2 iterations, 3 sweeps
#: took 15.4 s where 2 Gauss-Seidel sweeps (which hold Python's lock, so the channels
#: take turns) took 18.2 s, in the same iterations; 4 sweeps took longer again.
EXACT_SMOOTHER, EXACT_SWEEPS = "jacobi", 3

#: Krylov vectors per chroma channel the exact solve keeps before GMRES restarts (it
#: keeps as many preconditioned vectors as well, in float32).
EXACT_KRYLOV_VECTORS = 20


class InexactSolveWarning(UserWarning):
    """The exact solve stopped before its error estimate reached EXACT_RGB_ERROR."""

# Bytes per pixel per window entry for the system, its multigrid hierarchy and
# the solver's work vectors: about 450 measured at radius 1 (benchmarks/bench_levin.py),
# with headroom. The exact solve works in float64 and keeps a Krylov basis of
# KRYLOV_VECTORS + 1 vectors per chroma channel on top.
_BYTES_PER_ENTRY = 40
_BYTES_PER_PIXEL = 600
_EXACT_BYTES_PER_PIXEL = 600 + 2 * 33 * 8
# SuperLU's factors for the exact solve up to EXACT_DIRECT_PIXELS: 1.8-3.7 GB at 1 MP.
_DIRECT_BYTES_PER_PIXEL = 4000


def estimate_memory(
    shape: tuple[int, ...], radius: int = 1, max_solve_pixels: float = math.inf
) -> int:
    """Bytes the multigrid solve needs for an image of ``shape`` at window ``radius``."""
    pixels = int(shape[0]) * int(shape[1])
    entries = (2 * radius + 1) ** 2
    solved = min(pixels, max_solve_pixels)
    per_entry = _BYTES_PER_ENTRY * max(entries - 9, 0)
    if math.isinf(max_solve_pixels):
        if pixels <= EXACT_DIRECT_PIXELS:
            return int(pixels * (_BYTES_PER_PIXEL + _DIRECT_BYTES_PER_PIXEL + per_entry))
        return int(pixels * (_BYTES_PER_PIXEL + _EXACT_BYTES_PER_PIXEL + per_entry))
    # A reduced-size solve also keeps the full-size system (entries x 8 bytes a pixel).
    full_size = 0 if solved == pixels else pixels * (entries * 8 + 60)
    return int(solved * (_BYTES_PER_PIXEL + per_entry) + full_size)


def _check_memory(
    shape: tuple[int, ...], radius: int, budget: int | None, max_solve_pixels: float
) -> None:
    needed = estimate_memory(shape, radius, max_solve_pixels)
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
    prior: np.ndarray | None = None,
    prior_weight: float = 0.0,
    solver: str = "multigrid",
    tolerance: float = DEFAULT_TOLERANCE,
    memory_budget: int | None = None,
    max_solve_pixels: float = MAX_SOLVE_PIXELS,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
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
        Estimated largest error of the solved values at which the default multigrid
        solve stops (the exact solve, ``max_solve_pixels=math.inf``, has its own).
    memory_budget : int, optional
        Bytes the solve may use: a larger estimate (:func:`estimate_memory`) is refused
        before anything is allocated. None checks nothing: the application's sessions
        check the memory the process may use before they call the engine.
    max_solve_pixels : float
        Larger images are solved at this many pixels, upsampled, then refined by
        Gauss-Seidel sweeps of the full-size system (so colour follows full-size
        edges). ``math.inf`` always solves the full-size system.

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
    _check_memory(luma.shape, radius, memory_budget, max_solve_pixels)
    if prior_weight < 0 or not math.isfinite(prior_weight):
        raise BadInputError(f"prior weight must be >= 0, got {prior_weight}")
    if prior_weight > 0 and (prior is None or np.shape(prior)[:2] != luma.shape):
        raise BadInputError("a prior weight needs a prior image of the same size")
    if not hint_mask.any() and prior_weight == 0:
        raise BadInputError("no hints: paint at least one colour stroke")
    if solver not in ("multigrid", "direct"):
        raise BadInputError(f"unknown solver {solver!r}; use 'multigrid' or 'direct'")
    if solver == "direct" and luma.size > MAX_DIRECT_PIXELS:
        raise MemoryBudgetError(
            f"the direct solver is for images up to {MAX_DIRECT_PIXELS / 1e6:g} megapixels "
            "(its memory grows faster than the image: 3.6 GB at 1 MP); use the multigrid solver"
        )

    reporter = Reporter(progress, cancelled)
    height, width = luma.shape
    channels = hint_values.shape[2]
    rhs = right_hand_side(hint_values, hint_mask, prior, prior_weight)
    if hint_mask.all():
        return rhs.reshape(height, width, channels)

    reporter(0.0, "building the system")
    exact = math.isinf(max_solve_pixels)
    if (solver == "direct" or min(height, width) <= COARSEST_SIDE
            or height * width <= (EXACT_DIRECT_PIXELS if exact else DIRECT_PIXELS)):
        solution = direct_solve(levin_matrix(luma, hint_mask, radius, prior_weight), rhs)
    elif height * width > max_solve_pixels:
        solution = _reduced_solve(luma, hint_values, hint_mask, rhs, radius, prior,
                                  prior_weight, tolerance, memory_budget, max_solve_pixels,
                                  reporter)
    elif exact:
        solution = _exact_solve(luma, hint_values, hint_mask, rhs, radius, prior,
                                prior_weight, memory_budget, reporter)
    else:
        solution = _multigrid_solve(luma, hint_values, hint_mask, rhs, radius, prior_weight,
                                    tolerance, reporter)
    solution = solution.astype(DTYPE, copy=False).reshape(height, width, channels)
    # Hard constraints hold exactly, whatever the solver's tolerance.
    solution[hint_mask] = hint_values[hint_mask]
    reporter(1.0, "done")
    return solution

def _multigrid_solve(luma, hint_values, hint_mask, rhs, radius, prior_weight, tolerance,
                     reporter: Reporter, guess=None) -> np.ndarray:
    """The default full-size solve: GMRES until the estimated error (see
    ``GridMultigrid.solve_accurately``) is below ``tolerance`` in chroma units, checked
    every DEFAULT_CHECK_EVERY iterations, at most DEFAULT_MAX_ITERATIONS; no warning."""
    reporter(0.05, "building the solver")
    # In float32 throughout: the aim, about 48 dB, is far above float32's rounding.
    multigrid, rhs = multigrid_for(luma, hint_values, hint_mask, rhs.astype(DTYPE),
                                    radius, prior_weight, DTYPE, sweeps=DEFAULT_SWEEPS,
                                    smoother=DEFAULT_SMOOTHER)
    reporter(0.3, "solving")
    solution, _report = multigrid.solve_accurately(
        rhs, guess=guess, error_tolerance=tolerance, max_iterations=DEFAULT_MAX_ITERATIONS,
        krylov_vectors=DEFAULT_KRYLOV_VECTORS, check_every=DEFAULT_CHECK_EVERY,
        root_mean_square=True, reporter=reporter.stage(0.3, 1.0))
    return solution


def _reduced_solve(luma, hint_values, hint_mask, rhs, radius, prior, prior_weight, tolerance,
                   memory_budget, max_solve_pixels, reporter: Reporter,
                   refine: bool = True) -> np.ndarray:
    """Solve the same problem at ``max_solve_pixels``, then (``refine``) let Gauss-Seidel
    sweeps of the full-size system carry the colour to the full-size edges; (H*W, C)."""
    height, width = luma.shape
    scale = math.sqrt(max_solve_pixels / (height * width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = downsized_problem(size, luma, hint_values, hint_mask, prior)
    small_solution = propagate(
        *small[:3], radius=radius, prior=small[3], prior_weight=prior_weight,
        tolerance=tolerance, memory_budget=memory_budget,
        progress=reporter.stage(0.05, 0.8), max_solve_pixels=small[0].size,
    )
    solution = upsize(small_solution, height, width)
    if not refine:
        return solution
    reporter(0.85, "refining at full size")
    # Explicit zeros are kept: Gauss-Seidel skips them as fast as it would skip nothing.
    matrix = stencil_matrix(levin_stencil(luma, hint_mask, radius, prior_weight))
    smooth(matrix, solution, rhs, sweeps=FULL_SIZE_SWEEPS)
    return solution


def _exact_solve(luma, hint_values, hint_mask, rhs, radius, prior, prior_weight, memory_budget,
                 reporter: Reporter) -> np.ndarray:
    """The full-size system solved in float64 until the estimated error of every pixel's
    R, G and B is below EXACT_RGB_ERROR; InexactSolveWarning when that takes more than
    EXACT_MAX_ITERATIONS iterations. A photo above EXACT_GUESS_PIXELS starts from the
    default solve at that size, enlarged: GMRES carries it to the full-size edges (Gauss-Seidel
    sweeps at full size first saved no time)."""
    height, width = luma.shape
    guess = None
    if height * width > EXACT_GUESS_PIXELS:
        guess = _reduced_solve(luma, hint_values, hint_mask, rhs, radius, prior, prior_weight,
                               DEFAULT_TOLERANCE, memory_budget, EXACT_GUESS_PIXELS,
                               reporter.stage(0.0, 0.3), refine=False)
    reporter(0.3, "building the exact solver")
    multigrid, rhs = multigrid_for(luma, hint_values, hint_mask, rhs.astype(np.float64),
                                    radius, prior_weight, np.float64, sweeps=EXACT_SWEEPS,
                                    scaled=True, smoother=EXACT_SMOOTHER)
    reporter(0.4, "solving exactly")
    chroma_tolerance = EXACT_RGB_ERROR / _RGB_PER_CHROMA / _EXACT_SAFETY
    solution, report = multigrid.solve_accurately(
        rhs, guess=guess, error_tolerance=chroma_tolerance, residual_tolerance=EXACT_RESIDUAL,
        max_iterations=EXACT_MAX_ITERATIONS, krylov_vectors=EXACT_KRYLOV_VECTORS,
        check_every=EXACT_CHECK_EVERY,
        reporter=reporter.stage(0.4, 1.0))
    if not report.converged:
        warnings.warn(InexactSolveWarning(_shortfall(report)), stacklevel=3)
    return solution


def _shortfall(report) -> str:
    """The one-line message of an exact solve that stopped short of EXACT_RGB_ERROR."""
    aim = (f"the exact solve stopped after {max(report.iterations)} iterations short of "
           f"its aim (every pixel within {EXACT_RGB_ERROR * 255:g}/255 of the exact solution "
           "in R, G and B): ")
    worst = max(report.error_estimates) * _RGB_PER_CHROMA * 255
    if np.isfinite(worst):
        return aim + f"its estimated largest error is {min(worst, 255):.1f}/255"
    change = max(report.last_changes) * _RGB_PER_CHROMA * 255
    return aim + f"its last iterations still moved a pixel by up to {min(change, 255):.1f}/255"

def colorize_scribbles(
    image: np.ndarray,
    hint_chroma: np.ndarray,
    hint_mask: np.ndarray,
    *,
    radius: int = 1,
    prior_chroma: np.ndarray | None = None,
    prior_weight: float = 0.0,
    solver: str = "multigrid",
    max_solve_pixels: float = MAX_SOLVE_PIXELS,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
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
    radius, solver, max_solve_pixels, progress, cancelled
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
        max_solve_pixels=max_solve_pixels,
        progress=progress,
        cancelled=cancelled,
    )
    return join_luminance_chroma(luma, chroma).astype(np.float32)
