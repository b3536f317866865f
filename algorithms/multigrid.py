"""Multigrid-preconditioned GMRES for image-grid systems such as Levin's.

The scribble system is a sparse, non-symmetric M-matrix whose couplings follow
the photo's edges in every direction, and it is badly conditioned wherever a
region is nearly cut off from the hints. A direct solve costs tens of seconds
and gigabytes at one megapixel.

:class:`GridMultigrid` coarsens on the pixel grid itself (every second pixel in
each direction), which costs almost nothing to set up, and makes up for it with
operator-dependent interpolation: a fine pixel takes its coarse neighbours'
values in proportion to its own couplings to them, so a correction does not
leak across an edge that the matrix says is there. Coarse matrices are Galerkin
products (R A P, R = P^T) with their positive couplings lumped onto the diagonal
(which keeps them M-matrices, as the finest is), so every level keeps a 3x3
stencil, and the coarsest (a few thousand pixels) is factorised once
(:mod:`algorithms.grid_hierarchy` builds the levels). One W-cycle with Gauss-Seidel
or damped Jacobi smoothing, in float32, preconditions GMRES; while a single
right-hand side is left to solve, its Jacobi sweeps and products run in bands of
rows on every core. :class:`AlgebraicMultigrid` (pyamg's Ruge-Stuben hierarchy)
serves windows larger than 3x3.

Both solve several right-hand sides with one hierarchy, and stop either on
GMRES's residual or on an estimate of the remaining error of the solution
itself (:mod:`algorithms.krylov`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

from algorithms.grid_hierarchy import (
    coarse_stencil,
    diagonal_matrix,
    interpolation,
    stencil_matrix,
    stencil_of,
)
from algorithms.krylov import AccuracyReport, PreconditionedSolver
from algorithms.threads import RowBandedMatrix

__all__ = ["AccuracyReport", "AlgebraicMultigrid", "GridMultigrid"]

#: Ruge-Stuben strength threshold: a coupling is strong above this fraction of
#: the row's largest one.
STRENGTH_THRESHOLD = 0.25

#: The grid hierarchy stops coarsening at this many pixels and factorises that level.
COARSEST_PIXELS = 12000

#: Damping of the Jacobi smoother: each sweep moves x by this share of D^-1 (b - A x).
JACOBI_DAMPING = 0.9

#: The smoothers GridMultigrid offers.
SMOOTHERS = ("gauss-seidel", "jacobi")


class GridMultigrid(PreconditionedSolver):
    """GMRES preconditioned by one W-cycle of a geometric hierarchy on the pixel grid.

    Parameters
    ----------
    matrix : (H*W, H*W) sparse matrix
        Rows in row-major pixel order, each coupling a pixel to its 3x3 window only,
        non-singular with a positive diagonal. Its dtype (float32 or float64) is the
        working precision of the whole hierarchy (the coarsest level is factorised
        in float64).
    shape : (H, W)
        The pixel grid.
    stencil : (9, H, W) or (3, 3, H, W) ndarray, optional
        ``matrix``'s entries as a 3x3 stencil (``algorithms.levin_system.levin_stencil``),
        which saves reading them back from the matrix.
    row_scale : (H*W,) ndarray, optional
        Positive row factors s: the hierarchy is built for diag(s) @ matrix instead
        (and a residual r is preconditioned as s * r). For Levin's system, whose row r
        is normalised by the sum of its raw weights d_r, s = d undoes the normalisation
        and leaves a nearly symmetric matrix, whose Galerkin coarse levels stay closer
        to M-matrices (on the Levin example at 1 MP: error 9e-4 after 40 iterations
        against 0.16 unscaled).
    sweeps : int
        Smoothing sweeps before and after each coarse correction (for an accurate
        solve, 2 Gauss-Seidel sweeps save up to a quarter of the iterations at 1 MP,
        where each costs half as much again, and more on the hardest photos).
    smoother : {"gauss-seidel", "jacobi"}
        Gauss-Seidel (pyamg's, forward before and backward after the coarse correction),
        or Jacobi damped by JACOBI_DAMPING, made of sparse products. pyamg's Gauss-Seidel
        holds Python's lock, so two right-hand sides solved in two threads take turns;
        Jacobi's products run at once. With 2 Jacobi sweeps against 1 Gauss-Seidel sweep
        the default scribble solve took the same iterations, to the same accuracy, in
        12-22 % less time on the Levin example and the dev mosaic at 0.25 and 1 MP (2 shared
        cores).
    """

    def __init__(self, matrix: sparse.spmatrix, shape: tuple[int, int], sweeps: int = 1,
                 stencil: np.ndarray | None = None,
                 row_scale: np.ndarray | None = None,
                 hierarchy_dtype: type = np.float32,
                 smoother: str = "gauss-seidel") -> None:
        from scipy.sparse.linalg import splu

        if smoother not in SMOOTHERS:
            raise ValueError(f"unknown smoother {smoother!r}; use one of {SMOOTHERS}")
        self.sweeps = sweeps
        self.smoother = smoother
        self.w_cycle = True
        self.matrix = sparse.csr_matrix(matrix)
        dtype = np.dtype(hierarchy_dtype)
        self._hierarchy_dtype = dtype
        height, width = shape
        self.levels: list[tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]] = []
        # The products with each level's matrix use its diagonal format (see
        # algorithms.grid_hierarchy.diagonal_matrix); the CSR matrices serve the Galerkin
        # products and Gauss-Seidel.
        self._diagonal_levels: list[sparse.dia_matrix] = []
        self._matrix_diagonals = (None if stencil is None
                                  else diagonal_matrix(stencil, self.matrix.dtype))
        current = self.matrix.astype(dtype, copy=False)
        self._row_scale = None
        if row_scale is not None:
            # The hierarchy of diag(s) A, which has the same solution for a right-hand
            # side scaled by s: see row_scale above.
            self._row_scale = np.asarray(row_scale, dtype).ravel()
            # Each stored entry times its row's factor (a product with a diagonal matrix
            # took a second at 4 MP); the caller's matrix is left as it was.
            current = current.copy() if current is self.matrix else current
            current.data *= np.repeat(self._row_scale, np.diff(current.indptr))
            if stencil is not None:
                stencil = np.asarray(stencil).reshape(3, 3, height, width) * \
                    self._row_scale.reshape(height, width)
        diagonals = []
        while height * width > COARSEST_PIXELS and min(height, width) > 4:
            if stencil is None:
                stencil = stencil_of(current, height, width)
            diagonals.append(stencil.reshape(3, 3, height * width)[1, 1])
            finest_as_given = (not self.levels and self._row_scale is None
                               and self._matrix_diagonals is not None
                               and self._matrix_diagonals.dtype == dtype)
            self._diagonal_levels.append(self._matrix_diagonals if finest_as_given
                                         else diagonal_matrix(stencil, dtype))
            to_fine, (height, width) = interpolation(stencil)
            to_fine = to_fine.astype(dtype, copy=False)
            restriction = to_fine.T.tocsr()
            self.levels.append((current, to_fine, restriction))
            stencil = coarse_stencil(current, to_fine, restriction, (height, width))
            current = stencil_matrix(stencil, dtype)
        coarsest = current.astype(np.float64)
        coarsest.eliminate_zeros()  # the clipped out-of-image slots, which repeat columns
        self._coarsest = splu(coarsest.tocsc())
        self._products: list[tuple] | None = None
        self._matrix_in_bands: RowBandedMatrix | None = None
        # Jacobi's step D^-1 (b - A x), damped, per level (the diagonals are positive).
        self._jacobi_steps = [(JACOBI_DAMPING / diagonal).astype(dtype)
                              for diagonal in diagonals] if smoother == "jacobi" else []
        self._preconditioner = sparse_linalg.LinearOperator(
            self.matrix.shape, dtype=self.matrix.dtype, matvec=self._precondition)
        self.last_iterations: tuple[int, ...] = ()

    @property
    def depth(self) -> int:
        """Number of grids in the hierarchy, the finest and the factorised one included."""
        return len(self.levels) + 1

    def _precondition(self, rhs: np.ndarray) -> np.ndarray:
        rhs = np.ravel(rhs)
        scaled = rhs if self._row_scale is None else self._row_scale * rhs
        return self._cycle(scaled.astype(self._hierarchy_dtype, copy=False)).astype(
            self.matrix.dtype, copy=False)

    def _cycle(self, rhs: np.ndarray, level: int = 0) -> np.ndarray:
        """One W-cycle from zero: an approximate solution of level's matrix @ x = rhs.

        ``sweeps`` smoothing sweeps (Gauss-Seidel: forward), the coarse correction solved
        by two cycles of the next level (a W-cycle: measured on the Levin example, the
        coarse correction is this hierarchy's weak part, and a second visit cuts the
        error per GMRES iteration far more than a second smoothing sweep for the same
        time), and ``sweeps`` more (Gauss-Seidel: backward).
        """
        rhs = np.ascontiguousarray(np.ravel(rhs))
        if level == len(self.levels):
            return self._coarsest.solve(rhs.astype(np.float64)).astype(rhs.dtype)
        matrix, to_fine, restriction = self._operators(level)
        x = self._smooth(level, None, rhs)
        coarse_rhs = restriction @ (rhs - matrix @ x)
        correction = self._cycle(coarse_rhs, level + 1)
        if self.w_cycle and level + 1 < len(self.levels):
            coarse_matrix = self._operators(level + 1)[0]
            correction += self._cycle(coarse_rhs - coarse_matrix @ correction, level + 1)
        x += to_fine @ correction
        return self._smooth(level, x, rhs)

    def _operators(self, level: int) -> tuple:
        """(matrix, interpolation, restriction) of a level, whose products run in bands of
        rows at once while a single column's solve runs (one alone leaves cores idle)."""
        if self.columns_running != 1:
            return (self._diagonal_levels[level], *self.levels[level][1:])
        if self._products is None:
            self._products = [
                tuple(RowBandedMatrix(operator) for operator in (diagonal, *operators[1:]))
                for diagonal, operators in zip(self._diagonal_levels, self.levels)]
        return self._products[level]

    def _product(self, vector: np.ndarray) -> np.ndarray:
        matrix = self.matrix if self._matrix_diagonals is None else self._matrix_diagonals
        if self.columns_running != 1:
            return matrix @ vector
        if self._matrix_in_bands is None:
            self._matrix_in_bands = RowBandedMatrix(matrix)
        return self._matrix_in_bands @ vector

    def _smooth(self, level: int, x: np.ndarray | None, rhs: np.ndarray) -> np.ndarray:
        """``sweeps`` sweeps on level's matrix @ x = rhs, from x (None: from zero, the
        sweeps before the coarse correction; else in place, the sweeps after it)."""
        if self.smoother == "jacobi":
            matrix = self._operators(level)[0]
            step = self._jacobi_steps[level]
            sweeps = self.sweeps
            if x is None:  # the first sweep from zero needs no product
                x, sweeps = step * rhs, sweeps - 1
            for _ in range(sweeps):
                x = _jacobi_sweep(matrix, x, rhs, step)
            return x
        from pyamg import amg_core

        matrix = self.levels[level][0]
        rows = len(rhs)
        forward = x is None
        x = np.zeros_like(rhs) if x is None else x
        first, end, direction = (0, rows, 1) if forward else (rows - 1, -1, -1)
        for _ in range(self.sweeps):
            amg_core.gauss_seidel(matrix.indptr, matrix.indices, matrix.data, x, rhs,
                                  first, end, direction)
        return x

def _jacobi_sweep(matrix, x: np.ndarray, rhs: np.ndarray, step: np.ndarray) -> np.ndarray:
    """x + step (rhs - matrix @ x), a new vector; for a RowBandedMatrix in bands of rows
    at once, every operation of a band in its own thread."""
    swept = np.empty_like(x)

    def band(first: int, stop: int, rows: sparse.csr_matrix) -> None:
        residual = rows @ x
        np.subtract(rhs[first:stop], residual, out=residual)
        residual *= step[first:stop]
        np.add(x[first:stop], residual, out=swept[first:stop])

    if isinstance(matrix, RowBandedMatrix):
        matrix.each_band(band)
    else:
        band(0, len(x), matrix)
    return swept


class AlgebraicMultigrid(PreconditionedSolver):
    """GMRES with one Ruge-Stuben V-cycle as preconditioner, for any sparse matrix
    (windows larger than 3x3, where :class:`GridMultigrid` does not apply).

    Parameters
    ----------
    matrix : (N, N) sparse matrix
        Non-singular, with a nonzero diagonal. Its dtype (float32 or float64) is
        the working precision of the whole hierarchy.
    """

    def __init__(self, matrix: sparse.spmatrix) -> None:
        import pyamg
        from pyamg.relaxation.smoothing import change_smoothers

        self.matrix = sparse.csr_matrix(matrix)
        dtype = self.matrix.dtype
        self.hierarchy = pyamg.ruge_stuben_solver(
            self.matrix,
            strength=("classical", {"theta": STRENGTH_THRESHOLD}),
            interpolation="classical",
            max_coarse=500,
            coarse_solver="splu",
            keep=False,
        )
        # pyamg may build interpolation in float64; keep one precision throughout so
        # the smoothers (which insist on equal dtypes) work in place.
        for level in self.hierarchy.levels:
            for name in ("A", "P", "R"):
                if hasattr(level, name):
                    setattr(level, name, sparse.csr_matrix(getattr(level, name), dtype=dtype))
        change_smoothers(
            self.hierarchy,
            ("gauss_seidel", {"sweep": "forward"}),
            ("gauss_seidel", {"sweep": "backward"}),
        )
        self._preconditioner = self.hierarchy.aspreconditioner(cycle="V")
        self.last_iterations: tuple[int, ...] = ()

    @property
    def depth(self) -> int:
        """Number of grids in the hierarchy, the finest included."""
        return len(self.hierarchy.levels)
