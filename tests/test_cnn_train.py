"""Training the Zhang network: bins, soft encoding, rebalancing, steps, resume and the CLI."""

import os

import numpy as np
import pytest

from algorithms.cnn.architecture import Architecture, widths_for_multiplier
from algorithms.cnn.bins import bin_distribution, derive_bins, soft_encode
from algorithms.cnn.decode import rebalancing_weights
from algorithms.cnn.train import Trainer, run_training
from algorithms.cnn.training_data import ab_samples, prepare_photo, random_batches
from algorithms.errors import BadInputError, CancelledError


def _photos(count=16, size=32, seed=0):
    """Synthetic colour photos: two flat colours split down the middle, plus noise."""
    rng = np.random.default_rng(seed)
    palette = np.array([[0.9, 0.2, 0.1], [0.1, 0.3, 0.9], [0.2, 0.8, 0.2], [0.9, 0.8, 0.1]])
    photos = []
    for i in range(count):
        image = np.empty((size, size + 8, 3))
        image[:, : size // 2] = palette[i % 4]
        image[:, size // 2:] = palette[(i + 1) % 4]
        image = np.clip(image + 0.02 * rng.standard_normal(image.shape), 0, 1)
        photos.append(prepare_photo(image, size))
    return photos


def _trainer(photos, lr=3e-3, steps=40):
    samples = ab_samples(photos, stride=1)
    bins = derive_bins(samples)
    weights = rebalancing_weights(bin_distribution(samples, bins), bins)
    arch = Architecture(widths=widths_for_multiplier(0.125), bins=len(bins))
    return Trainer(arch, bins, weights, learning_rate=lr, total_steps=steps, threads=2)


def test_derive_bins_keeps_only_used_grid_cells():
    ab = np.array([[1.0, 2.0], [-3.0, 4.0], [12.0, -18.0], [48.0, 51.0], [9.0, -21.0]])
    bins = derive_bins(ab, grid=10)
    # Nearest grid centres: (0, 0) twice, (10, -20) twice, (50, 50) once.
    assert bins.tolist() == [[0.0, 0.0], [10.0, -20.0], [50.0, 50.0]]
    assert derive_bins(ab, grid=10, min_count=2).tolist() == [[0.0, 0.0], [10.0, -20.0]]
    with pytest.raises(BadInputError):
        derive_bins(np.zeros((10, 2)))  # one bin: nothing to learn


def test_soft_encoding_peaks_at_the_bin_and_sums_to_one():
    grid = np.stack(np.meshgrid(np.arange(-30, 40, 10), np.arange(-30, 40, 10)), -1)
    bins = grid.reshape(-1, 2).astype(float)
    index, weight = soft_encode(np.array([[10.0, -20.0], [15.0, -20.0]]), bins)
    assert index.shape == weight.shape == (2, 5)
    assert np.allclose(weight.sum(axis=1), 1.0)
    assert bins[index[0, 0]].tolist() == [10.0, -20.0] and weight[0].argmax() == 0
    # The four grid neighbours at distance 10: exp(-100 / 50) each, relative to the centre.
    assert np.allclose(weight[0, 1:] / weight[0, 0], np.exp(-2.0))
    # Half-way between two bins: the two nearest share the weight equally.
    assert np.isclose(weight[1, 0], weight[1, 1])


def test_rebalancing_weights_are_normalised_and_favour_rare_bins():
    bins = np.array([[0.0, 0.0], [10.0, 0.0], [60.0, 60.0], [-60.0, 60.0]])
    p = np.array([0.7, 0.2, 0.09, 0.01])
    w = rebalancing_weights(p, bins)
    squared = ((bins[:, None] - bins[None]) ** 2).sum(-1)
    smoothed = np.exp(-squared / 50.0) @ p
    smoothed /= smoothed.sum()
    assert np.isclose(np.sum(smoothed * w), 1.0)
    # w is proportional to 1 / (0.5 p~ + 0.5 / Q).
    assert np.allclose(w * (0.5 * smoothed + 0.5 / 4), w[0] * (0.5 * smoothed[0] + 0.5 / 4))
    assert w[3] > w[2] > w[0]


def test_a_few_steps_reduce_the_loss():
    photos = _photos()
    rng = np.random.default_rng(1)
    batches = random_batches(photos, 32, 8, rng)
    with _trainer(photos) as trainer:
        fixed = next(random_batches(photos, 32, 16, np.random.default_rng(5)))
        before, _ = trainer.evaluate(fixed)
        for _ in range(25):
            trainer.train_step(next(batches))
        after, auc = trainer.evaluate(fixed)
        assert trainer.step == 25
    assert after < before
    assert 0.0 <= auc <= 1.0


def test_state_restores_weights_step_and_adam(tmp_path):
    photos = _photos(8)
    batches = random_batches(photos, 32, 4, np.random.default_rng(2))
    with _trainer(photos) as first:
        for _ in range(3):
            first.train_step(next(batches))
        saved = first.state()
        batch = next(batches)
        expected_loss = first.train_step(batch)
        expected = first.network_weights()
    with _trainer(photos) as second:
        second.restore(saved)
        assert second.step == 3
        assert all(np.array_equal(saved[k], v) for k, v in second.network_weights().items())
        assert np.isclose(second.train_step(batch), expected_loss)
        for name, value in second.network_weights().items():
            np.testing.assert_allclose(value, expected[name], rtol=1e-4, atol=1e-6)


def test_run_training_checkpoints_and_stops_when_cancelled():
    photos = _photos(8)
    batches = random_batches(photos, 32, 4, np.random.default_rng(3))
    saved = []
    with _trainer(photos) as trainer:
        with pytest.raises(CancelledError):
            run_training(trainer, batches, 10, lambda: saved.append(trainer.step),
                         cancelled=lambda: trainer.step >= 2)
        assert saved == [2]
        assert run_training(trainer, batches, 4, lambda: saved.append(trainer.step)) == 4
        assert saved == [2, 4]


# -- the command --------------------------------------------------------------------------------


def _folder(path, photos):
    from colorize_app.io import media

    path.mkdir()
    for i, photo in enumerate(photos):
        media.write_image(str(path / f"p{i:02d}.png"), photo.astype(np.float32) / 255.0)
    return path


def test_cli_trains_a_model_that_colorizes(tmp_path, capsys):
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.cli import main
    from colorize_app.io.model_files import load_model

    train = _folder(tmp_path / "train", _photos(6, 64))
    gray = np.full((64, 64, 3), 0.5, np.float32)
    from colorize_app.io import media

    media.write_image(str(train / "zz_gray.png"), gray)
    out = tmp_path / "m.npz"
    args = ["train", str(train), "--out", str(out), "--width", "0.125", "--crop", "32",
            "--batch", "4", "--steps", "3", "--val", str(train)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "skipped 1 training photo(s) with no colour: zz_gray.png" in err
    model = load_model(out)
    assert model.metadata["training"]["steps"] == 3
    with Colorizer(model, input_size=64) as colorizer:
        rgb = colorizer.colorize(np.full((40, 50), 0.4, np.float32))
    assert rgb.shape == (40, 50, 3)
    checkpoints = tmp_path / "m.npz.checkpoints"
    log = (checkpoints / "train_log.csv").read_text().splitlines()
    assert log[0].startswith("step,") and any("," in row for row in log[1:])
    # Resume to more steps: starts from step 3, not from scratch.
    assert main(args[:-4] + ["--steps", "5", "--resume"]) == 0
    assert load_model(out).metadata["training"]["steps"] == 5
    assert "step 5/5" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    from colorize_app.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", str(empty), "--out", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err.strip()
    assert "no images in folder" in err and len(err.splitlines()) == 1
    assert main(["train", str(empty), "--out", str(tmp_path / "m.npz"), "--resume"]) == 1
    assert "no checkpoint" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "m.npz")
