"""The automatic (CNN) window: colorize one or many photos with the Zhang et al. network.

The network runs in the job runner; each photo keeps its :class:`Prediction` (the logits
and its lightness), so the vividness slider re-decodes the shown photo at a new temperature
at once, without running the network again. Colour photos are re-coloured from their
lightness. "Refine with strokes" opens the scribble window with the result as its start.
"""

from __future__ import annotations

import os

import numpy as np
from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QFileDialog,
    QLabel,
    QSlider,
    QSplitter,
    QWidget,
)

from algorithms.cnn.decode import VIVIDNESS_REFERENCE
from algorithms.progress import Reporter
from colorize_app.gui import jobs, settings
from colorize_app.gui.base_window import OPEN_FILTER, MethodWindow
from colorize_app.gui.cnn_state import (
    SLIDER_MAX,
    CnnProjectMixin,
    slider_value_of,
    temperature_of,
)
from colorize_app.gui.image_view import ComparisonView
from colorize_app.gui.model_picker import (
    ModelPicker,
    ask_model_file,
    ask_to_download,
    build_colorizer,
    obtain_colorizer,
    start_download,
)
from colorize_app.gui.photo_list import (
    PhotoList,
    image_files,
    output_names,
    read_thumbnails_task,
    save_results_task,
    thumbnail,
)
from colorize_app.gui.qt_objects import present
from colorize_app.io import media
from colorize_app.sessions.cnn import CnnSession, ModelChoice, PhotoEntry

#: Windows handed to the scribble window live until closed, whichever window opened them.
_HANDED_OFF: list[QWidget] = []


