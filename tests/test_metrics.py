"""Known answers for the quality metrics (docs/methods.md, 'Quality metrics')."""

import math

import numpy as np
import pytest

from algorithms.errors import BadInputError
from algorithms.metrics import colourfulness, psnr


def test_psnr_of_a_one_level_error_everywhere():
    truth = np.full((4, 5, 3), 100 / 255)
    result = np.full((4, 5, 3), 101 / 255)
    assert psnr(result, truth) == pytest.approx(10 * math.log10(255**2), abs=1e-9)


def test_psnr_of_identical_images_is_infinite_and_shapes_must_match():
    image = np.random.default_rng(0).random((3, 3, 3))
    assert psnr(image, image) == math.inf
    with pytest.raises(BadInputError, match="shapes"):
        psnr(image, image[:2])


def test_colourfulness_of_gray_is_zero_and_of_two_flat_colours_by_hand():
    assert colourfulness(np.full((4, 4, 3), 0.5)) == 0.0
    image = np.zeros((2, 1, 3))
    image[0, 0] = [1.0, 0.0, 0.0]  # rg = 255, yb = 127.5
    image[1, 0] = [0.0, 0.0, 1.0]  # rg = 0, yb = -255
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    assert colourfulness(image) == pytest.approx(expected)


def test_raw_auc_known_answers():
    from algorithms.metrics import raw_auc

    truth = np.zeros((4, 5, 2))
    assert raw_auc(truth, truth) == 1.0
    # Every pixel 50.5 away: missed for t = 0..50, within for t = 51..150 -> 100 of 151.
    off = truth.copy()
    off[..., 0] = 50.5
    assert np.isclose(raw_auc(off, truth), 100 / 151)
    # Half the pixels exact, half 200 away (never within): AuC 0.5.
    half = truth.copy()
    half[:2, :, 1] = 200.0
    assert np.isclose(raw_auc(half, truth), 0.5)
