"""The main menu: its four entries, the 'later version' message, and opening windows."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import QApplication, QMessageBox, QWidget

from algorithms.errors import BadInputError
from colorize_app.gui import resource_path
from colorize_app.gui.app import show_uncaught_error
from colorize_app.gui.main_menu import MainMenu

KEYS = ["scribble", "transfer", "cnn", "video"]
TITLES = ["Scribble colorization", "Colour transfer", "Automatic (CNN)", "Video"]


@pytest.fixture
def dialogs(monkeypatch):
    """Record message boxes instead of showing them (a modal box would block the test)."""
    shown = []

    def record(kind):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.Ok

        return show

    for kind in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, kind, record(kind))
    return shown


def make_menu(qtbot, factories=None):
    menu = MainMenu(factories={} if factories is None else factories)
    qtbot.addWidget(menu)
    menu.show()
    return menu


def test_menu_shows_four_entries_with_titles_and_descriptions(qtbot):
    menu = make_menu(qtbot)
    buttons = list(menu.buttons.values())
    assert [button.text() for button in buttons] == TITLES
    assert all(button.isVisible() and button.description() for button in buttons)


@pytest.mark.parametrize("key, title", list(zip(KEYS, TITLES)))
def test_entry_without_a_window_says_it_comes_later(qtbot, dialogs, key, title):
    menu = make_menu(qtbot)
    qtbot.mouseClick(menu.buttons[key], Qt.LeftButton)
    assert dialogs == [("information", title, f"{title} comes in a later version.")]


def test_entry_with_a_factory_opens_its_window_and_forgets_it_when_closed(qtbot, dialogs):
    opened = []

    def make_window():
        window = QWidget()
        opened.append(window)
        return window

    menu = make_menu(qtbot, {"transfer": make_window})
    qtbot.mouseClick(menu.buttons["transfer"], Qt.LeftButton)

    assert dialogs == []
    assert len(opened) == 1 and opened[0].isVisible()
    with qtbot.waitSignal(opened[0].destroyed):
        opened[0].close()
    assert menu._open_windows == []


def test_window_that_cannot_open_shows_why(qtbot, dialogs):
    def missing_model():
        raise BadInputError("no model file: zhang.npz")

    menu = make_menu(qtbot, {"cnn": missing_model})
    assert menu.open_entry("cnn") is None
    assert dialogs == [("warning", "Automatic (CNN)", "no model file: zhang.npz")]


def test_user_errors_escaping_a_window_become_a_dialog(qtbot, dialogs):
    error = BadInputError("photo.png is truncated (incomplete file)")
    show_uncaught_error(BadInputError, error, None)
    assert dialogs[0][0] == "warning" and dialogs[0][2] == str(error)


def test_application_icon_is_shipped(qtbot):
    assert not QIcon(resource_path("icon.png")).isNull()


def test_a_window_brings_back_the_one_main_menu(qtbot, monkeypatch):
    from colorize_app.gui import window_tools

    monkeypatch.setattr(window_tools, "_MAIN_MENU_FACTORY", [])
    monkeypatch.setattr(window_tools, "_KEPT", [])
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == window_tools.MAIN_MENU_NAME:
            widget.setObjectName("")  # other tests' menus are not this application's
    assert window_tools.show_main_menu() is None  # a window opened on its own: no menu
    made = []
    window_tools.set_main_menu_factory(lambda: made.append(MainMenu(factories={})) or made[-1])
    first = window_tools.show_main_menu()
    qtbot.addWidget(first)
    first.close()  # closed menus come back, not duplicated
    assert window_tools.show_main_menu() is first and len(made) == 1 and first.isVisible()
    first.setObjectName("")  # leave no application menu behind for other tests
