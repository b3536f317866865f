"""Known answers for the scribble engine (Levin et al. 2004) on small synthetic images."""

import math
import warnings

import numpy as np
import pytest

from algorithms import scribble
from algorithms.colorspace import rgb_to_yiq, yiq_to_rgb
from algorithms.errors import BadInputError, MemoryBudgetError
from algorithms.grid_hierarchy import interpolation as grid_interpolation
from algorithms.levin_system import affinity_weights, levin_matrix, levin_stencil, window_offsets
from algorithms.scribble import (
    InexactSolveWarning,
    colorize_scribbles,
    estimate_memory,
    hints_from_marked,
    propagate,
)


@pytest.fixture(autouse=True)
def iterate_even_small_images(monkeypatch):
    """Small images are solved directly by default; these tests are about the iterative
    solver on small synthetic images, so they ask for it at every size."""
    monkeypatch.setattr(scribble, "DIRECT_PIXELS", 0)
    monkeypatch.setattr(scribble, "EXACT_DIRECT_PIXELS", 0)


RED_IQ = rgb_to_yiq(np.array([[[0.8, 0.2, 0.2]]]))[0, 0, 1:]
BLUE_IQ = rgb_to_yiq(np.array([[[0.2, 0.3, 0.8]]]))[0, 0, 1:]


def reference_weights(luma, radius):
    """The system of docs/methods.md, 'Scribble colorization', pixel by pixel, as MATLAB loops."""
    height, width = luma.shape
    offsets = window_offsets(radius)
    weights = np.zeros((len(offsets), height, width))
    for y in range(height):
        for x in range(width):
            values, positions = [], []
            for k, (dy, dx) in enumerate(offsets):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    values.append(luma[y + dy, x + dx])
                    positions.append(k)
            window = np.array(values + [luma[y, x]])
            variance = np.mean((window - window.mean()) ** 2)
            scale = 0.6 * variance
            closest = np.min((np.array(values) - luma[y, x]) ** 2)
            if scale < -closest / math.log(0.01):
                scale = -closest / math.log(0.01)
            if scale < 2e-6:
                scale = 2e-6
            raw = np.exp(-((np.array(values) - luma[y, x]) ** 2) / scale)
            weights[positions, y, x] = raw / raw.sum()
    return weights


def two_regions(height=40, width=60):
    """Dark left half, bright right half: a strong vertical edge at the middle."""
    luma = np.full((height, width), 0.2)
    luma[:, width // 2 :] = 0.8
    return luma


@pytest.mark.parametrize("radius", [1, 2])
def test_weights_follow_the_reference_rule(radius):
    rng = np.random.default_rng(1)
    luma = rng.random((7, 9))
    luma[2:5, 3:6] = 0.5  # a flat patch: variance 0, so the 2e-6 floor applies
    expected = reference_weights(luma, radius)
    np.testing.assert_allclose(affinity_weights(luma, radius), expected, atol=2e-6)


def test_matrix_rows_sum_to_zero_and_hint_rows_are_identity():
    rng = np.random.default_rng(2)
    luma = rng.random((6, 5))
    hint_mask = np.zeros((6, 5), bool)
    hint_mask[1, 2] = True
    matrix = levin_matrix(luma, hint_mask).toarray()
    row = 1 * 5 + 2
    np.testing.assert_array_equal(matrix[row], np.eye(30)[row])
    others = np.delete(matrix, row, axis=0)
    np.testing.assert_allclose(others.sum(axis=1), 0, atol=1e-6)
    assert not np.allclose(matrix, matrix.T)  # the exact system is not symmetric


@pytest.mark.parametrize("solver", ["multigrid", "direct"])
def test_flat_image_with_one_hint_takes_its_colour_everywhere(solver):
    image = np.full((50, 70), 0.5)
    hint_chroma = np.zeros((50, 70, 2))
    hint_mask = np.zeros((50, 70), bool)
    hint_chroma[20, 30] = RED_IQ
    hint_mask[20, 30] = True
    rgb = colorize_scribbles(image, hint_chroma, hint_mask, solver=solver)
    expected = yiq_to_rgb(np.array([[[0.5, *RED_IQ]]]))[0, 0]
    np.testing.assert_allclose(rgb.reshape(-1, 3), np.tile(expected, (50 * 70, 1)), atol=2e-3)


@pytest.mark.parametrize("solver", ["multigrid", "direct"])
def test_two_regions_split_by_an_edge_keep_their_own_colours(solver):
    luma = two_regions()
    hint_chroma = np.zeros((40, 60, 2))
    hint_mask = np.zeros((40, 60), bool)
    hint_mask[5, 3], hint_chroma[5, 3] = True, RED_IQ
    hint_mask[34, 56], hint_chroma[34, 56] = True, BLUE_IQ
    chroma = propagate(luma, hint_chroma, hint_mask, solver=solver)
    # Little bleeding: every pixel within 5% of its own region's hint.
    tolerance = 0.05 * np.abs(RED_IQ - BLUE_IQ).max()
    assert np.abs(chroma[:, :30] - RED_IQ).max() < tolerance
    assert np.abs(chroma[:, 30:] - BLUE_IQ).max() < tolerance


def test_multigrid_reaches_the_direct_solution():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:90, 0:120] / 100.0
    luma = np.clip(0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy) + 0.02 * rng.random((90, 120)), 0, 1)
    luma[:, 60:62] = 0.05  # a dark line the colour should not cross freely
    hint_mask = np.zeros((90, 120), bool)
    hint_values = np.zeros((90, 120, 2))
    for y, x in rng.integers(0, [90, 120], size=(12, 2)):
        hint_mask[y : y + 3, x : x + 3] = True
        hint_values[y : y + 3, x : x + 3] = rng.uniform(-0.3, 0.3, 2)
    direct = propagate(luma, hint_values, hint_mask, solver="direct")
    multigrid = propagate(luma, hint_values, hint_mask, solver="multigrid", tolerance=1e-5)
    np.testing.assert_allclose(multigrid, direct, atol=2e-3)


