"""The colour-transfer window: target and reference side by side, swatch pairs, transfer.

Rectangles are drawn by dragging on either photo; a click inside one selects it, dragging it
moves it, dragging its bottom-right corner resizes it, Delete removes its pair. The pairs
live in the window's Qt-free :class:`~colorize_app.sessions.transfer.TransferSession`
(photos, swatch board, settings, result), which also runs the engine, through the job runner.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QKeySequence, QPen
from PyQt5.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QLabel,
    QListWidget,
    QSplitter,
    QUndoStack,
    QVBoxLayout,
    QWidget,
)

from algorithms.regions import Rect
from colorize_app.documents.swatches import (
    SIDES,
    SwatchBoard,
    corner_hit,
    moved,
    pair_colour,
    rect_from_corners,
)
from colorize_app.gui.base_window import (
    IMAGE_FILTER,
    OPEN_FILTER,
    REGION_FILTER,
    MethodWindow,
)
from colorize_app.gui.image_view import ComparisonView, ImageView
from colorize_app.gui.qt_objects import present
from colorize_app.gui.swatch_commands import BoardCommand
from colorize_app.gui.window_tools import undo_actions
from colorize_app.io import media
from colorize_app.io.project import ImageRef, Project
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.transfer import TransferSession

#: Grab distance of a rectangle's resize corner, in screen pixels; its square's side.
HANDLE_PIXELS = 10
HANDLE_SIDE = 9
#: What each pane is called on screen.
PANE_TITLES = {"target": "Target (the photo to colour)",
               "reference": "Reference (where the colours come from)"}
#: The heading above the list of swatch pairs.
PAIRS_HEADING = "<b>Swatch pairs</b> (target &lt;- reference)"


class SwatchWindow(MethodWindow):
    """Open a target and a reference, pair swatches, transfer the colours, save."""

    project_method = "transfer"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Colour transfer", parent)
        self.session = TransferSession()
        self.selected: int | None = None
        self.undo_stack = QUndoStack(self)
        self._drag: dict[str, Any] | None = None  # the drag under way: its mode and start
        self._items: dict[str, list[QGraphicsItem]] = {side: [] for side in SIDES}
        self._rubber_bands: dict[str, QGraphicsRectItem] = {}  # a new rectangle, per side

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
            pairs = media.read_regions(path)
            before = self.board.snapshot()
            self.session.load_regions(pairs)
            self._push("load regions", before)

        self.guarded("Load regions", load)

    def save_regions(self) -> None:
        path = self.ask_save("Save regions", "regions", REGION_FILTER, self.regions_name())
        if path:
            self.guarded("Save regions", lambda: media.write_regions(
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

    # -- rectangles -----------------------------------------------------------------------

    def _size(self, side: str) -> tuple[int, int]:
        image = self.images[side]
        return (0, 0) if image is None else (image.shape[1], image.shape[0])

    def _press(self, side: str, point: QPointF) -> None:
        if self.images[side] is None:
            return
        x, y = point.x(), point.y()
        before = self.board.snapshot()
        corner = self._corner_hit(side, x, y)
        if corner is not None:
            self.select(corner)
            self._drag = {"mode": "resize", "index": corner, "before": before}
            return
        index = self.board.hit(side, x, y)
        if index is not None:
            self.select(index)
            self._drag = {"mode": "move", "index": index, "before": before, "start": (x, y),
                          "rect": self.board.entries[index].get(side)}
            return
        self._drag = {"mode": "new", "start": (x, y), "before": before}

    def _corner_hit(self, side: str, x: float, y: float) -> int | None:
        """The pair whose ``side`` rectangle has its resize corner at image point (x, y)."""
        grab = HANDLE_PIXELS / max(self.views[side].zoom(), 1e-6)  # in image pixels
        return corner_hit(self.board.entries, side, x, y, grab, first=self.selected)

    def _move(self, side: str, point: QPointF) -> None:
        if self._drag is None:
            return
        width, height = self._size(side)
        x, y = point.x(), point.y()
        mode = self._drag["mode"]
        if mode == "new":
            start_x, start_y = self._drag["start"]
            self._drag["rect"] = rect_from_corners(start_x, start_y, x, y, width, height)
            self._show_rubber_band(side, self._drag["rect"])
            return
        entry = self.board.entries[self._drag["index"]]
        if mode == "move":
            start_x, start_y = self._drag["start"]
            dx = int(np.floor(x)) - int(np.floor(start_x))
            dy = int(np.floor(y)) - int(np.floor(start_y))
            entry.set(side, moved(self._drag["rect"], dx, dy, width, height))
        else:
            rect = entry.get(side)
            resized = rect_from_corners(rect.x, rect.y, x, y, width, height)
            if resized is not None:
                entry.set(side, resized)
        self.refresh()

    def _release(self, side: str, point: QPointF) -> None:
        if self._drag is None:
            return
        self._move(side, point)
        drag, self._drag = self._drag, None
        self._show_rubber_band(side, None)
        if drag["mode"] == "new":
            rect = drag.get("rect")
            if rect is None or rect.width < 2 or rect.height < 2:
                return  # a click on empty space, not a rectangle
            index = self.board.add(side, rect)
            text = "add swatch"
        else:
            index = drag["index"]
            text = f"{drag['mode']} swatch"
        if self.board.entries != drag["before"]:
            self._push(text, drag["before"])
        self.select(index)

    def _show_rubber_band(self, side: str, rect: Rect | None) -> None:
        band = self._rubber_bands.get(side)
        if band is None:
            band = present(self.views[side].scene().addRect(
                QRectF(), QPen(QColor(255, 255, 255), 0, Qt.PenStyle.DashLine)))
            band.setZValue(10)
            self._rubber_bands[side] = band
        band.setVisible(rect is not None)
        if rect is not None:
            band.setRect(QRectF(rect.x, rect.y, rect.width, rect.height))

    def select(self, index: int | None) -> None:
        """Select pair ``index`` (None: nothing) in the views and the list."""
        self.selected = index if index is not None and index < len(self.board.entries) else None
        self.refresh()

    def _list_selected(self, row: int) -> None:
        if row >= 0 and row != self.selected:
            self.select(row)

    def delete_selected(self) -> None:
        if self.selected is None:
            return
        before = self.board.snapshot()
        self.board.remove(self.selected)
        self.selected = None
        self._push("delete pair", before)

    def _push(self, text: str, before: list) -> None:
        """Record the board's change from ``before`` to now as one undo step."""
        self.undo_stack.push(BoardCommand(self.session, text, before, self.board.snapshot(),
                                          self.board_changed))

    def board_changed(self) -> None:
        """The swatch pairs changed (a drawn, moved, deleted or undone rectangle)."""
        self.refresh()
        self.mark_changed()

    def refresh(self) -> None:
        """Redraw the rectangles and the list from the board."""
        if self.selected is not None and self.selected >= len(self.board.entries):
            self.selected = None
        for side in SIDES:
            scene = self.views[side].scene()
            for item in self._items[side]:
                scene.removeItem(item)
            self._items[side] = []
            for index, entry in enumerate(self.board.entries):
                rect = entry.get(side)
                if rect is None:
                    continue
                colour = QColor(*pair_colour(index))
                pen = QPen(colour, 3 if index == self.selected else 2)
                pen.setCosmetic(True)
                fill = QColor(colour)
                fill.setAlpha(60 if index == self.selected else 25)
                item = present(scene.addRect(QRectF(rect.x, rect.y, rect.width, rect.height),
                                             pen, QBrush(fill)))
                label = present(scene.addSimpleText(str(index + 1),
                                                    QFont("Sans", 12, QFont.Weight.Bold)))
                label.setBrush(QBrush(colour))
                label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
                label.setPos(rect.x + 2, rect.y + 1)
                # The resize corner: a square of fixed screen size on the bottom-right corner.
                half = HANDLE_SIDE / 2
                handle = present(scene.addRect(QRectF(-half, -half, HANDLE_SIDE, HANDLE_SIDE),
                                               QPen(QColor(255, 255, 255), 1), QBrush(colour)))
                handle.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
                handle.setPos(rect.x + rect.width, rect.y + rect.height)
                handle.setZValue(6)
                self._items[side] += [item, label, handle]
        self.pair_list.blockSignals(True)
        self.pair_list.clear()
        for index in range(len(self.board.entries)):
            # Two lines: the reference's coordinates are not cut off in a narrow list.
            self.pair_list.addItem(self.board.describe(index).replace("  <-  ", "\n    <- "))
            present(self.pair_list.item(index)).setForeground(QBrush(QColor(*pair_colour(index))))
        self.pair_list.setCurrentRow(-1 if self.selected is None else self.selected)
        self.pair_list.blockSignals(False)
        self.transfer_action.setEnabled(self.session.ready)
        self.save_action.setEnabled(self.result is not None)

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
