"""The main menu: one entry per colorization method, each opening its own window."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QCommandLinkButton,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from algorithms.errors import ColorizeError
from colorize_app.gui import window_tools


@dataclass(frozen=True)
class MenuEntry:
    """One method in the menu: ``key`` names its window factory."""

    key: str
    title: str
    description: str


ENTRIES = (
    MenuEntry(
        "scribble",
        "Scribble colorization",
        "Paint a few colour strokes; they spread to similar pixels (Levin et al. 2004).",
    ),
    MenuEntry(
        "transfer",
        "Colour transfer",
        "Borrow the colours of a reference photo, whole or by swatches (Welsh et al. 2002).",
    ),
    MenuEntry(
        "cnn",
        "Automatic (CNN)",
        "A neural network trained on photos picks plausible colours (Zhang et al. 2016).",
    ),
    MenuEntry(
        "video",
        "Video",
        "Colorize every frame, then keep the colours steady: averaged along the motion "
        "(Balanced, the default), or a network trained per shot (Deep Video Prior preset).",
    ),
)

WindowFactory = Callable[[], QWidget]

#: Entry key -> function that makes its window. A window plugs in by adding a factory that
#: imports its module when called, so that opening the menu stays fast, e.g.
#: ``def _scribble(): from colorize_app.gui.scribble_window import ScribbleWindow; ...``.


def _scribble_window() -> QWidget:
    from colorize_app.gui.scribble_window import ScribbleWindow

    return ScribbleWindow()


def _swatch_window() -> QWidget:
    from colorize_app.gui.swatch_window import SwatchWindow

    return SwatchWindow()


def _cnn_window() -> QWidget:
    from colorize_app.gui.cnn_window import CnnWindow

    return CnnWindow()


def _video_window() -> QWidget:
    from colorize_app.gui.video_window import VideoWindow

    return VideoWindow()


WINDOW_FACTORIES: dict[str, WindowFactory] = {
    "scribble": _scribble_window,
    "transfer": _swatch_window,
    "cnn": _cnn_window,
    "video": _video_window,
}


class MainMenu(QMainWindow):
    """The first window: a button per method with a line saying what it does."""

    def __init__(
        self,
        factories: Mapping[str, WindowFactory] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(window_tools.MAIN_MENU_NAME)  # how windows find it again
        self._factories = WINDOW_FACTORIES if factories is None else factories
        self._open_windows: list[QWidget] = []
        self.setWindowTitle("Colorize")

        layout = QVBoxLayout()
        heading = QLabel("Choose how to colorize:")
        heading.setObjectName("heading")
        layout.addWidget(heading)
        self.buttons: dict[str, QCommandLinkButton] = {}
        for entry in ENTRIES:
            button = QCommandLinkButton(entry.title, entry.description)
            button.setObjectName(f"entry_{entry.key}")
            button.clicked.connect(self._opener(entry.key))
            layout.addWidget(button)
            self.buttons[entry.key] = button
        layout.addStretch(1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.setMinimumWidth(620)

    def _opener(self, key: str) -> Callable[[bool], None]:
        """The slot of entry ``key``'s button: opens its window (kept by ``open_entry``)."""

        def open_window(_checked: bool = False) -> None:
            self.open_entry(key)

        return open_window

    def open_entry(self, key: str) -> QWidget | None:
        """Open the window of entry ``key``, or say that it comes later; returns the window."""
        entry = next(entry for entry in ENTRIES if entry.key == key)
        factory = self._factories.get(key)
        if factory is None:
            QMessageBox.information(
                self, entry.title, f"{entry.title} comes in a later version."
            )
            return None
        try:
            window = factory()
        except ColorizeError as error:  # e.g. a missing model file: say so, keep the menu
            QMessageBox.warning(self, entry.title, str(error))
            return None
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Keep a reference: a top-level window without one would be garbage-collected.
        self._open_windows.append(window)
        window.destroyed.connect(lambda _=None, closed=window: self._open_windows.remove(closed))
        window.show()
        return window