def test_radius_two_matches_direct_solve():
    luma = two_regions(30, 36)
    hint_mask = np.zeros((30, 36), bool)
    hint_mask[2, 2] = hint_mask[27, 33] = True
    values = np.zeros((30, 36, 1))
    values[2, 2], values[27, 33] = 1.0, -1.0
    direct = propagate(luma, values, hint_mask, radius=2, solver="direct")
    multigrid = propagate(luma, values, hint_mask, radius=2, tolerance=1e-6)
    np.testing.assert_allclose(multigrid, direct, atol=1e-3)
    assert direct[:, :18].min() > 0.9 and direct[:, 18:].max() < -0.9


def test_hints_are_kept_exactly():
    luma = two_regions()
    hint_mask = np.zeros((40, 60), bool)
    hint_mask[10:13, 10:13] = True
    values = np.zeros((40, 60, 2))
    values[10:13, 10:13] = [0.123, -0.0456]
    result = propagate(luma, values, hint_mask)
    np.testing.assert_array_equal(result[hint_mask], values[hint_mask].astype(np.float32))


def test_luminance_of_the_result_is_the_inputs():
    rng = np.random.default_rng(4)
    image = rng.uniform(0.3, 0.7, (20, 24))
    hint_mask = np.zeros((20, 24), bool)
    hint_mask[::7, ::7] = True
    hint_chroma = np.zeros((20, 24, 2))
    hint_chroma[hint_mask] = [0.05, 0.02]
    rgb = colorize_scribbles(image, hint_chroma, hint_mask)
    np.testing.assert_allclose(rgb_to_yiq(rgb)[..., 0], image, atol=1e-5)


def test_marked_image_parser_finds_exactly_the_painted_pixels():
    rng = np.random.default_rng(5)
    gray = np.repeat(rng.uniform(0.2, 0.8, (16, 20))[..., None], 3, axis=2)
    marked = gray.copy()
    painted = np.zeros((16, 20), bool)
    painted[3, 4:9] = True
    painted[10:12, 15] = True
    marked[painted] = [0.9, 0.1, 0.1]
    hint_chroma, hint_mask = hints_from_marked(gray, marked)
    np.testing.assert_array_equal(hint_mask, painted)
    np.testing.assert_allclose(hint_chroma[painted], np.tile(rgb_to_yiq(marked)[3, 4, 1:], (7, 1)))
    assert not hint_chroma[~painted].any()


