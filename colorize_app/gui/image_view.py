"""One reusable image view: wheel zoom, pan, fit, 100%, and a before/after split.

Scene coordinates are image pixels (x = column, y = row). Left-button presses, drags and
releases are reported as signals in image coordinates, so windows implement their tools
(brush, rectangles) without subclassing; the middle or right button pans.
"""

from __future__ import annotations

import numpy as np
from PyQt5 import sip
from PyQt5.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PyQt5.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QScrollBar,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from colorize_app.gui.qt_objects import present

ZOOM_STEP = 1.25
ZOOM_LIMITS = (0.02, 64.0)


def to_qimage(image: np.ndarray) -> QImage:
    """A gray (H, W) or RGB (H, W, 3) float image in [0, 1] as an 8-bit QImage (a copy)."""
    image = np.asarray(image)
    levels = np.rint(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    if levels.ndim == 2:
        levels = np.ascontiguousarray(levels)
        height, width = levels.shape
        qimage = QImage(sip.voidptr(levels.data), width, height, width,
                        QImage.Format.Format_Grayscale8)
    else:
        levels = np.ascontiguousarray(levels[..., :3])
        height, width = levels.shape[:2]
        qimage = QImage(sip.voidptr(levels.data), width, height, 3 * width,
                        QImage.Format.Format_RGB888)
    return qimage.copy()  # detach from the numpy buffer


class ImageView(QGraphicsView):
    """A zoomable, pannable view of one image, optionally split with an 'after' image.

    Signals
    -------
    pressed, dragged, released : (QPointF)
        Left-button events in image coordinates.
    cursor_moved : (int, int)
        Image column and row under the cursor.
    """

    pressed = pyqtSignal(QPointF)
    dragged = pyqtSignal(QPointF)
    released = pyqtSignal(QPointF)
    cursor_moved = pyqtSignal(int, int)
    zoom_changed = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        # Zoom keeps its anchor point by scrolling itself (see zoom_at): Qt's own anchor
        # follows the last mouse move, not the wheel event, and drifts.
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setBackgroundBrush(QColor(48, 48, 48))
        # The view scrolls over the image plus a viewport of margin on each side (see
        # _update_margins), so any image point can stay under the cursor while zooming;
        # scroll bars over that margin would mislead, so panning is by dragging.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.before_item = QGraphicsPixmapItem()
        self.before_item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.scene().addItem(self.before_item)
        # The 'after' image is shown right of the split line only: a clipping parent does it.
        self._clip = QGraphicsRectItem()
        self._clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        self._clip.setPen(QPen(Qt.PenStyle.NoPen))
        self.scene().addItem(self._clip)
        self.after_item = QGraphicsPixmapItem(self._clip)
        self.split_line = present(self.scene().addLine(0, 0, 0, 0, QPen(QColor(255, 255, 255), 0)))
        self.split_line.setZValue(5)
        self._split = 0.0
        self._has_after = False
        self._pan_start: QPointF | None = None
        self._left_down = False
        self._fit_on_resize = True
        self.set_after(None)

    def scene(self) -> QGraphicsScene:
        """The view's scene, made with it and never replaced."""
        return present(super().scene())

    def _viewport(self) -> QWidget:
        return present(self.viewport())  # a scroll area always has its viewport

    def _horizontal_bar(self) -> QScrollBar:
        return present(self.horizontalScrollBar())  # kept though hidden (ScrollBarAlwaysOff)

    def _vertical_bar(self) -> QScrollBar:
        return present(self.verticalScrollBar())

    # -- content --------------------------------------------------------------------------

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the shown image, (0, 0) when empty."""
        pixmap = self.before_item.pixmap()
        return pixmap.width(), pixmap.height()

    def set_image(self, image: np.ndarray | None, fit: bool = False) -> None:
        """Show ``image`` (float, [0, 1]).

        An image of the shown size replaces the pixels only: every image pixel stays
        exactly where it is on screen (painting, previews and video frames update this
        way). A new size drops the 'after' image and fits the view.
        """
        old_size = self.image_size()
        pixmap = QPixmap() if image is None else QPixmap.fromImage(to_qimage(image))
        self.before_item.setPixmap(pixmap)
        if self.image_size() != old_size:
            self.set_after(None)
            self._update_margins()
        self._update_split()
        if fit or self.image_size() != old_size:
            self.fit()

    def update_region(self, image: np.ndarray, left: int, top: int, right: int,
                      bottom: int) -> None:
        """Redraw the pixels ``[top:bottom, left:right]`` of ``image`` (the shown image
        with some pixels changed, same size), without converting the whole image: a brush
        stroke on a large photo stays fluid. The view does not move."""
        width, height = self.image_size()
        if (width, height) != (image.shape[1], image.shape[0]):
            self.set_image(image)
            return
        left, top = max(int(left), 0), max(int(top), 0)
        right, bottom = min(int(right), width), min(int(bottom), height)
        if right <= left or bottom <= top:
            return
        pixmap = self.before_item.pixmap()
        painter = QPainter(pixmap)
        painter.setCompositionMode(QPainter.CompositionMode_Source)
        painter.drawImage(left, top, to_qimage(image[top:bottom, left:right]))
        painter.end()
        self.before_item.setPixmap(pixmap)

    def set_after(self, image: np.ndarray | None) -> None:
        """Show ``image`` right of the split line (None hides it)."""
        self._has_after = image is not None
        pixmap = QPixmap() if image is None else QPixmap.fromImage(to_qimage(image))
        self.after_item.setPixmap(pixmap)
        self._clip.setVisible(self._has_after)
        self.split_line.setVisible(self._has_after and 0.0 < self._split < 1.0)
        self._update_split()

    @property
    def has_after(self) -> bool:
        """True while an 'after' image is shown."""
        return self._has_after

    def set_split(self, fraction: float) -> None:
        """Put the split line at ``fraction`` of the width: 'before' left of it, 'after'
        right of it (0: all 'after', 1: all 'before')."""
        self._split = float(min(max(fraction, 0.0), 1.0))
        self._update_split()

    def _update_split(self) -> None:
        width, height = self.image_size()
        x = width * self._split
        self._clip.setRect(QRectF(x, 0, width - x, height))
        self.split_line.setLine(x, 0, x, height)
        self.split_line.setVisible(self._has_after and 0.0 < self._split < 1.0)

    # -- zoom -----------------------------------------------------------------------------

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        """Set the zoom to ``factor`` (1.0 is 100%), keeping the view's centre in place."""
        self.zoom_at(factor, QPointF(self._viewport().rect().center()))

    def zoom_at(self, factor: float, view_pos: QPointF) -> None:
        """Zoom to ``factor``; the image point at viewport position ``view_pos`` stays
        under it (to the nearest whole screen pixel, the view's scrolling unit)."""
        factor = min(max(factor, ZOOM_LIMITS[0]), ZOOM_LIMITS[1])
        view_pos = QPointF(view_pos)
        inverse, _ = self.viewportTransform().inverted()
        anchor = inverse.map(view_pos)
        self._fit_on_resize = False
        self.resetTransform()
        self.scale(factor, factor)
        self._update_margins()
        self._scroll_to(anchor, view_pos)
        self.zoom_changed.emit(factor)

    def _scroll_to(self, scene_point: QPointF, view_pos: QPointF) -> None:
        """Scroll so that ``scene_point`` lands on viewport position ``view_pos``.

        With the margins of _update_margins the scene is always wider and taller than the
        viewport, so Qt maps viewport p to scene (p + scroll) / zoom exactly, with the
        scroll bars' whole-pixel values as ``scroll``.
        """
        zoom = self.zoom()
        self._horizontal_bar().setValue(int(round(scene_point.x() * zoom - view_pos.x())))
        self._vertical_bar().setValue(int(round(scene_point.y() * zoom - view_pos.y())))

    def actual_size(self) -> None:
        """Zoom to 100%."""
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Zoom so that the whole image fits the view, centred."""
        width, height = self.image_size()
        if width and height:
            self.resetTransform()
            self.fitInView(QRectF(0, 0, width, height), Qt.AspectRatioMode.KeepAspectRatio)
            self._update_margins()
            viewport = self._viewport().rect()
            self._scroll_to(QPointF(width / 2, height / 2),
                            QPointF(viewport.width() / 2, viewport.height() / 2))
            self.zoom_changed.emit(self.zoom())
        self._fit_on_resize = True

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt name)
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_at(self.zoom() * ZOOM_STEP**steps, event.position())
        event.accept()

    def _update_margins(self) -> None:
        """Let the view scroll one viewport past each image edge at the current zoom (an
        image smaller than the view would otherwise be held centred).

        Changing the scene rectangle changes the scroll bars' ranges, and Qt re-clamps
        their values; the values are put back, so no image pixel moves on screen. (Centring
        on a point taken from the viewport instead loses up to a pixel each time: the view
        drifted with every update.)
        """
        width, height = self.image_size()
        zoom = max(self.zoom(), 1e-6)
        margin_x = self._viewport().width() / zoom
        margin_y = self._viewport().height() / zoom
        scroll = (self._horizontal_bar().value(), self._vertical_bar().value())
        self.setSceneRect(QRectF(-margin_x, -margin_y, width + 2 * margin_x,
                                 height + 2 * margin_y))
        self._horizontal_bar().setValue(scroll[0])
        self._vertical_bar().setValue(scroll[1])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_on_resize:
            self.fit()
        else:
            self._update_margins()

    # -- mouse ----------------------------------------------------------------------------

    def image_point(self, view_pos) -> QPointF:
        """Image coordinates of the centre of the viewport pixel at ``view_pos``.

        Image pixel (c, r) covers [c, c + 1) x [r, r + 1), so ``floor`` of the result is the
        pixel under the cursor at any zoom.
        """
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(QPointF(view_pos) + QPointF(0.5, 0.5))

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_start = QPointF(event.pos())
            self._viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif event.button() == Qt.MouseButton.LeftButton:
            self._left_down = True
            self.pressed.emit(self.image_point(event.pos()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        point = self.image_point(event.pos())
        self.cursor_moved.emit(int(np.floor(point.x())), int(np.floor(point.y())))
        if self._pan_start is not None:
            delta = QPointF(event.pos()) - self._pan_start
            self._pan_start = QPointF(event.pos())
            self._horizontal_bar().setValue(
                self._horizontal_bar().value() - int(delta.x()))
            self._vertical_bar().setValue(self._vertical_bar().value() - int(delta.y()))
        elif self._left_down:
            self.dragged.emit(point)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_start = None
            self._viewport().unsetCursor()
        elif event.button() == Qt.MouseButton.LeftButton and self._left_down:
            self._left_down = False
            self.released.emit(self.image_point(event.pos()))
        event.accept()


class ComparisonView(QWidget):
    """An :class:`ImageView` with a before/after slider under it (for results)."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = ImageView()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(0)
        self.slider.setToolTip("Before / after: the input shows left of the line, the result "
                               "right of it; drag to move the line")
        self.slider.valueChanged.connect(lambda value: self.view.set_split(value / 100.0))
        row = QHBoxLayout()
        row.addWidget(QLabel("before"))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("after"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if title:
            layout.addWidget(QLabel(title))
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.set_slider_enabled(False)

    def set_slider_enabled(self, enabled: bool) -> None:
        self.slider.setEnabled(enabled)

    def show_result(self, before: np.ndarray, after: np.ndarray | None) -> None:
        """Show ``after`` over ``before`` with the split slider (``after`` None: input only)."""
        self.view.set_image(before)
        self.view.set_after(after)
        self.set_slider_enabled(after is not None)

