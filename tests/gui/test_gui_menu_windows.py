"""The real main menu opens the scribble and colour-transfer windows (several at once)."""

from __future__ import annotations

from colorize_app.gui.main_menu import WINDOW_FACTORIES, MainMenu
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.gui.swatch_window import SwatchWindow


def test_menu_opens_scribble_and_transfer_windows(qtbot):
    menu = MainMenu()
    qtbot.addWidget(menu)
    first = menu.open_entry("scribble")
    second = menu.open_entry("scribble")
    transfer = menu.open_entry("transfer")
    assert isinstance(first, ScribbleWindow) and isinstance(second, ScribbleWindow)
    assert first is not second and isinstance(transfer, SwatchWindow)
    assert all(window.isVisible() for window in (first, second, transfer))
    for window in (first, second, transfer):
        with qtbot.waitSignal(window.destroyed):
            window.close()
    assert menu._open_windows == []


def test_brush_width_is_remembered_between_windows(qtbot):
    first = WINDOW_FACTORIES["scribble"]()
    qtbot.addWidget(first)
    first.brush.width_box.setValue(23)
    second = WINDOW_FACTORIES["scribble"]()
    qtbot.addWidget(second)
    assert second.brush.brush_width == 23
