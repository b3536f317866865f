"""The colour-transfer window's swatch rectangles: drawing, moving, resizing, selecting.

Mixed into :class:`~colorize_app.gui.swatch_window.SwatchWindow`, which provides the session
(its swatch board), the two image views, the pair list and the undo stack. A drag on a photo
draws a rectangle, a drag inside one moves it, a drag on its bottom-right corner resizes it;
each finished drag, and each deleted pair, is one undo step. :meth:`refresh` redraws the
rectangles and the pair list from the board.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QPen
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsRectItem

from algorithms.regions import Rect
from colorize_app.documents.swatches import (
    SIDES,
    corner_hit,
    moved,
    pair_colour,
    rect_from_corners,
)
from colorize_app.gui.qt_objects import present
from colorize_app.gui.swatch_commands import BoardCommand

#: Grab distance of a rectangle's resize corner, in screen pixels; its square's side.
HANDLE_PIXELS = 10
HANDLE_SIDE = 9

if TYPE_CHECKING:  # declarations for the type checker only: nothing here runs
    from PyQt5.QtWidgets import QAction, QListWidget, QUndoStack

    from colorize_app.documents.swatches import SwatchBoard
    from colorize_app.gui.base_window import MethodWindow
    from colorize_app.gui.image_view import ImageView
    from colorize_app.sessions.transfer import TransferSession

    class SwatchHost(MethodWindow):
        """The colour-transfer window's attributes and methods its rectangles mixin uses."""

        session: TransferSession
        views: dict[str, ImageView]  # side -> the photo's pane
        pair_list: QListWidget
        undo_stack: QUndoStack
        transfer_action: QAction
        save_action: QAction

        @property
        def board(self) -> SwatchBoard: ...

        @property
        def result(self) -> np.ndarray | None: ...

        @property
        def images(self) -> dict[str, np.ndarray | None]: ...

    _Window = SwatchHost
else:
    _Window = object


class SwatchRectanglesMixin(_Window):
    """Pointer handlers, selection and drawing of the swatch pairs (``view.pressed`` etc. and
    the pair list connect to them)."""

    selected: int | None  # the selected pair's index
    _drag: dict[str, Any] | None  # the drag under way: its mode and start
    _items: dict[str, list[QGraphicsItem]]  # side -> the drawn rectangles, labels, corners
    _rubber_bands: dict[str, QGraphicsRectItem]  # a new rectangle, per side

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
