"""The colour-transfer window: target and reference side by side, swatch pairs, transfer.

Rectangles are drawn by dragging on either photo; a click inside one selects it, dragging it
moves it, dragging its bottom-right corner resizes it, Delete removes its pair. The pairs
live in the window's Qt-free :class:`~colorize_app.sessions.transfer.TransferSession`
(photos, swatch board, settings, result), which also runs the engine, through the job runner.
This module lays out the window and holds its files and transfer; the rectangles' drawing,
dragging and selection are :class:`~colorize_app.gui.swatch_rectangles.SwatchRectanglesMixin`.
"""

from __future__ import annotations

import os

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QLabel,
    QListWidget,
    QSplitter,
    QUndoStack,
    QVBoxLayout,
    QWidget,
)

from colorize_app.documents.swatches import SIDES, SwatchBoard
from colorize_app.gui.base_window import (
    IMAGE_FILTER,
    OPEN_FILTER,
    REGION_FILTER,
    MethodWindow,
)
from colorize_app.gui.image_view import ComparisonView, ImageView
from colorize_app.gui.qt_objects import present
from colorize_app.gui.swatch_rectangles import SwatchRectanglesMixin
from colorize_app.gui.window_tools import undo_actions
from colorize_app.io import media, text_files
from colorize_app.io.project import ImageRef, Project
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.transfer import TransferSession

#: What each pane is called on screen.
PANE_TITLES = {"target": "Target (the photo to colour)",
               "reference": "Reference (where the colours come from)"}
#: The heading above the list of swatch pairs.
PAIRS_HEADING = "<b>Swatch pairs</b> (target &lt;- reference)"


