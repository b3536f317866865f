"""One training run without the command line: its lines go to callbacks, progress to a
factory, and a cancel stops it after a checkpoint that --resume goes on from."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from algorithms.errors import BadInputError, CancelledError
from colorize_app.io import media
from colorize_app.sessions.training import (
    CHECKPOINT_NAME,
    LOG_NAME,
    TrainingRun,
    TrainingSettings,
)

pytest.importorskip("tensorflow")


def colour_folder(path, count: int = 4, size: int = 40):
    """Photos split into two flat colours (a different pair each), and one gray photo."""
    palette = np.array([[0.9, 0.2, 0.1], [0.1, 0.3, 0.9], [0.2, 0.8, 0.2], [0.9, 0.8, 0.1]])
    path.mkdir()
    for index in range(count):
        image = np.empty((size, size, 3), np.float32)
        image[:, : size // 2] = palette[index % 4]
        image[:, size // 2:] = palette[(index + 1) % 4]
        media.write_image(path / f"p{index}.png", image)
    media.write_image(path / "zz_gray.png", np.full((size, size), 0.5, np.float32))
    return path


def settings_for(tmp_path, steps: int, resume: bool = False) -> TrainingSettings:
    return TrainingSettings([str(tmp_path / "photos")], str(tmp_path / "m.npz"), width=0.125,
                            crop=32, batch=2, steps=steps, resume=resume)


def test_a_cancelled_run_keeps_a_checkpoint_and_a_resumed_run_writes_the_model(tmp_path):
    from colorize_app.io.model_files import load_model

    colour_folder(tmp_path / "photos")
    lines, notes, stages, fractions = [], [], [], []

    @contextlib.contextmanager
    def progress(stage):
        stages.append(stage)
        yield lambda fraction, message="": fractions.append(fraction)

    first = TrainingRun(settings_for(tmp_path, steps=6), report=lines.append,
                        note=notes.append, progress=progress,
                        cancelled=lambda: len(fractions) >= 2)
    with pytest.raises(CancelledError):
        first.run()
    assert first.step == 2 and lines == ["step 2/6: checkpoint saved"]
    assert notes == ["note: skipped 1 training photo(s) with no colour: zz_gray.png"]
    assert stages == ["train"] and fractions == [1 / 6, 2 / 6]
    folder = tmp_path / "m.npz.checkpoints"
    assert (folder / CHECKPOINT_NAME).is_file() and (folder / LOG_NAME).is_file()
    assert not (tmp_path / "m.npz").exists()

    again = TrainingRun(settings_for(tmp_path, steps=3, resume=True), report=lines.append)
    summary = again.run()
    assert lines[-1] == "step 3/3: checkpoint saved"  # one more step, not three
    assert summary.startswith("trained 3 steps on 4 photos: ") and summary.endswith(
        f"width x0.125 -> {tmp_path / 'm.npz'}")
    model = load_model(tmp_path / "m.npz")
    assert model.metadata["training"]["steps"] == 3
    # The training colours' distribution goes with the model, one probability per bin.
    prior = np.array(model.metadata["bin_prior"])
    assert prior.shape == (len(model.bins),) and abs(prior.sum() - 1) < 1e-4


@pytest.mark.parametrize("change, setting, message, option_words", [
    ({"out": "m.pth"}, "out", "out must be a .npz model file", "--out must be a .npz model file"),
    ({"crop": 36}, "crop", "crop must be a multiple of 8", "--crop must be a multiple of 8"),
    ({"rebalance": 2.0}, "rebalance", "rebalance must be between 0 and 1, got 2.0",
     "--rebalance must be between 0 and 1, got 2.0"),
    ({"cache": "c"}, "cache", "cache needs encoder efficientnet-lite0",
     "--cache needs --encoder efficientnet-lite0"),
    ({"checkpoint_minutes": 0}, "lr", "lr and checkpoint minutes must be positive",
     "--lr and --checkpoint-minutes must be positive"),
])
def test_settings_that_cannot_train_are_refused_before_any_work(tmp_path, change, setting,
                                                                 message, option_words):
    from algorithms.errors import SettingError
    from colorize_app.commands.arguments import option_name

    settings = settings_for(tmp_path, steps=1)
    for name, value in change.items():
        setattr(settings, name, str(tmp_path / value) if name == "out" else value)
    with pytest.raises(SettingError) as refused:
        TrainingRun(settings).run()
    # The session names the setting; the command line words it as its option.
    assert refused.value.setting == setting
    assert str(refused.value).startswith(message)
    assert refused.value.worded(option_name).startswith(option_words)
    assert not (tmp_path / "m.npz.checkpoints").exists()


def test_training_before_preparing_is_refused(tmp_path):
    with pytest.raises(BadInputError, match="prepare"):
        TrainingRun(settings_for(tmp_path, steps=1)).train()


def test_what_prepare_chose_is_a_frozen_record(tmp_path):
    import dataclasses

    from colorize_app.sessions.training import PreparedRun

    colour_folder(tmp_path / "photos")
    run = TrainingRun(settings_for(tmp_path, steps=1))
    run.prepare()
    prepared = run._prepared
    assert isinstance(prepared, PreparedRun)
    assert prepared.config["steps"] == 1 and prepared.resumed is None
    assert prepared.bins.shape[1] == 2 and prepared.class_weights.shape == (len(prepared.bins),)
    assert prepared.new_log and prepared.log_path.endswith(".csv")
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.config = {}
