"""Algebraic-multigrid-preconditioned GMRES for image-grid systems such as Levin's.

The scribble system is a sparse, non-symmetric M-matrix whose couplings follow
the photo's edges in every direction, and it is badly conditioned wherever a
region is nearly cut off from the hints. A direct solve costs tens of seconds
and gigabytes at one megapixel. Measured on the dev photos (see
benchmarks/bench_levin.py), a geometric hierarchy (every second pixel) cannot
follow those couplings and stalls; Ruge-Stuben classical AMG from pyamg, with
classical interpolation, is the cheapest set-up here that makes GMRES on the
exact system converge. Each right-hand side runs in its own thread: SciPy's
sparse products release the GIL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

from algorithms.progress import Reporter

#: Ruge-Stuben strength threshold: a coupling is strong above this fraction of
#: the row's largest one.
STRENGTH_THRESHOLD = 0.25


class AlgebraicMultigrid:
    """GMRES with one Ruge-Stuben V-cycle as preconditioner, for a fixed sparse matrix.

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
    def levels(self) -> int:
        """Number of grids in the hierarchy, the finest included."""
        return len(self.hierarchy.levels)

    def solve(
        self,
        rhs: np.ndarray,
        *,
        guess: np.ndarray | None = None,
        tolerance: float = 1e-3,
        max_iterations: int = 40,
        krylov_vectors: int = 20,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """Solve ``matrix @ x = rhs`` for each column of ``rhs`` (N, C), concurrently.

        ``tolerance`` is the residual norm relative to each column's norm; ``guess``
        (N, C) is the starting point (zero when None). GMRES restarts every
        ``krylov_vectors`` iterations, which bounds its memory to that many vectors
        per column.
        """
        rhs = np.asarray(rhs, dtype=self.matrix.dtype)
        columns = rhs.shape[1]
        reporter = reporter or Reporter()
        iterations = [0] * columns

        def solve_column(column: int) -> np.ndarray:
            def on_iteration(_residual_norm: float) -> None:
                iterations[column] += 1
                reporter(min(sum(iterations) / (15 * columns), 0.95), "solving")

            start = None if guess is None else np.ascontiguousarray(guess[:, column], rhs.dtype)
            solution, _info = sparse_linalg.gmres(
                self.matrix,
                np.ascontiguousarray(rhs[:, column]),
                x0=start,
                M=self._preconditioner,
                rtol=tolerance,
                atol=0.0,
                restart=min(krylov_vectors, max_iterations),
                maxiter=-(-max_iterations // krylov_vectors),  # restart cycles
                callback=on_iteration,
                callback_type="pr_norm",
            )
            return solution

        with ThreadPoolExecutor(max_workers=min(columns, 2)) as pool:
            solutions = list(pool.map(solve_column, range(columns)))
        self.last_iterations = tuple(iterations)
        return np.stack(solutions, axis=1)
