"""Projects in the windows: save/open round trips, moved images, autosave, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QColor, QMouseEvent
from PyQt5.QtWidgets import QApplication, QFileDialog

from algorithms.regions import Rect
from colorize_app.documents.swatches import SwatchEntry
from colorize_app.gui import autosave, base_window
from colorize_app.gui.main_menu import MainMenu
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.gui.swatch_commands import BoardCommand
from colorize_app.gui.swatch_window import SwatchWindow
from colorize_app.io import media, project, project_images
from colorize_app.io.project import load_project
from colorize_app.sessions import scribble as sessions_scribble

HEIGHT, WIDTH = 40, 60
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def quick_autosave(monkeypatch, tmp_path):
    monkeypatch.setattr(autosave, "DELAY_MS", 50)
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "cache"))


@pytest.fixture
def photo_file(tmp_path):
    photo = np.full((HEIGHT, WIDTH), 0.3, np.float32)
    photo[:, WIDTH // 2:] = 0.7
    path = tmp_path / "photos" / "halves.png"
    path.parent.mkdir()
    media.write_image(path, photo)
    return path


def scribble(qtbot, photo_file) -> ScribbleWindow:
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.resize(900, 500)
    window.show()
    qtbot.waitExposed(window)
    assert window.load_photo(str(photo_file))
    window.view.actual_size()
    return window


def viewport_point(view, x, y):
    centre = view.viewportTransform().map(QPointF(x + 0.5, y + 0.5))
    return QPoint(int(np.floor(centre.x())), int(np.floor(centre.y())))


def draw(qtbot, view, points):
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=viewport_point(view, *points[0]))
    for point in points[1:]:
        event = QMouseEvent(QEvent.MouseMove, QPointF(viewport_point(view, *point)),
                            Qt.NoButton, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, event)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=viewport_point(view, *points[-1]))


def paint_two_strokes(qtbot, window) -> None:
    window.brush.set_colour(QColor(200, 40, 40))
    draw(qtbot, window.view, [(5, 5), (5, 30), (8, 33)])
    window.brush.set_colour(QColor(40, 40, 200))
    draw(qtbot, window.view, [(50, 5), (50, 30)])


def save_through_dialog(window, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.save_project_as_action.trigger()


def open_through_dialog(window, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.open_action.trigger()


def test_scribble_project_round_trip_rebuilds_strokes_undo_and_result(
        qtbot, photo_file, tmp_path, monkeypatch, errors):
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    result = np.random.default_rng(1).random((HEIGHT, WIDTH, 3)).astype(np.float32)
    window._show_result(result)
    window.reach_box.setValue(37)
    assert window.modified and window.isWindowModified()
    save_through_dialog(window, monkeypatch, tmp_path / "portrait")  # extension added
    assert (tmp_path / "portrait.colorize").exists() and not window.modified

    other = ScribbleWindow()
    qtbot.addWidget(other)
    open_through_dialog(other, monkeypatch, tmp_path / "portrait.colorize")  # Ctrl+O
    assert errors == []
    assert other.strokes.strokes == window.strokes.strokes
    np.testing.assert_array_equal(other.mask, window.mask)
    np.testing.assert_array_equal(other.marked, window.marked)
    assert np.abs(other.result - result).max() <= 0.5 / 65535 + 1e-7
    assert other.reach_box.value() == 37
    assert other.photo_path == str(photo_file) and not other.modified
    assert "portrait.colorize" in other.windowTitle()
    # Each restored stroke is one undo step, as if just painted.
    assert other.undo_stack.count() == 2
    other.undo_action.trigger()
    assert other.strokes.strokes == window.strokes.strokes[:1] and other.modified


def test_swatch_project_round_trip(qtbot, tmp_path, monkeypatch, errors):
    rng = np.random.default_rng(4)
    media.write_image(tmp_path / "target.png", rng.random((30, 40)))
    media.write_image(tmp_path / "reference.png", rng.random((20, 50, 3)))
    window = SwatchWindow()
    qtbot.addWidget(window)
    window.load_image("target", str(tmp_path / "target.png"))
    window.load_image("reference", str(tmp_path / "reference.png"))
    after = [SwatchEntry(Rect(1, 2, 5, 6), Rect(3, 3, 4, 4)), SwatchEntry(Rect(20, 10, 8, 8))]
    window.undo_stack.push(BoardCommand(window.session, "add", [], after, window.board_changed))
    window.result = rng.random((30, 40, 3)).astype(np.float32)
    assert window.modified
    save_through_dialog(window, monkeypatch, tmp_path / "pairs.colorize")

    other = SwatchWindow()
    qtbot.addWidget(other)
    open_through_dialog(other, monkeypatch, tmp_path / "pairs.colorize")
    assert errors == []
    assert other.board.entries == after
    assert other.paths == {"target": str(tmp_path / "target.png"),
                           "reference": str(tmp_path / "reference.png")}
    assert np.abs(other.result - window.result).max() <= 0.5 / 65535 + 1e-7
    assert other.pair_list.count() == 2 and other.transfer_action.isEnabled()


def test_a_moved_photo_is_asked_for(qtbot, photo_file, tmp_path, monkeypatch, errors):
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    window.write_project(str(tmp_path / "work.colorize"))
    moved = tmp_path / "moved.png"
    os.rename(photo_file, moved)
    asked = []

    def locate(parent, title, folder, file_filter):
        asked.append(title)
        return str(moved), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", locate)
    other = ScribbleWindow()
    qtbot.addWidget(other)
    assert other.open_project_file(str(tmp_path / "work.colorize"))
    assert len(asked) == 1 and "halves.png is missing (moved?)" in asked[0]
    assert other.photo_path == str(moved) and errors == []
    assert other.strokes.strokes == window.strokes.strokes


def test_a_newer_project_version_is_a_clear_error(qtbot, photo_file, tmp_path, monkeypatch,
                                                  errors):
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    monkeypatch.setattr(project, "FORMAT_VERSION", 2)
    window.write_project(str(tmp_path / "new.colorize"))
    monkeypatch.setattr(project, "FORMAT_VERSION", 1)
    other = ScribbleWindow()
    qtbot.addWidget(other)
    assert other.open_project_file(str(tmp_path / "new.colorize")) is None
    assert errors == [("Open project", "new.colorize: saved by a newer version of Colorize "
                       "Studio (project format 2; this version reads format 1): update the "
                       "application to open it", "")]
    assert other.photo is None


def test_saving_while_a_job_runs(qtbot, photo_file, tmp_path, monkeypatch, errors):
    release = threading.Event()

    def slow(photo, *args, progress, cancelled, **kwargs):
        release.wait(10)
        return np.zeros(photo.shape[:2] + (3,), np.float32)

    monkeypatch.setattr(sessions_scribble, "colorize_scribbles", slow)
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    window.colorize_action.trigger()
    assert window.jobs.busy
    window.write_project(str(tmp_path / "during.colorize"))
    assert window.jobs.busy and not window.modified
    saved = load_project(tmp_path / "during.colorize")
    assert saved.strokes == window.strokes.strokes and "result" not in saved.layers
    with qtbot.waitSignal(window.jobs.finished, timeout=10000) as finished:
        release.set()
    assert finished.args == ["done"] and errors == []
    assert window.modified  # the new result is not in the saved file yet


def autosaves(tmp_path) -> list[str]:
    folder = tmp_path / "autosave"
    return sorted(n for n in os.listdir(folder) if n.endswith(".colorize")) \
        if folder.exists() else []


def test_autosave_follows_painting_and_a_clean_close_removes_it(qtbot, photo_file, tmp_path):
    window = scribble(qtbot, photo_file)
    assert autosaves(tmp_path) == []  # a freshly opened photo is nothing to lose
    paint_two_strokes(qtbot, window)
    qtbot.waitUntil(lambda: len(autosaves(tmp_path)) == 1 and not window.autosaver.pending,
                    timeout=5000)
    name = autosaves(tmp_path)[0]
    assert name.startswith(f"{os.getpid()}-")
    kept = load_project(tmp_path / "autosave" / name)
    assert kept.strokes == window.strokes.strokes
    window.close()
    assert autosaves(tmp_path) == []


def test_closing_with_unsaved_changes_asks(qtbot, photo_file, tmp_path, monkeypatch):
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    answers = ["cancel", "save"]
    monkeypatch.setattr(base_window, "ask_save_changes", lambda w, action="": answers.pop(0))
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "kept.colorize"), ""))
    assert window.close()
    assert load_project(tmp_path / "kept.colorize").strokes == window.strokes.strokes
    assert autosaves(tmp_path) == []


CRASHING_SESSION = """
import sys, time
from PyQt5.QtWidgets import QApplication
from colorize_app.gui import autosave
from colorize_app.gui.scribble_state import AddStrokeCommand
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.documents.strokes import Stroke
autosave.AUTOSAVE_FOLDER, autosave.DELAY_MS = sys.argv[1], 50
app = QApplication([])
window = ScribbleWindow()
window.load_photo(sys.argv[2])
for stroke in (Stroke([(5.0, 5.0), (5.0, 30.0)], (0.8, 0.2, 0.2), 4.0, "paint"),
               Stroke([(50.0, 5.0), (49.5, 30.0)], (0.2, 0.2, 0.8), 6.0, "keep")):
    window.undo_stack.push(AddStrokeCommand(window, stroke))