class SwatchWindow(SwatchRectanglesMixin, MethodWindow):
    """Open a target and a reference, pair swatches, transfer the colours, save."""

    project_method = "transfer"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Colour transfer", parent)
        self.session = TransferSession()
        self.selected = None  # the selected pair's index (see SwatchRectanglesMixin)
        self.undo_stack = QUndoStack(self)
        self._drag = None  # the drag under way (see SwatchRectanglesMixin)
        self._items = {side: [] for side in SIDES}
        self._rubber_bands = {}

        self.views = {side: ImageView() for side in SIDES}
        self.pair_list = QListWidget()
        self.pair_list.setToolTip("Swatch pairs: the target's rectangle takes the colours of "
                                  "the reference's (Delete removes the selected pair)")
        self.pair_list.currentRowChanged.connect(self._list_selected)
        self.result_view = ComparisonView("Result")
        top = QSplitter(Qt.Orientation.Horizontal)
        for side in SIDES:
            view = self.views[side]
            view.setToolTip(f"{PANE_TITLES[side]}: drag to draw a swatch; drag inside one to "
                            "move it, its corner square to resize it")
            view.pressed.connect(lambda point, s=side: self._press(s, point))
            view.dragged.connect(lambda point, s=side: self._move(s, point))
            view.released.connect(lambda point, s=side: self._release(s, point))
            self.watch_view(view)
            pane = QWidget()
            pane_layout = QVBoxLayout(pane)
            pane_layout.setContentsMargins(0, 0, 0, 0)
            title = QLabel(f"<b>{PANE_TITLES[side]}</b>")
            title.setObjectName(f"title_{side}")
            pane_layout.addWidget(title)
            pane_layout.addWidget(view, 1)
            top.addWidget(pane)
        pairs_pane = QWidget()
        pairs_layout = QVBoxLayout(pairs_pane)
        pairs_layout.setContentsMargins(0, 0, 0, 0)
        self.pair_heading = QLabel(PAIRS_HEADING)
        self.pair_heading.setObjectName("title_pairs")
        self.pair_heading.setWordWrap(True)
        pairs_layout.addWidget(self.pair_heading)
        pairs_layout.addWidget(self.pair_list, 1)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(pairs_pane)
        bottom.addWidget(self.result_view)
        bottom.setSizes([340, 660])
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(top)
        outer.addWidget(bottom)
        outer.setSizes([400, 300])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(outer)
        self.setCentralWidget(central)
        self._build_actions()
        self.refresh()

    def _build_actions(self) -> None:
        file_menu, edit_menu = self.file_menu, self.edit_menu
        self.open_action = self.add_action(
            "Open target...", lambda: self.open_image("target"), QKeySequence.Open,
            file_menu, tip="Open the photo to colour, or a project (Ctrl+O)")
        self.add_action("Open reference...", lambda: self.open_image("reference"),
                        "Ctrl+Shift+O", file_menu, tip="Open the colour photo to copy from")
        self.add_action("Load regions...", self.load_regions, None, file_menu,
                        tip="Load swatch pairs from a region file")
        self.add_action("Save regions...", self.save_regions, None, file_menu, toolbar=False)
        self.save_action = self.add_action("Save result...", self.save_result, "Ctrl+E",
                                           file_menu, tip="Save the coloured target (Ctrl+E)")
        self.add_project_actions()
        self.undo_action, self.redo_action = undo_actions(self, self.undo_stack)
        for action in (self.undo_action, self.redo_action):
            edit_menu.addAction(action)
            self.addAction(action)
        self.add_action("Delete pair", self.delete_selected, QKeySequence.Delete, edit_menu,
                        tip="Delete the selected swatch pair (Delete)")
        self.toolbar.addSeparator()
        self.transfer_action = self.add_action(
            "Transfer", self.transfer, "Ctrl+R", edit_menu,
            tip="Transfer the colours: by swatch pairs, or the whole image when there is none")
        for side in SIDES:
            self.add_action(f"Fit {side}", self.views[side].fit, None, self.view_menu,
                            toolbar=False)

    # -- the session, as the widgets read it ------------------------------------------------

    @property
    def board(self) -> SwatchBoard:
        return self.session.board

    @property
    def result(self) -> np.ndarray | None:
        return self.session.result

    @result.setter
    def result(self, rgb: np.ndarray | None) -> None:
        self.session.result = rgb

    @property
    def images(self) -> dict[str, np.ndarray | None]:
        """Side -> the photo's pixels (None until opened)."""
        return {side: self.session.pixels(side) for side in SIDES}

    @property
    def paths(self) -> dict[str, str]:
        """Side -> the photo's file ("" when none)."""
        return {side: "" if photo is None else photo.path
                for side, photo in self.session.photos.items()}

    def project_state(self) -> Project | None:
        project = self.session.to_project()
        return project if project.images else None

    def restore_project_state(self, project: Project, images: dict) -> None:
        session = TransferSession.from_project(project, images)  # raises before any change
        self.jobs.cancel()
        self.session = session
        self.selected = None
        self.undo_stack.clear()
        for side in SIDES:
            if session.photos[side] is not None:
                self._show_photo(side)
        self._show_result_view()
        self.refresh()

    # -- files ----------------------------------------------------------------------------

    def open_image(self, side: str) -> None:
        path = self.ask_open(f"Open {side}", "open",
                             OPEN_FILTER if side == "target" else IMAGE_FILTER)
        if path:
            self.load_image(side, path)

    def document_path(self) -> str:
        return self.paths["target"] or self.paths["reference"]

    def load_image(self, side: str, path: str) -> bool:
        """Open ``path`` as the ``side`` photo (or, a project file, as the whole window);
        replacing a photo asks about unsaved work first. False when nothing was opened."""
        if self.open_path(path):
            return True
        if self.images[side] is not None and not self.confirm_discard(
                f"replacing the {side} with {os.path.basename(path)}"):
            return False
        loaded = []

        def read() -> None:
            self.session.check_photo_file(side, path)  # from the header, before decoding
            loaded.append(media.read_image(path))

        if not self.guarded(f"Open {side}", read):
            return False
        self.set_image(side, loaded[0].pixels, path)
        return True

    def set_image(self, side: str, image: np.ndarray, path: str = "",
                  ref: ImageRef | None = None) -> None:
        """Show ``image`` as the ``side`` photo; rectangles that no longer fit are dropped.

        ``ref`` is the project's reference to the file ``path`` (made from it when not given).
        """
        self.jobs.cancel()
        height, width = np.shape(image)[:2]
        if ref is None and path and os.path.isfile(path):
            found = []
            self.guarded(f"Open {side}", lambda: found.append(image_ref(path, (width, height))))
            ref = found[0] if found else None
        has_pairs = self.session.set_photo(side, image, path, ref)
        self.undo_stack.clear()
        self._show_photo(side)
        if side == "target":
            self._show_result_view()
        self.refresh()
        if has_pairs:
            self.mark_changed()

    def _show_photo(self, side: str) -> None:
        """Show the session's ``side`` photo (the target also names the window)."""
        photo = self.session.photos[side]
        if photo is None:
            return
        self.views[side].set_image(photo.pixels, fit=True)
        if side == "target":
            self.set_size_text(*photo.size)
            self.set_title_detail(os.path.basename(photo.path) if photo.path else "untitled")

    def _show_result_view(self) -> None:
        """The result pane: the target before, the session's result (if any) after."""
        target = self.session.pixels("target")
        if target is None:
            return
        before = target if target.ndim == 3 else np.repeat(target[..., None], 3, axis=2)
        self.result_view.show_result(before, self.result)

    def open_dropped(self, paths: list[str], position) -> None:
        if len(paths) >= 2:
            self.load_image("target", paths[0])
            self.load_image("reference", paths[1])
            return
        under = self.childAt(position)
        side = next((s for s, view in self.views.items()
                     if under is not None and (under is view or view.isAncestorOf(under))),
                    "target" if self.images["target"] is None else "reference")
        self.load_image(side, paths[0])

    def load_regions(self) -> None:
        path = self.ask_open("Load regions", "regions", REGION_FILTER)
        if not path:
            return

        def load() -> None:
            pairs = text_files.read_regions(path)
            before = self.board.snapshot()
            self.session.load_regions(pairs)
            self._push("load regions", before)

        self.guarded("Load regions", load)

    def save_regions(self) -> None:
        path = self.ask_save("Save regions", "regions", REGION_FILTER, self.regions_name())
        if path:
            self.guarded("Save regions", lambda: text_files.write_regions(
                path, self.board.pairs(), inputs=[p for p in self.paths.values() if p]))

    def regions_name(self) -> str:
        """The region file's suggested name: ``<target stem>_swatches.json`` (the reference's
        stem before a target is open)."""
        photo = self.paths["target"] or self.paths["reference"]
        stem = os.path.splitext(os.path.basename(photo))[0] if photo else "photo"
        return f"{stem}_swatches.json"

    def save_result(self) -> None:
        result = self.result
        if result is None:
            return
        stem = os.path.splitext(os.path.basename(self.paths["target"] or "target"))[0]
        path = self.ask_save("Save result", "save", suggestion=f"{stem}_transfer.png")
        if path and self.guarded("Save result", lambda: media.write_image(
                path, result, inputs=[p for p in self.paths.values() if p])):
            present(self.statusBar()).showMessage(f"Saved {path}", 5000)

    # -- transfer -------------------------------------------------------------------------

    def transfer(self) -> None:
        """Transfer through the job runner: swatch mode when complete pairs exist."""
        if not self.session.ready:
            return
        # The task holds the inputs as they are now: editing swatches meanwhile is safe.
        self.jobs.start(self.session.transfer_task(), self._show_result, "Colour transfer")

    def _show_result(self, outcome) -> None:
        self.session.set_result(outcome)
        self._show_result_view()
        if outcome.warnings:
            present(self.statusBar()).showMessage("; ".join(outcome.warnings), 10000)
        self.refresh()
        self.mark_changed()
