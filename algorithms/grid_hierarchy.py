"""The levels of the grid multigrid (:class:`algorithms.multigrid.GridMultigrid`).

A system on the pixel grid whose rows couple each pixel to its 3x3 window is held
both as a stencil, (3, 3, H, W) or (9, H, W): entry [dy + 1, dx + 1, y, x] couples
pixel (y, x) to (y + dy, x + dx), and as the CSR matrix of that stencil. The next
coarser grid keeps every second pixel in each direction; :func:`interpolation`
carries values from it to the fine grid along the fine stencil's couplings, and
:func:`coarse_stencil` forms the coarse system, the Galerkin product R A P with
R = P^T, as a 3x3 stencil again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sparse

from algorithms.threads import in_row_bands, row_slice

__all__ = ["coarse_stencil", "diagonal_matrix", "interpolation", "lump_positive_couplings",
           "stencil_matrix", "stencil_of"]

#: Pixels transposed at a time by :func:`stencil_matrix`.
_TRANSPOSE_BAND = 65536


def _index_dtype(entries: int) -> type[np.int32] | type[np.int64]:
    return np.int32 if entries < 2**31 else np.int64


def stencil_matrix(stencil: np.ndarray, dtype: npt.DTypeLike = np.float32) -> sparse.csr_matrix:
    """The (H*W, H*W) CSR matrix of a ((2 r + 1)^2, H, W) stencil, every row with all its
    slots (entries outside the image, and zeros, are kept as explicit zeros at columns
    clipped into the image)."""
    entries, height, width = stencil.shape
    radius = int(round(np.sqrt(entries))) // 2
    pixels = height * width
    index_dtype = _index_dtype(pixels * entries)
    offsets = np.array([dy * width + dx for dy in range(-radius, radius + 1)
                        for dx in range(-radius, radius + 1)], index_dtype)
    columns = np.empty((pixels, entries), index_dtype)
    values = np.empty((pixels, entries), dtype)
    flat = stencil.reshape(entries, pixels)

    def fill(first: int, stop: int) -> None:
        # Transposed a band of pixels at a time: the whole stencil at once (or slot by
        # slot) took 2 to 5 times as long at 1-4 MP, each pass leaving the CPU's cache.
        for start in range(first, stop, _TRANSPOSE_BAND):
            end = min(start + _TRANSPOSE_BAND, stop)
            values[start:end] = flat[:, start:end].T
            band = columns[start:end]
            np.add(np.arange(start, end, dtype=index_dtype)[:, None], offsets, out=band)
            # Out-of-image neighbours have entry 0; clipping keeps their column in range.
            np.clip(band, 0, pixels - 1, out=band)

    in_row_bands(fill, pixels, min_band=_TRANSPOSE_BAND)
    return sparse.csr_matrix(
        (values.ravel(), columns.ravel(),
         np.arange(0, pixels * entries + 1, entries, dtype=index_dtype)),
        shape=(pixels, pixels),
    )


def diagonal_matrix(stencil: np.ndarray,
                    dtype: npt.DTypeLike = np.float32) -> sparse.dia_matrix:
    """The (H*W, H*W) matrix of a 3x3 stencil (9, H, W) in SciPy's diagonal format.

    Its products read nine values a row and no column indices: 1.7-1.9 times as fast as
    the CSR matrix's at 0.25-1 MP, with the same sums in the same order.
    """
    height, width = stencil.shape[-2:]
    pixels = height * width
    flat = stencil.reshape(9, pixels)
    if width < 3 or height < 2:  # slots would share a diagonal: through CSR, which sums
        return stencil_matrix(stencil.reshape(9, height, width), dtype).todia()
    offsets = [dy * width + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    # SciPy stores entry (i, i + offset) at data[k, i + offset], by column.
    data = np.empty((9, pixels), dtype)
    for slot, offset in enumerate(offsets):
        if offset >= 0:
            data[slot, offset:] = flat[slot, : pixels - offset]
            data[slot, :offset] = 0
        else:
            data[slot, : pixels + offset] = flat[slot, -offset:]
            data[slot, pixels + offset :] = 0
    return sparse.dia_matrix((data, offsets), shape=(pixels, pixels))


def stencil_of(matrix: sparse.csr_matrix, height: int, width: int, *,
               first_pixel: int = 0, out: np.ndarray | None = None,
               unique_columns: bool = False) -> np.ndarray:
    """The 3x3 stencil (3, 3, H, W) of a grid matrix: [dy + 1, dx + 1, y, x] is the entry
    of pixel (y, x)'s row at (y + dy, x + dx). Explicit zeros (which may stand at any
    column, even one that repeats a real neighbour's) are skipped, and so is anything
    outside the 3x3 window; the grid must be at least 3 pixels wide.

    ``matrix`` may hold only the rows of pixels ``first_pixel`` on; they are then written
    into ``out`` (10, H*W), which the other rows' calls share (row 9 collects what lies
    outside the window). ``unique_columns`` says that no row repeats a column (as in a
    product SciPy formed), which saves the zeros' test.
    """
    pixels = height * width
    rows = np.repeat(np.arange(first_pixel, first_pixel + matrix.shape[0],
                               dtype=matrix.indices.dtype), np.diff(matrix.indptr))
    columns, values = matrix.indices, matrix.data
    if not unique_columns:
        nonzero = values != 0
        rows, columns, values = rows[nonzero], columns[nonzero], values[nonzero]
    # A column's offset from its row, dy * width + dx, shifted to [1, 2 width + 3], picks
    # its slot from a table (slot 9 collects anything outside the window, clipped to either
    # end): a tenth of the time of working dy out by integer division at 1 MP.
    offsets = columns - rows
    offsets += width + 2
    np.clip(offsets, 0, 2 * width + 4, out=offsets)
    slot_of_offset = np.full(2 * width + 5, 9, np.intp)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            slot_of_offset[dy * width + dx + width + 2] = (dy + 1) * 3 + dx + 1
    target = np.zeros((10, pixels), matrix.dtype) if out is None else out
    target[slot_of_offset[offsets], rows] = values
    return target[:9].reshape(3, 3, height, width)


def lump_positive_couplings(stencil: np.ndarray) -> np.ndarray:
    """Move each positive off-centre entry of a (9, ...) stencil onto its centre, in place.

    Galerkin products of a non-symmetric system gain positive couplings (on the dev
    photos up to 6 times the diagonal on the first coarse grid, on most rows of the
    third), and Gauss-Seidel on such a grid amplifies rather than smooths. Moving them
    to the diagonal keeps each row's sum, hence the constant vector's image, and gives
    back an M-matrix: on the dev photos at 0.25 MP, 4 GMRES iterations instead of 10
    to reach 45 dB against the exact solution.
    """
    centre = stencil[4]
    for slot in (0, 1, 2, 3, 5, 6, 7, 8):
        positive = np.maximum(stencil[slot], 0)
        centre += positive
        stencil[slot] -= positive
    return stencil


def coarse_stencil(matrix: sparse.csr_matrix, interpolation_matrix: sparse.csr_matrix,
                   restriction: sparse.csr_matrix,
                   coarse_shape: tuple[int, int]) -> np.ndarray:
    """The (9, Hc, Wc) stencil of R A P, positive couplings lumped (see
    :func:`lump_positive_couplings`), formed in bands of coarse rows at once."""
    height, width = coarse_shape
    stencil = np.zeros((10, height * width), matrix.dtype)

    def band(first: int, stop: int) -> None:
        rows = row_slice(restriction, first * width, stop * width)
        product = ((rows @ matrix) @ interpolation_matrix).tocsr()
        stencil_of(product, height, width, first_pixel=first * width, out=stencil,
                   unique_columns=True)
        lump_positive_couplings(stencil[:, first * width : stop * width])

    in_row_bands(band, height, min_band=8)
    return stencil[:9].reshape(9, height, width)


def _weights_of(stencil: np.ndarray) -> np.ndarray:
    """(H, W, 4) weights of each fine pixel of a (3, 3, H, W) stencil to its coarse
    neighbours (y0, x0), (y0, x1), (y1, x0), (y1, x1), where y0 = y // 2, y1 = (y + 1) // 2
    (likewise x); see :func:`interpolation`."""
    _, _, height, width = stencil.shape
    tiny = np.finfo(stencil.dtype).tiny

    def ratio(side_a, side_b, middle):
        denominator = np.maximum(np.maximum(np.abs(middle), np.abs(side_a) + np.abs(side_b)),
                                 tiny)
        return side_a / denominator, side_b / denominator

    def column_sum(index):
        return stencil[0, index] + stencil[1, index] + stencil[2, index]

    def row_sum(index):
        return stencil[index, 0] + stencil[index, 1] + stencil[index, 2]

    west, east = ratio(-column_sum(0), -column_sum(2), column_sum(1))
    north, south = ratio(-row_sum(0), -row_sum(2), row_sum(1))
    weights = np.zeros((height, width, 4), stencil.dtype)
    weights[::2, ::2, 0] = 1.0
    weights[::2, 1::2, 0], weights[::2, 1::2, 1] = west[::2, 1::2], east[::2, 1::2]
    weights[1::2, ::2, 0], weights[1::2, ::2, 2] = north[1::2, ::2], south[1::2, ::2]

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
        weights[1::2, 1::2, index] = value / denominator

    return weights


def interpolation(stencil: np.ndarray) -> tuple[sparse.csr_matrix, tuple[int, int]]:
    """Operator-dependent interpolation from the pixels at even (y, x) (Dendy's rule).

    A pixel between two coarse pixels on its row takes them with weights from its
    row's stencil summed over each column (west, east), divided by the middle
    column's sum; likewise on a column. A pixel between four coarse pixels solves its
    own equation given its interpolated neighbours. Denominators are kept at least
    the sum of the weights' magnitudes, so no weight exceeds 1.

    Returns the (H*W, Hc*Wc) matrix P, in the stencil's dtype, and the coarse shape (Hc, Wc).
    """
    stencil = stencil.reshape(3, 3, *stencil.shape[-2:])
    _, _, height, width = stencil.shape
    coarse_height, coarse_width = (height + 1) // 2, (width + 1) // 2
    weights = np.empty((height, width, 4), stencil.dtype)

    def band(first: int, stop: int) -> None:
        # Bands of row pairs, so each starts at an even row; the odd rows' weights need the
        # row below the band as well.
        top, bottom = 2 * first, min(2 * stop, height)
        weights[top:bottom] = _weights_of(stencil[:, :, top : min(bottom + 1, height)])[
            : bottom - top]

    in_row_bands(band, coarse_height)

    # On an even last row (column) y1 = y0 (x1 = x0): its south (east) weights join the
    # north (west) ones, so that no row repeats a column.
    if height % 2 == 0:
        weights[-1, :, :2] += weights[-1, :, 2:]
        weights[-1, :, 2:] = 0
    if width % 2 == 0:
        weights[:, -1, ::2] += weights[:, -1, 1::2]
        weights[:, -1, 1::2] = 0
    index_dtype = _index_dtype(4 * height * width)
    rows_y = np.arange(height, dtype=index_dtype)[:, None]
    columns_x = np.arange(width, dtype=index_dtype)[None, :]
    y0, y1 = rows_y // 2, np.minimum((rows_y + 1) // 2, coarse_height - 1)
    x0, x1 = columns_x // 2, np.minimum((columns_x + 1) // 2, coarse_width - 1)
    columns = np.empty((height, width, 4), index_dtype)
    columns[..., 0] = y0 * coarse_width + x0
    columns[..., 1] = y0 * coarse_width + x1
    columns[..., 2] = y1 * coarse_width + x0
    columns[..., 3] = y1 * coarse_width + x1
    # Four slots a row, in CSR order directly; the zeros (the slots a pixel does not use,
    # and the merged ones above) dropped after, which leaves the columns of a row rising.
    matrix = sparse.csr_matrix(
        (weights.ravel(), columns.ravel(),
         np.arange(0, 4 * height * width + 1, 4, dtype=index_dtype)),
        shape=(height * width, coarse_height * coarse_width))
    matrix.eliminate_zeros()
    matrix.has_sorted_indices = True
    return matrix, (coarse_height, coarse_width)
