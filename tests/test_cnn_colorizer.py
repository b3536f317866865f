"""The Colorizer: the release reproduced exactly, L kept, re-decoding without the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from algorithms.cnn.architecture import Architecture, random_weights
from algorithms.cnn.colorizer import Colorizer
from algorithms.cnn.decode import Decoding, annealed_mean, upsample_ab
from algorithms.cnn.model_weights import ModelWeights
from algorithms.colorspace import lab_lightness, rgb_to_lab
from algorithms.errors import BadInputError
from colorize_app.io.model_files import load_model

FIXTURES = Path(__file__).parent / "fixtures"
TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))


@pytest.fixture(scope="module")
def model() -> ModelWeights:
    grid = np.array([(a, b) for a in range(-90, 101, 10) for b in range(-110, 101, 10)])
    bins = grid[np.random.default_rng(1).choice(len(grid), 313, replace=False)]
    return ModelWeights(random_weights(TINY, seed=2), bins.astype(np.float32),
                        {"input_offset": 50.0, "input_scale": 100.0, "padding": "tf_same",
                         "bn_epsilon": 1e-3})


@pytest.fixture(scope="module")
def colorizer(model):
    with Colorizer(model, input_size=64) as instance:
        yield instance


def gray_photo(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    return (0.5 + 0.4 * np.sin(9 * xx) * np.cos(6 * yy)).astype(np.float32)


@pytest.mark.parametrize("name", ["eccv16_tiny.pth", "eccv16_tiny_legacy.pth"])
def test_converted_release_reproduces_the_torch_output(name):
    """Against what PyTorch computed (tests/fixtures/make_eccv16_fixture.py)."""
    expected = np.load(FIXTURES / "eccv16_tiny_expected.npz")
    model = load_model(FIXTURES / name)
    with Colorizer(model, input_size=None) as native:
        logits, shape = native.predict_logits(expected["l"])
    assert shape == expected["l"].shape
    np.testing.assert_allclose(logits, expected["logits"], atol=1e-4)
    # The release's forward: softmax (T = 1), the bins, bilinear x4, at the input's size.
    ab = upsample_ab(annealed_mean(logits, model.bins, 1.0), expected["l"].shape)
    np.testing.assert_allclose(ab, expected["ab"], atol=1e-4)
    assert np.abs(expected["ab"]).max() > 10  # the comparison is not of near-zero fields


def test_tf_same_padding_would_not_reproduce_the_release():
    expected = np.load(FIXTURES / "eccv16_tiny_expected.npz")
    model = load_model(FIXTURES / "eccv16_tiny.pth")
    model.metadata["padding"] = "tf_same"
    with Colorizer(model, input_size=None) as wrong:
        logits, _ = wrong.predict_logits(expected["l"])
    assert np.abs(logits - expected["logits"]).max() > 1e-4


def test_gray_photo_keeps_its_lightness_and_gains_colour(colorizer):
    gray = gray_photo(50, 70)
    rgb = colorizer.colorize(gray)
    assert rgb.shape == (50, 70, 3) and rgb.dtype == np.float32
    assert 0 <= rgb.min() and rgb.max() <= 1
    lab = rgb_to_lab(rgb.astype(np.float64))
    # L is the input's except where the predicted colour falls out of the sRGB gamut.
    assert np.median(np.abs(lab[..., 0] - lab_lightness(gray))) < 0.5
    assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 2


def test_colour_photo_is_recoloured_from_its_own_lightness(colorizer):
    gray = gray_photo(40, 40)
    tinted = np.stack([gray, gray * 0.8, gray * 0.5], -1)  # a sepia-ish colour photo
    from_colour = colorizer.colorize(tinted)
    from_l = colorizer.colorize(lab_lightness(tinted) / 100)  # a gray image of other values
    assert from_colour.shape == (40, 40, 3)
    # Same lightness in, same colours out: the photo's own chroma plays no part.
    recoloured_l = rgb_to_lab(from_colour.astype(np.float64))[..., 0]
    assert np.median(np.abs(recoloured_l - lab_lightness(tinted))) < 0.5
    assert not np.allclose(from_colour, from_l, atol=1e-3)  # different L, different result


def _chroma(image):
    lab = rgb_to_lab(image.astype(np.float64))
    return np.hypot(lab[..., 1], lab[..., 2]).mean()


@pytest.mark.parametrize("decoding", [Decoding.paper(), Decoding(spread_scale=200.0)])
def test_redecoding_changes_colours_without_running_the_network(model, decoding):
    with Colorizer(model, input_size=64, decoding=decoding) as colorizer:
        rgb = colorizer.colorize(gray_photo(48, 64), temperature=0.38)
        runs = colorizer.forward_runs
        vivid = colorizer.redecode(0.1)
        dull = colorizer.redecode(1.0)
        again = colorizer.redecode(0.38)
        assert colorizer.forward_runs == runs
    np.testing.assert_allclose(again, rgb, atol=1e-6)
    assert _chroma(vivid) > _chroma(rgb) > _chroma(dull)


def test_calibrated_decoding_mutes_what_the_network_is_unsure_of(model):
    """The test model's random weights give hesitant distributions: muted colour."""
    with Colorizer(model, input_size=64, decoding=Decoding.paper(0.1)) as paper, \
            Colorizer(model, input_size=64) as calibrated:
        vivid = paper.colorize(gray_photo(48, 64))
        muted = calibrated.colorize(gray_photo(48, 64), temperature=0.1)
        confidence = calibrated.last_prediction.decoding.small_ab(
            calibrated.last_prediction.logits, model.bins)[1]
    assert confidence.mean() < 0.5
    assert _chroma(muted) < 0.6 * _chroma(vivid)


