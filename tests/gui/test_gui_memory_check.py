"""Photos too large for the memory available: the windows refuse them as `colorize` does, with
the same words, from the file's header, through one rule (colorize_app.sessions.memory)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtWidgets import QFileDialog

from algorithms.errors import MemoryBudgetError
from algorithms.scribble import MAX_SOLVE_PIXELS, estimate_memory
from colorize_app import cli
from colorize_app.gui.swatch_window import SwatchWindow
from colorize_app.io import media
from colorize_app.runtime import system
from colorize_app.sessions.memory import (
    check_photo_file_memory,
    check_photo_memory,
    memory_needed,
)

#: The memory the tests pretend is left: 0.1 GB.
BUDGET = 2**30 // 10
FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def little_memory(monkeypatch):
    """The machine (or container) has only BUDGET bytes left."""
    monkeypatch.setattr(system, "available_memory", lambda: BUDGET)
    return BUDGET


@pytest.fixture
def photos(tmp_path):
    """A 1000 x 800 gray photo (320 MB to colorize automatically, 240 MB to transfer onto)
    and a small colour reference."""
    big = tmp_path / "big.png"
    media.write_image(big, np.full((800, 1000), 0.5, np.float32))
    reference = tmp_path / "reference.png"
    media.write_image(reference, np.full((30, 40, 3), 0.4, np.float32))
    return big, reference


def command_line_error(capsys, arguments: list[str]) -> str:
    """What `colorize ARGUMENTS` says on its one error line, without its prefix."""
    assert cli.main(arguments) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("colorize: error: "), lines
    return lines[0].removeprefix("colorize: error: ")


def test_each_methods_estimate():
    assert memory_needed("cnn", (800, 1000)) == 800_000 * 400
    assert memory_needed("cnn", (800, 1000), native=True) == 800_000 * 4000
    assert memory_needed("transfer", (800, 1000), reference_shape=(30, 40)) == \
        (800_000 + 1200) * 300
    assert memory_needed("scribble", (800, 1000)) == \
        estimate_memory((800, 1000), 1, MAX_SOLVE_PIXELS) + 800_000 * 100
    assert memory_needed("scribble", (800, 1000), radius=2, max_solve_pixels=math.inf) == \
        estimate_memory((800, 1000), 2, math.inf) + 800_000 * 100
    with pytest.raises(ValueError, match="unknown method 'video'"):
        memory_needed("video", (8, 8))


def test_the_message_names_the_photo_its_size_and_both_amounts(little_memory):
    with pytest.raises(MemoryBudgetError) as refused:
        check_photo_memory("cnn", (1000, 2000), "old/big.png", native=True)
    assert str(refused.value) == (
        "colorizing the 2000 x 1000 photo old/big.png needs about 7.5 GB of memory but only "
        "0.1 GB is available (machine or container limit); use a smaller image")
    check_photo_memory("cnn", (100, 200), "small.png")  # 8 MB: fits


def test_a_file_is_judged_from_its_header(photos, little_memory):
    big, reference = photos
    assert check_photo_file_memory("transfer", reference) == (30, 40)
    with pytest.raises(MemoryBudgetError, match="the 1000 x 800 photo"):
        check_photo_file_memory("cnn", big)


@pytest.mark.parametrize("exact", [False, True])
def test_the_scribble_command_line_uses_the_same_rule_and_words(photos, little_memory, capsys,
                                                               tmp_path, exact):
    big, _ = photos
    said = command_line_error(capsys, ["levin", str(big), str(big), "-o",
                                       str(tmp_path / "out.png")] + (["--exact"] if exact
                                                                     else []))
    with pytest.raises(MemoryBudgetError) as refused:
        check_photo_memory("scribble", (800, 1000), str(big),
                           max_solve_pixels=math.inf if exact else MAX_SOLVE_PIXELS)
    assert said == str(refused.value)


def recorded_reads(monkeypatch) -> list[str]:
    """The files media.read_image decodes from now on (it still decodes them)."""
    decoded, read_image = [], media.read_image

    def record(path, *args, **kwargs):
        decoded.append(str(path))
        return read_image(path, *args, **kwargs)

    monkeypatch.setattr(media, "read_image", record)
    return decoded


@pytest.fixture
def swatch_window(qtbot):
    window = SwatchWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_swatch_window_refuses_a_target_too_large_with_the_command_lines_words(
        qtbot, swatch_window, photos, little_memory, errors, capsys, tmp_path, monkeypatch):
    big, reference = photos
    said = command_line_error(capsys, ["transfer", str(big), str(reference), "-o",
                                       str(tmp_path / "out.png")])
    assert said.startswith("colour transfer onto the 1000 x 800 photo ")
    decoded = recorded_reads(monkeypatch)
    assert swatch_window.load_image("reference", str(reference))  # this one fits
    assert swatch_window.load_image("target", str(big)) is False
    assert errors == [("Open target", said, "")]
    assert swatch_window.images["target"] is None  # nothing opened, nothing decoded
    assert decoded == [str(reference)]
    # Opened through the dialog (Ctrl+O) it is refused the same way.
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(big), ""))
    swatch_window.open_action.trigger()
    assert errors[-1] == ("Open target", said, "") and swatch_window.images["target"] is None


def test_a_reference_too_large_is_refused_before_it_is_decoded(
        qtbot, swatch_window, photos, little_memory, errors, monkeypatch):
    big, _ = photos
    decoded = recorded_reads(monkeypatch)
    assert swatch_window.load_image("reference", str(big)) is False
    assert decoded == []
    assert errors == [("Open reference",
                       "colour transfer from the 1000 x 800 photo " + str(big) + " needs about "
                       "0.2 GB of memory but only 0.1 GB is available (machine or container "
                       "limit); use a smaller image", "")]


def test_the_automatic_window_refuses_a_photo_too_large_with_the_command_lines_words(
        qtbot, photos, little_memory, errors, capsys, tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    from colorize_app.gui.cnn_window import CnnWindow
    from colorize_app.io import model_registry as registry

    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "none.npz")
    big, reference = photos
    said = command_line_error(capsys, ["cnn", str(big), "--model",
                                       str(FIXTURES / "eccv16_tiny.pth"), "-o",
                                       str(tmp_path / "out.png")])
    assert said.startswith("colorizing the 1000 x 800 photo ")
    window = CnnWindow()
    qtbot.addWidget(window)
    decoded = recorded_reads(monkeypatch)
    with qtbot.waitSignal(window.jobs.finished, timeout=60_000):
        assert window.add_photos([str(big), str(reference)])
    assert errors == [("Open photos", said, "")]
    assert [entry.path for entry in window.photos] == [str(reference)]  # the other is in
    assert str(big) not in decoded and str(reference) in decoded  # never decoded
