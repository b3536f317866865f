"""Keyframes in the video window: paint a frame in the scribble tools, or take a colour
image, and the frame becomes a keyframe of the session, marked on the scrubber and kept in
the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QPointF, Qt
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import QFileDialog, QMessageBox

pytest.importorskip("tensorflow")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from colorize_app.gui.scribble_window import ScribbleWindow  # noqa: E402
from colorize_app.gui.video_window import VideoWindow  # noqa: E402
from colorize_app.io import media  # noqa: E402
from colorize_app.io import model_registry as registry  # noqa: E402

WIDTH, HEIGHT = 48, 32  # the gray_clip fixture's frames


@pytest.fixture
def clip(gray_clip) -> Path:
    return gray_clip


@pytest.fixture
def window(qtbot, clip, monkeypatch, tmp_path, errors):
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv("COLORIZE_CACHE_DIR", str(tmp_path / "cache"))
    window = VideoWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.load(str(clip)) and errors == []
    return window


def viewport_point(view, x, y):
    centre = view.viewportTransform().map(QPointF(x + 0.5, y + 0.5))
    return QPoint(int(np.floor(centre.x())), int(np.floor(centre.y())))


def test_a_painted_frame_becomes_a_keyframe_marked_on_the_scrubber(qtbot, window, errors):
    window.scrubber.set_index(3)
    assert not window.remove_keyframe_action.isEnabled()
    window.edit_frame_action.trigger()
    (editor,) = window._keyframe_windows

    assert isinstance(editor, ScribbleWindow) and editor.keyframe_action.isVisible()
    assert editor.photo.shape[:2] == (HEIGHT, WIDTH)
    assert "frame 4 of clip.mp4" in editor.windowTitle()
    editor.brush.set_colour(QColor(255, 0, 0))
    editor.brush.width_box.setValue(3)
    viewport = editor.view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=viewport_point(editor.view, 10, 10))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=viewport_point(editor.view, 10, 10))
    editor.keyframe_action.trigger()
    assert not editor.isVisible() and errors == []
    edit = window.session.keyframe(3)
    assert edit is not None and len(edit.strokes) == 1 and edit.rgb is None
    assert edit.strokes[0].points == [(10.0, 10.0)]
    assert window.scrubber.slider.marks == [3]
    assert "(keyframe)" in window.scrubber.label.text()
    assert window.remove_keyframe_action.isEnabled()
    assert window.isWindowModified()
    # Closed editors are let go; edited again, the strokes come back to be changed.
    qtbot.waitUntil(lambda: editor not in window._keyframe_windows, timeout=5000)
    window.edit_frame_action.trigger()
    editor = window._keyframe_windows[-1]
    qtbot.addWidget(editor)
    assert len(editor.strokes.strokes) == 1
    editor.close()


def test_a_colour_image_becomes_a_keyframe_and_survives_the_project(
        qtbot, window, tmp_path, monkeypatch, errors):
    colour = np.zeros((HEIGHT * 2, WIDTH * 2, 3), np.float32)
    colour[..., 0] = 0.8  # twice the size, same shape: scaled to the frame
    image = tmp_path / "colour.png"
    media.write_image(str(image), colour)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(image), ""))
    window.scrubber.set_index(1)
    window.keyframe_image_action.trigger()
    assert errors == []
    edit = window.session.keyframe(1)
    assert edit.rgb.shape == (HEIGHT, WIDTH, 3)
    assert np.allclose(edit.rgb[..., 0], 0.8, atol=1 / 255)

    project = tmp_path / "clip.colorize"
    assert window.write_project(str(project))
    other = VideoWindow()
    qtbot.addWidget(other)
    assert other.load(str(project)) and errors == []
    assert other.session.keyframe_frames() == [1]
    assert np.allclose(other.session.keyframe(1).rgb, edit.rgb, atol=1 / 255)
    assert other.scrubber.slider.marks == [1]

    wrong = tmp_path / "wrong.png"
    media.write_image(str(wrong), np.zeros((10, 40, 3), np.float32))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(wrong), ""))
    window.keyframe_image_action.trigger()
    assert errors[-1][1] == (f"wrong.png is 40x10, not the shape of the video's "
                             f"{WIDTH}x{HEIGHT} frames")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.Yes)
    window.remove_keyframe_action.trigger()
    assert window.session.keyframe_frames() == [] and window.scrubber.slider.marks == []


def test_a_run_carries_the_keyframe_and_says_so(qtbot, window, model_file, monkeypatch,
                                                tmp_path, errors):
    from colorize_app.sessions import video_presets
    from deep_video_prior import RefineSettings

    tiny = RefineSettings(
        method="network", epochs=1, width=4, working_pixels=WIDTH * HEIGHT,
        warmup_epochs=0)
    monkeypatch.setitem(video_presets.PRESETS, "fast", video_presets.Preset("fast", "Fast", tiny))
    window.picker.add_file(str(model_file))
    window.preset_box.setCurrentText("Fast")
    gray = window.session.gray_frame(0)
    red = np.clip(gray * np.array([1.6, 0.6, 0.6], np.float32), 0, 1)
    window.session.set_keyframe(0, red)
    window.update_keyframe_actions()
    with qtbot.waitSignal(window.jobs.finished, timeout=120_000) as finished:
        assert window.run()
    assert finished.args[0] == "done" and errors == []
    text = window.report_label.text()
    assert text.startswith("Done: ") and "1 keyframe carried through 1 shot(s)" in text
    result = window.refined_frames()
    assert result.complete()
    first = np.asarray(result[0], np.float32)
    assert (first[..., 0] - first[..., 2]).mean() > 0.05  # the keyframe's red holds