class CnnWindow(CnnProjectMixin, MethodWindow):
    """Open photos, pick a model, colorize, tune vividness, save or refine with strokes.

    ``self.session`` (:class:`~colorize_app.sessions.cnn.CnnSession`) holds the photo list,
    model, temperature and results; the photo list, picker and vividness slider show it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Automatic colorization (CNN)", parent)
        self.colorizer = None  # algorithms.cnn.colorizer.Colorizer, built in a job
        self._colorizer_choice: ModelChoice | None = None
        self.session = CnnSession()
        self.photo: np.ndarray | None = None  # pixels of the shown photo
        self._batch: dict | None = None

        self.photo_list = PhotoList(self.session.photos)  # shows the session's own list
        self.photo_list.currentRowChanged.connect(self.show_photo)
        self.result_view = ComparisonView("Before / after")
        self.watch_view(self.result_view.view)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.photo_list)
        splitter.addWidget(self.result_view)
        splitter.setSizes([280, 820])  # room for a name and "512 x 341, colour photo"
        self.setCentralWidget(splitter)
        self._decode_timer = QTimer(self)
        self._decode_timer.setSingleShot(True)
        self._decode_timer.setInterval(15)  # coalesce a drag's slider steps into one decode
        self._decode_timer.timeout.connect(self.redecode)
        self.jobs.finished.connect(self._job_finished)
        self.jobs.started.connect(self._update_actions)
        self._build_actions()
        self._update_actions()

    # -- user interface -------------------------------------------------------------------

    def _build_actions(self) -> None:
        file_menu, edit_menu = self.file_menu, self.edit_menu
        self.open_action = self.add_action(
            "Open photos...", self.open_photos, QKeySequence.Open, file_menu,
            tip="Add one or many photos, or open a project (Ctrl+O)")
        self.save_action = self.add_action("Save result...", self.save_result, "Ctrl+E",
                                           file_menu, tip="Save the shown result (Ctrl+E)")
        self.save_all_action = self.add_action(
            "Save all...", self.save_all, "Ctrl+Shift+E", file_menu,
            tip="Save every colorized photo into a folder (Ctrl+Shift+E)")
        self.add_project_actions()
        self.remove_action = self.add_action("Remove from list", self.remove_selected, "Delete",
                                             edit_menu, toolbar=False)
        self.toolbar.addSeparator()
        self.colorize_action = self.add_action(
            "Colorize", self.colorize_selected, "Ctrl+R", edit_menu,
            tip="Colorize the selected photos (Ctrl+R)")
        self.colorize_all_action = self.add_action(
            "Colorize all", self.colorize_all, "Ctrl+Shift+R", edit_menu,
            tip="Colorize every photo in the list")
        self.refine_action = self.add_action(
            "Refine with strokes", self.refine_with_strokes, None, edit_menu,
            tip="Open the scribble window with this result as the starting point")
        self.add_action("Fit", self.result_view.view.fit, "Ctrl+0", self.view_menu,
                        toolbar=False)
        self.add_action("100%", self.result_view.view.actual_size, "Ctrl+1", self.view_menu,
                        toolbar=False)

        self.addToolBarBreak()
        options = present(self.addToolBar("Model"))
        options.setObjectName("model")
        options.addWidget(QLabel("Model "))
        self.picker = ModelPicker()
        self.picker.file_requested.connect(self.choose_model_file)
        self.picker.choice_changed.connect(self._changed_if_any)
        options.addWidget(self.picker)
        self.download_action = self.add_action(
            "Download official weights", self.download_official, None, file_menu,
            toolbar=False, tip="Download the authors' ImageNet model (eccv16, 129 MB), "
                               "checked against its published SHA-256")
        options.addAction(self.download_action)
        options.addSeparator()
        options.addWidget(QLabel("  Vividness "))
        self.vividness = QSlider(Qt.Orientation.Horizontal)
        self.vividness.setRange(0, SLIDER_MAX)
        self.vividness.setFixedWidth(180)
        self.vividness.setToolTip("Vividness (the decoding's temperature T): left is muted "
                                  "colour, the middle the model's default, right is strong "
                                  "colour (with the shipped model the ends differ 2.5 to 3 "
                                  "times in chroma)")
        stored = settings.value("cnn/temperature", VIVIDNESS_REFERENCE, float)
        self.vividness.setValue(slider_value_of(stored))
        self.session.temperature = temperature_of(self.vividness.value())
        self.temperature_label = QLabel("")
        self.vividness.valueChanged.connect(self._vividness_moved)
        options.addWidget(self.vividness)
        options.addWidget(self.temperature_label)
        self._show_temperature()

    def _update_actions(self) -> None:
        busy = self.jobs.busy
        has_result = self.result is not None
        self.colorize_action.setEnabled(bool(self.photos) and not busy)
        self.colorize_all_action.setEnabled(bool(self.photos) and not busy)
        self.remove_action.setEnabled(bool(self.photos) and not busy)
        self.save_action.setEnabled(has_result)
        self.refine_action.setEnabled(has_result)
        self.save_all_action.setEnabled(any(p.colorized for p in self.photos))
        self.download_action.setEnabled(not busy)

    @property
    def photos(self) -> list[PhotoEntry]:
        """The session's photos, one per row of the list."""
        return self.session.photos

    @property
    def result(self) -> np.ndarray | None:
        """The shown photo's colorization at the current temperature, once decoded."""
        return self.session.result

    @property
    def temperature(self) -> float:
        """The slider's temperature (the session always has one in this window)."""
        temperature = self.session.temperature
        return VIVIDNESS_REFERENCE if temperature is None else temperature

    def _show_temperature(self) -> None:
        self.temperature_label.setText(f" T = {self.temperature:.2f}")

    def _vividness_moved(self) -> None:
        self.session.temperature = temperature_of(self.vividness.value())
        self._show_temperature()
        settings.set_value("cnn/temperature", self.temperature)
        self._decode_timer.start()
        self._changed_if_any()

    def _changed_if_any(self) -> None:
        if self.photos:
            self.mark_changed()

    # -- photos ---------------------------------------------------------------------------

    def open_dropped(self, paths: list[str], position) -> None:
        self.add_photos(paths)

    def open_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open photos or a project",
                                                self.start_folder("open"), OPEN_FILTER)
        if paths:
            settings.remember_folder("open", paths[0])
            self.add_photos(paths)

    def add_photos(self, paths: list[str]) -> bool:
        """Add image files (folders add their images) to the list, with thumbnails; a
        project file among ``paths`` is opened instead (replacing the list)."""
        if any(self.open_path(path) for path in paths):
            return True
        files = self.photo_list.new_files(image_files(paths))
        if not files:
            return False
        if self.jobs.busy:
            present(self.statusBar()).showMessage(
                "Busy: open the photos when the running job is done (or cancel it)", 8000)
            return False
        return self.jobs.start(read_thumbnails_task(
            files, native=self.session.input_size is None), self._photos_loaded, "Open photos")

    def _photos_loaded(self, loaded: list) -> None:
        had_photos = bool(self.photos)
        problems = self.photo_list.add_loaded(loaded)
        # Photos added to a list are work to keep; a first photo alone is not (yet).
        if had_photos:
            self.mark_changed()
        elif self.photos:
            self.mark_unchanged()
        self._update_actions()
        if problems:
            jobs.show_error(self, "Open photos", "\n".join(problems))

    def document_path(self) -> str:
        entry = self.current_entry()
        return entry.path if entry is not None else ""

    def remove_selected(self) -> None:
        """Remove the selected photos; their results go too, so unsaved ones are asked for."""
        rows = self.photo_list.selected_rows()
        if not rows or (any(self.photos[row].colorized for row in rows)
                        and not self.confirm_discard(
                            f"removing {len(rows)} photo{'s' if len(rows) > 1 else ''} "
                            "and their results")):
            return
        self.photo_list.remove_rows(rows)
        if not self.photos:
            self.photo, self.session.result = None, None
            self.result_view.show_result(np.zeros((1, 1), np.float32), None)
            self.mark_unchanged()  # nothing left to keep
        else:
            self.mark_changed()
        self._update_actions()

    def show_photo(self, row: int) -> None:
        """Show photo ``row``, with its result at the current temperature if it has one."""
        if not 0 <= row < len(self.photos):
            return
        entry = self.photos[row]
        loaded = []
        if not self.guarded("Open photo", lambda: loaded.append(media.read_image(entry.path))):
            return
        self.photo = loaded[0].pixels
        self.session.current = row
        self.set_size_text(entry.width, entry.height)
        self.set_title_detail(self.project_name() if self.project_path
                              else os.path.basename(entry.path))
        self.session.result = None
        self.redecode()
        self.result_view.view.fit()

    def current_entry(self) -> PhotoEntry | None:
        return self.photo_list.current_entry()

    def redecode(self) -> None:
        """Decode the shown photo's prediction at the slider's temperature (no network run)."""
        if self.current_entry() is None or self.photo is None:
            return
        self.session.current = self.photo_list.currentRow()
        self.result_view.show_result(self.photo, self.session.decode_current())
        self.photo_list.show_result(self.session.current, self.result)  # its thumbnail too
        self._update_actions()

    # -- model ----------------------------------------------------------------------------

    def choose_model_file(self) -> None:
        """Ask for a model file (and a bins file for a TF checkpoint); load it at once."""
        choice = ask_model_file(self, self.picker)
        if choice is not None:
            self.load_model(choice)

    def load_model(self, choice: ModelChoice) -> bool:
        """Load ``choice`` in the job runner (so that a bad file is reported now)."""
        def task(progress, cancelled):
            progress(0.0, "reading the weights")
            return choice, build_colorizer(choice)

        return self.jobs.start(task, lambda built: self._use_colorizer(*built), "Load model")

    def _use_colorizer(self, choice: ModelChoice, colorizer) -> None:
        if self.colorizer is not None and self.colorizer is not colorizer:
            self.colorizer.close()
        self.colorizer, self._colorizer_choice = colorizer, choice
        present(self.statusBar()).showMessage(f"Model: {colorizer.model.describe()}", 8000)

    def download_official(self) -> None:
        """Download the authors' weights (eccv16) with progress and checksum."""
        start_download(self.jobs, self.picker)

    # -- colorizing -----------------------------------------------------------------------

    def colorize_selected(self) -> bool:
        return self.colorize_rows(self.photo_list.selected_rows())

    def colorize_all(self) -> bool:
        return self.colorize_rows(list(range(len(self.photos))))

    def colorize_rows(self, rows: list[int]) -> bool:
        """Colorize photos ``rows`` in the job runner; photos done before a Cancel are kept."""
        if not rows or self.jobs.busy:
            return False
        choice = self.picker.current()
        if choice is None:
            if ask_to_download(self):
                self.download_official()
            return False
        self.session.model = choice
        colorizer = self.colorizer if choice == self._colorizer_choice else None
        entries = [self.photos[row] for row in rows]
        session = self.session
        # "done": id(entry) -> (Prediction, (temperature, result)); "thumbnails" of results.
        batch: dict = {"choice": choice, "colorizer": colorizer, "done": {}, "thumbnails": {}}

        def task(progress, cancelled):
            report = Reporter(progress, cancelled)
            if batch["colorizer"] is None:
                report(0.0, "loading the model")
                batch["colorizer"] = obtain_colorizer(choice, report, cancelled)
            share = report.stage(0.05 if colorizer is None else 0.0, 1.0)
            for index, entry in enumerate(entries):
                stage = share.stage(index / len(entries), (index + 1) / len(entries))
                stage(0.0, f"{os.path.basename(entry.path)} ({index + 1}/{len(entries)})")
                # Decoded here, off the UI thread, for the thumbnail, the view and autosave.
                prediction, decoded = session.colorize_entry(batch["colorizer"], entry, stage,
                                                             cancelled)
                batch["thumbnails"][id(entry)] = thumbnail(decoded[1])
                batch["done"][id(entry)] = (prediction, decoded)
            return len(entries)

        self._batch = batch
        started = self.jobs.start(task, lambda count: None, "Colorize")
        self._update_actions()
        return started

    def _job_finished(self, outcome: str) -> None:
        batch, self._batch = self._batch, None
        if batch is not None:
            # Keep whatever finished, also after a Cancel or an error in a later photo.
            if batch["colorizer"] is not None:
                self._use_colorizer(batch["choice"], batch["colorizer"])
            for row, entry in enumerate(self.photos):
                if id(entry) in batch["done"]:
                    entry.set_prediction(*batch["done"][id(entry)])
                    self.photo_list.refresh(row)
                    self.photo_list.show_result(row, batch["thumbnails"][id(entry)])
            self.redecode()
            if batch["done"]:
                self.mark_changed()
        self._update_actions()

    # -- results --------------------------------------------------------------------------

    def refine_with_strokes(self) -> QWidget | None:
        """Open the scribble window on this photo with the result as its starting point."""
        entry = self.current_entry()
        if entry is None or self.result is None or self.photo is None:
            return None
        from colorize_app.gui.scribble_window import ScribbleWindow

        window = ScribbleWindow()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.start_from(self.photo, self.result, entry.path)
        _HANDED_OFF.append(window)
        window.destroyed.connect(lambda _=None, closed=window: _HANDED_OFF.remove(closed))
        window.show()
        return window

    def save_result(self) -> None:
        entry = self.current_entry()
        if entry is None or self.result is None:
            return
        stem = os.path.splitext(os.path.basename(entry.path))[0]
        path = self.ask_save("Save result", "save", suggestion=f"{stem}_colorized.png")
        result = self.result
        if path and self.guarded("Save result", lambda: media.write_image(
                path, result, inputs=[entry.path])):
            present(self.statusBar()).showMessage(f"Saved {path}", 5000)

    def save_all(self) -> None:
        """Write every colorized photo as ``<name>_colorized.png`` into a chosen folder."""
        done = [entry for entry in self.photos if entry.colorized]
        if not done or self.jobs.busy:
            return
        folder = QFileDialog.getExistingDirectory(self, "Save all results into",
                                                  self.start_folder("save"))
        if not folder:
            return
        settings.set_value("folders/save", folder)
        self.save_all_to(folder)

    def save_all_to(self, folder: str) -> bool:
        """Save all results into ``folder`` in the job runner (each file written atomically)."""
        done = [entry for entry in self.photos if entry.colorized]
        task = save_results_task(done, output_names(done, folder), self.temperature,
                                 [entry.path for entry in self.photos])
        return self.jobs.start(task, lambda _count: present(self.statusBar()).showMessage(
            f"Saved {len(done)} results in {folder}", 8000), "Save all")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().closeEvent(event)
        if self.colorizer is not None:
            self.colorizer.close()
            self.colorizer = None

