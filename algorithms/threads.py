"""Image work split into bands of rows that run at once on the machine's cores.

NumPy's array arithmetic and SciPy's sparse products release Python's lock while
they run, so bands of an image worked on in threads use every core: the grid
multigrid's set-up at 1 MP took 2.3 times less time for its Galerkin products on 2
cores (benchmarks/bench_levin.py). Each band must write only its own rows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import scipy.sparse as sparse

__all__ = ["RowBandedMatrix", "band_edges", "in_row_bands", "row_slice", "usable_cores"]

Result = TypeVar("Result")

#: Bands are at least this many rows (or items): below it a thread costs more than it saves.
MIN_BAND = 32

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def band_edges(rows: int, min_band: int = MIN_BAND) -> list[int]:
    """Where :func:`in_row_bands` splits ``range(rows)``: one band per usable core, fewer
    when bands would be under ``min_band`` rows; [0, ..., rows]."""
    bands = max(1, min(usable_cores(), rows // max(min_band, 1)))
    return [rows * band // bands for band in range(bands + 1)]


def in_row_bands(work: Callable[[int, int], Result], rows: int,
                 min_band: int = MIN_BAND) -> list[Result]:
    """``work(first, stop)`` for consecutive bands [first, stop) covering ``range(rows)``,
    one band per usable core (fewer when bands would be under ``min_band`` rows), run at
    once; the results in band order. The calling thread works on the last band itself.
    ``work`` must not call this function (its bands would wait for the pool's threads,
    which may be waiting for theirs)."""
    global _pool
    edges = band_edges(rows, min_band)
    if len(edges) == 2:
        return [work(0, rows)]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=usable_cores(),
                                       thread_name_prefix="row-band")
    others = [_pool.submit(work, first, stop) for first, stop in zip(edges[:-2], edges[1:-1])]
    last = work(edges[-2], edges[-1])
    return [future.result() for future in others] + [last]


class RowBandedMatrix:
    """A CSR or diagonal-format matrix whose products with vectors run in bands of its
    rows at once.

    For the products of one solve that runs alone: two solves in two threads already
    keep two cores busy (there the bands only take turns).
    """

    def __init__(self, matrix: sparse.csr_matrix | sparse.dia_matrix,
                 min_band: int = 65536) -> None:
        self.matrix = matrix
        self.shape = matrix.shape
        self._min_band = min_band
        edges = band_edges(matrix.shape[0], min_band)
        self._bands = {first: row_slice(matrix, first, stop)
                       for first, stop in zip(edges[:-1], edges[1:])}

    def each_band(self, work: Callable[[int, int, sparse.spmatrix], None]) -> None:
        """``work(first, stop, rows)`` for each band of rows [first, stop), ``rows`` being
        the matrix's rows there, at once (see :func:`in_row_bands`)."""
        in_row_bands(lambda first, stop: work(first, stop, self._bands[first]),
                     self.shape[0], self._min_band)

    def __matmul__(self, vector: np.ndarray) -> np.ndarray:
        if len(self._bands) == 1:
            return self.matrix @ vector
        product = np.empty(self.shape[0], np.result_type(self.matrix.dtype, vector.dtype))

        def band(first: int, stop: int, rows: sparse.spmatrix) -> None:
            product[first:stop] = rows @ vector

        self.each_band(band)
        return product


def row_slice(matrix: sparse.csr_matrix | sparse.dia_matrix, first: int,
              stop: int) -> sparse.csr_matrix | sparse.dia_matrix:
    """Rows [first, stop) of a CSR or diagonal-format matrix, sharing its data."""
    if isinstance(matrix, sparse.dia_matrix):
        # Entry (i, j) of diagonal k is data[k, j], by column: the rows from ``first`` on
        # are the same diagonals, each ``first`` further right.
        return sparse.dia_matrix((matrix.data, matrix.offsets + first),
                                 shape=(stop - first, matrix.shape[1]))
    start, end = matrix.indptr[first], matrix.indptr[stop]
    return sparse.csr_matrix(
        (matrix.data[start:end], matrix.indices[start:end],
         matrix.indptr[first : stop + 1] - start), shape=(stop - first, matrix.shape[1]))
