"""Load the default CNN model in the background while the app starts, for a fast first answer.

Importing TensorFlow and building the network take seconds; the application starts both in
a background thread as soon as the main menu shows (:func:`start`), with progress of its
own. The first job that needs that model (automatic window, video window, "Start from
automatic") takes the ready colorizer with :meth:`ModelPreloader.take`, waiting in its own
worker thread if the load is still under way; later jobs build their own as before, by
then without the import cost. Set ``COLORIZE_NO_PRELOAD=1`` to turn it off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from PyQt5.QtCore import QObject, pyqtSignal

from algorithms.errors import CancelledError, first_line


def build_default(progress: Callable[[float, str], None]) -> tuple[str, object]:
    """Import TensorFlow, load the default model and build and warm up its Colorizer.

    Returns (model file path, colorizer). Slow: runs off the UI thread.
    """
    import numpy as np

    from colorize_app.io.model_registry import resolve_model

    path = str(resolve_model(None))
    progress(0.0, "importing TensorFlow")
    from colorize_app.runtime.tf_startup import import_tensorflow

    import_tensorflow()  # the slow part: seconds, once per process

    from colorize_app.sessions.cnn import ModelChoice, load_colorizer, load_model

    progress(0.6, "reading the weights")
    model = load_model(ModelChoice(path))  # kept: a later colorizer of it reads no file
    progress(0.8, "building the network")
    colorizer = load_colorizer(model)  # the model's own decoding, 256 x 256 input
    colorizer.colorize(np.full((64, 64), 0.5, np.float32))  # the first run sets up the graph
    progress(1.0, "ready")
    return path, colorizer


class ModelPreloader(QObject):
    """Builds one colorizer in a background thread and hands it to the first taker.

    Signals (queued to the UI thread)
    -------
    progress : (float, str)
        Fraction done in [0, 1] and what happens now.
    finished : (str)
        "" when the model is ready, else why it could not be loaded (e.g. none installed).
    """

    progress = pyqtSignal(float, str)
    finished = pyqtSignal(str)

    def __init__(self, build: Callable = build_default) -> None:
        super().__init__()
        self._build = build
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._path = ""
        self._colorizer = None
        self._error = ""
        self._message = ""
        self.build_thread: threading.Thread | None = None  # the thread that built it

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def ready(self) -> bool:
        """True once the background load has ended (successfully or not)."""
        return self._done.is_set()

    def start(self) -> None:
        """Start the background load (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="model-preload", daemon=True)
        self._thread.start()

    def _report(self, fraction: float, message: str) -> None:
        self._message = message
        self.progress.emit(float(fraction), message)

    def _run(self) -> None:
        self.build_thread = threading.current_thread()
        try:
            path, colorizer = self._build(self._report)
        except Exception as error:  # noqa: BLE001 - reported, and windows load it themselves
            self._error = first_line(error)
        else:
            with self._lock:
                self._path, self._colorizer = os.path.abspath(path), colorizer
        self._done.set()
        self.finished.emit(self._error)

    def take(self, path: str, progress: Callable[[float, str], None] | None = None,
             cancelled: Callable[[], bool] | None = None):
        """The preloaded colorizer of model file ``path``, now owned by the caller; None
        when no load was started, it failed, it is another model, or it was taken.

        Waits for a load still under way (call it from a job's worker thread), passing its
        progress messages on; raises CancelledError when ``cancelled()`` turns true.
        """
        if self._thread is None:
            return None
        while not self._done.wait(0.1):
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled")
            if progress is not None:
                progress(0.0, f"loading the model ({self._message})")
        with self._lock:
            if self._colorizer is None or self._path != os.path.abspath(path):
                return None
            colorizer, self._colorizer = self._colorizer, None
            return colorizer


_PRELOADER: ModelPreloader | None = None


def preloader() -> ModelPreloader:
    """The application's preloader (not started until :func:`start`)."""
    global _PRELOADER
    if _PRELOADER is None:
        _PRELOADER = ModelPreloader()
    return _PRELOADER


def start() -> ModelPreloader | None:
    """Start loading the default model in the background, unless COLORIZE_NO_PRELOAD is
    set; returns the preloader (None when turned off)."""
    if os.environ.get("COLORIZE_NO_PRELOAD", "") not in ("", "0"):
        return None
    loader = preloader()
    loader.start()
    return loader


def take(path: str, progress=None, cancelled=None):
    """:meth:`ModelPreloader.take` of the application's preloader."""
    return preloader().take(path, progress, cancelled) if _PRELOADER is not None else None
