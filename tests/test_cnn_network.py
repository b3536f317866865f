"""The Zhang network graph: shapes, colorization-tf names, padding conventions, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from algorithms.cnn.architecture import (
    FULL_WIDTHS,
    Architecture,
    infer_widths,
    random_weights,
    variable_shapes,
    widths_for_multiplier,
)
from algorithms.cnn.network import build_network
from algorithms.errors import BadInputError
from colorize_app.io.model_files import load_model

TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8), padding="torch_symmetric",
                    bn_epsilon=1e-5)


@pytest.fixture(scope="module")
def tiny_network():
    network = build_network(TINY, random_weights(TINY, seed=3))
    yield network
    network.close()


def smooth_lightness(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    return (50 + 40 * np.sin(7 * xx) * np.cos(5 * yy)).astype(np.float32)


@pytest.mark.parametrize("multiplier", [1.0, 0.5])
def test_output_is_313_logits_at_a_quarter_of_the_input(multiplier):
    arch = Architecture(widths=widths_for_multiplier(multiplier))
    with build_network(arch, random_weights(arch)) as network:
        logits = network.run((smooth_lightness(32, 48) - 50) / 100)
    assert logits.shape == (8, 12, 313)
    assert np.all(np.isfinite(logits))


def test_width_multiplier_scales_every_block():
    assert widths_for_multiplier(1.0) == FULL_WIDTHS
    assert widths_for_multiplier(0.5) == (32, 64, 128, 256, 256, 256, 256, 128)


def test_variables_are_named_as_the_colorization_tf_checkpoint(tiny_network):
    names = set(tiny_network.variables)
    assert {f"conv{i}/weights" for i in range(1, 24)} <= names
    assert {f"conv{i}/biases" for i in range(1, 24)} <= names
    for block in range(1, 8):
        for part in ("gamma", "beta", "moving_mean", "moving_variance"):
            assert f"bn_{block}/{part}" in names
    assert len(names) == 23 * 2 + 7 * 4
    # conv20 is the transposed convolution: TF layout (k, k, out, in).
    assert tuple(tiny_network.variables["conv20/weights"].shape) == (4, 4, 8, 16)


def test_widths_are_read_back_from_shapes():
    shapes = variable_shapes(TINY)
    assert infer_widths(shapes) == (TINY.widths, 313)


def test_graph_is_reused_for_any_input_size(tiny_network):
    small = tiny_network.run(smooth_lightness(16, 16) / 100)
    large = tiny_network.run(smooth_lightness(40, 24) / 100)
    assert small.shape == (4, 4, 313) and large.shape == (10, 6, 313)


def test_input_size_must_be_a_multiple_of_8(tiny_network):
    with pytest.raises(BadInputError, match="multiples of 8"):
        tiny_network.run(np.zeros((30, 32), np.float32))


def test_padding_conventions_differ_only_through_the_stride_2_convolutions():
    weights = random_weights(TINY, seed=4)
    lightness = (smooth_lightness(32, 32) - 50) / 100
    same_arch = Architecture(TINY.widths, padding="tf_same", bn_epsilon=TINY.bn_epsilon)
    with build_network(TINY, weights) as symmetric, build_network(same_arch, weights) as same:
        difference = np.abs(symmetric.run(lightness) - same.run(lightness)).max()
    assert difference > 1e-3


def test_loading_a_wrong_shape_names_the_variable(tiny_network):
    weights = random_weights(TINY)
    weights["conv5/weights"] = weights["conv5/weights"][..., :3]
    with pytest.raises(BadInputError, match="conv5/weights"):
        tiny_network.load_weights(weights)


def test_tf_checkpoint_round_trip(tmp_path, tiny_network):
    import tensorflow as tf

    # A checkpoint written by tf.compat.v1.train.Saver, as colorization-tf wrote them.
    weights = random_weights(TINY, seed=11)
    arch = Architecture(TINY.widths, padding="tf_same", bn_epsilon=1e-3)
    lightness = smooth_lightness(32, 40)
    with build_network(arch, weights) as network:
        prefix = network.save_checkpoint(str(tmp_path / "model.ckpt"))
        expected = network.run(lightness - 50)  # colorization-tf feeds L - 50
    assert tf.io.gfile.exists(prefix + ".index")
    bins = np.random.default_rng(0).uniform(-100, 100, (313, 2))
    np.save(tmp_path / "pts_in_hull.npy", bins)

    model = load_model(prefix)
    assert model.architecture == arch
    assert model.metadata["input_offset"] == 50 and model.metadata["input_scale"] == 1
    np.testing.assert_allclose(model.bins, bins, rtol=1e-6)
    with build_network(model.architecture, model.weights) as network:
        restored = network.run(model.normalise_lightness(lightness))
    np.testing.assert_array_equal(restored, expected)
    for name, value in weights.items():
        np.testing.assert_array_equal(model.weights[name], value)


def test_tf_checkpoint_problems_give_one_line_messages(tmp_path, tiny_network):
    prefix = tiny_network.save_checkpoint(str(tmp_path / "model.ckpt"))
    with pytest.raises(BadInputError, match="needs its ab bins"):
        load_model(prefix)
    np.save(tmp_path / "wrong_bins.npy", np.zeros((312, 2)))
    with pytest.raises(BadInputError, match=r"must have shape"):
        load_model(prefix + ".index", bins_path=tmp_path / "wrong_bins.npy")
    np.save(tmp_path / "pts_in_hull.npy", np.zeros((313, 2)))
    assert load_model(prefix).architecture.widths == TINY.widths
    data = next(tmp_path.glob("model.ckpt.data-*"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(BadInputError, match="truncated") as error:
        load_model(tmp_path)  # the folder holding one checkpoint
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("shape", [(1, 24, 32, 5), (2, 13, 19, 5)])
def test_training_form_of_dilated_convolutions_equals_the_inference_form(shape):
    """Training builds dilated layers with atrous_conv2d (it has a CPU gradient); the
    shipped model runs them with conv2d(dilations=2): both must be one convolution."""
    import tensorflow as tf

    from algorithms.cnn.architecture import Layer
    from algorithms.cnn.network import _conv

    tf1 = tf.compat.v1
    layer = Layer("conv_dilated", "conv", shape[3], 7, dilation=2)
    rng = np.random.default_rng(3)
    inputs = rng.normal(size=shape).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf.float32, shape)
        with tf1.variable_scope("layer"):
            inference = _conv(x, layer, "tf_same", training=False)
        with tf1.variable_scope("layer", reuse=True):
            training = _conv(x, layer, "tf_same", training=True)
        with tf1.Session(graph=graph) as session:
            for variable in tf1.global_variables():
                session.run(variable.assign(rng.normal(size=variable.shape).astype(np.float32)))
            first, second = session.run([inference, training], {x: inputs})
    assert np.abs(first).max() > 0.1  # the ReLU kept something to compare
    np.testing.assert_allclose(first, second, atol=1e-4)


def test_a_frozen_network_computes_what_the_one_with_variables_does(tmp_path, tiny_network):
    # Weights built in as constants (the colorizer's fast start): same logits, same
    # weights read back, new weights rebuild it, and its checkpoint loads as the original.
    # (Its batch norm's scale is computed once in float64, not in the graph in float32:
    # equal to float32 rounding, 2e-5 here.)
    weights = random_weights(TINY, seed=3)
    lightness = smooth_lightness(32, 40) - 50
    with build_network(TINY, weights, frozen=True) as frozen:
        np.testing.assert_allclose(frozen.run(lightness), tiny_network.run(lightness),
                                   rtol=1e-4, atol=1e-4)
        for name, value in frozen.read_weights().items():
            np.testing.assert_array_equal(value, weights[name])
        prefix = frozen.save_checkpoint(str(tmp_path / "frozen.ckpt"))
        other = random_weights(TINY, seed=4)
        frozen.load_weights(other)
        with build_network(TINY, other) as variables:
            np.testing.assert_allclose(frozen.run(lightness), variables.run(lightness),
                                       rtol=1e-4, atol=1e-4)
        with pytest.raises(BadInputError, match="missing variable"):
            frozen.load_weights({})
    np.save(tmp_path / "pts_in_hull.npy", np.zeros((313, 2)))
    for name, value in load_model(prefix).weights.items():
        np.testing.assert_array_equal(value, weights[name])


def _random_encoder_head(seed: int = 5):
    """A small EfficientNet-Lite-style encoder + head with random weights and batch-norm
    statistics far from the identity (so that a wrong fold shows)."""
    from algorithms.cnn.efficientnet import EncoderSpec, stage_blocks
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture, variable_shapes

    # Strides 2 (stem), 4, 8, 16, 32; the repeated stage has a residual block.
    blocks = stage_blocks([(1, 3, 2, 1, 8), (2, 3, 2, 3, 12), (1, 5, 2, 2, 16),
                           (1, 3, 2, 2, 16)], 8)
    arch = EncoderHeadArchitecture(EncoderSpec(8, blocks), width=8, bins=20)
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in variable_shapes(arch).items():
        part = name.rsplit("/", 1)[-1]
        if part == "weights":
            value = rng.normal(0, np.sqrt(2.0 / np.prod(shape[:3])), shape)
        elif part in ("gamma", "moving_variance"):
            value = rng.uniform(0.3, 2.0, shape)
        else:
            value = rng.uniform(-0.5, 0.5, shape)
        weights[name] = value.astype(np.float32)
    return arch, weights


def test_folded_batch_norm_gives_the_logits_of_the_unfolded_graph():
    # The frozen network folds every encoder batch norm into its convolution; the network
    # with variables (training's graph) keeps them: same logits on a random input.
    arch, weights = _random_encoder_head()
    inputs = np.random.default_rng(6).uniform(-1, 1, (2, 64, 96)).astype(np.float32)
    with build_network(arch, weights) as unfolded, \
            build_network(arch, weights, frozen=True) as folded:
        expected, got = unfolded.run(inputs), folded.run(inputs)
        folded_types = {op.type for op in folded.graph.get_operations()}
        unfolded_types = {op.type for op in unfolded.graph.get_operations()}
    assert got.shape == expected.shape == (2, 16, 24, 20)
    assert expected.std() > 0.1  # something to compare
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * expected.std())
    assert "Rsqrt" in unfolded_types and "Rsqrt" not in folded_types


def test_fold_batch_norm_of_one_convolution_by_hand():
    # conv 1x1 (2 -> 3 channels) then batch norm, against the folded kernel and bias.
    from algorithms.cnn.folding import fold_batch_norm
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture

    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(1, 1, 2, 3))
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.1, -0.2, 0.3])
    mean, variance = np.array([0.5, 0.0, -1.0]), np.array([4.0 - 1e-3, 1.0 - 1e-3, 0.25 - 1e-3])
    weights = {"encoder/stem/weights": kernel, "encoder/stem_bn/gamma": gamma,
               "encoder/stem_bn/beta": beta, "encoder/stem_bn/moving_mean": mean,
               "encoder/stem_bn/moving_variance": variance,
               "head/logits/biases": np.ones(3)}
    folded = fold_batch_norm(EncoderHeadArchitecture(), weights)
    assert set(folded) == {"encoder/stem/weights", "encoder/stem/biases", "head/logits/biases"}
    # sqrt(variance + eps) = 2, 1, 0.5: scale 0.5, 2, 1; offset beta - mean * scale.
    np.testing.assert_allclose(folded["encoder/stem/weights"], kernel * [0.5, 2.0, 1.0],
                               rtol=1e-6)
    np.testing.assert_allclose(folded["encoder/stem/biases"], [-0.15, -0.2, 1.3], rtol=1e-6)
    pixels = rng.normal(size=(5, 2))
    batch_norm = (pixels @ kernel[0, 0] - mean) / np.sqrt(variance + 1e-3) * gamma + beta
    np.testing.assert_allclose(pixels @ folded["encoder/stem/weights"][0, 0]
                               + folded["encoder/stem/biases"], batch_norm, rtol=1e-5)


def test_a_warm_up_run_changes_no_result_and_close_waits_for_it():
    weights = random_weights(TINY, seed=3)
    lightness = smooth_lightness(32, 40) - 50
    with build_network(TINY, weights, frozen=True) as cold:
        expected = cold.run(lightness)
    with build_network(TINY, weights, frozen=True) as warm:
        warm.warm_up(16, 24)
        np.testing.assert_array_equal(warm.run(lightness), expected)
        warm.warm_up(64, 64)
        warm.load_weights(weights)  # rebuilt: the old session outlives its warm-up run
        np.testing.assert_array_equal(warm.run(lightness), expected)
        warm.warm_up()
    with pytest.raises(RuntimeError, match="closed Session"):  # closed after the warm-up
        warm.run(lightness)


def test_an_error_in_the_warm_up_run_is_raised_by_the_next_run(monkeypatch):
    import tensorflow as tf

    with build_network(TINY, random_weights(TINY, seed=3), frozen=True) as network:
        def failing(*args, **kwargs):
            raise tf.errors.ResourceExhaustedError(None, None, "out of memory in the warm-up")

        monkeypatch.setattr(network.session, "run", failing)
        network.warm_up()
        with pytest.raises(tf.errors.ResourceExhaustedError, match="in the warm-up"):
            network.run(smooth_lightness(32, 32))