def test_kept_predictions_decode_each_photo_later_without_the_network(colorizer):
    first_rgb = colorizer.colorize(gray_photo(48, 64), temperature=0.38)
    first = colorizer.last_prediction
    second_rgb = colorizer.colorize(gray_photo(30, 20), temperature=0.38)
    runs = colorizer.forward_runs
    # The first photo decodes from its own prediction after another photo was colorized.
    np.testing.assert_allclose(first.decode(0.38), first_rgb, atol=1e-6)
    np.testing.assert_allclose(colorizer.redecode(0.38), second_rgb, atol=1e-6)
    assert first.decode(0.2).shape == (48, 64, 3)
    assert colorizer.forward_runs == runs


def test_network_runs_once_per_image(colorizer):
    before = colorizer.forward_runs
    for size in ((32, 32), (20, 50), (64, 48)):
        colorizer.colorize(gray_photo(*size))
    assert colorizer.forward_runs == before + 3


def test_native_resolution_handles_sizes_that_are_not_multiples_of_8(model):
    with Colorizer(model, input_size=None) as native:
        rgb = native.colorize(gray_photo(37, 29))
        logits = native._last.logits
    assert rgb.shape == (37, 29, 3)
    assert logits.shape == (10, 8, 313)  # 40 x 32 padded input, at a quarter


def test_redecode_before_any_image_is_refused(model):
    with Colorizer(model, input_size=32) as fresh:
        with pytest.raises(BadInputError, match="colorize an image first"):
            fresh.redecode(0.5)


@pytest.mark.parametrize("shape", [(10, 10, 4), (10,), (0, 10)])
def test_images_of_the_wrong_shape_are_refused(colorizer, shape):
    with pytest.raises(BadInputError):
        colorizer.colorize(np.zeros(shape, np.float32))


def test_progress_is_reported_up_to_one(colorizer):
    seen = []
    colorizer.colorize(gray_photo(16, 16), progress=lambda f, m: seen.append(f))
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)


@pytest.mark.parametrize("input_size", [64, None])
def test_flip_averaging_makes_the_colour_of_a_mirrored_photo_the_mirrored_colour(model,
                                                                                 input_size):
    photo = gray_photo(48, 64) * np.linspace(0.6, 1.0, 64)[None, :]  # not symmetric
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    paper = Decoding.paper()
    with Colorizer(model, input_size=input_size, decoding=paper) as once, \
            Colorizer(model, input_size=input_size, decoding=paper,
                      flip_average=True) as flipped:
        plain = once.predict_logits(photo)[0], once.predict_logits(mirrored)[0]
        runs = flipped.forward_runs
        averaged = flipped.predict_logits(photo)[0], flipped.predict_logits(mirrored)[0]
        assert flipped.forward_runs == runs + 4  # two passes a photo
    # The network alone is not mirror-symmetric (padding, strided kernels) ...
    assert np.abs(plain[1][:, ::-1] - plain[0]).max() > 1e-3
    # ... the averaged distribution is, and it is a distribution (its softmax sums to 1).
    np.testing.assert_allclose(averaged[1][:, ::-1], averaged[0], atol=1e-4)
    np.testing.assert_allclose(np.exp(averaged[0]).sum(-1), 1.0, rtol=1e-5)
    probabilities = [np.exp(p - p.max(-1, keepdims=True)) for p in (plain[0],
                                                                     plain[1][:, ::-1])]
    expected = sum(p / p.sum(-1, keepdims=True) for p in probabilities) / 2
    np.testing.assert_allclose(np.exp(averaged[0]), expected, atol=1e-6)


