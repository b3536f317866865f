"""A frame scrubber: slider, frame number and time, and Play that steps at the video's fps."""

from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget


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
        self.play_button.setShortcut(Qt.Key_Space)
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Horizontal)
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
        self.label.setText(f"frame {self.index + 1} / {count}   {clock(self.index / self.fps)}"
                           f" / {clock(count / self.fps)}")
