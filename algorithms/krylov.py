"""GMRES for several right-hand sides, stopped on an estimate of the error itself.

The systems of :mod:`algorithms.multigrid` (Levin's scribble system among them) are
non-symmetric and badly conditioned wherever a region is nearly cut off from the
hints: there a tiny residual can hide a large error. :class:`PreconditionedSolver`
runs right-preconditioned GMRES, written out so that the iterate can be formed at
any step, and :meth:`PreconditionedSolver.solve_accurately` stops when the changes
of the iterate say that the error left is below a tolerance.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

from algorithms.progress import Reporter

#: GMRES iterations between two error estimates of :meth:`solve_accurately`.
ITERATIONS_PER_CHECK = 8

#: Krylov vectors per right-hand side in :meth:`solve_accurately` before a restart.
KRYLOV_VECTORS = 32


@dataclass
class AccuracyReport:
    """What :meth:`solve_accurately` reached, per right-hand side.

    ``error_estimates`` is the estimated largest remaining error of each column
    (in its own units; inf where no rate could be measured), ``last_changes`` the
    largest change of any unknown at each column's last check, ``converged`` whether
    every estimate fell below the tolerance, ``iterations`` the GMRES iterations each
    took.
    """

    error_estimates: tuple[float, ...]
    last_changes: tuple[float, ...]
    converged: bool
    iterations: tuple[int, ...]


class PreconditionedSolver:
    """GMRES on ``self.matrix`` with ``self._preconditioner``, several columns at once
    (subclasses set both)."""

    #: Called as trace(column, x, change, estimate) after each round of
    #: :meth:`solve_accurately` when set (for benchmarks).
    trace = None

    matrix: sparse.csr_matrix
    _preconditioner: sparse_linalg.LinearOperator

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

        Stops when the residual of the system itself, ``|rhs - matrix @ x|``, is below
        ``tolerance`` times ``|rhs|`` (per column; GMRES is preconditioned on the right,
        so this is the residual it minimises, not a preconditioned one), or after
        ``max_iterations``. ``guess`` (N, C) is the starting point (zero when None).
        GMRES restarts every ``krylov_vectors`` iterations, which bounds its memory.
        """
        rhs = np.asarray(rhs, dtype=self.matrix.dtype)
        reporter = reporter or Reporter()
        iterations = [0] * rhs.shape[1]

        def solve_column(column: int) -> np.ndarray:
            b = np.ascontiguousarray(rhs[:, column])
            x = np.zeros_like(b) if guess is None else np.array(guess[:, column], rhs.dtype)
            target = tolerance * float(np.linalg.norm(b))

            def check(_candidate, _previous, steps: int, _checks: int) -> bool:
                iterations[column] += steps
                reporter(min(sum(iterations) / (15 * len(iterations)), 0.95), "solving")
                return False

            while iterations[column] < max_iterations:
                x, done = self._gmres_cycle(
                    b, x, min(krylov_vectors, max_iterations - iterations[column]), check,
                    krylov_vectors, residual_target=target)
                if done:
                    break
            return x

        solutions = self._each_column(solve_column, rhs.shape[1])
        self.last_iterations = tuple(iterations)
        return np.stack(solutions, axis=1)

    def solve_accurately(
        self,
        rhs: np.ndarray,
        *,
        guess: np.ndarray | None = None,
        error_tolerance: float,
        residual_tolerance: float = 0.0,
        max_iterations: int = 160,
        krylov_vectors: int = KRYLOV_VECTORS,
        check_every: int = ITERATIONS_PER_CHECK,
        root_mean_square: bool = False,
        reporter: Reporter | None = None,
    ) -> tuple[np.ndarray, AccuracyReport]:
        """Solve until the estimated error of every unknown is below ``error_tolerance``.

        Right-preconditioned GMRES; every ``check_every`` iterations its current
        iterate is formed, and the largest change of any unknown since the last check,
        d_k, with its ratio to the previous change, rho = d_k / d_(k-1), estimates the
        error still left: a method that shrinks the error by rho per check has
        d_k rho / (1 - rho) of it to go (a geometric series). rho is taken as at least
        1/2, so the estimate is never below d_k (measured on the dev photos, the
        plain series underestimated the error up to 18-fold). The solve stops once the
        estimate is below the tolerance (and, with ``residual_tolerance``, the relative
        residual ``|b - A x| / |b|`` below that: a stalled GMRES changes its iterate
        little, which would read as converged, but leaves the residual where it was),
        or at ``max_iterations``. GMRES's own residual
        is not the test: on this ill-conditioned system a tiny residual can hide a large
        error. With ``root_mean_square`` the changes, and so the estimate and the
        tolerance, are root-mean-square over the unknowns instead of the largest. The Krylov
        basis holds up to ``krylov_vectors`` vectors per column (then GMRES restarts
        from its current iterate): the slow modes of this system, regions nearly cut
        off from the hints, need a long basis.
        """
        rhs = np.asarray(rhs, dtype=self.matrix.dtype)
        columns = rhs.shape[1]
        reporter = reporter or Reporter()
        iterations = [0] * columns
        estimates = [np.inf] * columns
        last_changes = [np.inf] * columns

        def solve_column(column: int) -> np.ndarray:
            b = np.ascontiguousarray(rhs[:, column])
            x = (np.zeros_like(b) if guess is None
                 else np.array(guess[:, column], dtype=rhs.dtype))
            residual_target = residual_tolerance * float(np.linalg.norm(b))
            changes: list[float] = []

            def check(candidate: np.ndarray, previous: np.ndarray, steps: int,
                      checks_this_cycle: int) -> bool:
                difference = candidate - previous
                change = (float(np.sqrt(np.mean(difference * difference))) if root_mean_square
                          else float(np.abs(difference).max()))
                iterations[column] += steps
                changes.append(change)
                estimates[column] = _remaining_error(changes, after_restart=checks_this_cycle == 1)
                last_changes[column] = change
                if self.trace is not None:
                    self.trace(column, candidate, change, estimates[column])
                reporter(min(sum(iterations) / (columns * max_iterations), 0.95), "solving")
                if estimates[column] > error_tolerance:
                    return False
                if residual_target > 0 and float(np.linalg.norm(
                        b - self.matrix @ candidate)) > residual_target:
                    estimates[column] = np.inf  # the change is small, but the solve stalled
                    return False
                return True

            while iterations[column] < max_iterations:
                x, done = self._gmres_cycle(
                    b, x, min(krylov_vectors, max_iterations - iterations[column]), check,
                    check_every)
                if done:
                    break
            return x

        solutions = self._each_column(solve_column, columns)
        self.last_iterations = tuple(iterations)
        converged = all(estimate <= error_tolerance for estimate in estimates)
        return np.stack(solutions, axis=1), AccuracyReport(
            tuple(float(e) for e in estimates), tuple(last_changes), converged,
            tuple(iterations))

    def _gmres_cycle(self, b: np.ndarray, x: np.ndarray, steps: int, check,
                     check_every: int, residual_target: float = 0.0) -> tuple:
        """Up to ``steps`` iterations of right-preconditioned GMRES from ``x``.

        Every ``check_every`` iterations (and at the end) the iterate is formed
        and ``check(iterate, last iterate, iterations since, checks in this cycle)``
        called; returns (the last iterate, True when a check said stop or the residual
        norm fell to ``residual_target``). Written out (Arnoldi with
        classical Gram-Schmidt, repeated where needed) so that the iterate can be formed
        mid-cycle; SciPy's gmres gives it only at restarts. The preconditioned
        vectors are kept (as in flexible GMRES), so forming the iterate costs a
        linear combination, not another multigrid cycle.
        """
        residual = b - self._product(x)
        norm = float(np.linalg.norm(residual))
        if norm <= residual_target or norm == 0.0:
            return x, True
        basis = np.empty((steps + 1, len(b)), b.dtype)
        # Kept in float32: the products below use the stored values, so the Arnoldi
        # relation, and with it the residual GMRES minimises, hold exactly all the same.
        preconditioned = np.empty((steps, len(b)), np.float32)
        hessenberg = np.zeros((steps + 1, steps))
        basis[0] = residual / norm
        start, last, last_step, checks = x, x, 0, 0
        for step in range(steps):
            preconditioned[step] = self._preconditioner.matvec(basis[step])
            w = self._product(preconditioned[step])
            # Classical Gram-Schmidt, repeated only where the first pass cancelled
            # most of w (Kahan's "twice is enough" test): each pass reads the whole
            # basis, the larger part of an iteration's cost outside the multigrid.
            length = float(np.linalg.norm(w))
            for _ in range(2):
                coefficients = basis[: step + 1] @ w
                w -= coefficients @ basis[: step + 1]
                hessenberg[: step + 1, step] += coefficients
                previous_length, length = length, float(np.linalg.norm(w))
                if length > 0.5 * previous_length:
                    break
            hessenberg[step + 1, step] = length
            breakdown = hessenberg[step + 1, step] <= 1e-14 * norm
            if not breakdown:
                basis[step + 1] = w / hessenberg[step + 1, step]
            target = np.zeros(step + 2)
            target[0] = norm
            coefficients, residuals, *_ = np.linalg.lstsq(
                hessenberg[: step + 2, : step + 1], target, rcond=None)
            reached = residuals.size > 0 and np.sqrt(residuals[0]) <= residual_target
            if breakdown or reached or step + 1 == steps or (step + 1) % check_every == 0:
                # One float32 product over the block (float64 coefficients would first
                # copy the block to float64); its rounding, 1e-7 of the correction, is far
                # below any tolerance here.
                candidate = start + coefficients.astype(np.float32) @ preconditioned[: step + 1]
                checks += 1
                stop = check(candidate, last, step + 1 - last_step, checks)
                last, last_step = candidate, step + 1
                if stop or breakdown or reached:
                    return last, True
        return last, False

    def _product(self, vector: np.ndarray) -> np.ndarray:
        """``self.matrix @ vector`` (subclasses may spread it over idle cores)."""
        return self.matrix @ vector

    #: How many columns' solves are running now (a preconditioner may spread the
    #: products of one that runs alone over the cores the others have left).
    columns_running = 0

    def _each_column(self, solve_column, columns: int) -> list[np.ndarray]:
        # One thread per right-hand side (SciPy's sparse products release the GIL), and
        # one BLAS thread each: on a busy machine OpenBLAS's own threads made the
        # Krylov basis products five times slower than one thread.
        from threadpoolctl import threadpool_limits

        lock = threading.Lock()
        self.columns_running = min(columns, 2)

        def solve_and_count(column: int) -> np.ndarray:
            try:
                return solve_column(column)
            finally:
                with lock:
                    self.columns_running -= 1

        with threadpool_limits(limits=1, user_api="blas"):
            if columns == 1:
                return [solve_and_count(0)]
            with ThreadPoolExecutor(max_workers=min(columns, 2)) as pool:
                return list(pool.map(solve_and_count, range(columns)))


def _remaining_error(changes: list[float], after_restart: bool = True) -> float:
    """Estimated error left after a run of iterates whose successive changes are ``changes``.

    A method that shrinks the error by rho per check has d rho / (1 - rho) of it to
    go after a change d (a geometric series). rho is measured over the last (up to)
    four checks, not the last two: restarted GMRES progresses unevenly, and a single
    ratio swung between 0.05 and 3 on the dev photos. rho is taken as at least 1/2.
    d is the last change, or, ``after_restart`` (GMRES restarted between the last two
    checks), the larger of the last two: just after a restart GMRES may stall, and one
    small step must not end the solve. inf until three checks have been made or while
    the changes grow.
    """
    if len(changes) < 3:
        return np.inf
    span = min(len(changes) - 1, 4)
    earlier = changes[-1 - span]
    latest = max(changes[-1], changes[-2]) if after_restart else changes[-1]
    if earlier == 0 or latest == 0:
        return 0.0 if latest == 0 else np.inf
    ratio = max((changes[-1] / earlier) ** (1 / span), 0.5)
    return latest * ratio / (1 - ratio) if ratio < 1 else np.inf