def test_photo_and_mirror_in_one_batch_or_one_after_the_other_give_the_same_logits(
        model, monkeypatch):
    import algorithms.cnn.colorizer as colorizer_module

    photo = gray_photo(48, 64) * np.linspace(0.6, 1.0, 64)[None, :]
    with Colorizer(model, input_size=None, flip_average=True) as flipped:
        batched = flipped.predict_logits(photo)[0]
        monkeypatch.setattr(colorizer_module, "FLIP_BATCH_PIXELS", 0)  # as a large photo
        runs = flipped.forward_runs
        separate = flipped.predict_logits(photo)[0]
        assert flipped.forward_runs == runs + 2
    np.testing.assert_allclose(batched, separate, atol=1e-5)


def test_image_lightness_reads_gray_stored_as_rgb_by_table_and_colour_in_full():
    from algorithms.cnn.colorizer import image_lightness

    rng = np.random.default_rng(3)
    gray = rng.random((24, 32)).astype(np.float32)
    as_rgb = np.dstack([gray] * 3)  # a video frame: gray with R = G = B
    np.testing.assert_allclose(image_lightness(as_rgb), lab_lightness(as_rgb), atol=0.002)
    np.testing.assert_array_equal(image_lightness(as_rgb), image_lightness(gray))
    colour = as_rgb.copy()
    colour[..., 0] = np.clip(colour[..., 0] + 0.2, 0.0, 1.0)
    np.testing.assert_allclose(image_lightness(colour), rgb_to_lab(colour)[..., 0], atol=1e-4)


def test_the_flip_average_is_the_log_of_the_mean_distribution():
    from algorithms.cnn.colorizer import _mean_log_probabilities

    rng = np.random.default_rng(4)
    first, second = rng.normal(0.0, 4.0, (2, 3, 5, 7)).astype(np.float32)

    def softmax(logits):
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    mean = _mean_log_probabilities(first, second)
    assert mean.dtype == np.float32
    np.testing.assert_allclose(np.exp(mean), (softmax(first) + softmax(second)) / 2, atol=1e-6)
    np.testing.assert_allclose(_mean_log_probabilities(first, first),
                               np.log(softmax(first)), atol=1e-5)
    # A probability that underflows is floored (log about -87.3), never -inf.
    far = np.float32([[0.0, -500.0]])
    assert np.all(np.isfinite(_mean_log_probabilities(far, far)))


SHIPPED_MODELS = sorted((Path(__file__).parents[1] / "models").glob("*.npz"))


@pytest.mark.parametrize("path", SHIPPED_MODELS, ids=lambda path: path.stem)
def test_shipped_models_give_the_colours_of_the_graph_with_variables(path):
    # The colorizer's graph has its weights as constants and batch norm folded into the
    # convolutions; training's graph (variables, batch norm as such) is the reference.
    import cv2

    from algorithms.cnn.network import build_network

    sample = Path(__file__).parents[1] / "resources" / "samples" / "sky_foliage_palace.jpg"
    photo = cv2.cvtColor(cv2.imread(str(sample)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    model = load_model(path)
    with Colorizer(model) as colorizer:
        fast = colorizer.colorize(photo)
        fast_logits = colorizer.last_prediction.logits
        colorizer.network.close()
        colorizer.network = build_network(model.architecture, model.weights)
        reference = colorizer.colorize(photo)
        reference_logits = colorizer.last_prediction.logits
    assert reference_logits.std() > 0.5  # a trained network's logits, not zeros
    np.testing.assert_allclose(fast_logits, reference_logits, atol=2e-3)
    assert np.abs(fast - reference).max() <= 0.1 / 255  # (measured: 0.001 / 255)