def test_a_mask_keeps_neutral_strokes_that_the_marked_image_loses():
    gray = np.full((10, 10, 3), 0.5)
    marked = gray.copy()
    marked[2, 2:6] = 1.0  # a white stroke: neutral, so I = Q = 0
    assert hints_from_marked(gray, marked)[1][2, 2:6].all()  # white differs from gray...
    marked[2, 2:6] = 0.5  # ...but a gray stroke on gray cannot be seen without a mask
    assert not hints_from_marked(gray, marked)[1].any()
    mask = np.zeros((10, 10))
    mask[2, 2:6] = 1
    hint_chroma, hint_mask = hints_from_marked(gray, marked, mask)
    assert hint_mask.sum() == 4 and np.allclose(hint_chroma[hint_mask], 0, atol=1e-6)


def test_keep_strokes_preserve_the_photos_colour_while_colour_strokes_change_it():
    photo = np.zeros((30, 40, 3))
    photo[:, :20] = [0.2, 0.3, 0.8]  # a blue garment on the left
    photo[:, 20:] = [0.7, 0.6, 0.3]  # a brighter beige wall on the right
    marked = photo.copy()
    marked[5:8, 5:10] = [0.9, 0.2, 0.6]  # a pink stroke on the garment
    mask = np.zeros((30, 40))
    mask[5:8, 5:10] = 1
    mask[20:23, 28:35] = 1  # a "keep" stroke on the wall: marked is unchanged there
    hint_chroma, hint_mask = hints_from_marked(photo, marked, mask)
    rgb = colorize_scribbles(photo, hint_chroma, hint_mask)
    yiq, photo_yiq = rgb_to_yiq(rgb), rgb_to_yiq(photo)
    pink_iq = rgb_to_yiq(np.array([[[0.9, 0.2, 0.6]]]))[0, 0, 1:]
    np.testing.assert_allclose(yiq[:, 20:, 1:], photo_yiq[:, 20:, 1:], atol=0.01)
    np.testing.assert_allclose(yiq[:, :20, 1:], np.broadcast_to(pink_iq, (30, 20, 2)), atol=0.01)


def test_prior_weight_zero_is_the_plain_method_and_a_prior_alone_needs_no_hints():
    luma = two_regions()
    hint_mask = np.zeros((40, 60), bool)
    hint_mask[5, 5] = True
    values = np.zeros((40, 60, 2))
    values[5, 5] = RED_IQ
    prior = np.broadcast_to(BLUE_IQ, (40, 60, 2)).copy()
    plain = propagate(luma, values, hint_mask, solver="direct")
    np.testing.assert_array_equal(
        propagate(luma, values, hint_mask, prior=prior, prior_weight=0.0, solver="direct"), plain
    )
    pulled = propagate(luma, values, hint_mask, prior=prior, prior_weight=0.5, solver="direct")
    # Far from the stroke and across the edge, the prior wins; at the stroke, the hint.
    np.testing.assert_allclose(pulled[:, 40:], np.broadcast_to(BLUE_IQ, (40, 20, 2)), atol=1e-3)
    np.testing.assert_allclose(pulled[5, 5], RED_IQ, atol=1e-6)
    no_hints = propagate(luma, np.zeros((40, 60, 2)), np.zeros((40, 60), bool),
                         prior=prior, prior_weight=1.0)
    np.testing.assert_allclose(no_hints, prior, atol=1e-3)


def test_no_hints_is_an_error():
    with pytest.raises(BadInputError, match="no hints"):
        propagate(np.zeros((5, 5)), np.zeros((5, 5, 2)), np.zeros((5, 5), bool))


def test_hints_everywhere_are_the_result():
    values = np.random.default_rng(6).uniform(-0.5, 0.5, (6, 7, 2))
    result = propagate(np.zeros((6, 7)), values, np.ones((6, 7), bool))
    np.testing.assert_allclose(result, values, atol=1e-7)


