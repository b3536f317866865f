"""The automatic window's thumbnails show each photo's colour result once it is colorized,
and follow the vividness slider."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtWidgets import QFileDialog

from colorize_app.io import media
from colorize_app.io import model_registry as registry

pytest.importorskip("tensorflow")

from colorize_app.gui.cnn_window import CnnWindow
from colorize_app.gui.image_view import to_qimage
from colorize_app.gui.photo_list import thumbnail
from colorize_app.gui.qt_objects import present

JOB_MS = 60_000
#: What the (mocked) network answers for every photo: an orange, 8-bit exact.
ORANGE = (230, 128, 26)


@pytest.fixture(autouse=True)
def no_installed_models(monkeypatch, tmp_path):
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")


def wait_job(qtbot, window, start) -> str:
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        assert start() is not False
    return finished.args[0]


def icon_pixels(window: CnnWindow, row: int) -> np.ndarray:
    """Row ``row``'s thumbnail as the list shows it, (h, w, 3) uint8."""
    item = present(window.photo_list.item(row))
    image = item.icon().pixmap(window.photo_list.iconSize()).toImage()
    return np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(image.width())]
                     for y in range(image.height())], dtype=np.uint8)


def qimage_pixels(rgb: np.ndarray) -> np.ndarray:
    image = to_qimage(rgb)
    return np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(image.width())]
                     for y in range(image.height())], dtype=np.uint8)


@pytest.fixture
def window(qtbot, monkeypatch, model_file, tmp_path):
    """Two gray photos open and the tiny model loaded (through the Model file... entry)."""
    window = CnnWindow()
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(model_file), ""))
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS):
        window.picker.activated.emit(window.picker.count() - 1)
    assert window.colorizer is not None
    yy, xx = np.mgrid[0:40, 0:56] / 56
    paths = []
    for index in range(2):
        paths.append(tmp_path / f"photo{index}.png")
        media.write_image(paths[-1], 0.5 + 0.4 * np.sin(8 * xx + index) * np.cos(5 * yy))
    assert wait_job(qtbot, window, lambda: window.add_photos([str(p) for p in paths])) \
        == "done"
    return window


def test_thumbnails_turn_to_the_colour_result_once_colorized(qtbot, window, monkeypatch):
    for row in range(2):
        pixels = icon_pixels(window, row).astype(int)
        assert (pixels.max(axis=2) == pixels.min(axis=2)).all()  # gray photos, gray icons
    colorizer = window.colorizer
    original = colorizer.colorize

    def orange_answer(pixels, *args, **kwargs):
        original(pixels, *args, **kwargs)  # the real prediction, for the slider later
        rgb = np.empty(pixels.shape[:2] + (3,), np.float32)
        rgb[...] = np.array(ORANGE) / 255
        return rgb

    monkeypatch.setattr(colorizer, "colorize", orange_answer)
    assert wait_job(qtbot, window, window.colorize_all) == "done"
    for row in range(2):
        assert (icon_pixels(window, row) == ORANGE).all(), row
    assert all(entry.colorized for entry in window.photos)


def test_the_shown_thumbnail_follows_the_vividness_slider(qtbot, window):
    assert wait_job(qtbot, window, window.colorize_all) == "done"
    window.photo_list.setCurrentRow(1)
    before = icon_pixels(window, 1)
    assert np.array_equal(before, qimage_pixels(thumbnail(window.result)))
    window.vividness.setValue(window.vividness.value() + 40)
    window.redecode()  # as the slider's timer does
    after = icon_pixels(window, 1)
    assert np.array_equal(after, qimage_pixels(thumbnail(window.result)))
    assert not np.array_equal(after, before)
