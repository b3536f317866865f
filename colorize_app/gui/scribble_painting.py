"""The scribble window's painting: the brush following the pointer, and the eyedropper.

Mixed into :class:`~colorize_app.gui.scribble_window.ScribbleWindow`, which provides the
session, the two image views, the brush panel and the undo stack. A stroke being drawn is
painted into the session's marked image in place and only the pixels it can have changed
are redrawn; on release it becomes one undo step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PyQt5.QtCore import QPointF
from PyQt5.QtGui import QColor

from colorize_app.documents.strokes import Stroke, apply_stroke
from colorize_app.gui.qt_objects import present
from colorize_app.gui.scribble_state import AddStrokeCommand

if TYPE_CHECKING:  # the window's parts this mixin uses (see scribble_host)
    from colorize_app.gui.scribble_host import ScribbleHost as _Window
else:
    _Window = object


class PaintingMixin(_Window):
    """Pointer handlers of the scribble window (``view.pressed`` etc. connect to them)."""

    def _pixel(self, point: QPointF) -> tuple[float, float]:
        # The brush is centred on the pixel under the cursor (strokes use pixel indices).
        return float(np.floor(point.x())), float(np.floor(point.y()))

    def _press(self, point: QPointF) -> None:
        if self.photo is None:
            return
        tool = self.brush.tool
        if tool == "pick":
            self._pick(point, from_result=False)
            return
        self._stroke = Stroke([self._pixel(point)], self.brush.rgb(),
                              float(self.brush.brush_width), tool)
        self._paint_from(0)

    def _press_result(self, point: QPointF) -> None:
        if self.photo is not None and self.brush.tool == "pick":
            self._pick(point, from_result=True)

    def _pick(self, point: QPointF, from_result: bool) -> None:
        """The eyedropper: take the colour shown under the cursor as the brush colour.

        On the photo pane a stroke's colour wins; elsewhere (and on the result pane) the
        colour the photo has in the result, else the photo's own colour. A gray pixel with
        nothing to take is said so, and the brush stays as it was.
        """
        session = self.session
        if session is None:  # no photo open
            return
        x, y = int(np.floor(point.x())), int(np.floor(point.y()))
        height, width = session.shape
        if not (0 <= x < width and 0 <= y < height):
            return
        shown = self.result_view.view
        if not from_result and session.mask[y, x]:
            rgb, where = session.marked[y, x], "stroke"
        elif shown.has_after and self.result is not None:
            rgb, where = self.result[y, x], "result"
        else:
            rgb, where = self._photo_rgb[y, x], "photo"
        red, green, blue = (float(v) for v in rgb)
        if where == "photo" and max(red, green, blue) - min(red, green, blue) < 1 / 255:
            present(self.statusBar()).showMessage(
                f"Eyedropper: no colour at x {x}, y {y} (click a stroke or the result)", 6000)
            return
        colour = QColor.fromRgbF(red, green, blue)
        self.brush.set_colour(colour)
        self.brush.set_tool("paint")
        present(self.statusBar()).showMessage(
            f"Brush colour {colour.name()} from the {where}", 5000)

    def _drag(self, point: QPointF) -> None:
        if self._stroke is None:
            return
        pixel = self._pixel(point)
        if pixel == self._stroke.points[-1]:
            return  # the pointer moved within one pixel: nothing new to paint
        self._stroke.points.append(pixel)
        self._paint_from(len(self._stroke.points) - 1)

    def _paint_from(self, start: int) -> None:
        """Paint the stroke being drawn from point ``start`` on, and redraw only the
        pixels it can have changed."""
        stroke, session = self._stroke, self.session
        if stroke is None or session is None:  # nothing being drawn
            return
        apply_stroke(self._photo_rgb, session.marked, session.mask, stroke, start=start)
        points = np.asarray(stroke.points[max(start - 1, 0):], dtype=np.float64)
        reach = max(stroke.width, 1.0) / 2.0 + 1.0
        left, top = np.floor(points.min(axis=0) - reach).astype(int)
        right, bottom = np.ceil(points.max(axis=0) + reach).astype(int) + 1
        self.view.update_region(session.marked, left, top, right, bottom)

    def _release(self, point: QPointF) -> None:
        if self._stroke is None:
            return
        stroke, self._stroke = self._stroke, None
        if self._pixel(point) != stroke.points[-1]:
            stroke.points.append(self._pixel(point))
        self.undo_stack.push(AddStrokeCommand(self, stroke))
