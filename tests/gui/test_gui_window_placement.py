"""Where windows open: cascaded first times, remembered geometry kept on the screen, the main
menu brought back in view (Ctrl+M); and the main menu's words for the video method."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import QRect
from PyQt5.QtWidgets import QApplication

from colorize_app.gui import settings, window_tools
from colorize_app.gui.main_menu import ENTRIES, MainMenu
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.gui.swatch_window import SwatchWindow

SCREEN = QRect(0, 0, 1024, 700)


@pytest.fixture
def small_screen(monkeypatch):
    monkeypatch.setattr(window_tools, "available_geometry", lambda widget=None: SCREEN)
    return SCREEN


def framed(window) -> QRect:
    """The window's top-left corner and client size, with the frame allowance added."""
    allowance = window_tools.FRAME_ALLOWANCE
    return QRect(window.pos(), window.size() + allowance)


def test_video_entry_names_the_default_refinement_not_deep_video_prior():
    from colorize_app.sessions.video import DEFAULT_PRESET
    from colorize_app.sessions.video_presets import preset_labelled

    video = next(entry for entry in ENTRIES if entry.key == "video")
    assert "(Deep Video Prior)" not in video.description
    # The words follow the default: the Balanced preset, which averages along the motion.
    assert DEFAULT_PRESET == "Balanced"
    assert preset_labelled(DEFAULT_PRESET).settings.method == "filter"
    assert "averaged along the motion (Balanced, the default)" in video.description
    assert "Deep Video Prior preset" in video.description


def test_first_time_windows_cascade_each_wholly_on_the_screen(qtbot, small_screen):
    opened = []
    for window_class in (ScribbleWindow, SwatchWindow, ScribbleWindow):
        window = window_class()
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
    corners = [(window.x(), window.y()) for window in opened]
    assert len(set(corners)) == 3, corners
    step = window_tools.CASCADE_STEP
    assert corners[1][0] - corners[0][0] == step and corners[1][1] - corners[0][1] == step
    for window in opened:
        assert small_screen.contains(framed(window)), framed(window)
        assert window.width() >= window.minimumSizeHint().width()
        assert window.height() >= window.minimumSizeHint().height()


def test_a_lone_first_window_is_centred_at_its_full_fitted_size(qtbot, monkeypatch):
    screen = QRect(0, 0, 1920, 1080)
    monkeypatch.setattr(window_tools, "available_geometry", lambda widget=None: screen)
    window = ScribbleWindow()
    qtbot.addWidget(window)
    assert window.size() == window_tools.PREFERRED_SIZE
    middle = framed(window).center()
    assert abs(middle.x() - screen.center().x()) <= 1
    assert abs(middle.y() - screen.center().y()) <= 1


def test_remembered_geometry_is_kept_but_pulled_onto_the_screen(qtbot, small_screen):
    settings.set_value("geometry/ScribbleWindow", "60,40,800,500")
    kept = ScribbleWindow()
    qtbot.addWidget(kept)
    assert (kept.x(), kept.y(), kept.width(), kept.height()) == (60, 40, 800, 500)
    kept.close()
    # Half off the right and bottom edges (a larger screen, or a window dragged away).
    settings.set_value("geometry/ScribbleWindow", "900,650,800,500")
    pulled = ScribbleWindow()
    qtbot.addWidget(pulled)
    assert (pulled.width(), pulled.height()) == (800, 500)  # the size is still honoured
    assert small_screen.contains(framed(pulled))
    assert framed(pulled).right() == small_screen.right()
    assert framed(pulled).bottom() == small_screen.bottom()


@pytest.fixture
def application_menu(qtbot, monkeypatch):
    """The application's main menu as ``app.main`` sets it up (other tests' menus hidden)."""
    monkeypatch.setattr(window_tools, "_MAIN_MENU_FACTORY", [])
    monkeypatch.setattr(window_tools, "_KEPT", [])
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == window_tools.MAIN_MENU_NAME:
            widget.setObjectName("")
    made = []
    window_tools.set_main_menu_factory(lambda: made.append(MainMenu(factories={})) or made[-1])
    yield made
    for menu in made:
        menu.setObjectName("")
        menu.close()


def test_main_menu_comes_back_centred_on_the_window_that_asked(qtbot, small_screen,
                                                               application_menu):
    menu = window_tools.show_main_menu()
    qtbot.addWidget(menu)
    assert small_screen.contains(framed(menu))
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.show()
    window.move(200, 150)
    window.resize(700, 500)
    # The menu was left in the bottom-right corner, on the screen's edge, then closed.
    menu.move(small_screen.right() - menu.width(), small_screen.bottom() - menu.height())
    menu.close()
    assert window_tools.show_main_menu(window) is menu and menu.isVisible()
    assert small_screen.contains(framed(menu)), framed(menu)
    centre, wanted = framed(menu).center(), window.frameGeometry().center()
    assert abs(centre.x() - wanted.x()) <= 1 and abs(centre.y() - wanted.y()) <= 1


def test_ctrl_m_brings_a_menu_that_is_off_the_screen_into_view(qtbot, small_screen,
                                                                application_menu):
    menu = window_tools.show_main_menu()
    qtbot.addWidget(menu)
    menu.move(small_screen.right() - 100, small_screen.bottom() - 50)  # mostly off screen
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.show()
    window.main_menu_action.trigger()  # Ctrl+M
    assert menu.isVisible() and small_screen.contains(framed(menu)), framed(menu)


def test_a_menu_in_view_stays_where_the_person_put_it(qtbot, small_screen, application_menu):
    menu = window_tools.show_main_menu()
    qtbot.addWidget(menu)
    menu.move(10, 20)
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.show()
    assert window_tools.show_main_menu(window) is menu
    assert (menu.x(), menu.y()) == (10, 20)
