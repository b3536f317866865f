"""`colorize cnn` over a folder with a corrupt photo: reported, skipped, the rest finish."""

from __future__ import annotations

import os

import numpy as np
import pytest

from algorithms.cnn.architecture import Architecture, random_weights
from algorithms.cnn.model_weights import ModelWeights
from colorize_app import cli
from colorize_app.io import media
from colorize_app.io import model_registry as registry
from colorize_app.io.model_writer import save_model

TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cnn"])
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    path = tmp_path / "tiny.npz"
    bins = np.random.default_rng(3).uniform(-80, 80, (313, 2))
    save_model(path, ModelWeights(random_weights(TINY, seed=8), bins,
                                  {"input_offset": 50.0, "input_scale": 100.0}))
    return path


def test_a_corrupt_photo_is_skipped_and_the_others_are_written(tmp_path, model_file, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "c.jpg"):
        media.write_image(photos / name, rng.random((24, 32)))
    media.write_image(photos / "b.png", rng.random((24, 32)))
    data = (photos / "b.png").read_bytes()
    (photos / "b.png").write_bytes(data[: len(data) // 2])  # cut short, as by a failed copy
    out = tmp_path / "out"
    command = ["cnn", str(photos), "-o", str(out), "--model", str(model_file), "--size", "32"]
    assert cli.main(command) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[0].startswith(f"colorize: error: skipped {photos / 'b.png'}: ")
    assert "truncated" in lines[0]
    assert lines[-1] == (f"colorize: error: 1 of 3 inputs could not be colorized "
                         f"(first: {photos / 'b.png'}); the others were written")
    assert "colorized 2 images" in captured.out
    assert sorted(os.listdir(out)) == ["a.png", "c.png"]  # no partial or hidden leftovers
    # Each written result is whole: the same as colorizing that photo alone.
    assert cli.main(["cnn", str(photos / "a.png"), "-o", str(tmp_path / "alone.png"),
                     "--model", str(model_file), "--size", "32"]) == 0
    np.testing.assert_array_equal(media.read_image(out / "a.png").pixels,
                                  media.read_image(tmp_path / "alone.png").pixels)


def test_a_single_corrupt_photo_still_fails_with_one_line(tmp_path, model_file, capsys):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nrest")
    assert cli.main(["cnn", str(tmp_path / "bad.png"), "-o", str(tmp_path / "out.png"),
                     "--model", str(model_file), "--size", "32"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("colorize: error: ") and error.count("\n") == 1
    assert not (tmp_path / "out.png").exists()
