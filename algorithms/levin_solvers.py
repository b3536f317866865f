"""Solvers for the Levin system and the resizing of a scribble problem
(the parts of :mod:`algorithms.scribble` that do not choose between them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from algorithms.grid_hierarchy import stencil_matrix
from algorithms.levin_system import (
    eliminate_hint_columns,
    hint_coupling,
    levin_matrix,
    levin_stencil,
)

# Imported with this module, not at the first solve: SciPy's sparse solvers take about
# 0.1 s to import, which a window pays when it opens rather than at its first preview.
from algorithms.multigrid import AlgebraicMultigrid, GridMultigrid


def multigrid_for(luma: np.ndarray, hint_values: np.ndarray, hint_mask: np.ndarray,
                  rhs: np.ndarray, radius: int, prior_weight: float, dtype: type,
                  sweeps: int = 1, scaled: bool = False,
                  smoother: str = "gauss-seidel") -> tuple:
    """(solver, right-hand side) of the system in ``dtype``: for a 3x3 window the grid
    hierarchy, with the hints eliminated (their values moved to the right-hand side), with
    ``sweeps`` sweeps of ``smoother``, and with ``scaled`` built for the rows times their
    raw weight sums; pyamg's algebraic one for larger windows."""
    if radius == 1:
        stencil, sums = levin_stencil(luma, hint_mask, radius, prior_weight, return_sums=True)
        rhs = rhs + hint_coupling(stencil, hint_values, hint_mask)
        eliminate_hint_columns(stencil, hint_mask)
        matrix = stencil_matrix(stencil, dtype)
        scale = None
        if scaled:
            scale = sums.astype(dtype)
            scale[hint_mask] = 1.0
        return GridMultigrid(matrix, luma.shape, sweeps=sweeps, stencil=stencil,
                             row_scale=scale, smoother=smoother), rhs
    matrix = levin_matrix(luma, hint_mask, radius, prior_weight).astype(dtype)
    return AlgebraicMultigrid(matrix), rhs


def direct_solve(matrix: sparse.csr_matrix, rhs: np.ndarray) -> np.ndarray:
    """SuperLU's solution (N, C) of ``matrix @ x = rhs``, in float64."""
    from scipy.sparse.linalg import splu

    return splu(matrix.astype(np.float64).tocsc()).solve(rhs.astype(np.float64))


def downsized_problem(
    size: tuple[int, int],
    luma: np.ndarray,
    hint_values: np.ndarray,
    hint_mask: np.ndarray,
    prior: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The same problem at ``size`` = (width, height), by area averaging.

    A small pixel is a hint where any hint pixel falls in it, with their mean value,
    so that thin strokes survive.
    """
    import cv2

    def shrink(image: np.ndarray) -> np.ndarray:
        shrunk = cv2.resize(image.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        return shrunk.reshape(size[1], size[0], *image.shape[2:])

    coverage = shrink(hint_mask)
    small_values = shrink(np.where(hint_mask[..., None], hint_values, 0))
    small_values /= np.maximum(coverage, 1e-12)[..., None]
    small_prior = None if prior is None else shrink(np.asarray(prior))
    return shrink(luma), small_values, coverage > 0, small_prior


def upsize(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """(h, w, C) values bilinearly enlarged to (H*W, C)."""
    import cv2

    channels = values.shape[-1]
    upsized = cv2.resize(values.reshape(*values.shape[:2], channels), (width, height),
                         interpolation=cv2.INTER_LINEAR)
    return upsized.reshape(height * width, channels)


def smooth(matrix: sparse.csr_matrix, guess: np.ndarray, rhs: np.ndarray, sweeps: int) -> None:
    """Symmetric Gauss-Seidel sweeps on ``matrix @ x = rhs``, in place on ``guess`` (N, C)."""
    from pyamg.relaxation.relaxation import gauss_seidel

    for channel in range(guess.shape[1]):
        column = np.ascontiguousarray(guess[:, channel])
        gauss_seidel(matrix, column, np.ascontiguousarray(rhs[:, channel]),
                     iterations=sweeps, sweep="symmetric")
        guess[:, channel] = column