def test_hints_of_another_size_are_an_error():
    with pytest.raises(BadInputError, match="do not match the image size 5x4"):
        propagate(np.zeros((4, 5)), np.zeros((4, 6, 2)), np.zeros((4, 6), bool))
    with pytest.raises(BadInputError, match="marked image is 6x4 but the photo is 5x4"):
        hints_from_marked(np.zeros((4, 5)), np.zeros((4, 6, 3)))
    with pytest.raises(BadInputError, match="the mask is 5x5 but the photo is 5x4"):
        hints_from_marked(np.zeros((4, 5)), np.zeros((4, 5, 3)), np.ones((5, 5)))


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (2, 40)])
def test_tiny_and_one_pixel_high_images(shape):
    hint_mask = np.zeros(shape, bool)
    hint_mask.flat[0] = True
    values = np.zeros((*shape, 2))
    values.flat[:2] = RED_IQ
    result = propagate(np.full(shape, 0.4), values, hint_mask)
    expected = np.tile(RED_IQ, (hint_mask.size, 1))
    np.testing.assert_allclose(result.reshape(-1, 2), expected, atol=1e-4)


def test_fifty_megapixels_beyond_the_budget_are_refused_before_any_allocation():
    shape = (6124, 8165)  # 50 megapixels, never allocated: the estimate comes first
    assert 4 * 2**30 < estimate_memory(shape, max_solve_pixels=2e6) < 12 * 2**30
    assert estimate_memory(shape) > 20 * 2**30  # solving it whole would need far more
    luma = np.broadcast_to(np.float32(0.5), shape)
    mask = np.broadcast_to(False, shape)
    with pytest.raises(MemoryBudgetError, match=r"50\.0-megapixel image needs about .* GB"):
        propagate(luma, np.broadcast_to(np.float32(0), (*shape, 2)), mask,
                  memory_budget=4 * 2**30)


def test_a_large_image_solved_at_reduced_size_keeps_regions_and_hints():
    luma = two_regions(120, 160)
    hint_chroma = np.zeros((120, 160, 2))
    hint_mask = np.zeros((120, 160), bool)
    hint_mask[10:12, 10:12], hint_chroma[10:12, 10:12] = True, RED_IQ
    hint_mask[100, 150], hint_chroma[100, 150] = True, BLUE_IQ  # one pixel: must survive
    reduced = propagate(luma, hint_chroma, hint_mask, max_solve_pixels=120 * 160 / 9)
    full = propagate(luma, hint_chroma, hint_mask, solver="direct")
    np.testing.assert_allclose(reduced, full, atol=0.1 * np.abs(RED_IQ - BLUE_IQ).max())
    np.testing.assert_array_equal(reduced[hint_mask], hint_chroma[hint_mask].astype(np.float32))


def test_the_direct_solver_refuses_large_images_before_any_work():
    shape = (1500, 2000)  # 3 megapixels, never allocated
    with pytest.raises(MemoryBudgetError, match="direct solver is for images up to 2 megapixels"):
        propagate(np.broadcast_to(np.float32(0.5), shape),
                  np.broadcast_to(np.float32(0), (*shape, 2)),
                  np.broadcast_to(True, shape), solver="direct")


def test_bad_parameters_are_errors():
    luma, values, mask = np.zeros((5, 5)), np.zeros((5, 5, 2)), np.ones((5, 5), bool)
    with pytest.raises(BadInputError, match="radius"):
        propagate(luma, values, mask, radius=0)
    with pytest.raises(BadInputError, match="prior weight"):
        propagate(luma, values, mask, prior_weight=-1)
    with pytest.raises(BadInputError, match="needs a prior image"):
        propagate(luma, values, mask, prior_weight=1)
    with pytest.raises(BadInputError, match="unknown solver"):
        propagate(luma, values, mask, solver="magic")


