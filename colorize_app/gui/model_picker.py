"""A model chooser for the CNN window: installed models, files the user picked, "Model file...".

The list comes from :func:`colorize_app.io.model_registry.installed_models` (the
shipped model and downloads); files chosen in this session are added under them. The
picker only names a model; loading it is the window's job (it runs in the job runner).
"""

from __future__ import annotations

import os

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QComboBox, QWidget

from colorize_app.sessions.cnn import ModelChoice

#: What the model file dialog offers: the project's .npz, the authors' .pth, a TF checkpoint.
MODEL_FILTER = ("Model files (*.npz *.pth *.pt *.index);;Project model (*.npz);;"
                "PyTorch release (*.pth *.pt);;TF checkpoint (*.index)")
BINS_FILTER = "ab bins (*.npy)"
#: How the windows word what a user can do about a model error (the actions of
#: :class:`colorize_app.io.model_registry.ModelError`).
WINDOW_REMEDIES = {"download": "download {} with 'Download official weights'",
                   "model_file": "choose it with 'Model file...'",
                   "rerun": "try again later to resume",
                   "fetch": "fetch {} elsewhere and choose it with 'Model file...'"}
_CHOOSE = "choose"


def needs_bins(path: str) -> bool:
    """True for a TF checkpoint without ``pts_in_hull.npy`` beside it (it needs a bins file)."""
    import re

    is_checkpoint = (path.endswith(".index") or os.path.isdir(path)
                     or re.search(r"\.data-\d{5}-of-\d{5}$", path) is not None)
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    return is_checkpoint and not os.path.isfile(os.path.join(folder, "pts_in_hull.npy"))


class ModelPicker(QComboBox):
    """Installed models, then chosen files, then "Model file..." (which emits a request).

    Signals
    -------
    file_requested : ()
        The user picked "Model file...": the window shows a file dialog and calls
        :meth:`add_file`.
    choice_changed : ()
        The list was refreshed or another model was picked.
    """

    file_requested = pyqtSignal()
    choice_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(22)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLength)
        self.setToolTip("The network's weights: the shipped model, a download, or a file")
        self._files: list[ModelChoice] = []
        self._previous = 0
        self.activated.connect(self._activated)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Re-read the installed models; select the one whose file is ``select`` if given."""
        from colorize_app.io.model_registry import installed_models

        current = self.current()
        keep = select or (current.path if current is not None else None)
        self.blockSignals(True)
        self.clear()
        for model in installed_models():
            self.addItem(f"{model.name} ({model.origin})",
                         ModelChoice(str(model.path), None, model.name))
        for choice in self._files:
            self.addItem(f"{choice.label} (file)", choice)
        if self.count() == 0:
            self.addItem("No model installed", None)
        self.addItem("Model file...", _CHOOSE)
        index = next((i for i in range(self.count()) if isinstance(self.itemData(i), ModelChoice)
                      and self.itemData(i).path == keep), 0)
        self.setCurrentIndex(index)
        self._previous = index
        self.blockSignals(False)
        self.choice_changed.emit()

    def current(self) -> ModelChoice | None:
        """The chosen model, or None when none is installed."""
        data = self.currentData()
        return data if isinstance(data, ModelChoice) else None

    def add_file(self, path: str, bins_path: str | None = None) -> ModelChoice:
        """Add a chosen model file (kept for this window) and select it."""
        choice = ModelChoice(path, bins_path, os.path.basename(path))
        self._files = [known for known in self._files if known.path != path] + [choice]
        self.refresh(select=path)
        return choice

    def _activated(self, index: int) -> None:
        if self.itemData(index) == _CHOOSE:
            # Show the last real choice until a file has been picked.
            self.setCurrentIndex(self._previous)
            self.file_requested.emit()
        else:
            self._previous = index
            self.choice_changed.emit()


def choice_data(choice: ModelChoice | None) -> dict | None:
    """A project's record of a chosen model (JSON-ready), None when none is chosen."""
    return None if choice is None else choice.record()


def select_recorded(picker: ModelPicker, model: object) -> bool:
    """Select a project's model (see :func:`choice_data`): an installed one by path, else by
    name, else its file if it still exists. False when it is not here."""
    if not isinstance(model, dict) or not isinstance(model.get("path"), str):
        return False
    path, label = model["path"], model.get("label", "")
    bins = model.get("bins_path") if isinstance(model.get("bins_path"), str) else None
    choices = [picker.itemData(i) for i in range(picker.count())
               if isinstance(picker.itemData(i), ModelChoice)]
    known = next((c for c in choices if c.path == path), None) or next(
        (c for c in choices if label and c.label == label and c.bins_path is None), None)
    if known is not None:
        picker.refresh(select=known.path)
    elif os.path.isfile(path):
        picker.add_file(path, bins)
    else:
        return False
    return True


def build_colorizer(choice: ModelChoice):
    """Load ``choice`` and build its Colorizer with a session's default settings (256 x 256
    input, the model's own decoding). Slow: run it in the job runner."""
    from colorize_app.sessions.cnn import load_colorizer

    return load_colorizer(choice)


def obtain_colorizer(choice: ModelChoice, progress=None, cancelled=None):
    """The colorizer the application preloaded for ``choice`` (see ``preload``), waiting
    for it if it is still loading, else a new one from :func:`build_colorizer`. Slow: call
    it in a job, with the job's ``progress`` and ``cancelled``."""
    from colorize_app.gui import preload

    if choice.bins_path is None:
        taken = preload.take(choice.path, progress, cancelled)
        if taken is not None:
            return taken
    return build_colorizer(choice)


def ask_model_file(window, picker: ModelPicker) -> ModelChoice | None:
    """Ask ``window`` (a MethodWindow) for a model file, and for a TF checkpoint's bins file
    when no ``pts_in_hull.npy`` lies beside it; add it to ``picker``. None when cancelled."""
    path = window.ask_open("Choose a model file", "models", MODEL_FILTER)
    if not path:
        return None
    bins_path = None
    if needs_bins(path):
        bins_path = window.ask_open("The checkpoint's ab bins (pts_in_hull.npy)", "models",
                                    BINS_FILTER)
        if not bins_path:
            return None
    return picker.add_file(path, bins_path)


def start_download(jobs, picker: ModelPicker, name: str = "eccv16") -> None:
    """Download registry model ``name`` in the job runner ``jobs``; select it when done.

    Cancel stops at the next chunk and keeps the ``.part`` file, which the next download
    resumes. Errors keep the registry's one-line message, worded for the windows.
    """
    from algorithms.errors import CancelledError
    from colorize_app.io.model_registry import REGISTRY, ModelError, download

    def task(progress, cancelled):
        def report(fraction: float, message: str) -> None:
            if cancelled():
                raise CancelledError("cancelled")
            progress(fraction, message)

        try:
            return download(name, progress=report)
        except ModelError as error:
            raise ModelError(error.worded(WINDOW_REMEDIES)) from None

    jobs.start(task, lambda path: picker.refresh(select=str(path)),
               f"Download {name} ({REGISTRY[name].size / 1e6:.0f} MB)")


def ask_to_download(parent: QWidget) -> bool:
    """Say that no model is installed and ask whether to download the official one."""
    from PyQt5.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent, "No model installed",
        "No colorization model is installed.\n\nDownload the authors' official weights "
        "(eccv16, 129 MB) now? You can also choose a model file from the Model list.")
    return answer == QMessageBox.Yes
