"""The windows on a small screen, shortcuts and menus, and the model loaded in the background."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QRect, Qt
from PyQt5.QtWidgets import QApplication

from colorize_app.documents.strokes import Stroke
from colorize_app.gui import window_tools
from colorize_app.gui.brush_panel import TOOLS
from colorize_app.gui.main_menu import WINDOW_FACTORIES, MainMenu
from colorize_app.gui.scribble_state import AddStrokeCommand
from colorize_app.gui.scribble_window import ScribbleWindow

SCREENS = [QRect(0, 0, 1024, 700), QRect(0, 0, 1366, 768)]


def make(key: str):
    if key in ("cnn", "video"):
        pytest.importorskip("tensorflow")
    return WINDOW_FACTORIES[key]()


@pytest.mark.parametrize("screen", SCREENS, ids=["1024x700", "1366x768"])
@pytest.mark.parametrize("key", list(WINDOW_FACTORIES))
def test_every_window_fits_the_screen_with_progress_and_cancel_visible(qtbot, monkeypatch,
                                                                       key, screen):
    monkeypatch.setattr(window_tools, "available_geometry", lambda widget=None: screen)
    window = make(key)
    qtbot.addWidget(window)
    window.jobs._show_widgets(True)  # as while a job runs
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    allowance = window_tools.FRAME_ALLOWANCE
    assert window.width() + allowance.width() <= screen.width()
    assert window.height() + allowance.height() <= screen.height()
    hint = window.minimumSizeHint()
    assert hint.width() <= window.width() and hint.height() <= window.height()
    assert screen.contains(window.geometry())
    for widget in (window.jobs.progress_bar, window.jobs.cancel_button):
        corner = widget.mapTo(window, QPoint(0, 0))
        assert widget.isVisible()
        assert window.rect().contains(QRect(corner, widget.size())), (key, widget)


def test_geometry_is_remembered_when_it_still_fits(qtbot, monkeypatch):
    monkeypatch.setattr(window_tools, "available_geometry",
                        lambda widget=None: QRect(0, 0, 1366, 768))
    first = ScribbleWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(900, 600)
    first.move(30, 20)
    QApplication.processEvents()
    first.close()
    second = ScribbleWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (900, 600)
    # On a smaller screen the remembered size no longer fits: the window is fitted again.
    monkeypatch.setattr(window_tools, "available_geometry",
                        lambda widget=None: QRect(0, 0, 800, 600))
    third = ScribbleWindow()
    qtbot.addWidget(third)
    assert third.width() <= 800 - 16 and third.height() <= 600 - 40


@pytest.fixture
def scribble(qtbot):
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.set_photo(np.full((20, 30), 0.5, np.float32))
    return window


@pytest.mark.parametrize("keys", [[Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier],
                                  [Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                                   | Qt.KeyboardModifier.ShiftModifier]],
                         ids=["ctrl+y", "ctrl+shift+z"])
def test_redo_shortcuts(qtbot, scribble, keys):
    scribble.undo_stack.push(AddStrokeCommand(scribble, Stroke([(4.0, 4.0)], (1, 0, 0), 3.0)))
    scribble.activateWindow()
    qtbot.waitActive(scribble)
    qtbot.keyClick(scribble, Qt.Key_Z, Qt.ControlModifier)
    assert scribble.strokes.empty
    qtbot.keyClick(scribble, *keys)
    assert len(scribble.strokes.strokes) == 1


def test_undo_text_stays_put_and_the_tooltip_says_what(scribble):
    scribble.undo_stack.push(AddStrokeCommand(scribble, Stroke([(4.0, 4.0)], (1, 0, 0), 3.0)))
    assert scribble.undo_action.text() == "Undo"
    assert scribble.undo_action.toolTip() == "Undo paint stroke (Ctrl+Z)"


def test_tools_have_tooltips_with_their_shortcut(scribble):
    for key, text in TOOLS.items():
        button = scribble.brush.tool_buttons[key]
        shortcut = button.shortcut().toString()
        assert shortcut and button.toolTip().startswith(text) and f"({shortcut})" in \
            button.toolTip()


def test_file_menu_ends_with_close_and_quit_and_window_menu_brings_the_menu_back(
        qtbot, scribble, monkeypatch):
    from colorize_app.gui import window_tools

    monkeypatch.setattr(window_tools, "_MAIN_MENU_FACTORY", [MainMenu])  # as app.main does
    texts = [action.text() for action in scribble.file_menu.actions() if action.text()]
    assert texts[-2:] == ["Close", "Quit"]
    assert scribble.close_action.shortcut().toString() == "Ctrl+W"
    assert scribble.quit_action.shortcut().toString() == "Ctrl+Q"
    existing = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainMenu)]
    for menu in existing:
        menu.hide()
    scribble.main_menu_action.trigger()
    shown = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, MainMenu) and w.isVisible()]
    assert len(shown) == 1
    shown[0].close()


def test_play_at_the_last_frame_starts_from_the_first(qtbot):
    from colorize_app.gui.frame_scrubber import FrameScrubber

    scrubber = FrameScrubber()
    qtbot.addWidget(scrubber)
    scrubber.set_frames(5, 100.0)
    scrubber.set_index(4)
    scrubber.play()
    assert scrubber.playing and scrubber.index == 0
    qtbot.waitUntil(lambda: not scrubber.playing, timeout=3000)
    assert scrubber.index == 4


def test_model_loads_off_the_ui_thread_and_the_first_colorize_takes_it(qtbot, monkeypatch,
                                                                        model_file, tmp_path):
    pytest.importorskip("tensorflow")
    from colorize_app.gui import model_picker, preload
    from colorize_app.gui.cnn_window import CnnWindow
    from colorize_app.io import media

    built = {}

    def build(progress):
        built["thread"] = threading.current_thread()
        progress(0.5, "building the network")
        colorizer = model_picker.build_colorizer(model_picker.ModelChoice(str(model_file)))
        built["colorizer"] = colorizer
        return str(model_file), colorizer

    loader = preload.ModelPreloader(build)
    monkeypatch.setattr(preload, "_PRELOADER", loader)
    with qtbot.waitSignal(loader.finished, timeout=60000) as finished:
        loader.start()
    assert finished.args == [""] and built["thread"] is not threading.main_thread()

    def no_second_build(choice):
        raise AssertionError("the preloaded model should have been used")

    monkeypatch.setattr(model_picker, "build_colorizer", no_second_build)
    window = CnnWindow()
    qtbot.addWidget(window)
    window.picker.add_file(str(model_file))
    media.write_image(tmp_path / "photo.png", np.full((24, 32), 0.5, np.float32))
    with qtbot.waitSignal(window.jobs.finished, timeout=60000):
        window.add_photos([str(tmp_path / "photo.png")])
    with qtbot.waitSignal(window.jobs.finished, timeout=60000) as finished:
        assert window.colorize_all()
    assert finished.args == ["done"] and window.colorizer is built["colorizer"]
    # Taken once: a later take (another window) builds its own.
    assert loader.take(str(model_file)) is None
