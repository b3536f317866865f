"""Edge-aware chroma: colour stays on its own side of a lightness edge."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.edge_aware import (
    global_smooth,
    guided_filter,
    guided_upsample,
    joint_bilateral_upsample,
)
from algorithms.errors import BadInputError

RED, BLUE = (50.0, 30.0), (-10.0, -45.0)


def _two_regions(size=256, edge=150):
    """A dark left region (red) and a bright right one (blue), split at column ``edge``."""
    lightness = np.full((size, size), 30.0, np.float32)
    lightness[:, edge:] = 80.0
    truth = np.empty((size, size, 2), np.float32)
    truth[:, :edge], truth[:, edge:] = RED, BLUE
    return lightness, truth


def _coarse_and_plain(truth):
    """The chroma at a quarter of the size (as the CNN gives it) and bilinearly resized back."""
    import cv2

    coarse = cv2.resize(truth, (64, 64), interpolation=cv2.INTER_AREA)
    return coarse, cv2.resize(coarse, (256, 256), interpolation=cv2.INTER_LINEAR)


@pytest.mark.parametrize("method, most", [("guided", 0.6), ("global", 0.1)])
def test_upsampled_chroma_keeps_each_regions_colour_up_to_the_edge(method, most):
    lightness, truth = _two_regions()
    coarse, plain = _coarse_and_plain(truth)
    if method == "guided":
        result = guided_upsample(coarse, lightness)
    else:
        result = global_smooth(lightness, plain, strength=20.0 * 4**2)
    near_edge = np.s_[:, 144:156]
    plain_error = np.abs(plain[near_edge] - truth[near_edge]).max()
    error = np.abs(result[near_edge] - truth[near_edge]).max()
    # Bilinear resizing bleeds colour across the edge; the edge-aware filters much less.
    assert plain_error > 30
    assert error < most * plain_error
    # Each side's mean colour is its own, within 2 ab units.
    np.testing.assert_allclose(result[:, :146].mean(axis=(0, 1)), RED, atol=2)
    np.testing.assert_allclose(result[:, 154:].mean(axis=(0, 1)), BLUE, atol=2)


def test_confident_colour_spreads_into_uncertain_pixels_on_its_own_side():
    lightness, truth = _two_regions()
    noisy = truth.copy()
    confidence = np.ones(lightness.shape, np.float32)
    # A wrong green blotch in the red region, at zero confidence.
    noisy[100:140, 40:80] = (-60.0, 60.0)
    confidence[100:140, 40:80] = 0.0
    for filtered in (guided_filter(lightness, noisy, radius=32, confidence=confidence),
                     global_smooth(lightness, noisy, strength=1000.0, confidence=confidence)):
        np.testing.assert_allclose(filtered[120, 60], RED, atol=3)
        np.testing.assert_allclose(filtered[120, 200], BLUE, atol=1)


def test_a_flat_guide_averages_and_bad_arguments_are_refused():
    flat = np.full((40, 40), 50.0, np.float32)
    source = np.zeros((40, 40), np.float32)
    source[:, 20:] = 10.0
    assert abs(guided_filter(flat, source, 4)[:, 20].mean() - 5.6) < 1.5
    with pytest.raises(BadInputError, match="does not match the guide"):
        guided_filter(flat, np.zeros((10, 10)), 2)
    with pytest.raises(BadInputError, match="radius >= 1 and eps > 0"):
        guided_filter(flat, source, 0)
    with pytest.raises(BadInputError, match="positive strength and sigma"):
        global_smooth(flat, source, 0.0)


def test_joint_bilateral_upsampling_keeps_a_colour_edge_on_the_lightness_edge():
    # Small (32 x 48) red | blue halves, brought to 96 x 144 (x3) along the same edge.
    lightness, truth = _two_regions(size=144, edge=72)
    small_lightness, small_truth = lightness[::3, ::3][:32], truth[::3, ::3][:32]
    up = joint_bilateral_upsample(small_truth, small_lightness, lightness[:96])
    assert up.shape == (96, 144, 2) and up.dtype == np.float32
    # Each side keeps its colour right up to the edge: the other side's small pixels differ
    # by 50 L and keep only the floor weight (1e-4 of a like pixel's), under 0.01 units.
    np.testing.assert_allclose(up[:, :72], np.broadcast_to(RED, (96, 72, 2)), atol=0.01)
    np.testing.assert_allclose(up[:, 72:], np.broadcast_to(BLUE, (96, 72, 2)), atol=0.01)


def test_joint_bilateral_upsampling_of_a_flat_guide_is_a_smooth_interpolation():
    # Flat lightness: the weights are spatial only, a mean of neighbours: a linear ramp
    # stays within the small ramp's range and rises monotonically.
    ramp = np.tile(np.linspace(-20.0, 20.0, 10, dtype=np.float32), (6, 1))[..., None]
    up = joint_bilateral_upsample(ramp, np.full((6, 10), 50.0), np.full((18, 30), 50.0))
    assert up.shape == (18, 30, 1)
    assert np.all(np.diff(up[..., 0], axis=1) > 0)
    assert up.min() >= -20.0 and up.max() <= 20.0
    np.testing.assert_allclose(up[:, 15:], -up[:, :15][:, ::-1], atol=1e-4)  # symmetric