deadline = time.time() + 20
while time.time() < deadline and (window.autosaver.pending or not window.modified):
    app.processEvents()
    time.sleep(0.01)
print("autosaved", flush=True)
time.sleep(60)  # killed here, as by a crash or a power cut
"""


def test_after_a_crash_the_next_start_restores_the_strokes(qtbot, photo_file, tmp_path):
    folder = tmp_path / "autosave"
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    session = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SESSION, str(folder), str(photo_file)],
        stdout=subprocess.PIPE, text=True, cwd=REPOSITORY, env=environment)
    try:
        assert session.stdout.readline().strip() == "autosaved"
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait(10)
    assert len(autosaves(tmp_path)) == 1

    menu = MainMenu()
    qtbot.addWidget(menu)
    offered = []
    restored = autosave.offer_restore(
        menu, ask=lambda parent, found: offered.append(found.describe()) or "restore")
    assert len(offered) == 1 and offered[0].startswith("scribble colorization work on halves.png")
    assert len(restored) == 1
    window = restored[0]
    qtbot.addWidget(window)
    assert [(s.points, s.colour, s.width, s.kind) for s in window.strokes.strokes] == [
        ([(5.0, 5.0), (5.0, 30.0)], (0.8, 0.2, 0.2), 4.0, "paint"),
        ([(50.0, 5.0), (49.5, 30.0)], (0.2, 0.2, 0.8), 6.0, "keep")]
    assert window.modified and window.undo_stack.count() == 2
    # The window took the session over: nothing is offered twice; closing cleans up.
    assert autosave.orphaned_autosaves() == []
    window.close()
    assert autosaves(tmp_path) == []


def test_a_crashed_session_can_be_discarded_or_kept_for_later(tmp_path):
    folder = tmp_path / "autosave"
    folder.mkdir()
    project.save_project(folder / "999999999-abc.colorize", project.Project("transfer"))
    sessions = autosave.orphaned_autosaves()
    assert [s.method for s in sessions] == ["transfer"]

    class Menu:
        def open_entry(self, key):
            raise AssertionError("nothing to open")

    assert autosave.offer_restore(Menu(), ask=lambda parent, found: "later") == []
    assert len(autosave.orphaned_autosaves()) == 1
    assert autosave.offer_restore(Menu(), ask=lambda parent, found: "discard") == []
    assert autosave.orphaned_autosaves() == [] and autosaves(tmp_path) == []


def test_an_embedded_photo_opens_after_the_original_is_deleted(qtbot, photo_file, tmp_path,
                                                               monkeypatch, errors):
    window = scribble(qtbot, photo_file)
    paint_two_strokes(qtbot, window)
    window.embed_action.setChecked(True)
    assert window.write_project(str(tmp_path / "carried.colorize"))
    assert window.photo_ref.embedded is None  # the window's own reference stays light
    photo = window.photo.copy()
    photo_file.unlink()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: pytest.fail("the photo should not be asked for"))
    other = ScribbleWindow()
    qtbot.addWidget(other)
    assert other.open_project_file(str(tmp_path / "carried.colorize"))
    np.testing.assert_array_equal(other.photo, photo)
    assert other.strokes.strokes == window.strokes.strokes and errors == []
    # Saved again, the project still carries the photo, though the original is gone.
    assert other.write_project(str(tmp_path / "again.colorize"))
    assert load_project(tmp_path / "again.colorize").images["photo"].embedded is not None
