"""One job runner: engine calls run off the UI thread, with progress, Cancel and error dialogs.

A task is ``task(progress, cancelled) -> result``; it runs in a QThread. Engines may call
``progress`` from their own worker threads, so progress only emits a Qt signal: the
connection to the UI is queued and widgets are touched on the UI thread alone. Cancel sets a
``threading.Event`` that the engine polls through ``cancelled()``; it then raises
CancelledError, which ends the job quietly. Results reach the window only on success, so a
cancelled or failed job writes nothing.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QObject, QThread, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QMessageBox, QProgressBar, QPushButton, QWidget

from algorithms.errors import CancelledError, ColorizeError
from algorithms.progress import duration_text

Task = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]

#: An engine's own estimate at the end of its message (", ETA 1 min 5 s"): the runner
#: shows one estimate, its own, for the whole job.
_ENGINE_ETA = re.compile(r",? ETA [^,]*$")
#: The time left is estimated from the progress of the last this many seconds (a job's
#: stages run at different speeds), once the job has run this long and done this much.
RATE_WINDOW_S = 30.0
ESTIMATE_AFTER_S, ESTIMATE_AFTER_FRACTION = 3.0, 0.01
#: How long the outcome of a job ("done in 42 s", "cancelled") stays in the status line.
OUTCOME_MESSAGE_MS = 20_000


def time_left(samples: deque, now: float, fraction: float, started: float) -> float | None:
    """Seconds left from (time, fraction) ``samples``: the recent rate, or None while too
    early to tell."""
    if now - started < ESTIMATE_AFTER_S or fraction < ESTIMATE_AFTER_FRACTION:
        return None
    while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_S:
        samples.popleft()
    then, before = samples[0]
    if fraction <= before or now <= then:
        return None
    return (1.0 - fraction) * (now - then) / (fraction - before)


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """A warning dialog with ``message``; ``details`` (a traceback) under 'Show Details'."""
    box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec_()


class _Worker(QThread):
    """Runs one task; its signals are emitted from the worker thread and queued to the UI."""

    progressed = pyqtSignal(float, str)
    succeeded = pyqtSignal(object)
    failed = pyqtSignal(object, str)
    was_cancelled = pyqtSignal()

    def __init__(self, task: Task, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.cancel_event = threading.Event()

    def run(self) -> None:
        try:
            result = self.task(self._progress, self.cancel_event.is_set)
        except CancelledError:
            self.was_cancelled.emit()
        except Exception as error:  # noqa: BLE001 - every failure becomes a dialog, not a crash
            if self.cancel_event.is_set():
                self.was_cancelled.emit()
            else:
                self.failed.emit(error, traceback.format_exc())
        else:
            if self.cancel_event.is_set():
                self.was_cancelled.emit()
            else:
                self.succeeded.emit(result)

    def _progress(self, fraction: float, message: str = "") -> None:
        self.progressed.emit(float(fraction), str(message))


class JobRunner(QObject):
    """Runs one job at a time for a window and shows it in a progress bar with Cancel.

    Parameters
    ----------
    parent : QWidget
        The window: error dialogs are its children.
    silent : bool
        No progress widgets and no error dialogs (for live previews); a new job cancels
        the running one and starts when it has stopped.
    """

    started = pyqtSignal()
    finished = pyqtSignal(str)  # "done", "cancelled" or "failed"
    status = pyqtSignal(str)  # a passing message (started, done, cancelling)
    progress_text = pyqtSignal(str)  # what the running job does now, kept until the next

    def __init__(self, parent: QWidget, silent: bool = False) -> None:
        super().__init__(parent)
        self._window = parent
        self.silent = silent
        self.worker: _Worker | None = None
        self._pending: tuple | None = None
        self._title = ""
        self._started = 0.0
        self._samples: deque = deque()
        #: What the last job came to, in words ("Export: done in 3 s"); "" before any.
        self.outcome_text = ""
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        # The bar shows the percentage only; the job's words go to the status line, where a
        # long message has room instead of wrapping inside the bar.
        self.progress_bar.setFixedWidth(120)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc)")
        self.cancel_button.setShortcut(QKeySequence("Esc"))
        self.cancel_button.clicked.connect(self.cancel)
        self._show_widgets(False)

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return self.worker is not None

    def start(
        self,
        task: Task,
        on_success: Callable[[Any], None],
        title: str = "Working",
    ) -> bool:
        """Run ``task`` off the UI thread; ``on_success(result)`` runs on the UI thread.

        Returns False (and starts nothing) when a job already runs, except for a silent
        runner, which cancels it and queues this one.
        """
        if self.worker is not None:
            if not self.silent:
                return False
            self._pending = (task, on_success, title)
            self.worker.cancel_event.set()
            return True
        self._title = title
        self._started = time.monotonic()
        self._samples = deque([(self._started, 0.0)])
        worker = _Worker(task, self)
        worker.progressed.connect(self._on_progress)
        worker.succeeded.connect(lambda result: self._done(worker, "done", on_success, result))
        worker.failed.connect(lambda error, trace: self._failed(worker, error, trace))
        worker.was_cancelled.connect(lambda: self._done(worker, "cancelled"))
        self.worker = worker
        self.progress_bar.setValue(0)
        self.progress_bar.setToolTip(title)
        self._show_widgets(True)
        self.started.emit()
        self.progress_text.emit(f"{title}...")
        worker.start()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop (it stops at its next progress report)."""
        self._pending = None
        if self.worker is not None:
            self.worker.cancel_event.set()
            self.cancel_button.setEnabled(False)
            self.status.emit(f"{self._title}: cancelling...")

    def wait(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for the running job (when its window closes)."""
        self.cancel()
        if self.worker is not None:
            self.worker.wait(timeout_ms)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(round(fraction * 1000)))
        now = time.monotonic()
        self._samples.append((now, fraction))
        left = time_left(self._samples, now, fraction, self._started)
        message = _ENGINE_ETA.sub("", message)
        label = f"{self._title}: {message}" if message else self._title
        if left is not None:
            label += f" - about {duration_text(left)} left"
        self.progress_bar.setToolTip(label)
        if not self.silent:
            self.progress_text.emit(label)

    def _failed(self, worker: _Worker, error: BaseException, trace: str) -> None:
        self._done(worker, "failed")
        if self.silent:
            return
        if isinstance(error, ColorizeError):
            show_error(self._window, self._title, str(error))
        else:
            show_error(
                self._window,
                self._title,
                f"Something went wrong ({type(error).__name__}: {error}).",
                trace,
            )

    def _done(
        self,
        worker: _Worker,
        outcome: str,
        on_success: Callable[[Any], None] | None = None,
        result: Any = None,
    ) -> None:
        worker.wait()
        worker.deleteLater()
        self.worker = None
        self._show_widgets(False)
        took = duration_text(time.monotonic() - self._started)
        self.outcome_text = {
            "done": f"{self._title}: done in {took}",
            "cancelled": f"{self._title}: cancelled after {took}",
            "failed": f"{self._title}: failed after {took}"}[outcome]
        # Said before the window's own callback, which may say more ("Exported to ...").
        self.status.emit(self.outcome_text)
        try:
            if outcome == "done" and on_success is not None:
                on_success(result)
        finally:  # a failing callback must not leave the window looking busy
            self.finished.emit(outcome)
        if self._pending is not None:
            task, callback, title = self._pending
            self._pending = None
            self.start(task, callback, title)

    def _show_widgets(self, visible: bool) -> None:
        shown = visible and not self.silent
        self.progress_bar.setVisible(shown)
        self.cancel_button.setVisible(shown)
        self.cancel_button.setEnabled(True)
