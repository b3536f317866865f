"""The colour-transfer window with real mouse events: swatch pairs, region files, transfer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication, QFileDialog, QLabel

from algorithms.regions import Rect, SwatchPair
from colorize_app.documents.swatches import SwatchBoard, rect_from_corners
from colorize_app.gui.swatch_window import SwatchWindow
from colorize_app.io import media, text_files


def target_image():
    """Gray target: a dark band on top of a light one."""
    image = np.full((40, 50), 0.75, np.float32)
    image[:20] = 0.25
    return image


def reference_image():
    """Colour reference: a dark blue band on top of a light orange one."""
    image = np.empty((30, 40, 3), np.float32)
    image[:15] = (0.1, 0.2, 0.5)
    image[15:] = (0.95, 0.7, 0.45)
    return image


@pytest.fixture
def window(qtbot):
    window = SwatchWindow()
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    window.set_image("target", target_image())
    window.set_image("reference", reference_image())
    for view in window.views.values():
        view.actual_size()
    return window


def at(view, x, y):
    """The viewport pixel that shows image point (x, y)."""
    point = view.viewportTransform().map(QPointF(x, y))
    return QPoint(int(np.floor(point.x())), int(np.floor(point.y())))


def drag(qtbot, view, start, stop):
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=at(view, *start))
    for fraction in (0.5, 1.0):
        x = start[0] + fraction * (stop[0] - start[0])
        y = start[1] + fraction * (stop[1] - start[1])
        QApplication.sendEvent(viewport, QMouseEvent(
            QEvent.MouseMove, QPointF(at(view, x, y)), Qt.NoButton, Qt.LeftButton,
            Qt.NoModifier))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=at(view, *stop))


def test_dragged_rectangles_become_a_numbered_pair(qtbot, window):
    drag(qtbot, window.views["target"], (2.2, 3.2), (12.2, 9.2))
    assert window.board.pairs() == []  # half a pair is not a pair yet
    assert window.pair_list.count() == 1 and "(draw it)" in window.pair_list.item(0).text()
    drag(qtbot, window.views["reference"], (5.2, 20.2), (25.2, 28.2))
    assert window.board.pairs() == [
        SwatchPair(reference=Rect(5, 20, 21, 9), target=Rect(2, 3, 11, 7))
    ]
    assert window.pair_list.item(0).text().startswith("1: target [2, 3, 11, 7]")


def test_rectangles_move_resize_delete_and_undo(qtbot, window):
    drag(qtbot, window.views["target"], (2.2, 3.2), (12.2, 9.2))
    drag(qtbot, window.views["target"], (5.2, 5.2), (10.2, 15.2))  # move it by (5, 10)
    assert window.board.entries[0].target == Rect(7, 13, 11, 7)
    drag(qtbot, window.views["target"], (17.5, 19.5), (30.5, 25.5))  # its corner: resize
    assert window.board.entries[0].target == Rect(7, 13, 24, 13)
    window.undo_stack.undo()
    assert window.board.entries[0].target == Rect(7, 13, 11, 7)
    window.delete_selected()
    assert window.board.entries == [] and window.pair_list.count() == 0
    window.undo_stack.undo()
    assert window.board.entries[0].target == Rect(7, 13, 11, 7)


def test_region_file_loads_and_saves_through_dialogs(qtbot, window, tmp_path, monkeypatch,
                                                     errors):
    regions = tmp_path / "regions.json"
    regions.write_text(json.dumps(
        {"pairs": [{"reference": [1, 2, 10, 10], "target": [3, 4, 8, 8]}]}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(regions), ""))
    window.load_regions()
    assert errors == []
    assert window.board.pairs() == [SwatchPair(Rect(1, 2, 10, 10), Rect(3, 4, 8, 8))]
    assert window.pair_list.count() == 1

    saved = tmp_path / "saved.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    window.save_regions()
    assert text_files.read_regions(saved) == window.board.pairs()


def test_region_file_outside_the_images_is_refused(qtbot, window, tmp_path, monkeypatch,
                                                   errors):
    regions = tmp_path / "regions.json"
    regions.write_text(json.dumps(
        {"pairs": [{"reference": [1, 2, 100, 10], "target": [3, 4, 8, 8]}]}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(regions), ""))
    window.load_regions()
    assert len(errors) == 1 and "outside" in errors[0][1]
    assert window.board.entries == []


@pytest.mark.parametrize("with_pairs", [False, True])
def test_transfer_completes_and_shows_the_result(qtbot, window, tmp_path, monkeypatch, errors,
                                                 with_pairs):
    if with_pairs:
        window.board.load([SwatchPair(Rect(0, 0, 40, 15), Rect(0, 0, 50, 20)),
                           SwatchPair(Rect(0, 15, 40, 15), Rect(0, 20, 50, 20))])
    with qtbot.waitSignal(window.jobs.finished, timeout=30000) as finished:
        window.transfer_action.trigger()
    assert finished.args == ["done"] and errors == []
    result = window.result
    assert result.shape == (40, 50, 3)
    # The light band turns orange (red > blue), the dark band bluish (blue > red).
    assert result[30, 25, 0] > result[30, 25, 2] + 0.1
    assert result[10, 25, 2] > result[10, 25, 0]
    assert window.result_view.view.has_after

    out = tmp_path / "transfer.jpg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.save_result()
    assert media.read_image(out).pixels.shape == (40, 50, 3)


def test_board_pairs_rectangles_in_the_order_drawn():
    board = SwatchBoard()
    board.add("reference", Rect(0, 0, 2, 2))
    board.add("reference", Rect(5, 5, 2, 2))
    board.add("target", Rect(1, 1, 3, 3))
    assert board.pairs() == [SwatchPair(Rect(0, 0, 2, 2), Rect(1, 1, 3, 3))]
    assert board.hit("reference", 5.5, 6.9) == 1 and board.hit("target", 9, 9) is None
    assert rect_from_corners(8, 9, -3, 2.5, 6, 6) == Rect(0, 2, 6, 4)
    assert rect_from_corners(1.9, 1, 1.2, 5.5, 6, 8) == Rect(1, 1, 1, 5)
    assert rect_from_corners(7, 7, 9, 9, 6, 6) is None


def test_resize_corner_grabs_an_unselected_rectangle_from_just_inside(qtbot, window):
    view = window.views["target"]
    window.board.add("target", Rect(4, 4, 20, 12))
    window.select(None)
    zoom = view.zoom()
    inside = 2 / zoom  # 2 screen pixels inside the bottom-right corner
    drag(qtbot, view, (24 - inside, 16 - inside), (30 - inside, 20 - inside))
    rect = window.board.entries[0].target
    assert (rect.x, rect.y) == (4, 4) and rect.width > 20 and rect.height > 12
    assert window.findChild(QLabel, "title_target").text().startswith("<b>Target")
    assert "\n" in window.pair_list.item(0).text()  # the reference on a line of its own
