"""Nothing is lost silently: every action that replaces a window's work asks first
(Save / Discard / Cancel) or is one undo step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtWidgets import QFileDialog

from colorize_app.documents.strokes import Stroke
from colorize_app.gui import base_window
from colorize_app.gui.scribble_state import AddStrokeCommand
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.gui.swatch_window import SwatchWindow
from colorize_app.io import media


@pytest.fixture
def answers(monkeypatch):
    """Questions asked (the action named) and the answers to give, in order (then
    "discard", for the windows closed after the test)."""
    record = {"asked": [], "give": []}

    def ask(window, action="closing"):
        record["asked"].append(action)
        return record["give"].pop(0) if record["give"] else "discard"

    monkeypatch.setattr(base_window, "ask_save_changes", ask)
    return record


def gray_file(path: Path, value: float = 0.4, shape=(30, 40)) -> str:
    media.write_image(path, np.full(shape, value, np.float32))
    return str(path)


@pytest.fixture
def scribble(qtbot, tmp_path):
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.load_photo(gray_file(tmp_path / "first.png"))
    window.undo_stack.push(AddStrokeCommand(window, Stroke([(5.0, 5.0), (20.0, 5.0)],
                                                           (1.0, 0.0, 0.0), 4.0)))
    assert window.modified and len(window.strokes.strokes) == 1
    return window


def test_scribble_open_photo_cancel_keeps_the_strokes(scribble, tmp_path, answers):
    answers["give"] = ["cancel"]
    assert not scribble.load_photo(gray_file(tmp_path / "second.png"))
    assert answers["asked"] == ["opening second.png"]
    assert scribble.photo_path.endswith("first.png") and len(scribble.strokes.strokes) == 1
    assert scribble.modified and scribble.undo_action.isEnabled()


def test_scribble_open_photo_discard_replaces_and_save_keeps_a_project(scribble, tmp_path,
                                                                        answers, monkeypatch):
    answers["give"] = ["save"]
    project = tmp_path / "first.colorize"
    suggested = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, *a: suggested.append(start)
                        or (str(project), ""))
    assert scribble.load_photo(gray_file(tmp_path / "second.png"))
    # The project is named after the photo and starts in its folder.
    assert suggested == [str(tmp_path / "first.colorize")]
    assert project.exists() and scribble.photo_path.endswith("second.png")
    assert scribble.strokes.empty and not scribble.modified

    scribble.strokes.add(Stroke([(3.0, 3.0)], (1.0, 0.0, 0.0), 5.0))
    scribble.strokes_changed()
    answers["give"] = ["discard"]
    assert scribble.load_photo(gray_file(tmp_path / "third.png"))
    assert scribble.photo_path.endswith("third.png") and scribble.strokes.empty


def test_scribble_open_project_asks_and_close_after_cancel_still_asks(scribble, tmp_path,
                                                                       answers):
    other = ScribbleWindow()
    other.load_photo(gray_file(tmp_path / "other.png"))
    other.strokes.add(Stroke([(3.0, 3.0)], (0.0, 1.0, 0.0), 5.0))
    other.strokes_changed()
    assert other.write_project(str(tmp_path / "other.colorize"))
    other.close()

    answers["give"] = ["cancel", "cancel"]
    assert scribble.load_photo(str(tmp_path / "other.colorize"))  # handled: asked, cancelled
    assert answers["asked"] == ["opening other.colorize"]
    assert scribble.photo_path.endswith("first.png") and len(scribble.strokes.strokes) == 1
    assert not scribble.close() and answers["asked"][-1] == "closing"


def test_scribble_load_hints_is_one_undo_step(scribble, tmp_path, monkeypatch, answers):
    marked = np.full((30, 40, 3), 0.4, np.float32)
    marked[10:14, 10:14] = (0, 0, 1)
    media.write_image(tmp_path / "marked.png", marked)
    files = iter([str(tmp_path / "marked.png"), ""])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (next(files), ""))
    scribble.load_hints_action.trigger()
    assert answers["asked"] == [] and scribble.strokes.base_mask is not None
    scribble.undo_action.trigger()
    assert scribble.strokes.base_mask is None and len(scribble.strokes.strokes) == 1


def test_swatch_replacing_the_target_asks(qtbot, tmp_path, answers):
    window = SwatchWindow()
    qtbot.addWidget(window)
    assert window.load_image("target", gray_file(tmp_path / "target.png", shape=(40, 60)))
    window.load_image("reference", gray_file(tmp_path / "reference.png", shape=(40, 60)))
    from algorithms.regions import Rect

    window.board.add("target", Rect(30, 20, 25, 15))
    window.board_changed()
    answers["give"] = ["cancel", "discard"]
    smaller = gray_file(tmp_path / "small.png", shape=(10, 10))
    assert not window.load_image("target", smaller)
    assert window.paths["target"].endswith("target.png") and len(window.board.entries) == 1
    assert window.load_image("target", smaller)
    assert answers["asked"] == ["replacing the target with small.png"] * 2
    assert window.paths["target"].endswith("small.png")


def test_cnn_open_project_and_removing_results_ask(qtbot, tmp_path, answers):
    pytest.importorskip("tensorflow")
    from colorize_app.gui.cnn_window import CnnWindow
    from colorize_app.gui.photo_list import PhotoEntry

    window = CnnWindow()
    qtbot.addWidget(window)
    path = gray_file(tmp_path / "photo.png")
    with qtbot.waitSignal(window.jobs.finished, timeout=20000):
        window.add_photos([path])
    window.photos[0].saved_result = np.zeros((30, 40, 3), np.float32)
    window.mark_changed()
    assert isinstance(window.photos[0], PhotoEntry)
    answers["give"] = ["cancel"]
    window.photo_list.setCurrentRow(0)
    window.remove_selected()
    assert len(window.photos) == 1 and answers["asked"] == ["removing 1 photo and their results"]
    answers["give"] = ["cancel"]
    assert window.add_photos([str(tmp_path / "x.colorize")])
    assert answers["asked"][-1] == "opening x.colorize" and len(window.photos) == 1


def test_video_opening_another_video_asks(qtbot, tmp_path, answers):
    pytest.importorskip("tensorflow")
    from colorize_app.gui.video_window import VideoWindow

    folders = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        for index in range(3):
            gray_file(folder / f"{index:03d}.png", 0.2 + 0.2 * index, (16, 24))
        folders.append(str(folder))
    window = VideoWindow()
    qtbot.addWidget(window)
    assert window.load(folders[0]) and not window.modified
    window.epochs_box.setValue(window.epochs_box.value() + 1)
    assert window.modified
    answers["give"] = ["cancel", "discard"]
    assert not window.load(folders[1]) and window.source.path == folders[0]
    assert window.load(folders[1]) and window.source.path == folders[1]
    assert answers["asked"] == ["opening second"] * 2
