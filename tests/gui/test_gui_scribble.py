"""The scribble window with real mouse events: strokes, undo, hint files, colorize, save."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QColor, QMouseEvent
from PyQt5.QtWidgets import QApplication, QFileDialog, QMessageBox

from algorithms.errors import CancelledError
from colorize_app.gui.scribble_window import ScribbleWindow
from colorize_app.io import media
from colorize_app.sessions import scribble as sessions_scribble

HEIGHT, WIDTH = 40, 60




def two_halves():
    """A gray photo: dark left half, light right half."""
    photo = np.full((HEIGHT, WIDTH), 0.3, np.float32)
    photo[:, WIDTH // 2:] = 0.7
    return photo


@pytest.fixture
def window(qtbot):
    window = ScribbleWindow()
    qtbot.addWidget(window)
    window.resize(900, 500)
    window.show()
    qtbot.waitExposed(window)
    window.set_photo(two_halves(), "")
    window.view.actual_size()
    return window


def viewport_point(view, x, y):
    """The viewport pixel that shows the centre of image pixel (x, y)."""
    centre = view.viewportTransform().map(QPointF(x + 0.5, y + 0.5))
    return QPoint(int(np.floor(centre.x())), int(np.floor(centre.y())))


def drag_to(viewport, position):
    """A mouse move with the left button held (QTest.mouseMove carries no buttons)."""
    event = QMouseEvent(QEvent.MouseMove, QPointF(position), Qt.NoButton, Qt.LeftButton,
                        Qt.NoModifier)
    QApplication.sendEvent(viewport, event)


def draw(qtbot, view, points):
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=viewport_point(view, *points[0]))
    for point in points[1:]:
        drag_to(viewport, viewport_point(view, *point))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=viewport_point(view, *points[-1]))


def test_drawn_stroke_marks_the_expected_pixels_and_undo_removes_it(qtbot, window):
    window.brush.set_colour(QColor(255, 0, 0))
    window.brush.width_box.setValue(3)
    draw(qtbot, window.view, [(10, 20), (15, 20), (20, 20)])

    assert [stroke.points for stroke in window.strokes.strokes] == [[(10, 20), (15, 20), (20, 20)]]
    expected = np.zeros((HEIGHT, WIDTH), bool)
    expected[19:22, 9:22] = True  # 3 wide, round caps one pixel past each end
    assert np.array_equal(window.mask, expected)
    assert np.allclose(window.marked[expected], (1, 0, 0))
    photo_rgb = np.repeat(two_halves()[..., None], 3, axis=2)
    assert np.array_equal(window.marked[~expected], photo_rgb[~expected])

    window.undo_action.trigger()
    assert not window.mask.any() and window.strokes.empty
    window.redo_action.trigger()
    assert np.array_equal(window.mask, expected)


def test_eraser_and_clear_are_undoable(qtbot, window):
    draw(qtbot, window.view, [(5, 5), (40, 5)])
    window.brush.set_tool("erase")
    window.brush.width_box.setValue(9)
    draw(qtbot, window.view, [(20, 5)])
    assert window.mask[5, 5] and not window.mask[5, 20]
    window.clear_action.trigger()
    assert not window.mask.any()
    window.undo_action.trigger()
    assert window.mask[5, 5] and not window.mask[5, 20]


def test_eyedropper_picks_the_colour_under_the_cursor(qtbot, window):
    window.brush.set_colour(QColor(0, 0, 255))
    draw(qtbot, window.view, [(3, 3)])
    window.brush.set_colour(QColor(0, 255, 0))
    window.brush.set_tool("pick")
    draw(qtbot, window.view, [(3, 3)])
    assert window.brush.colour.name() == "#0000ff" and window.brush.tool == "paint"
    assert window.brush.recent_buttons and len(window.strokes.strokes) == 1


def test_hint_file_loads_through_the_dialogs(qtbot, window, tmp_path, monkeypatch, errors):
    marked = np.repeat(two_halves()[..., None], 3, axis=2)
    marked[10:14, 40:44] = (0.0, 0.0, 1.0)
    mask = np.zeros((HEIGHT, WIDTH), np.float32)
    mask[10:14, 40:44] = 1.0
    media.write_image(tmp_path / "marked.png", marked)
    media.write_image(tmp_path / "mask.png", mask)
    answers = iter([str(tmp_path / "marked.png"), str(tmp_path / "mask.png")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (next(answers), ""))
    window.load_hints_action.trigger()
    assert errors == []
    assert np.array_equal(window.mask, mask > 0)
    assert np.allclose(window.marked[12, 42], (0, 0, 1), atol=1 / 255)
    window.undo_action.trigger()
    assert not window.mask.any()


def test_colorize_job_completes_shows_a_result_and_saves_it(qtbot, window, tmp_path,
                                                            monkeypatch, errors):
    window.brush.set_colour(QColor(200, 40, 40))
    draw(qtbot, window.view, [(5, 5), (5, 30)])
    window.brush.set_colour(QColor(40, 40, 200))
    draw(qtbot, window.view, [(50, 5), (50, 30)])
    with qtbot.waitSignal(window.jobs.finished, timeout=20000) as finished:
        window.colorize_action.trigger()
    assert finished.args == ["done"] and errors == []
    result = window.result
    assert result.shape == (HEIGHT, WIDTH, 3)
    # Each half takes the colour of its stroke: red on the left, blue on the right.
    assert result[20, 10, 0] > result[20, 10, 2] + 0.1
    assert result[20, 45, 2] > result[20, 45, 0] + 0.1
    assert window.result_view.view.has_after and window.save_action.isEnabled()

    out = tmp_path / "coloured.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.save_action.trigger()
    assert np.allclose(media.read_image(out).pixels, result, atol=1 / 255 + 1e-6)

    # A stroke after the result makes it stale: saving then asks first, and "No" saves nothing.
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: asked.append(args[2]) or QMessageBox.No)
    draw(qtbot, window.view, [(30, 35), (40, 35)])
    stale_out = tmp_path / "stale.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(stale_out), ""))
    window.save_action.trigger()
    assert len(asked) == 1 and "latest strokes" in asked[0] and not stale_out.exists()


def test_cancel_stops_a_long_colorize_and_leaves_no_output(qtbot, window, tmp_path,
                                                           monkeypatch, errors):
    def endless(*args, progress, cancelled, **kwargs):
        while True:
            if cancelled():
                raise CancelledError("cancelled")
            progress(0.5, "solving")

    monkeypatch.setattr(sessions_scribble, "colorize_scribbles", endless)
    out = tmp_path / "never.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    draw(qtbot, window.view, [(5, 5), (30, 5)])
    with qtbot.waitSignal(window.jobs.finished, timeout=10000) as finished:
        window.colorize_action.trigger()
        qtbot.waitUntil(lambda: window.jobs.progress_bar.value() == 500, timeout=5000)
        window.jobs.cancel_button.click()
    assert finished.args == ["cancelled"] and errors == []
    assert window.result is None and not window.save_action.isEnabled()
    window.save_result()
    assert not out.exists()
    assert [name for name in os.listdir(tmp_path) if "never" in name] == []


def test_live_preview_recolours_after_a_stroke(qtbot, window):
    window.preview_box.setChecked(True)
    window.brush.set_colour(QColor(0, 160, 0))
    draw(qtbot, window.view, [(5, 5), (5, 30)])
    qtbot.waitUntil(lambda: window.result_view.view.has_after, timeout=10000)
    assert window.result is None  # a preview is not a result to save


def test_automatic_start_without_a_model_says_so(qtbot, window, monkeypatch, errors):
    from colorize_app.io import model_registry as registry

    monkeypatch.setattr(registry, "installed_models", lambda: [])
    window.auto_action.trigger()
    assert len(errors) == 1 and "no colorization model installed" in errors[0][1]


def test_automatic_start_sets_the_prior_that_colorize_uses(qtbot, window, monkeypatch, errors):
    from pathlib import Path

    from algorithms.colorspace import rgb_to_yiq
    from colorize_app.io import model_registry as registry

    tiny_model = Path(__file__).parent.parent / "fixtures" / "eccv16_tiny.pth"
    monkeypatch.setattr(registry, "resolve_model", lambda spec=None: tiny_model)
    with qtbot.waitSignal(window.jobs.finished, timeout=60000) as finished:
        window.auto_action.trigger()
    assert finished.args == ["done"] and errors == []
    automatic = window.result
    assert np.allclose(window.prior_chroma, rgb_to_yiq(automatic)[..., 1:], atol=1e-5)
    # No stroke needed now: the prior alone is colorized (strokes would correct it).
    with qtbot.waitSignal(window.jobs.finished, timeout=20000) as finished:
        window.colorize_action.trigger()
    assert finished.args == ["done"] and window.result is not automatic
    assert window.result.shape == (HEIGHT, WIDTH, 3)


def test_dropped_file_opens_as_the_photo(qtbot, window, tmp_path, errors):
    from PyQt5.QtCore import QMimeData, QUrl
    from PyQt5.QtGui import QDropEvent

    path = tmp_path / "dropped.png"
    media.write_image(path, np.full((12, 16), 0.5))
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)  # Qt delivers a Drop only inside a real drag session
    assert event.isAccepted()
    assert errors == [] and window.photo.shape == (12, 16)
    assert window.photo_path == str(path) and window.size_label.text() == "16 x 12 px"


@pytest.mark.parametrize("zoom", ["fit", 1.0, 2.37])
def test_painting_lands_under_the_pointer_with_many_small_moves(qtbot, window, zoom):
    """A square painted with one-screen-pixel moves: every saved stroke point is the image
    pixel the pointer was meant to be over (screen positions computed once, up front, as a
    hand follows the shape on screen; a drifting view would bend the stroke)."""
    if zoom == "fit":
        window.view.fit()
    else:
        window.view.zoom_at(zoom, QPointF(window.view.viewport().rect().center()))
    corners = [(12.5, 10.5), (45.5, 10.5), (45.5, 30.5), (12.5, 30.5), (12.5, 10.5)]
    transform = window.view.viewportTransform()
    screen = [transform.map(QPointF(x, y)) for x, y in corners]
    path = []  # every screen pixel along the outline, as a pointer sends moves
    for (first, second) in zip(screen, screen[1:]):
        steps = int(max(abs(second.x() - first.x()), abs(second.y() - first.y())))
        for step in range(steps):
            t = step / steps
            path.append(QPointF(first.x() + t * (second.x() - first.x()),
                                first.y() + t * (second.y() - first.y())))
    path.append(screen[-1])
    path = [QPoint(int(np.floor(p.x())), int(np.floor(p.y()))) for p in path]  # pixels
    inverse, _ = transform.inverted()
    intended = [inverse.map(QPointF(p) + QPointF(0.5, 0.5)) for p in path]
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=path[0])
    for position in path[1:]:
        drag_to(viewport, position)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=path[-1])
    assert len(path) > 80
    (stroke,) = window.strokes.strokes
    wanted = sorted({(float(np.floor(p.x())), float(np.floor(p.y()))) for p in intended})
    assert sorted(set(stroke.points)) == wanted
    # In order, too: consecutive points are the intended pixels with repeats dropped.
    in_order = [(float(np.floor(p.x())), float(np.floor(p.y()))) for p in intended]
    assert stroke.points == [pixel for index, pixel in enumerate(in_order)
                             if index == 0 or pixel != in_order[index - 1]]
    assert window.view.viewportTransform() == transform  # the view never moved


def test_eyedropper_reads_the_result_where_there_is_no_stroke(qtbot, window):
    result = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    result[..., 1] = 0.6  # green everywhere
    window._show_result(result)
    window.brush.set_colour(QColor(0, 0, 255))
    window.brush.set_tool("pick")
    draw(qtbot, window.view, [(30, 30)])  # no stroke there: the result's colour
    assert window.brush.colour.name() == QColor.fromRgbF(0, 0.6, 0).name()
    window.brush.set_tool("pick")
    result_view = window.result_view.view
    result_view.fit()
    result[..., 0] = 0.8
    window._show_result(result)
    draw(qtbot, result_view, [(5, 5)])  # the result pane picks too
    assert window.brush.colour.name() == QColor.fromRgbF(0.8, 0.6, 0).name()
    assert window.brush.tool == "paint"


def test_eyedropper_on_gray_with_nothing_to_take_keeps_the_brush(qtbot, window):
    window.brush.set_colour(QColor(0, 0, 255))
    window.brush.set_tool("pick")
    draw(qtbot, window.view, [(30, 30)])
    assert window.brush.colour.name() == "#0000ff" and window.brush.tool == "pick"
    assert "no colour" in window.statusBar().currentMessage()


def test_fit_fits_both_panes(qtbot, window):
    window.view.zoom_at(30.0, QPointF(10, 10))
    window.result_view.view.zoom_at(30.0, QPointF(10, 10))
    window.fit_views()
    assert window.view.zoom() < 30.0 and window.result_view.view.zoom() < 30.0
    assert np.isclose(window.view.zoom(), window.result_view.view.zoom(), rtol=0.05)


def test_start_from_automatic_can_be_undone(qtbot, window):
    automatic = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    automatic[..., 2] = 0.5
    window._use_automatic(automatic, "model.npz")
    assert window.prior_chroma is not None and window.result is automatic
    assert window.result_view.view.has_after
    window.undo_action.trigger()
    assert window.prior_chroma is None and window.result is None
    assert not window.result_view.view.has_after
    window.redo_action.trigger()
    assert window.prior_chroma is not None and window.result is automatic


def test_hint_file_of_the_wrong_size_is_refused_before_the_mask_is_asked(
        qtbot, window, tmp_path, monkeypatch, errors):
    wrong = tmp_path / "marked.png"
    media.write_image(str(wrong), np.zeros((10, 10, 3), np.float32))
    asked = []

    def dialog(*args, **kwargs):
        asked.append(args[1])
        return str(wrong), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    window.load_hints()
    assert len(asked) == 1  # the mask was never asked for
    assert errors and "must be the same size" in errors[0][1]


def test_a_photo_too_large_is_refused_with_the_command_lines_words(
        qtbot, window, tmp_path, monkeypatch, errors, capsys):
    from colorize_app import cli
    from colorize_app.runtime import system

    big = tmp_path / "big.png"
    media.write_image(str(big), np.full((800, 1000), 0.5, np.float32))
    monkeypatch.setattr(system, "available_memory", lambda: 2**30 // 10)
    assert cli.main(["levin", str(big), str(big), "-o", str(tmp_path / "out.png")]) == 1
    said = capsys.readouterr().err.strip().removeprefix("colorize: error: ")
    decoded = []
    monkeypatch.setattr(media, "read_image", lambda *a, **k: decoded.append(a) or None)
    assert window.load_photo(str(big)) is False
    assert errors == [("Open photo", said, "")] and decoded == []
    assert window.photo.shape == (HEIGHT, WIDTH)  # the open photo stays


def test_colorize_refuses_a_solve_too_large_in_the_command_lines_words(
        qtbot, window, monkeypatch, errors):
    from colorize_app.runtime import system
    from colorize_app.sessions.memory import memory_needed

    # A large photo handed over by the automatic window ("Refine with strokes"), then the
    # container's limit leaves 0.1 GB.
    big = np.full((800, 1000), 0.5, np.float32)
    window.start_from(big, np.full((800, 1000, 3), 0.5, np.float32), "album/big.png")
    monkeypatch.setattr(system, "available_memory", lambda: 2**30 // 10)
    with qtbot.waitSignal(window.jobs.finished, timeout=20000) as finished:
        window.colorize_action.trigger()
    needed = memory_needed("scribble", (800, 1000)) / 2**30
    assert finished.args != ["done"]
    assert errors == [("Colorize", f"colorizing the 1000 x 800 photo album/big.png needs "
                       f"about {needed:.1f} GB of memory but only 0.1 GB is available "
                       "(machine or container limit); use a smaller image", "")]
