"""Annealed-mean decoding: known answers on hand-made distributions (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.cnn.decode import (
    annealed_mean,
    annealed_probabilities,
    check_bins,
    upsample_ab,
)
from algorithms.errors import BadInputError


@pytest.fixture
def bins(rng):
    return rng.uniform(-100, 100, (313, 2)).astype(np.float32)


def test_temperature_one_is_the_plain_mean_of_the_softmax(rng, bins):
    logits = rng.normal(0, 2, (3, 4, 313))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = probabilities @ bins
    np.testing.assert_allclose(annealed_mean(logits, bins, 1.0), expected, atol=1e-4)


def test_annealing_is_the_power_of_the_probabilities(rng, bins):
    logits = rng.normal(0, 2, (2, 2, 313))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    powered = probabilities ** (1 / 0.38)
    expected = powered / powered.sum(-1, keepdims=True)
    np.testing.assert_allclose(annealed_probabilities(logits, 0.38), expected, rtol=1e-4,
                               atol=1e-7)


def test_small_temperature_picks_the_mode(rng, bins):
    logits = rng.normal(0, 1, (5, 5, 313))
    mode = logits.argmax(-1)
    ab = annealed_mean(logits, bins, 1e-4)
    np.testing.assert_allclose(ab, bins[mode], atol=1e-3)


def test_one_hot_distribution_decodes_exactly_to_its_bin(bins):
    logits = np.full((1, 3, 313), -1e4, np.float32)
    chosen = [0, 17, 312]
    for column, index in enumerate(chosen):
        logits[0, column, index] = 0.0
    for temperature in (0.38, 1.0, 3.0):
        np.testing.assert_array_equal(annealed_mean(logits, bins, temperature)[0], bins[chosen])


def test_uniform_logits_give_the_mean_bin_whatever_the_temperature(bins):
    logits = np.zeros((2, 2, 313))
    for temperature in (0.1, 0.38, 1.0):
        np.testing.assert_allclose(annealed_mean(logits, bins, temperature),
                                   np.broadcast_to(bins.mean(0), (2, 2, 2)), atol=1e-3)


def test_lower_temperature_is_more_saturated(rng, bins):
    logits = rng.normal(0, 2, (8, 8, 313))
    vivid = np.linalg.norm(annealed_mean(logits, bins, 0.2), axis=-1).mean()
    dull = np.linalg.norm(annealed_mean(logits, bins, 1.0), axis=-1).mean()
    assert vivid > dull


@pytest.mark.parametrize("temperature", [0, -1, np.nan, np.inf, 11])
def test_bad_temperature_is_refused(bins, temperature):
    with pytest.raises(BadInputError, match="temperature"):
        annealed_mean(np.zeros((1, 1, 313)), bins, temperature)


@pytest.mark.parametrize("shape", [(313,), (313, 3), (312, 2), (2, 313)])
def test_bins_of_the_wrong_shape_are_refused(shape):
    with pytest.raises(BadInputError, match=r"\(313, 2\)"):
        check_bins(np.zeros(shape), 313)


def test_upsampling_keeps_a_constant_field_and_the_pixel_centres():
    constant = np.full((4, 4, 2), 7.0, np.float32)
    np.testing.assert_allclose(upsample_ab(constant, (13, 17)), 7.0)
    ramp = np.stack([np.arange(4.0)[None].repeat(2, 0)] * 2, -1).astype(np.float32)  # (2, 4, 2)
    wide = upsample_ab(ramp, (2, 16))
    # Half-pixel centres (PyTorch's align_corners=False): output x maps to (x + 0.5) / 4 - 0.5.
    expected = np.clip((np.arange(16) + 0.5) / 4 - 0.5, 0, 3)
    np.testing.assert_allclose(wide[0, :, 0], expected, atol=1e-5)


def test_fast_lab_to_rgb_matches_the_reference_including_out_of_gamut(rng):
    from algorithms.colorspace import lab_to_rgb, lab_to_rgb_fast

    # The whole range the decoder can produce, most of it outside the sRGB gamut.
    lab = np.stack([rng.uniform(0, 100, (60, 60)), rng.uniform(-110, 110, (60, 60)),
                    rng.uniform(-110, 110, (60, 60))], -1)
    fast = lab_to_rgb_fast(lab)
    assert fast.dtype == np.float32 and fast.shape == (60, 60, 3)
    np.testing.assert_allclose(fast, lab_to_rgb(lab), atol=1e-3)


# --- calibrated decoding ----------------------------------------------------------------------

def _bins():
    return np.array([[a, b] for a in range(-60, 61, 20) for b in range(-60, 61, 20)],
                    np.float32)


def test_a_flat_distribution_decodes_to_the_muted_mean_not_a_vivid_hue():
    from algorithms.cnn.decode import annealed_mean, calibrated_ab

    bins = _bins()
    # Nearly flat: a slight preference for one vivid bin.
    logits = np.zeros((1, 1, len(bins)), np.float32)
    vivid = int(np.argmax(np.hypot(bins[:, 0], bins[:, 1])))
    logits[..., vivid] = 1.0
    ab, confidence = calibrated_ab(logits, bins, temperature=0.38)
    mean = annealed_mean(logits, bins, 1.0)
    assert confidence[0, 0] < 0.25
    # The annealed mean alone goes most of the way to the vivid bin; calibrated stays near
    # the plain mean (chroma under 10 ab units, a quarter of the annealed mean's at most).
    assert np.hypot(*annealed_mean(logits, bins, 0.05)[0, 0]) > 60
    assert np.hypot(*ab[0, 0]) < 10
    np.testing.assert_allclose(ab[0, 0], mean[0, 0], atol=0.25 * np.hypot(*mean[0, 0]) + 2)


def test_a_peaked_distribution_decodes_to_its_modes_colour():
    from algorithms.cnn.decode import calibrated_ab

    bins = _bins()
    logits = np.full((1, 1, len(bins)), -10.0, np.float32)
    mode = 3
    logits[..., mode] = 10.0
    ab, confidence = calibrated_ab(logits, bins, temperature=0.38)
    assert confidence[0, 0] > 0.99
    np.testing.assert_allclose(ab[0, 0], bins[mode], atol=0.5)


def test_decoding_settings_round_trip_and_malformed_ones_are_refused():
    from algorithms.cnn.decode import Decoding

    decoding = Decoding(0.5, 15.0, "guided")
    assert Decoding.from_metadata({"decoding": decoding.to_metadata()}) == decoding
    assert Decoding.from_metadata({}) == Decoding()
    assert Decoding.paper().spread_scale is None
    with pytest.raises(BadInputError, match="decoding settings are malformed"):
        Decoding.from_metadata({"decoding": {"temperature": "hot"}})
    with pytest.raises(BadInputError, match="edges must be one of global, guided, none"):
        Decoding(0.4, 20.0, "blur")
    with pytest.raises(BadInputError, match="spread scale must be positive"):
        Decoding(0.4, float("nan"))


def test_decode_time_rebalancing_favours_rare_colours_only_where_asked():
    from algorithms.cnn.decode import Decoding, prior_log_weights

    bins = _bins()
    gray = int(np.argmin(np.hypot(bins[:, 0], bins[:, 1])))
    vivid = int(np.argmax(bins[:, 0]))  # a = 60: a saturated red
    prior = np.full(len(bins), 1e-4)
    prior[gray] = 1.0  # the training photos were mostly gray
    prior /= prior.sum()
    log_weights = prior_log_weights({"bin_prior": prior.tolist()}, bins)
    assert log_weights[vivid] > log_weights[gray]
    # The network hesitates between gray and the red.
    logits = np.full((1, 1, len(bins)), -20.0, np.float32)
    logits[..., gray], logits[..., vivid] = 1.0, 0.0
    plain = Decoding.paper(0.38).small_ab(logits, bins, log_weights)[0]
    rebalanced = Decoding(0.38, None, "none", 1.0).small_ab(logits, bins, log_weights)[0]
    assert abs(plain[0, 0, 0]) < 10 < rebalanced[0, 0, 0]
    # Without a prior (a model that has none) the strength changes nothing.
    np.testing.assert_allclose(Decoding(0.38, None, "none", 1.0).small_ab(logits, bins)[0],
                               plain)
    assert prior_log_weights({}, bins) is None
    with pytest.raises(BadInputError, match="bin prior does not match its bins"):
        prior_log_weights({"bin_prior": [0.5, 0.5]}, bins)
    with pytest.raises(BadInputError, match=r"rebalance must be in \[0, 2\]"):
        Decoding(rebalance=3.0)


def test_the_neutral_prior_keeps_gray_gray_and_a_sure_colour_its_colour():
    from algorithms.cnn.decode import Decoding, neutral_probability

    bins = _bins()
    gray = int(np.argmin(np.hypot(bins[:, 0], bins[:, 1])))
    red = int(np.argmax(bins[:, 0]))
    logits = np.full((1, 3, len(bins)), -30.0, np.float32)
    logits[0, 0, red] = 10.0  # sure of the red
    logits[0, 1, gray], logits[0, 1, red] = 1.0, 0.0  # gray or red: gray more likely
    logits[0, 2, gray], logits[0, 2, red] = 0.0, 1.0  # gray or red: red more likely
    p_neutral = neutral_probability(logits, bins)
    np.testing.assert_allclose(p_neutral[0], [0.0, 1 / (1 + np.e**-1), 1 / (1 + np.e)],
                               atol=1e-5)
    without = Decoding.paper().small_ab(logits, bins)[0]
    with_prior = Decoding(0.38, None, "none", 0.0, neutral=2.0).small_ab(logits, bins)[0]
    # ab scaled by (1 - p_neutral)^2: the sure red untouched, the doubtful ones toward gray.
    np.testing.assert_allclose(with_prior, without * ((1 - p_neutral) ** 2)[..., None],
                               rtol=1e-5, atol=1e-4)
    assert with_prior[0, 0, 0] > 55 and abs(with_prior[0, 1, 0]) < 0.1 * without[0, 1, 0]


def test_gain_and_vividness_scale_the_chroma_by_the_promised_factor(rng):
    from algorithms.cnn.decode import VIVIDNESS_REFERENCE, Decoding

    bins = _bins()
    logits = rng.normal(0, 2, (4, 5, len(bins))).astype(np.float32)
    base = Decoding(0.3, 20.0, "none", 0.0)
    plain = base.small_ab(logits, bins)[0]
    tuned = Decoding(0.3, 20.0, "none", 0.0, gain=1.5, vividness=0.5).small_ab(logits, bins)[0]
    np.testing.assert_allclose(tuned, plain * 1.5 * (VIVIDNESS_REFERENCE / 0.3) ** 0.5,
                               rtol=1e-5, atol=1e-5)
    # Above the reference (the dull side) the exponent is doubled.
    dull = Decoding(0.9, 20.0, "none", 0.0, vividness=0.5).small_ab(logits, bins)[0]
    np.testing.assert_allclose(dull, Decoding(0.9, 20.0, "none", 0.0).small_ab(logits, bins)[0]
                               * (VIVIDNESS_REFERENCE / 0.9), rtol=1e-5, atol=1e-5)
    # At the reference temperature only the gain acts.
    at_reference = Decoding(VIVIDNESS_REFERENCE, 20.0, "none", 0.0, vividness=0.5)
    np.testing.assert_allclose(at_reference.small_ab(logits, bins)[0],
                               Decoding(VIVIDNESS_REFERENCE, 20.0, "none", 0.0
                                        ).small_ab(logits, bins)[0], rtol=1e-6, atol=1e-6)
    every = Decoding(0.4, 15.0, "guided", 0.5, neutral=2.0, gain=2.0, vividness=0.35)
    assert Decoding.from_metadata({"decoding": every.to_metadata()}) == every
    with pytest.raises(BadInputError, match=r"gain must be in \[0.01, 10\], got 0"):
        Decoding(gain=0.0)
    with pytest.raises(BadInputError, match=r"neutral must be in \[0, 10\], got -1"):
        Decoding(neutral=-1.0)


def test_the_last_prediction_keeps_its_edge_filter_across_temperatures_only():
    """The slider's re-decode reuses the full-size filter (the confidence and the filter do
    not depend on the temperature), and gives what a fresh prediction gives; another
    decoding, or another photo, sets up its own."""
    from algorithms.cnn.colorizer import Prediction
    from algorithms.cnn.decode import Decoding

    rng = np.random.default_rng(5)
    bins = np.stack(np.meshgrid(np.linspace(-60, 60, 5), np.linspace(-60, 60, 5)),
                    -1).reshape(-1, 2)
    logits = rng.normal(0, 3, (6, 8, len(bins))).astype(np.float32)
    lightness = np.where(np.arange(32)[None, :] < 16, 30.0, 70.0).repeat(24, 0)
    lightness = lightness.astype(np.float32)

    def fresh(decoding):
        return Prediction(logits, lightness, (24, 32), False, bins, decoding)

    expected = fresh(Decoding()).ab_at(0.2)
    kept = fresh(Decoding())
    kept.ab_at(0.9)
    first_filter = kept._edge_filter(Decoding(), logits.shape[:2], None)
    np.testing.assert_array_equal(kept.ab_at(0.2), expected)
    assert kept._edge_filter(Decoding(0.7), logits.shape[:2], None) is first_filter
    guided = Decoding(edges="guided")
    expected = fresh(guided).ab_at()
    np.testing.assert_array_equal(kept.ab_at(decoding=guided), expected)
    assert not np.allclose(kept.ab_at(decoding=guided), kept.ab_at(0.38))
    # One filter is kept in all: another photo's decoding replaces it.
    kept.ab_at(0.38)
    fresh(Decoding()).ab_at(0.38)
    assert kept._edge_filter(Decoding(), logits.shape[:2], None) is not first_filter
