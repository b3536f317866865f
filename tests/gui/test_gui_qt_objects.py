"""`present` passes Qt's objects through and names a missing one."""

from __future__ import annotations

import pytest
from PyQt5.QtWidgets import QMainWindow

from colorize_app.gui.qt_objects import present


def test_present_returns_the_object_qt_made(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = window.statusBar()
    assert present(bar) is bar


def test_present_refuses_none() -> None:
    with pytest.raises(RuntimeError, match="Qt returned no object"):
        present(None)
