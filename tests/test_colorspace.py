"""Colour conversions: round trips, known values, gray images, shape checks."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.colorspace import (
    is_gray,
    join_luminance_chroma,
    join_luminance_chroma_in_gamut,
    lab_lightness,
    lab_to_rgb,
    luminance,
    neutral_lightness,
    rgb_to_lab,
    rgb_to_yiq,
    yiq_to_rgb,
)
from algorithms.errors import BadInputError


def test_yiq_round_trip(rng):
    rgb = rng.random((16, 12, 3))
    np.testing.assert_allclose(yiq_to_rgb(rgb_to_yiq(rgb)), rgb, atol=1e-12)


def test_yiq_round_trip_in_float32(rng):
    rgb = rng.random((16, 12, 3)).astype(np.float32)
    yiq = rgb_to_yiq(rgb)
    assert yiq.dtype == np.float32
    np.testing.assert_allclose(yiq_to_rgb(yiq), rgb, atol=1e-6)


def test_lab_round_trip(rng):
    rgb = rng.random((16, 12, 3))
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-8)


def test_white_has_full_luminance_and_no_chroma():
    white = np.ones((1, 1, 3))
    np.testing.assert_allclose(rgb_to_yiq(white)[0, 0], [1.0, 0.0, 0.0], atol=1e-12)
    # scikit-image's rounded D65 white point leaves a and b within 0.005 of zero.
    np.testing.assert_allclose(rgb_to_lab(white)[0, 0], [100.0, 0.0, 0.0], atol=0.01)


def test_pure_red_gives_the_first_column_of_the_ntsc_matrix():
    red = np.array([[[1.0, 0.0, 0.0]]])
    np.testing.assert_allclose(rgb_to_yiq(red)[0, 0], [0.299, 0.596, 0.211], atol=1e-12)


def test_pure_red_in_lab_matches_the_published_srgb_value():
    # sRGB (255, 0, 0) under D65 is L*a*b* = (53.24, 80.09, 67.20) in the usual tables.
    red = np.array([[[1.0, 0.0, 0.0]]])
    np.testing.assert_allclose(rgb_to_lab(red)[0, 0], [53.24, 80.09, 67.20], atol=0.01)


def test_black_in_both_spaces_is_zero():
    black = np.zeros((2, 2, 3))
    np.testing.assert_allclose(rgb_to_yiq(black), 0.0, atol=1e-12)
    np.testing.assert_allclose(rgb_to_lab(black), 0.0, atol=1e-9)


def test_luminance_of_a_gray_image_is_the_image_itself(rng):
    gray = rng.random((5, 7))
    np.testing.assert_array_equal(luminance(gray), gray)
    rgb_of_gray = np.repeat(gray[..., None], 3, axis=2)
    np.testing.assert_allclose(luminance(rgb_of_gray), gray, atol=1e-12)


def test_luminance_weights_the_channels_like_the_y_row():
    rgb = np.array([[[0.2, 0.4, 0.6]]])
    expected = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6
    np.testing.assert_allclose(luminance(rgb), [[expected]], atol=1e-12)


def test_joining_luminance_with_zero_chroma_gives_gray(rng):
    y = rng.random((4, 6))
    rgb = join_luminance_chroma(y, np.zeros((4, 6, 2)))
    np.testing.assert_allclose(rgb, np.repeat(y[..., None], 3, axis=2), atol=1e-12)
    assert is_gray(rgb)


def test_lab_lightness_of_gray_equals_that_of_its_rgb(rng):
    gray = rng.random((3, 4))
    np.testing.assert_allclose(
        lab_lightness(gray), rgb_to_lab(np.repeat(gray[..., None], 3, axis=2))[..., 0]
    )


def test_lab_lightness_is_scikit_image_s_lightness_without_its_conversion(rng):
    rgb = rng.random((30, 40, 3))
    rgb[0, :3] = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.01, 0.03, 0.02]]  # black, white, dark
    np.testing.assert_allclose(lab_lightness(rgb), rgb_to_lab(rgb)[..., 0], atol=1e-9)
    assert lab_lightness(rgb)[0, 1] == pytest.approx(100.0)
    # In float32 as scikit-image computes float32 images.
    rgb32 = rgb.astype(np.float32)
    assert lab_lightness(rgb32).dtype == np.float32
    np.testing.assert_allclose(lab_lightness(rgb32), rgb_to_lab(rgb32)[..., 0], atol=1e-4)


def test_is_gray_tells_colour_from_gray():
    assert is_gray(np.full((2, 2, 3), 0.5))
    assert not is_gray(np.array([[[0.5, 0.5, 0.6]]]))


@pytest.mark.parametrize("shape", [(4, 4, 4), (4, 4, 2), (4, 4, 1), (12,), (2, 2, 2, 3)])
@pytest.mark.parametrize(
    "convert", [rgb_to_yiq, yiq_to_rgb, rgb_to_lab, lab_to_rgb, luminance], ids=lambda f: f.__name__
)
def test_wrong_shapes_are_refused(shape, convert):
    with pytest.raises(BadInputError, match=r"\(H, W, 3\)"):
        convert(np.zeros(shape))


def test_fast_rgb_to_lab_matches_scikit_image_within_half_a_unit():
    from algorithms.colorspace import rgb_to_lab, rgb_to_lab_fast

    rgb = np.random.default_rng(5).uniform(0, 1, (32, 40, 3))
    fast = rgb_to_lab_fast(rgb)
    assert fast.dtype == np.float32
    # OpenCV's float conversion rounds its constants differently: under 0.5 L or ab units.
    np.testing.assert_allclose(fast, rgb_to_lab(rgb), atol=0.5)
    # Out-of-range input is clipped to [0, 1] first.
    np.testing.assert_allclose(rgb_to_lab_fast(rgb * 2 - 0.5), rgb_to_lab_fast(
        np.clip(rgb * 2 - 0.5, 0, 1)), atol=1e-6)


def test_neutral_lightness_is_the_lab_lightness_of_gray_by_table(rng):
    gray = rng.random((40, 50)).astype(np.float32)
    gray[0, :4] = [0.0, 1.0, 1e-4, 0.999]
    lightness = neutral_lightness(gray)
    assert lightness.dtype == np.float32
    np.testing.assert_allclose(lightness, lab_lightness(gray), atol=0.002)
    # Out of range (and NaN) values are read as the nearest end of the range.
    np.testing.assert_array_equal(neutral_lightness(np.float32([[-0.5, 1.5, np.nan]])),
                                  [[0.0, 100.0, 0.0]])


def test_in_gamut_join_keeps_luminance_and_hue_scaling_only_what_leaves_the_cube(rng):
    y = rng.random((30, 40))
    chroma = rng.normal(0.0, 0.4, (30, 40, 2))
    rgb = join_luminance_chroma_in_gamut(y, chroma)
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    yiq = rgb_to_yiq(rgb)
    np.testing.assert_allclose(yiq[..., 0], y, atol=1e-9)  # luminance exactly kept
    # The chroma is the given one times a scale in [0, 1] (1 where it fits).
    scale = np.sum(yiq[..., 1:] * chroma, axis=-1) / np.sum(chroma * chroma, axis=-1)
    np.testing.assert_allclose(yiq[..., 1:], scale[..., None] * chroma, atol=1e-9)
    assert scale.min() >= -1e-9 and scale.max() <= 1.0 + 1e-9
    unclipped = yiq_to_rgb(np.dstack([y, chroma]), clip=False)
    fits = np.all((unclipped > 0) & (unclipped < 1), axis=-1)
    np.testing.assert_allclose(scale[fits], 1.0, atol=1e-9)
    assert np.any(~fits) and scale[~fits].max() < 1.0 + 1e-9
    assert join_luminance_chroma_in_gamut(np.float32(y), chroma).dtype == np.float32
