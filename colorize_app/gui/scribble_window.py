"""The scribble window: paint colour strokes on a photo, colorize it (Levin et al. 2004).

The window's document is a Qt-free :class:`~colorize_app.sessions.scribble.ScribbleSession`
(``self.session``: photo, strokes, prior, result); the widgets show it and the undo commands
(``scribble_state``) change it. Its engine call runs in the job runner.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QCheckBox,
    QLabel,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QUndoStack,
    QWidget,
)

from algorithms.scribble import hints_from_marked
from colorize_app.documents.strokes import Stroke, Strokes, as_rgb
from colorize_app.gui import jobs, settings
from colorize_app.gui.base_window import IMAGE_FILTER, OPEN_FILTER, MethodWindow
from colorize_app.gui.brush_panel import BrushPanel
from colorize_app.gui.image_view import ComparisonView, ImageView
from colorize_app.gui.jobs import JobRunner
from colorize_app.gui.keyframe_edit import KeyframeEditMixin
from colorize_app.gui.qt_objects import present
from colorize_app.gui.scribble_automatic import AutomaticStartMixin
from colorize_app.gui.scribble_painting import PaintingMixin
from colorize_app.gui.scribble_preview import preview_task
from colorize_app.gui.scribble_state import (
    SnapshotCommand,
    replay,
)
from colorize_app.gui.window_tools import undo_actions
from colorize_app.io import media
from colorize_app.io.project import ImageRef, Project
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.scribble import DEFAULT_REACH, ScribbleSession, check_photo_file


def _from_session(name: str, empty: Callable[[], Any]) -> property:
    """A window attribute showing ``self.session.<name>`` (``empty()`` while no photo)."""
    return property(lambda self: empty() if self.session is None
                    else getattr(self.session, name))


class ScribbleWindow(PaintingMixin, AutomaticStartMixin, KeyframeEditMixin, MethodWindow):
    """Open a photo, paint strokes, colorize, save; the work is ``self.session``."""

    project_method = "scribble"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scribble colorization", parent)
        self.session: ScribbleSession | None = None  # None until a photo is open
        self.rebuilding = False  # restoring a project: rasterise once at the end
        self._photo_rgb = np.zeros((0, 0, 3), np.float32)
        self._stroke: Stroke | None = None
        self.undo_stack = QUndoStack(self)

        self.view = ImageView()
        self.result_view = ComparisonView("Result")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.result_view)
        splitter.setSizes([500, 500])
        self.setCentralWidget(splitter)
        self.watch_view(self.view)
        self.watch_view(self.result_view.view)
        self.view.pressed.connect(self._press)
        self.view.dragged.connect(self._drag)
        self.view.released.connect(self._release)
        # The eyedropper also reads the result pane: the colour a person sees there.
        self.result_view.view.pressed.connect(self._press_result)
        self.preview_jobs = JobRunner(self, silent=True)

        self._build_actions()
        self._update_actions()

    # The session's parts, read-only, as the widgets (and tests) read them.
    photo = _from_session("photo", lambda: None)
    photo_path = _from_session("photo_path", str)
    photo_ref = _from_session("photo_ref", lambda: None)
    strokes = _from_session("strokes", lambda: Strokes((0, 0)))
    marked = _from_session("marked", lambda: np.zeros((0, 0, 3), np.float32))
    mask = _from_session("mask", lambda: np.zeros((0, 0), bool))
    result = _from_session("result", lambda: None)
    prior_chroma = _from_session("prior_chroma", lambda: None)

    # -- user interface -------------------------------------------------------------------

    def _build_actions(self) -> None:
        file_menu, edit_menu = self.file_menu, self.edit_menu
        self.open_action = self.add_action(
            "Open photo...", self.open_photo, QKeySequence.Open, file_menu,
            tip="Open a gray or colour photo, or a project (Ctrl+O)")
        self.load_hints_action = self.add_action(
            "Load hints...", self.load_hints, None, file_menu,
            tip="Load a marked image (and optionally its mask) as strokes")
        self.save_strokes_action = self.add_action(
            "Save strokes...", self.save_strokes, None, file_menu, toolbar=False,
            tip="Save the strokes as a marked image plus a mask")
        self.save_action = self.add_action("Save result...", self.save_result, "Ctrl+E",
                                           file_menu, tip="Save the colorized photo (Ctrl+E)")
        self.add_project_actions()
        self.undo_action, self.redo_action = undo_actions(self, self.undo_stack)
        for action in (self.undo_action, self.redo_action):
            edit_menu.addAction(action)
            self.toolbar.addAction(action)
            self.addAction(action)
        self.clear_action = self.add_action("Clear", self.clear_strokes, None, edit_menu,
                                            tip="Remove every stroke (undoable)")
        self.toolbar.addSeparator()
        self.auto_action = self.add_action(
            "Start from automatic", self.start_from_automatic, None, edit_menu,
            tip="Colorize with the CNN first; strokes then correct it")
        self.colorize_action = self.add_action("Colorize", self.colorize, "Ctrl+R", edit_menu,
                                               tip="Colorize at full resolution (Ctrl+R)")
        self.add_keyframe_action()
        self.add_action("Fit", self.fit_views, "Ctrl+0", self.view_menu, toolbar=False,
                        tip="Fit the photo and the result to their panes (Ctrl+0)")
        self.add_action("100%", self.actual_size_views, "Ctrl+1", self.view_menu,
                        toolbar=False, tip="Show both panes at 100% (Ctrl+1)")

        self.brush = BrushPanel()
        self.addToolBarBreak()
        options = present(self.addToolBar("Brush"))
        options.setObjectName("brush")
        options.addWidget(self.brush)
        self.preview_box = QCheckBox("Live preview")
        self.preview_box.setToolTip("Recolour a small copy after each stroke")
        self.preview_box.setChecked(settings.value("scribble/live_preview", False, bool))
        self.preview_box.toggled.connect(self._preview_toggled)
        options.addWidget(self.preview_box)
        self.reach_box = QSpinBox()
        self.reach_box.setRange(1, 100)
        self.reach_box.setSuffix(" %")
        self.reach_box.setValue(settings.value("scribble/stroke_reach",
                                               round(DEFAULT_REACH * 100), int))
        self.reach_box.setToolTip(
            "Over automatic colours (after 'Start from automatic' or 'Refine with strokes'): "
            "how far a stroke's colour reaches, as a share of the photo's longer side. It "
            "stops at edges either way; more spreads further and changes more of the rest.")
        self.reach_box.valueChanged.connect(self._reach_changed)
        options.addWidget(QLabel("  Stroke reach"))
        options.addWidget(self.reach_box)

    def fit_views(self) -> None:
        """Fit both panes: the photo and the result."""
        self.view.fit()
        self.result_view.view.fit()

    def actual_size_views(self) -> None:
        """Both panes at 100%."""
        self.view.actual_size()
        self.result_view.view.actual_size()

    def _update_actions(self) -> None:
        has_photo = self.photo is not None
        for action in (self.load_hints_action, self.save_strokes_action, self.clear_action,
                       self.colorize_action, self.auto_action):
            action.setEnabled(has_photo)
        self.save_action.setEnabled(self.result is not None)

    # -- files ----------------------------------------------------------------------------

    def open_dropped(self, paths: list[str], position) -> None:
        self.load_photo(paths[0])

    def open_photo(self) -> None:
        path = self.ask_open("Open photo or project", "open", OPEN_FILTER)
        if path:
            self.load_photo(path)

    def document_path(self) -> str:
        return self.photo_path

    def load_photo(self, path: str) -> bool:
        """Open ``path`` as the photo (strokes and results are reset, after asking about
        unsaved work), or as a project. False when nothing was opened."""
        if self.open_path(path):
            return True
        if not self.confirm_discard(f"opening {os.path.basename(path)}"):
            return False
        loaded = []

        def read() -> None:
            check_photo_file(path)  # the command line's rule and words, from the header
            loaded.append(media.read_image(path))

        if not self.guarded("Open photo", read):
            return False
        self.set_photo(loaded[0].pixels, path)
        return True

    def set_photo(self, photo: np.ndarray, path: str = "",
                  ref: ImageRef | None = None) -> None:
        """Use ``photo`` ((H, W) or (H, W, 3) float in [0, 1]) as the image to colorize.

        ``path`` names its file (then ``ref``, the project's reference to it, is made
        from the file when not given); without a file there is no project or autosave.
        """
        self.jobs.cancel()
        self.preview_jobs.cancel()
        photo = np.asarray(photo, dtype=np.float32)
        height, width = photo.shape[:2]
        if ref is None and path and os.path.isfile(path):
            found = []
            self.guarded("Open photo", lambda: found.append(image_ref(path, (width, height))))
            ref = found[0] if found else None
        self._bind(ScribbleSession(photo, path, ref, stroke_reach=self.reach))

    def _bind(self, session: ScribbleSession) -> None:
        """Show ``session`` as the window's work, with a fresh undo history."""
        self.session = session
        self._photo_rgb = as_rgb(session.photo)  # what keep and erase strokes paint back
        self.undo_stack.clear()
        self.strokes_changed()
        self.result_view.show_result(session.photo, None)
        self.fit_views()  # a new photo, even of the same size, starts fitted in both panes
        self.set_size_text(session.shape[1], session.shape[0])
        self.project_path = ""
        self.set_title_detail(os.path.basename(session.photo_path) if session.photo_path
                              else "untitled")
        self._update_actions()
        self.mark_unchanged()

    def project_state(self) -> Project | None:
        if self.session is None or self.session.photo_ref is None:
            return None
        return self.session.to_project()

    def restore_project_state(self, project: Project, images: dict) -> None:
        """Show ``project``; its strokes are replayed as undo commands, so each restored
        stroke can be undone one by one, as if just painted."""
        session = ScribbleSession.from_project(project, images, default_reach=self.reach)
        strokes, base_marked, base_mask = session.strokes.snapshot()
        session.strokes.clear()
        result, stale = session.result, session.result_is_stale
        session.result = None
        self.jobs.cancel()
        self.preview_jobs.cancel()
        self._bind(session)
        self.rebuilding = True  # one rasterisation at the end, not one per stroke
        try:
            replay(self, self.undo_stack, strokes, base_marked, base_mask)
        finally:
            self.rebuilding = False
        self.strokes_changed()
        self.reach_box.setValue(int(round(session.stroke_reach * 100)))
        session.stroke_reach = self.reach  # what the box shows, in whole percent
        if result is not None:
            self._show_result(result)
            session.result_is_stale = stale

    def load_hints(self) -> None:
        """Load a marked image and, optionally, its mask as the bottom stroke layer."""
        session = self.session
        if session is None:
            return
        marked_path = self.ask_open("Load hints: marked image", "hints", IMAGE_FILTER)
        if not marked_path:
            return
        marked = []  # read and checked before the mask is asked for: a wrong size says so now
        if not self.guarded("Load hints", lambda: marked.append(
                self._checked_hint_image(session, media.read_image(marked_path).pixels))):
            return
        mask_path = self.ask_open("Load hints: mask (Cancel for none)", "hints", IMAGE_FILTER)

        def load() -> None:
            mask = media.read_image(mask_path).pixels if mask_path else None
            after = session.hint_file_state(marked[0], mask)
            self.undo_stack.push(SnapshotCommand(self, "load hints", self.strokes.snapshot(),
                                                 after))

        self.guarded("Load hints", load)

    @staticmethod
    def _checked_hint_image(session: ScribbleSession, marked: np.ndarray) -> np.ndarray:
        session.hint_file_state(marked)  # raises the size message when it does not fit
        return marked

    def save_strokes(self) -> None:
        """Save the strokes as a marked image plus ``<name>_mask.png``."""
        session = self.session
        if session is None:
            return
        path = self.ask_save("Save strokes as marked image", "hints", "PNG (*.png)",
                             "strokes.png")
        saved: list[str] = []
        if path and self.guarded("Save strokes",
                                 lambda: saved.extend(session.write_strokes(path))):
            present(self.statusBar()).showMessage(f"Saved {saved[0]} and {saved[1]}", 5000)

    def save_result(self) -> None:
        session = self.session
        if self.result is None or session is None:
            return
        if session.result_is_stale and QMessageBox.question(
            self, "Save result",
            "The result does not include your latest strokes (Colorize, Ctrl+R, makes a new "
            "one). Save the older result anyway?",
        ) != QMessageBox.Yes:
            return
        stem = os.path.splitext(os.path.basename(self.photo_path or "photo"))[0]
        path = self.ask_save("Save result", "save", suggestion=f"{stem}_colorized.png")
        if path and self.guarded("Save result", lambda: session.write_result(path)):
            present(self.statusBar()).showMessage(f"Saved {path}", 5000)

    # -- painting -------------------------------------------------------------------------

    def clear_strokes(self) -> None:
        if self.photo is not None and not self.strokes.empty:
            before = self.strokes.snapshot()
            self.undo_stack.push(SnapshotCommand(self, "clear", before, ([], None, None)))

    def _changed(self) -> None:
        if self.photo is not None:
            self.mark_changed()

    def _reach_changed(self, percent: int) -> None:
        settings.set_value("scribble/stroke_reach", percent)
        if self.session is not None:
            self.session.stroke_reach = percent / 100.0
            if self.session.prior_chroma is not None:
                self._changed()
                if self.preview_box.isChecked():
                    self.start_preview()  # the reach changes what the strokes do: show it

    @property
    def reach(self) -> float:
        """Stroke reach over a prior, a share of the photo's longer side (0, 1]."""
        return self.reach_box.value() / 100.0

    def strokes_changed(self) -> None:
        """Re-rasterise the strokes (the same code the engine input comes from) and show."""
        if self.session is None or self.rebuilding:
            return
        self.mark_changed()  # every stroke, undo and redo comes through here
        self.session.rasterise()
        self.view.set_image(self.marked)
        if self.preview_box.isChecked():
            self.start_preview()

    # -- engines --------------------------------------------------------------------------

    def hints(self) -> tuple[np.ndarray, np.ndarray]:
        """(hint_chroma, hint_mask) of the current strokes, as the engine reads them."""
        return hints_from_marked(self.photo, self.marked, self.mask)

    def colorize(self) -> None:
        """Colorize at full resolution through the job runner."""
        session = self.session
        if session is None:
            return
        if not session.has_hints:
            jobs.show_error(self, "Colorize",
                            "Paint a few strokes first (or start from automatic).")
            return
        found = []  # the inputs as the strokes stand now: painting on cannot change them
        if not self.guarded("Colorize", lambda: found.append(session.engine_inputs())):
            return
        inputs = found[0]

        def task(progress, cancelled):
            return inputs.colorize(progress=progress, cancelled=cancelled)

        self.jobs.start(task, self._show_result, "Colorize")

    def _show_result(self, rgb: np.ndarray) -> None:
        if self.session is None:
            return
        self.session.set_result(rgb)
        self.result_view.show_result(self._photo_rgb, rgb)
        self._update_actions()
        self._changed()

    def _preview_toggled(self, on: bool) -> None:
        settings.set_value("scribble/live_preview", on)
        if on:
            self.start_preview()

    def start_preview(self) -> None:
        """Recolour a downscaled copy in the background (a newer stroke replaces it)."""
        if self.session is None or not self.session.has_hints:
            return
        task = preview_task(self.session)
        self.preview_jobs.start(task, self._show_preview, "Preview")

    def _show_preview(self, small_rgb: np.ndarray) -> None:
        if self.session is None or self.jobs.busy:
            return
        # Keep the photo's own luminance at full resolution: only the chroma is coarse.
        self.result_view.show_result(self._photo_rgb,
                                     self.session.full_size_preview(small_rgb))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.preview_jobs.wait()
        super().closeEvent(event)
