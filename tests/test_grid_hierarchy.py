"""Known answers for the grid multigrid's levels (algorithms.grid_hierarchy) and for the
work it spreads over row bands in threads (algorithms.threads)."""

import numpy as np
import pytest
import scipy.sparse as sparse

from algorithms import threads
from algorithms.grid_hierarchy import (
    coarse_stencil,
    diagonal_matrix,
    interpolation,
    stencil_matrix,
)
from algorithms.levin_solvers import multigrid_for
from algorithms.levin_system import (
    _dense_hint_coupling,
    affinity_weights,
    hint_coupling,
    levin_stencil,
    right_hand_side,
)
from tests.test_scribble import scattered_hints, soft_photo


@pytest.fixture
def three_cores(monkeypatch):
    """Bands as on a 3-core machine, whatever this one has."""
    monkeypatch.setattr(threads, "usable_cores", lambda: 3)


def test_row_bands_cover_the_rows_in_order_once(three_cores):
    seen = threads.in_row_bands(lambda first, stop: (first, stop), 100, min_band=10)
    assert seen == [(0, 33), (33, 66), (66, 100)]
    assert threads.in_row_bands(lambda first, stop: (first, stop), 25, min_band=10) == [
        (0, 12), (12, 25)]  # two bands of at least 10 rows, not three


def test_a_row_banded_product_is_the_matrix_product(three_cores):
    matrix = sparse.random(500, 400, density=0.02, format="csr", random_state=1,
                           dtype=np.float32)
    vector = np.random.default_rng(2).standard_normal(400).astype(np.float32)
    banded = threads.RowBandedMatrix(matrix, min_band=50)
    np.testing.assert_array_equal(banded @ vector, matrix @ vector)


@pytest.mark.parametrize("shape", [(30, 41), (1, 7), (7, 1)])
def test_the_diagonal_format_is_the_stencils_matrix_and_bands_of_it_its_rows(
        three_cores, shape):
    luma = soft_photo(30, 41)[: shape[0], : shape[1]]
    _, hint_mask = scattered_hints(luma.shape, 3) if min(shape) > 3 else (None,
                                                                          np.zeros(shape, bool))
    stencil = levin_stencil(luma, hint_mask)
    diagonals = diagonal_matrix(stencil, np.float64)
    expected = stencil_matrix(stencil, np.float64).toarray()
    np.testing.assert_array_equal(diagonals.toarray(), expected)
    vector = np.random.default_rng(4).standard_normal(luma.size)
    banded = threads.RowBandedMatrix(diagonals, min_band=5)
    np.testing.assert_allclose(banded @ vector, diagonals @ vector, rtol=1e-12, atol=1e-12)


def test_the_banded_stencil_is_the_whole_images(three_cores):
    luma = soft_photo(200, 90)
    hint_mask = np.zeros(luma.shape, bool)
    hint_mask[40:45, 10:20] = True
    for radius in (1, 2):
        stencil, sums = levin_stencil(luma, hint_mask, radius, return_sums=True)
        weights, whole_sums = affinity_weights(luma, radius, return_sums=True)
        centre = len(weights) // 2
        expected = np.concatenate([-weights[:centre], np.ones((1, *luma.shape), np.float32),
                                   -weights[centre:]])
        expected[:, hint_mask] = 0.0
        expected[centre, hint_mask] = 1.0
        np.testing.assert_array_equal(stencil, expected)
        np.testing.assert_array_equal(sums, whole_sums)


@pytest.mark.parametrize("hint_share", [0.003, 0.6])
def test_hint_coupling_near_the_hints_is_the_whole_images(hint_share):
    """Sparse hints take the path that visits only their neighbours, dense ones the
    whole image; values at pixels that are not hints are never read."""
    rng = np.random.default_rng(3)
    luma = soft_photo(61, 47)
    hint_mask = rng.random(luma.shape) < hint_share
    hint_mask[0, 0] = hint_mask[-1, -1] = hint_mask[0, -1] = True  # corners: clipped windows
    hint_values = rng.standard_normal((*luma.shape, 2)).astype(np.float32)
    hint_values[~hint_mask] = np.nan
    stencil = levin_stencil(luma, hint_mask)
    coupling = hint_coupling(stencil, hint_values, hint_mask)
    np.testing.assert_allclose(coupling, _dense_hint_coupling(stencil, hint_values, hint_mask),
                               rtol=1e-6, atol=1e-7)
    assert np.isfinite(coupling).all()
    assert not coupling[hint_mask.ravel()].any()


@pytest.mark.parametrize("shape", [(64, 50), (63, 51)])
def test_the_coarse_stencil_is_the_lumped_galerkin_product(three_cores, shape):
    luma = soft_photo(*shape)
    _, hint_mask = scattered_hints(shape, 4)
    stencil = levin_stencil(luma, hint_mask, eliminate_hints=True).astype(np.float64)
    matrix = stencil_matrix(stencil, np.float64)
    to_fine, coarse_shape = interpolation(stencil)
    galerkin = (to_fine.T @ matrix @ to_fine).toarray()
    off_diagonal = galerkin - np.diag(np.diag(galerkin))
    lumped = np.minimum(off_diagonal, 0) + np.diag(galerkin.sum(axis=1)
                                                   - np.minimum(off_diagonal, 0).sum(axis=1))
    coarse = coarse_stencil(matrix, to_fine, to_fine.T.tocsr(), coarse_shape)
    np.testing.assert_allclose(stencil_matrix(coarse, np.float64).toarray(), lumped,
                               atol=1e-12)


@pytest.mark.parametrize("shape", [(20, 26), (21, 27)])
def test_interpolation_rows_hold_each_coarse_column_once_in_order(shape):
    stencil = levin_stencil(soft_photo(*shape), np.zeros(shape, bool))
    to_fine, _ = interpolation(stencil)
    for row in range(to_fine.shape[0]):
        columns = to_fine.indices[to_fine.indptr[row] : to_fine.indptr[row + 1]]
        assert (np.diff(columns) > 0).all()
    assert (to_fine.data != 0).all()


def test_a_column_solved_alone_in_bands_is_the_one_solved_beside_another(three_cores):
    """Alone, a column's products run in row bands: the same sums row by row, so the same
    iterates to the last bit as when its products run whole beside another column's."""
    luma = soft_photo(400, 340)  # 136,000 pixels: two bands of the finest grid
    hint_chroma, hint_mask = scattered_hints(luma.shape, 10)
    rhs = right_hand_side(hint_chroma, hint_mask, None, 0)
    multigrid, rhs = multigrid_for(luma, hint_chroma, hint_mask, rhs, 1, 0.0, np.float32,
                                   sweeps=2, smoother="jacobi")
    options = {"error_tolerance": 1e-4, "max_iterations": 8, "check_every": 1}
    together, _ = multigrid.solve_accurately(rhs, **options)
    alone, _ = multigrid.solve_accurately(rhs[:, :1], **options)
    assert multigrid._products is not None  # the banded products were used
    np.testing.assert_array_equal(alone[:, 0], together[:, 0])


@pytest.mark.parametrize("shape", [(200, 30), (201, 31)])
def test_interpolation_in_bands_is_the_whole_images(monkeypatch, shape):
    stencil = levin_stencil(soft_photo(*shape), scattered_hints(shape, 5)[1])
    monkeypatch.setattr(threads, "usable_cores", lambda: 1)
    whole, coarse_shape = interpolation(stencil)
    monkeypatch.setattr(threads, "usable_cores", lambda: 3)
    banded, banded_shape = interpolation(stencil)
    assert banded_shape == coarse_shape
    assert (banded != whole).nnz == 0
