"""The image view: zoom with the wheel, fit, 100%, before/after split, cursor position."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent, QWheelEvent
from PyQt5.QtWidgets import QApplication

from colorize_app.gui.image_view import ComparisonView, ImageView, to_qimage


def make_view(qtbot, image):
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(image, fit=True)
    return view


def wheel(view, steps, position=None):
    centre = QPointF(view.viewport().rect().center()) if position is None else QPointF(position)
    event = QWheelEvent(centre, QPointF(view.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase,
                        False)
    QApplication.sendEvent(view.viewport(), event)


def test_fit_wheel_zoom_and_actual_size(qtbot):
    view = make_view(qtbot, np.zeros((100, 800)))
    assert view.image_size() == (800, 100)
    assert view.zoom() < 0.5  # 800 pixels wide in a 400 pixel view
    fitted = view.zoom()
    wheel(view, 1)
    assert np.isclose(view.zoom(), fitted * 1.25)
    wheel(view, -2)
    assert np.isclose(view.zoom(), fitted / 1.25)
    view.actual_size()
    assert view.zoom() == 1.0
    view.fit()
    assert np.isclose(view.zoom(), fitted)


def test_wheel_zoom_keeps_the_pixel_under_the_cursor(qtbot):
    view = make_view(qtbot, np.zeros((600, 800)))
    view.actual_size()
    view.horizontalScrollBar().setValue(150)
    view.verticalScrollBar().setValue(90)
    cursor = QPoint(97, 61)

    def under_cursor():
        point = view.image_point(cursor)
        return np.array([point.x(), point.y()])

    start = under_cursor()
    for steps in (1, 1, -1, -1, -1):  # in twice, then out below 100%
        wheel(view, steps, cursor)
        assert np.abs(under_cursor() - start).max() <= 1.0, (steps, under_cursor(), start)
    assert np.isclose(view.zoom(), 1 / 1.25)


def test_cursor_position_is_reported_in_image_pixels(qtbot):
    view = make_view(qtbot, np.zeros((50, 60, 3)))
    view.actual_size()
    seen = []
    view.cursor_moved.connect(lambda x, y: seen.append((x, y)))
    centre = view.viewportTransform().map(QPointF(12.5, 34.5))
    target = QPoint(int(np.floor(centre.x())), int(np.floor(centre.y())))
    qtbot.mouseMove(view.viewport(), target)
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen[-1] == (12, 34)


def test_split_shows_before_left_and_after_right_of_the_line(qtbot):
    before = np.zeros((20, 40, 3))
    after = np.ones((20, 40, 3))
    comparison = ComparisonView()
    qtbot.addWidget(comparison)
    comparison.show_result(before, after)
    assert comparison.slider.isEnabled() and comparison.view.has_after
    comparison.slider.setValue(25)
    grabbed = render_scene(comparison.view)
    assert grabbed[10, 5] == 0 and grabbed[10, 35] == 255  # as the labels say


def render_scene(view):
    """The scene rendered at 1:1 into a gray array (image pixels)."""
    from PyQt5.QtGui import QImage, QPainter

    image = QImage(40, 20, QImage.Format_Grayscale8)
    image.fill(128)
    painter = QPainter(image)
    view.scene().render(painter, source=view.scene().sceneRect())
    painter.end()
    pointer = image.constBits()
    pointer.setsize(image.byteCount())
    return np.frombuffer(pointer, np.uint8).reshape(20, image.bytesPerLine())[:, :40].copy()


def test_to_qimage_keeps_pixel_values():
    image = np.zeros((3, 4, 3))
    image[1, 2] = (1.0, 0.5, 0.0)
    qimage = to_qimage(image)
    assert qimage.width() == 4 and qimage.height() == 3
    colour = qimage.pixelColor(2, 1)
    assert (colour.red(), colour.green(), colour.blue()) == (255, 128, 0)


def test_zoom_from_fit_keeps_the_pixel_under_the_cursor_of_a_letterboxed_image(qtbot):
    view = make_view(qtbot, np.zeros((100, 400)))  # wide: gray bands above and below
    cursor = QPoint(300, 140)
    start = view.image_point(cursor)
    for _ in range(3):
        wheel(view, 1, cursor)
        point = view.image_point(cursor)
        assert abs(point.x() - start.x()) <= 1 and abs(point.y() - start.y()) <= 1
    view.fit()  # back to the whole image, centred
    centre = view.viewportTransform().map(QPointF(200, 50))
    middle = QPointF(view.viewport().rect().center())
    assert abs(centre.x() - middle.x()) <= 1.5 and abs(centre.y() - middle.y()) <= 1.5


# -- the view moves only when the person zooms, pans or fits ------------------------------


def scene_points(view):
    """Where fixed viewport pixels land in the image (exact floats, no rounding)."""
    points = [QPointF(0, 0), QPointF(17, 29), QPointF(view.viewport().width() - 1, 3)]
    return [(view.mapToScene(p.toPoint()).x(), view.mapToScene(p.toPoint()).y())
            for p in points]


@pytest.mark.parametrize("size", [(400, 300), (401, 301), (523, 287)])
@pytest.mark.parametrize("zoom", [None, 1.0, 2.37])
def test_image_updates_and_drags_leave_every_pixel_in_place(qtbot, size, zoom):
    """90 frame updates and 1,000 drag events: mapToScene of fixed viewport points is
    unchanged, exactly, at fit, 100% and 2.37, for odd and even view sizes."""
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(0)
    view.set_image(rng.random((135, 241, 3)), fit=True)
    if zoom is not None:
        view.zoom_at(zoom, QPointF(131, 77))
    start = scene_points(view)
    for frame in range(90):
        view.set_image(np.full((135, 241, 3), frame / 90.0))
        view.set_after(np.zeros((135, 241, 3)) if frame % 2 else None)
    assert scene_points(view) == start
    viewport = view.viewport()
    press = QPoint(60, 40)
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.MouseButtonPress, QPointF(press),
                                                 Qt.LeftButton, Qt.LeftButton, Qt.NoModifier))
    for step in range(1000):
        position = QPointF(60 + step % 20, 40 + (step // 20) % 5)
        QApplication.sendEvent(viewport, QMouseEvent(QEvent.MouseMove, position, Qt.NoButton,
                                                     Qt.LeftButton, Qt.NoModifier))
        view.update_region(np.full((135, 241, 3), step / 1000.0), 10, 10, 30, 20)
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.MouseButtonRelease, QPointF(press),
                                                 Qt.LeftButton, Qt.NoButton, Qt.NoModifier))
    assert scene_points(view) == start


def test_update_region_redraws_only_the_given_pixels(qtbot):
    view = make_view(qtbot, np.zeros((20, 40, 3)))
    changed = np.zeros((20, 40, 3))
    changed[:, :] = 1.0  # everywhere, but only [5:8, 10:14] is asked to be redrawn
    view.update_region(changed, 10, 5, 14, 8)
    shown = view.before_item.pixmap().toImage()
    assert shown.pixelColor(10, 5).red() == 255 and shown.pixelColor(13, 7).red() == 255
    assert shown.pixelColor(9, 5).red() == 0 and shown.pixelColor(14, 7).red() == 0
    assert shown.pixelColor(10, 8).red() == 0
