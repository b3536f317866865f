"""A frame scrubber: slider, frame number and time, and Play that steps at the video's fps."""

from __future__ import annotations

from PyQt5.QtCore import QRect, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QKeySequence, QPainter
from PyQt5.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QWidget,
)

from colorize_app.gui.qt_objects import present

#: Colour of the keyframe marks on the slider.
MARK_COLOUR = QColor(230, 140, 20)


class MarkedSlider(QSlider):
    """A horizontal slider with a mark under the groove at each of some values (keyframes)."""

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.marks: list[int] = []
        self.setMinimumHeight(self.sizeHint().height() + 6)

    def mark_x(self, value: int) -> int:
        """The x (widget pixels) of the handle's centre at ``value``."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = present(self.style()).subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self)
        span = self.width() - handle.width()
        position = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span)
        return position + handle.width() // 2

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QPainter(self)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(MARK_COLOUR)
        for value in self.marks:
            painter.drawRect(QRect(self.mark_x(value) - 2, self.height() - 5, 5, 5))
        painter.end()


def clock(seconds: float) -> str:
    """``m:ss.cc`` for a time in seconds."""
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes)}:{rest:05.2f}"


class FrameScrubber(QWidget):
    """Choose a frame with a slider; Play advances one frame per 1/fps s, stopping at the end.

    Signals
    -------
    frame_changed : (int)
        The frame index now chosen (by the user or by playback).
    """

    frame_changed = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fps = 25.0
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play from the chosen frame (Space)")
        self.play_button.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = MarkedSlider()
        self.slider.setToolTip("Frame: drag to scrub through the video")
        self.slider.valueChanged.connect(self._moved)
        self.label = QLabel("")
        self.label.setMinimumWidth(190)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.set_frames(0, 25.0)

    @property
    def count(self) -> int:
        return self.slider.maximum() + 1 if self.slider.isEnabled() else 0

    @property
    def index(self) -> int:
        return self.slider.value()

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_frames(self, count: int, fps: float) -> None:
        """A video of ``count`` frames at ``fps``; shows frame 0."""
        self.pause()
        self.fps = float(fps) if fps > 0 else 25.0
        self.timer.setInterval(max(1, int(round(1000.0 / self.fps))))
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(count > 0)
        self.play_button.setEnabled(count > 1)
        self._show_label()

    def set_marks(self, frames: list[int]) -> None:
        """Mark ``frames`` (keyframes, from 0) under the slider; the label says when the
        shown frame is one."""
        if frames != self.slider.marks:
            self.slider.marks = list(frames)
            self.slider.update()
            self._show_label()

    def set_index(self, index: int) -> None:
        self.slider.setValue(index)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.count < 2:
            return
        if self.index >= self.count - 1:
            self.set_index(0)  # at the end, Play starts over
        self.timer.start()
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("Play")

    def _tick(self) -> None:
        if self.index >= self.count - 1:
            self.pause()
        else:
            self.set_index(self.index + 1)

    def _moved(self, index: int) -> None:
        self._show_label()
        self.frame_changed.emit(index)

    def _show_label(self) -> None:
        count = self.count
        if count == 0:
            self.label.setText("no video")
            return
        key = " (keyframe)" if self.index in self.slider.marks else ""
        self.label.setText(f"frame {self.index + 1} / {count}{key}   "
                           f"{clock(self.index / self.fps)} / {clock(count / self.fps)}")
