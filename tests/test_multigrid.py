"""Known answers for the grid multigrid and its GMRES (algorithms.multigrid, algorithms.krylov)."""

import numpy as np
import pytest
import scipy.sparse as sparse
from scipy.sparse.linalg import splu

from algorithms.grid_hierarchy import lump_positive_couplings, stencil_matrix, stencil_of
from algorithms.krylov import _remaining_error
from algorithms.levin_solvers import multigrid_for
from algorithms.levin_system import levin_stencil, right_hand_side
from algorithms.multigrid import GridMultigrid
from tests.test_scribble import scattered_hints, soft_photo


def test_lumping_moves_positive_couplings_onto_the_centre_and_keeps_row_sums():
    # Two pixels' rows as (9, 2) stencils: slot 4 is the centre.
    stencil = np.zeros((9, 2))
    stencil[:, 0] = [0.5, -1.0, 0.0, 0.25, 4.0, -2.0, 0.0, 0.0, 1.5]
    stencil[:, 1] = [-1.0, -1.0, 0.0, 0.0, 2.0, 0.0, -0.5, 0.0, 0.0]
    lumped = lump_positive_couplings(stencil.copy())
    np.testing.assert_array_equal(lumped[:, 0], [0.0, -1.0, 0.0, 0.0, 6.25, -2.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(lumped[:, 1], stencil[:, 1])  # an M-matrix row stays
    np.testing.assert_array_equal(lumped.sum(axis=0), stencil.sum(axis=0))


def test_a_stencil_read_back_from_its_matrix_is_the_stencil():
    """The matrix keeps every row's nine slots, out-of-image ones as explicit zeros at
    clipped columns that repeat real neighbours' columns: they must not overwrite them."""
    luma = soft_photo(30, 40)
    _, hint_mask = scattered_hints(luma.shape, 3)
    stencil = levin_stencil(luma, hint_mask)
    back = stencil_of(stencil_matrix(stencil), *luma.shape)
    np.testing.assert_array_equal(back.reshape(stencil.shape), stencil)
    far = sparse.csr_matrix(([5.0], ([0], [500])), shape=(30 * 40, 30 * 40))
    assert not stencil_of(far, 30, 40).any()  # outside the window: dropped, not misplaced


def test_every_coarse_grid_of_a_soft_photo_is_an_m_matrix():
    luma = soft_photo(400, 480)
    hint_chroma, hint_mask = scattered_hints(luma.shape, 8)
    rhs = right_hand_side(hint_chroma, hint_mask, None, 0).astype(np.float64)
    multigrid, _ = multigrid_for(luma, hint_chroma, hint_mask, rhs, 1, 0.0, np.float64)
    assert multigrid.depth >= 3
    for matrix, _, _ in multigrid.levels[1:]:
        diagonal = matrix.diagonal()
        off_diagonal = (matrix - sparse.diags(diagonal)).tocsr()
        assert (diagonal > 0).all()
        assert off_diagonal.data.max(initial=0) <= 0


@pytest.mark.parametrize(("changes", "expected"), [
    ([1.0, 0.5], np.inf),  # too few checks for a rate
    ([1.0, 0.5, 0.25, 0.125], 0.25),  # rate 1/2: the larger of the last two changes
    ([1.0, 0.1, 0.01], 0.1),  # a faster rate counts as 1/2
    ([1.0, 2.0, 4.0], np.inf),  # growing: no estimate
    # A jump back up after a lucky step: the rate over four checks, the larger change.
    ([0.1, 0.01, 0.001, 0.0001, 0.01], 0.01 * 0.1**0.25 / (1 - 0.1**0.25)),
    ([1.0, 0.9, 0.81, 0.729, 0.6561], 0.729 * 0.9 / 0.1),  # rate 0.9
    ([1.0, 0.0, 0.0], 0.0),  # solved exactly
])
def test_remaining_error_is_a_geometric_series_of_the_measured_rate(changes, expected):
    assert _remaining_error(changes) == pytest.approx(expected)


def test_remaining_error_within_one_krylov_cycle_trusts_the_last_change():
    changes = [1.0, 0.5, 0.25, 0.125]
    assert _remaining_error(changes, after_restart=False) == pytest.approx(0.125)
    assert _remaining_error(changes, after_restart=True) == pytest.approx(0.25)


@pytest.mark.parametrize(("smoother", "sweeps"), [("gauss-seidel", 1), ("jacobi", 2)])
def test_gmres_with_the_float32_hierarchy_reaches_superlu_in_float64(smoother, sweeps):
    luma = soft_photo()
    hint_chroma, hint_mask = scattered_hints(luma.shape, 6)
    stencil = levin_stencil(luma, hint_mask)
    matrix = stencil_matrix(stencil, np.float64)
    rhs = right_hand_side(hint_chroma, hint_mask, None, 0).astype(np.float64)
    exact = splu(matrix.tocsc()).solve(rhs)
    multigrid = GridMultigrid(matrix, luma.shape, stencil=stencil, smoother=smoother,
                              sweeps=sweeps)
    solution, report = multigrid.solve_accurately(rhs, error_tolerance=1e-9,
                                                  residual_tolerance=1e-12, max_iterations=120)
    assert report.converged
    np.testing.assert_allclose(solution, exact, atol=1e-7)


@pytest.mark.parametrize(("smoother", "sweeps"), [("gauss-seidel", 1), ("jacobi", 2)])
def test_each_smoother_takes_most_of_a_pixel_to_pixel_error_away(smoother, sweeps):
    """What a smoother is for: an error that changes from pixel to pixel (white noise) is
    mostly gone after the sweeps before and after a coarse correction (measured: 0.25 of
    it left with Gauss-Seidel, 0.21 with Jacobi; a smoother doing nothing leaves all)."""
    luma = soft_photo()
    hint_chroma, hint_mask = scattered_hints(luma.shape, 6)
    rhs = right_hand_side(hint_chroma, hint_mask, None, 0).astype(np.float32)
    multigrid, _ = multigrid_for(luma, hint_chroma, hint_mask, rhs, 1, 0.0, np.float32,
                                 sweeps=sweeps, smoother=smoother)
    noise = np.random.default_rng(0).standard_normal(luma.size).astype(np.float32)
    matrix = multigrid.levels[0][0]
    smoothed = multigrid._smooth(0, None, matrix @ noise)
    smoothed = multigrid._smooth(0, smoothed, matrix @ noise)
    assert np.linalg.norm(smoothed - noise) < 0.3 * np.linalg.norm(noise)


def test_an_unknown_smoother_is_refused():
    luma = soft_photo(40, 40)
    matrix = stencil_matrix(levin_stencil(luma, np.zeros(luma.shape, bool)), np.float64)
    with pytest.raises(ValueError, match="unknown smoother 'sor'"):
        GridMultigrid(matrix, luma.shape, smoother="sor")