def soft_photo(height=120, width=160, seed=7):
    """A photo with soft edges: random blocks enlarged bicubically (as a photo is when
    enlarged), the case where a residual-based stop was far from the exact solution."""
    import cv2

    rng = np.random.default_rng(seed)
    blocks = rng.uniform(0.1, 0.9, (height // 15, width // 15)).astype(np.float32)
    return np.clip(cv2.resize(blocks, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def scattered_hints(shape, count, seed=8):
    rng = np.random.default_rng(seed)
    hint_mask = np.zeros(shape, bool)
    hint_chroma = np.zeros((*shape, 2))
    for y, x in rng.integers(0, np.subtract(shape, 3), size=(count, 2)):
        hint_mask[y : y + 3, x : x + 3] = True
        hint_chroma[y : y + 3, x : x + 3] = rng.uniform(-0.2, 0.2, 2)
    return hint_chroma, hint_mask


def rgb_of(luma, chroma):
    return yiq_to_rgb(np.dstack([luma, chroma]))


def test_exact_solve_matches_a_direct_solve_on_a_soft_photo():
    luma = soft_photo()
    hint_chroma, hint_mask = scattered_hints(luma.shape, 6)
    direct = propagate(luma, hint_chroma, hint_mask, solver="direct")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InexactSolveWarning)  # it must not need to warn
        exact = propagate(luma, hint_chroma, hint_mask, max_solve_pixels=math.inf)
    difference = np.abs(rgb_of(luma, exact) - rgb_of(luma, direct)).max(axis=2)
    assert np.mean(difference <= 1 / 255) >= 0.999


def test_default_solve_stays_close_to_the_direct_solve_on_a_soft_photo():
    luma = soft_photo()
    hint_chroma, hint_mask = scattered_hints(luma.shape, 6)
    direct = rgb_of(luma, propagate(luma, hint_chroma, hint_mask, solver="direct"))
    default = rgb_of(luma, propagate(luma, hint_chroma, hint_mask))
    psnr = 10 * np.log10(1 / np.mean((default - direct) ** 2))
    assert psnr >= 45


def test_an_exact_solve_cut_short_says_how_far_it_got(monkeypatch):
    luma = soft_photo()
    hint_chroma, hint_mask = scattered_hints(luma.shape, 6)
    monkeypatch.setattr(scribble, "EXACT_MAX_ITERATIONS", 8)  # one check: no rate yet
    expected = (r"^the exact solve stopped after 8 iterations short of its aim \(every pixel "
                r"within 1/255 of the exact solution in R, G and B\): its last iterations "
                r"still moved a pixel by up to \d+\.\d/255$")
    with pytest.warns(InexactSolveWarning, match=expected):
        propagate(luma, hint_chroma, hint_mask, max_solve_pixels=math.inf)


def test_default_solve_on_the_grid_hierarchy_fills_each_region_with_its_strokes_colour():
    import cv2

    luma = cv2.GaussianBlur(two_regions(120, 160).astype(np.float32), (0, 0), 1.5)  # soft edge
    hint_chroma = np.zeros((120, 160, 2))
    hint_mask = np.zeros((120, 160), bool)
    hint_mask[10:13, 10:40], hint_chroma[10:13, 10:40] = True, RED_IQ
    hint_mask[100:103, 110:150], hint_chroma[100:103, 110:150] = True, BLUE_IQ
    chroma = propagate(luma, hint_chroma, hint_mask)
    tolerance = 0.05 * np.abs(RED_IQ - BLUE_IQ).max()
    assert np.abs(chroma[:, :75] - RED_IQ).max() < tolerance
    assert np.abs(chroma[:, 85:] - BLUE_IQ).max() < tolerance


def test_grid_interpolation_is_bilinear_where_the_photo_is_flat():
    luma = np.full((9, 11), 0.5)
    stencil = levin_stencil(luma, np.zeros((9, 11), bool)).reshape(3, 3, 9, 11)
    interpolation, coarse_shape = grid_interpolation(stencil.astype(np.float64))
    assert coarse_shape == (5, 6)
    weights = interpolation.toarray().reshape(9, 11, 5, 6)
    assert weights[4, 4, 2, 2] == 1.0  # a coarse pixel keeps its value
    np.testing.assert_allclose(weights[4, 5, 2, 2:4], [0.5, 0.5])  # between two on a row
    np.testing.assert_allclose(weights[5, 4, 2:4, 2], [0.5, 0.5])  # ... on a column
    np.testing.assert_allclose(weights[5, 5, 2:4, 2:4], 0.25)  # between four
    np.testing.assert_allclose(interpolation.sum(axis=1), 1.0)
