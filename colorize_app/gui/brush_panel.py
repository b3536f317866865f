"""The scribble window's brush controls: tool, colour (picker, recent colours), width."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtGui import QColor, QKeySequence
from PyQt5.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from colorize_app.gui import settings

#: Tool key -> button text. "pick" is the eyedropper; the others are stroke kinds.
TOOLS = {"paint": "Brush", "keep": "Keep colour", "erase": "Eraser", "pick": "Eyedropper"}
#: Tool key -> (shortcut, what it does).
TOOL_HELP = {
    "paint": ("B", "Paint the brush colour; it spreads to similar pixels"),
    "keep": ("K", "Keep the photo's own colour where you paint (colour photos)"),
    "erase": ("E", "Erase strokes where you paint"),
    "pick": ("I", "Pick the brush colour from the strokes (click)"),
}
RECENT_COUNT = 8


def colour_style(colour: QColor) -> str:
    return f"background-color: {colour.name()}; border: 1px solid #444;"


class BrushPanel(QWidget):
    """Tool buttons, colour button, recent colours and width; emits nothing but state."""

    colour_changed = pyqtSignal(QColor)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for key, text in TOOLS.items():
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setObjectName(f"tool_{key}")
            shortcut, what = TOOL_HELP[key]
            button.setShortcut(QKeySequence(shortcut))
            button.setToolTip(f"{text}: {what} ({shortcut})")
            self.tool_group.addButton(button)
            self.tool_buttons[key] = button
            layout.addWidget(button)
        self.tool_buttons["paint"].setChecked(True)

        self.colour_button = QPushButton()
        self.colour_button.setToolTip("Brush colour (click to choose)")
        self.colour_button.setFixedSize(28, 22)
        self.colour_button.clicked.connect(self.choose_colour)
        layout.addWidget(QLabel("  Colour"))
        layout.addWidget(self.colour_button)
        self.recent_row = QHBoxLayout()
        self.recent_row.setSpacing(2)
        layout.addLayout(self.recent_row)
        self.recent_buttons: list[QPushButton] = []

        self.width_box = QSpinBox()
        self.width_box.setRange(1, 200)
        self.width_box.setSuffix(" px")
        self.width_box.setToolTip("Brush width in image pixels")
        self.width_box.setValue(settings.value("scribble/brush_width", 8, int))
        self.width_box.valueChanged.connect(
            lambda width: settings.set_value("scribble/brush_width", width)
        )
        layout.addWidget(QLabel("  Width"))
        layout.addWidget(self.width_box)

        self._recent: list[str] = [
            name for name in str(settings.value("scribble/recent_colours", "")).split(",")
            if QColor(name).isValid()
        ][:RECENT_COUNT]
        self._colour = QColor(self._recent[0]) if self._recent else QColor(220, 60, 40)
        self.colour_button.setStyleSheet(colour_style(self._colour))
        self._show_recent()

    @property
    def tool(self) -> str:
        """The checked tool key."""
        return next(key for key, button in self.tool_buttons.items() if button.isChecked())

    def set_tool(self, key: str) -> None:
        self.tool_buttons[key].setChecked(True)

    @property
    def colour(self) -> QColor:
        return QColor(self._colour)

    def rgb(self) -> tuple[float, float, float]:
        """The brush colour as RGB floats in [0, 1]."""
        return self._colour.redF(), self._colour.greenF(), self._colour.blueF()

    @property
    def brush_width(self) -> int:
        """Brush diameter in image pixels."""
        return self.width_box.value()

    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(self._colour, self, "Brush colour")
        if colour.isValid():
            self.set_colour(colour)

    def set_colour(self, colour: QColor) -> None:
        """Make ``colour`` the brush colour and put it first in the recent colours."""
        self._colour = QColor(colour)
        self.colour_button.setStyleSheet(colour_style(self._colour))
        name = self._colour.name()
        self._recent = [name] + [other for other in self._recent if other != name]
        self._recent = self._recent[:RECENT_COUNT]
        settings.set_value("scribble/recent_colours", ",".join(self._recent))
        self._show_recent()
        self.colour_changed.emit(self._colour)

    def _show_recent(self) -> None:
        for button in self.recent_buttons:
            self.recent_row.removeWidget(button)
            button.hide()  # deleteLater waits for the event loop; do not leave it drawn
            button.deleteLater()
        self.recent_buttons = []
        for name in self._recent:
            button = QPushButton()
            button.setFixedSize(18, 18)
            button.setToolTip(f"Recent colour {name}")
            button.setStyleSheet(colour_style(QColor(name)))
            button.clicked.connect(lambda _checked=False, n=name: self.set_colour(QColor(n)))
            self.recent_row.addWidget(button)
            self.recent_buttons.append(button)
