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
stencil, and the coarsest (a few thousand pixels) is factorised once. One
W-cycle with Gauss-Seidel or damped Jacobi smoothing, in float32, preconditions
GMRES. :class:`AlgebraicMultigrid`
(pyamg's Ruge-Stuben hierarchy) serves windows larger than 3x3.

Both solve several right-hand sides with one hierarchy, and stop either on
GMRES's residual or on an estimate of the remaining error of the solution
itself (:mod:`algorithms.krylov`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

from algorithms.krylov import AccuracyReport, PreconditionedSolver

__all__ = ["AccuracyReport", "AlgebraicMultigrid", "GridMultigrid"]

#: Ruge-Stuben strength threshold: a coupling is strong above this fraction of
#: the row's largest one.
STRENGTH_THRESHOLD = 0.25

#: The grid hierarchy stops coarsening at this many pixels and factorises that level.
COARSEST_PIXELS = 3000

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
        while height * width > COARSEST_PIXELS and min(height, width) > 4:
            stencil = (_stencil_of(current, height, width) if stencil is None
                       else stencil.reshape(3, 3, height, width))
            interpolation, (height, width) = _interpolation(stencil)
            interpolation = interpolation.astype(dtype)
            restriction = interpolation.T.tocsr()
            self.levels.append((current, interpolation, restriction))
            current = _lump_positive_couplings((restriction @ (current @ interpolation)).tocsr())
            stencil = None
        self._coarsest = splu(current.astype(np.float64).tocsc())
        # Jacobi's step D^-1 (b - A x), damped, per level (the diagonals are positive).
        self._jacobi_steps = [
            (JACOBI_DAMPING / level_matrix.diagonal()).astype(dtype)
            for level_matrix, _, _ in self.levels] if smoother == "jacobi" else []
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
        return self._cycle(scaled.astype(self._hierarchy_dtype)).astype(self.matrix.dtype)

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
        matrix, interpolation, restriction = self.levels[level]
        x = self._smooth(level, None, rhs)
        coarse_rhs = restriction @ (rhs - matrix @ x)
        correction = self._cycle(coarse_rhs, level + 1)
        if self.w_cycle and level + 1 < len(self.levels):
            coarse_matrix = self.levels[level + 1][0]
            correction += self._cycle(coarse_rhs - coarse_matrix @ correction, level + 1)
        x += interpolation @ correction
        return self._smooth(level, x, rhs)

    def _smooth(self, level: int, x: np.ndarray | None, rhs: np.ndarray) -> np.ndarray:
        """``sweeps`` sweeps on level's matrix @ x = rhs, from x (None: from zero, the
        sweeps before the coarse correction; else in place, the sweeps after it)."""
        matrix = self.levels[level][0]
        if self.smoother == "jacobi":
            step = self._jacobi_steps[level]
            sweeps = self.sweeps
            if x is None:  # the first sweep from zero needs no product
                x, sweeps = step * rhs, sweeps - 1
            for _ in range(sweeps):
                residual = matrix @ x
                np.subtract(rhs, residual, out=residual)
                residual *= step
                x += residual
            return x
        from pyamg import amg_core

        rows = len(rhs)
        forward = x is None
        x = np.zeros_like(rhs) if x is None else x
        first, end, direction = (0, rows, 1) if forward else (rows - 1, -1, -1)
        for _ in range(self.sweeps):
            amg_core.gauss_seidel(matrix.indptr, matrix.indices, matrix.data, x, rhs,
                                  first, end, direction)
        return x

def _lump_positive_couplings(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """``matrix`` with each positive off-diagonal entry moved onto its row's diagonal.

    Galerkin products of this non-symmetric system gain positive couplings (on the dev
    photos up to 6 times the diagonal on the first coarse grid, on most rows of the
    third), and Gauss-Seidel on such a grid amplifies rather than smooths. Moving them
    to the diagonal keeps each row's sum, hence the constant vector's image, and gives
    back an M-matrix: on the dev photos at 0.25 MP, 4 GMRES iterations instead of 10
    to reach 45 dB against the exact solution.
    """
    matrix.sum_duplicates()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    positive = (matrix.indices != rows) & (matrix.data > 0)
    moved = np.bincount(rows[positive], matrix.data[positive], matrix.shape[0])
    matrix.data[positive] = 0
    diagonal = matrix.indices == rows
    matrix.data[diagonal] += moved[rows[diagonal]].astype(matrix.dtype)
    matrix.eliminate_zeros()
    return matrix


def _stencil_of(matrix: sparse.csr_matrix, height: int, width: int) -> np.ndarray:
    """The 3x3 stencil (3, 3, H, W) of a grid matrix: [dy + 1, dx + 1, y, x] is the entry
    of pixel (y, x)'s row at (y + dy, x + dx). Explicit zeros (which may stand at any
    column, even one that repeats a real neighbour's) are skipped, and so is anything
    outside the 3x3 window; the grid must be at least 3 pixels wide."""
    pixels = height * width
    nonzero = matrix.data != 0
    rows = np.repeat(np.arange(pixels, dtype=matrix.indices.dtype),
                     np.diff(matrix.indptr))[nonzero]
    # A column's offset from its row, dy * width + dx, shifted to [1, 2 width + 3], picks
    # its slot from a table (slot 9 collects anything outside the window, clipped to either
    # end): a tenth of the time of working dy out by integer division at 1 MP.
    offsets = matrix.indices[nonzero] - rows + (width + 2)
    np.clip(offsets, 0, 2 * width + 4, out=offsets)
    slot_of_offset = np.full(2 * width + 5, 9, np.intp)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            slot_of_offset[dy * width + dx + width + 2] = (dy + 1) * 3 + dx + 1
    stencil = np.zeros((10, pixels), matrix.dtype)
    stencil[slot_of_offset[offsets], rows] = matrix.data[nonzero]
    return stencil[:9].reshape(3, 3, height, width)


def _interpolation(stencil: np.ndarray) -> tuple[sparse.csr_matrix, tuple[int, int]]:
    """Operator-dependent interpolation from the pixels at even (y, x) (Dendy's rule).

    A pixel between two coarse pixels on its row takes them with weights from its
    row's stencil summed over each column (west, east), divided by the middle
    column's sum; likewise on a column. A pixel between four coarse pixels solves its
    own equation given its interpolated neighbours. Denominators are kept at least
    the sum of the weights' magnitudes, so no weight exceeds 1.

    Returns the (H*W, Hc*Wc) matrix P and the coarse shape (Hc, Wc).
    """
    _, _, height, width = stencil.shape
    coarse_height, coarse_width = (height + 1) // 2, (width + 1) // 2
    tiny = np.finfo(stencil.dtype).tiny

    def ratio(side_a, side_b, middle):
        denominator = np.maximum(np.maximum(np.abs(middle), np.abs(side_a) + np.abs(side_b)),
                                 tiny)
        return side_a / denominator, side_b / denominator

    west, east = ratio(-stencil[:, 0].sum(axis=0), -stencil[:, 2].sum(axis=0),
                       stencil[:, 1].sum(axis=0))
    north, south = ratio(-stencil[0].sum(axis=0), -stencil[2].sum(axis=0),
                         stencil[1].sum(axis=0))
    # Weights of each fine pixel to its coarse neighbours (y0, x0), (y0, x1), (y1, x0),
    # (y1, x1) where y0 = y // 2, y1 = (y + 1) // 2 (likewise x).
    weights = np.zeros((4, height, width), stencil.dtype)
    weights[0, ::2, ::2] = 1.0
    weights[0, ::2, 1::2], weights[1, ::2, 1::2] = west[::2, 1::2], east[::2, 1::2]
    weights[0, 1::2, ::2], weights[2, 1::2, ::2] = north[1::2, ::2], south[1::2, ::2]

    # Pixels at odd (y, x): their own equation with the 8 neighbours interpolated.
    # Strided slices (not index arrays) pick the odd pixels' neighbours; the padding
    # gives 0 beyond the border.
    odd_rows, odd_columns = height // 2, width // 2

    def around_odd(array, dy, dx):
        padded = np.pad(array, 1)
        return padded[2 + dy : 2 + dy + 2 * odd_rows : 2, 2 + dx : 2 + dx + 2 * odd_columns : 2]

    def coupling(dy, dx):
        return -stencil[dy + 1, dx + 1, 1::2, 1::2]

    corner = [
        coupling(-1, -1) + coupling(-1, 0) * around_odd(west, -1, 0)
        + coupling(0, -1) * around_odd(north, 0, -1),
        coupling(-1, 1) + coupling(-1, 0) * around_odd(east, -1, 0)
        + coupling(0, 1) * around_odd(north, 0, 1),
        coupling(1, -1) + coupling(1, 0) * around_odd(west, 1, 0)
        + coupling(0, -1) * around_odd(south, 0, -1),
        coupling(1, 1) + coupling(1, 0) * around_odd(east, 1, 0)
        + coupling(0, 1) * around_odd(south, 0, 1),
    ]
    denominator = np.maximum(np.abs(stencil[1, 1, 1::2, 1::2]),
                             sum(np.abs(c) for c in corner))
    denominator = np.maximum(denominator, tiny)
    for index, value in enumerate(corner):
        weights[index, 1::2, 1::2] = value / denominator

    # Four slots a row, in CSR order directly; slots that repeat a column (at the
    # last row or column) or hold 0 are dropped after.
    index_dtype = np.int32 if 4 * height * width < 2**31 else np.int64
    rows_y = np.arange(height, dtype=index_dtype)[:, None]
    columns_x = np.arange(width, dtype=index_dtype)[None, :]
    y0, y1 = rows_y // 2, np.minimum((rows_y + 1) // 2, coarse_height - 1)
    x0, x1 = columns_x // 2, np.minimum((columns_x + 1) // 2, coarse_width - 1)
    columns = np.empty((height, width, 4), index_dtype)
    columns[..., 0] = y0 * coarse_width + x0
    columns[..., 1] = y0 * coarse_width + x1
    columns[..., 2] = y1 * coarse_width + x0
    columns[..., 3] = y1 * coarse_width + x1
    interpolation = sparse.csr_matrix(
        (np.moveaxis(weights, 0, -1).ravel(), columns.ravel(),
         np.arange(0, 4 * height * width + 1, 4, dtype=index_dtype)),
        shape=(height * width, coarse_height * coarse_width))
    interpolation.sum_duplicates()
    interpolation.eliminate_zeros()
    return interpolation, (coarse_height, coarse_width)


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
