"""Colour transfer (Welsh et al. 2002): known answers on small synthetic photos."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.colorspace import is_gray, lab_to_rgb, rgb_to_lab
from algorithms.errors import BadInputError, CancelledError
from algorithms.regions import Rect, SwatchPair
from algorithms.transfer import jittered_samples, neighbourhood_std, transfer_colour
from algorithms.transfer_hints import HINT_BLOCK, confident_hints, relative_distance

RED = (45.0, 30.0)  # (a, b) of a brick red
GREEN = (-30.0, 40.0)  # (a, b) of a leaf green
BLUE = (10.0, -45.0)  # (a, b) of a sky blue


def from_lab(lightness: np.ndarray, ab: np.ndarray | tuple = (0.0, 0.0)) -> np.ndarray:
    """RGB in [0, 1] of a CIELAB image given as L (H, W) and a, b ((H, W, 2) or one colour)."""
    ab = np.broadcast_to(np.asarray(ab, np.float64), (*lightness.shape, 2))
    return lab_to_rgb(np.concatenate([lightness[..., None], ab], axis=2))


def chroma(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(rgb.astype(np.float64))[..., 1:]


def lightness(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(rgb.astype(np.float64))[..., 0]


def two_tone_reference() -> np.ndarray:
    """Left half dark red (L 35), right half light green (L 75)."""
    lightness_map = np.full((40, 60), 35.0)
    lightness_map[:, 30:] = 75.0
    ab = np.zeros((40, 60, 2))
    ab[:, :30] = RED
    ab[:, 30:] = GREEN
    return from_lab(lightness_map, ab)


def two_tone_target() -> tuple[np.ndarray, np.ndarray]:
    """Gray target with the reference's two lightnesses in another layout and share.

    Returns the target (RGB gray) and the mask of its dark pixels.
    """
    dark = np.ones((48, 48), bool)
    dark[:12] = False  # a light band on top: 25 % light instead of the reference's 50 %
    dark[30:40, 30:44] = False  # and a light patch inside the dark part
    return from_lab(np.where(dark, 35.0, 75.0)), dark


@pytest.mark.parametrize("method", ["plain", "propagated"])
def test_two_flat_regions_colour_the_target_by_lightness(method):
    target, dark = two_tone_target()
    reference = two_tone_reference()
    result = transfer_colour(target, reference, method=method)
    expected = np.where(dark[..., None], chroma(reference)[0, 0], chroma(reference)[0, -1])
    assert np.abs(chroma(result.rgb) - expected).max() < 1.0
    assert result.warnings == ()


def test_the_target_lightness_is_kept_even_for_colours_outside_the_gamut(rng):
    # A bright target (L up to 97) given strongly saturated colours: clipping the RGB
    # would darken it; the transfer must shrink the chroma instead.
    target_l = np.clip(60 + 40 * rng.random((40, 50)), 0, 97)
    target = from_lab(target_l)
    reference_l = np.tile(np.linspace(20, 90, 64), (48, 1))
    reference_ab = np.stack(
        [np.full((48, 64), 80.0), np.linspace(-90, 90, 48)[:, None].repeat(64, 1)], axis=2
    )
    reference = from_lab(reference_l, reference_ab)
    for method in ("plain", "propagated"):
        result = transfer_colour(target, reference, method=method)
        assert result.rgb.shape == (40, 50, 3)
        assert 0.0 <= result.rgb.min() and result.rgb.max() <= 1.0
        np.testing.assert_allclose(lightness(result.rgb), lightness(target), atol=0.02)
        assert np.abs(chroma(result.rgb)).max() > 10  # colours were given


def textured_band_reference(rng: np.random.Generator) -> np.ndarray:
    """Flat red (L 40), flat blue (L 60) and between them a green texture of L 40..60."""
    lightness_map = np.full((60, 90), 40.0)
    lightness_map[:, 60:] = 60.0
    lightness_map[:, 30:60] = rng.uniform(40.0, 60.0, (60, 30))
    ab = np.zeros((60, 90, 2))
    ab[:, :30], ab[:, 30:60], ab[:, 60:] = RED, GREEN, BLUE
    return from_lab(lightness_map, ab)


def test_propagated_colour_edges_follow_the_lightness_edge(rng):
    # At the edge between the target's two flat regions, the 5x5 windows have a
    # large spread of L, as the reference's green texture does: the per-pixel match
    # paints a green band along the edge (the course project's failure). Keeping
    # only confident matches and propagating them puts the colour edge on the
    # lightness edge.
    target_l = np.full((50, 50), 40.0)
    target_l[:, 23:] = 60.0
    target = from_lab(target_l)
    reference = textured_band_reference(rng)
    expected = np.where(target_l[..., None] < 50, chroma(reference)[0, 0], chroma(reference)[0, -1])

    plain = transfer_colour(target, reference, method="plain")
    plain_error = np.linalg.norm(chroma(plain.rgb) - expected, axis=2)
    assert plain_error[:, 21:25].max() > 20  # the failure being fixed is really there

    propagated = transfer_colour(target, reference, method="propagated")
    error = np.linalg.norm(chroma(propagated.rgb) - expected, axis=2)
    assert error.max() < 3.0
    assert 0.0 < propagated.hint_fraction < 1.0


@pytest.mark.parametrize(("level", "colour"), [(33.0, 0), (80.0, -1)])
def test_flat_target_takes_the_colour_of_the_reference_at_its_lightness(level, colour):
    # Nothing to remap a flat target's lightness to: it is compared as it is.
    result = transfer_colour(from_lab(np.full((8, 8), level)), two_tone_reference())
    expected = chroma(two_tone_reference())[0, colour]
    assert np.abs(chroma(result.rgb) - expected).max() < 1.5


def test_swatch_pairs_send_each_swatch_colour_to_its_partner(rng):
    # Both reference halves have the same lightness statistics: only the pairing can
    # tell which colour goes where, and the pairs cross (left -> bottom right).
    reference_l = 50 + 6 * rng.standard_normal((40, 80))
    reference_ab = np.zeros((40, 80, 2))
    reference_ab[:, :40], reference_ab[:, 40:] = RED, BLUE
    reference = from_lab(reference_l, reference_ab)
    target = from_lab(50 + 6 * rng.standard_normal((60, 60)))
    pairs = [
        SwatchPair(reference=Rect(5, 5, 25, 25), target=Rect(35, 35, 20, 20)),
        SwatchPair(reference=Rect(50, 10, 20, 20), target=Rect(5, 5, 20, 15)),
    ]
    for method in ("plain", "propagated"):
        result = transfer_colour(target, reference, pairs=pairs, method=method)
        got = chroma(result.rgb)
        red, blue = chroma(reference)[20, 20], chroma(reference)[20, 60]
        # Pixels whose colour was clipped to the gamut may lose some chroma: compare hue.
        assert np.abs(got[35:55, 35:55] - red).mean() < 2.0
        assert np.abs(got[5:20, 5:25] - blue).mean() < 2.0


def test_swatch_mode_colours_the_rest_by_matching_neighbourhood_texture():
    # Target: flat top (L 50), striped bottom (L 35 / 65, same mean). A swatch in each
    # is paired with a reference swatch of the same texture in another colour; every
    # other pixel must take the colour of the swatch whose texture it shares.
    stripes = np.where(np.arange(64) % 2 == 0, 35.0, 65.0)
    target_l = np.full((64, 64), 50.0)
    target_l[32:] = stripes
    reference_l = np.full((30, 60), 50.0)
    reference_l[:, 30:] = stripes[:30]
    reference_ab = np.zeros((30, 60, 2))
    reference_ab[:, :30], reference_ab[:, 30:] = GREEN, BLUE
    reference = from_lab(reference_l, reference_ab)
    pairs = [
        SwatchPair(reference=Rect(2, 2, 20, 20), target=Rect(40, 4, 16, 12)),
        SwatchPair(reference=Rect(34, 4, 20, 20), target=Rect(4, 48, 20, 12)),
    ]
    result = transfer_colour(from_lab(target_l), reference, pairs=pairs, method="plain")
    got = chroma(result.rgb)
    green_in_lab = chroma(from_lab(np.array([[50.0]]), GREEN))[0, 0]
    assert np.abs(got[:29] - green_in_lab).max() < 1.5
    # (Columns at the image border are left out: mirroring breaks 1-pixel stripes there.)
    hue = np.degrees(np.arctan2(got[35:, 2:-2, 1], got[35:, 2:-2, 0]))
    blue_hue = np.degrees(np.arctan2(BLUE[1], BLUE[0]))
    assert np.abs(hue - blue_hue).max() < 5.0  # the dark stripes hold less chroma
    # The flat reference swatch has no lightness to match: the user is told.
    assert any("swatch 1" in warning and "uniform" in warning for warning in result.warnings)


def test_reference_smaller_than_the_neighbourhood_is_refused():
    reference = from_lab(np.full((4, 30), 50.0), RED)
    target = from_lab(np.full((10, 10), 50.0))
    with pytest.raises(BadInputError, match="4 pixels\\) is smaller than the 5x5 neighbourhood"):
        transfer_colour(target, reference)
    with pytest.raises(BadInputError, match="7x7 neighbourhood"):
        transfer_colour(target, from_lab(np.full((6, 6), 50.0), RED), neighbourhood=7)


def test_uniform_reference_gives_its_colour_everywhere_with_a_warning(rng):
    reference = from_lab(np.full((20, 20), 55.0), GREEN)
    target = from_lab(20 + 60 * rng.random((16, 16)))
    result = transfer_colour(target, reference, method="plain")
    hue = np.degrees(np.arctan2(chroma(result.rgb)[..., 1], chroma(result.rgb)[..., 0]))
    assert np.abs(hue - np.degrees(np.arctan2(GREEN[1], GREEN[0]))).max() < 3.0
    assert any("uniform lightness" in warning for warning in result.warnings)


@pytest.mark.parametrize("shape", [(20, 20, 3), (20, 20)])
def test_gray_reference_warns_and_returns_the_gray_target(shape, rng):
    gray = rng.random((20, 20))
    reference = np.repeat(gray[..., None], 3, axis=2) if len(shape) == 3 else gray
    target = from_lab(10 + 80 * rng.random((12, 14)))
    result = transfer_colour(target, reference)
    assert any("no colour" in warning for warning in result.warnings)
    assert is_gray(result.rgb, tolerance=2e-3)
    np.testing.assert_allclose(lightness(result.rgb), lightness(target), atol=0.02)


def test_colour_target_is_used_for_its_lightness_only():
    gray_target, dark = two_tone_target()
    target_l = lightness(gray_target)
    tinted_target = from_lab(target_l, BLUE)  # a colour photo: blue everywhere
    reference = two_tone_reference()
    result = transfer_colour(tinted_target, reference, method="plain")
    expected = np.where(dark[..., None], chroma(reference)[0, 0], chroma(reference)[0, -1])
    assert np.abs(chroma(result.rgb) - expected).max() < 1.0
    np.testing.assert_allclose(lightness(result.rgb), lightness(tinted_target), atol=0.02)
    assert any("colour photo" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"samples": 0}, "samples"),
        ({"samples": 2.5}, "samples"),
        ({"neighbourhood": 4}, "neighbourhood"),
        ({"neighbourhood": 1}, "neighbourhood"),
        ({"method": "fancy"}, "method"),
        ({"pairs": [SwatchPair(Rect(0, 0, 5, 5), Rect(40, 40, 10, 10))]}, "outside the target"),
    ],
)
def test_bad_options_are_refused(options, names):
    target, _ = two_tone_target()
    with pytest.raises(BadInputError, match=names):
        transfer_colour(target, two_tone_reference(), **options)


@pytest.mark.parametrize(
    "target",
    [np.zeros((10, 10, 4)), np.full((10, 10), np.nan), np.full((10, 10), 2.0), np.zeros((0, 5))],
)
def test_malformed_images_are_refused(target):
    with pytest.raises(BadInputError):
        transfer_colour(target, two_tone_reference())


def test_same_seed_same_result_and_progress_reaches_one():
    target, _ = two_tone_target()
    reported: list[float] = []
    first = transfer_colour(target, two_tone_reference(), seed=3, method="plain")
    second = transfer_colour(target, two_tone_reference(), seed=3, method="plain")
    np.testing.assert_array_equal(first.rgb, second.rgb)
    transfer_colour(target, two_tone_reference(),
                    progress=lambda fraction, message: reported.append(fraction))
    assert reported == sorted(reported) and reported[0] == 0.0 and reported[-1] == 1.0


def test_cancelling_stops_the_transfer():
    target, _ = two_tone_target()
    with pytest.raises(CancelledError):
        transfer_colour(target, two_tone_reference(), cancelled=lambda: True)


def test_jittered_samples_take_one_pixel_per_cell_inside_the_rectangle(rng):
    rect = Rect(x=10, y=5, width=40, height=20)
    rows, columns = jittered_samples(rect, 50, rng)
    assert 40 <= len(rows) <= 60
    assert rows.min() >= 5 and rows.max() < 25 and columns.min() >= 10 and columns.max() < 50
    assert len(set(zip(rows.tolist(), columns.tolist(), strict=True))) == len(rows)
    # More samples than pixels: at most one per pixel.
    rows, _ = jittered_samples(Rect(0, 0, 3, 2), 100, rng)
    assert len(rows) == 6


def test_neighbourhood_std_of_a_step_is_zero_on_flat_parts_and_known_at_the_step():
    step = np.zeros((9, 12), np.float32)
    step[:, 6:] = 10.0
    sd = neighbourhood_std(step, 3)
    assert sd[:, :5].max() < 1e-4 and sd[:, 7:].max() < 1e-4
    # A 3x3 window at column 5 holds 3 tens and 6 zeros: std = 10 * sqrt(2) / 3.
    np.testing.assert_allclose(sd[4, 5], 10 * np.sqrt(2) / 3, rtol=1e-5)


def test_confident_hints_skip_seams_and_lone_outliers_but_cover_every_block(rng):
    ab = np.zeros((64, 96, 2))
    ab[:, 48:] = BLUE
    ab[10, 10] = RED  # a lone wrong match
    lightness_map = np.full((64, 96), 50.0)
    hints = confident_hints(ab, np.zeros((64, 96)), lightness_map)
    assert not hints[:, 47:49].any() and not hints[8:13, 8:13].any()
    assert hints[:, :44].sum() > 0.8 * 64 * 44
    # Ambiguous matches everywhere: still at least one hint in every block.
    noisy = confident_hints(
        rng.normal(0, 20, (64, 96, 2)), rng.uniform(5, 30, (64, 96)), lightness_map
    )
    blocks = noisy.reshape(64 // HINT_BLOCK, HINT_BLOCK, 96 // HINT_BLOCK, HINT_BLOCK)
    assert blocks.any(axis=(1, 3)).all()


def test_match_distance_counts_against_pixels_of_the_same_lightness():
    # Dark half: good matches (distance 1) but for a spot of poor ones (5). Light half:
    # distance 6 everywhere, a common offset left by the lightness remapping: it must
    # not make the whole light half less trusted than the dark one.
    lightness_map = np.full((40, 64), 30.0)
    lightness_map[:, 32:] = 70.0
    distance = np.where(lightness_map < 50, 1.0, 6.0)
    distance[10:14, 10:14] = 5.0
    relative = relative_distance(distance, lightness_map)
    np.testing.assert_allclose(relative[:, 32:], 0.0)
    np.testing.assert_allclose(relative[10:14, 10:14], 4.0)
    hints = confident_hints(np.zeros((40, 64, 2)), distance, lightness_map)
    assert hints[:, 32:].all()
    assert not hints[10:14, 10:14].any()


def test_gamut_mapping_keeps_lightness_and_hue_and_leaves_gamut_colours_alone(rng):
    from algorithms.colorspace import lab_to_rgb_keep_lightness

    inside = rng.random((10, 10, 3))
    np.testing.assert_allclose(lab_to_rgb_keep_lightness(rgb_to_lab(inside)), inside, atol=1e-5)
    # L 90 with a strong blue: far outside sRGB. Clipping would darken it.
    outside = np.array([[[90.0, 20.0, -90.0]]])
    mapped = rgb_to_lab(lab_to_rgb_keep_lightness(outside))
    assert abs(mapped[0, 0, 0] - 90.0) < 0.01
    hue = np.degrees(np.arctan2(mapped[0, 0, 2], mapped[0, 0, 1]))
    assert abs(hue - np.degrees(np.arctan2(-90.0, 20.0))) < 1.0
    assert abs(rgb_to_lab(lab_to_rgb(outside))[0, 0, 0] - 90.0) > 1.0  # what clipping does
