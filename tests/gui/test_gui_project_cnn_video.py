"""Projects and autosave in the CNN and video windows; every window's shortcuts are unique."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QFileDialog, QShortcut

pytest.importorskip("tensorflow")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from colorize_app.gui import autosave  # noqa: E402
from colorize_app.gui.cnn_window import CnnWindow  # noqa: E402
from colorize_app.gui.main_menu import MainMenu  # noqa: E402
from colorize_app.gui.qt_objects import present  # noqa: E402
from colorize_app.gui.scribble_window import ScribbleWindow  # noqa: E402
from colorize_app.gui.swatch_window import SwatchWindow  # noqa: E402
from colorize_app.gui.video_window import VideoWindow  # noqa: E402
from colorize_app.io import media, project_images  # noqa: E402
from colorize_app.io import model_registry as registry  # noqa: E402
from colorize_app.io.project import load_project  # noqa: E402
from colorize_app.sessions import video_presets  # noqa: E402
from deep_video_prior import RefineSettings  # noqa: E402

JOB_MS = 120_000
#: Results are kept as 16-bit PNG layers.
LAYER_TOLERANCE = 0.5 / 65535 + 1e-7
WIDTH, HEIGHT = 48, 32  # the gray_clip fixture's frames


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No installed model, private cache folders, quick autosave, a 1-epoch 'Fast' preset."""
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")
    monkeypatch.setenv("COLORIZE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "embedded"))
    monkeypatch.setattr(autosave, "DELAY_MS", 50)
    tiny = RefineSettings(
        method="network", epochs=1, width=4, working_pixels=WIDTH * HEIGHT, warmup_epochs=0)
    monkeypatch.setitem(video_presets.PRESETS, "fast", video_presets.Preset("fast", "Fast", tiny))


def wait_job(qtbot, window, start) -> str:
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        assert start() is not False
    return finished.args[0]


def save_as(window, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.save_project_as_action.trigger()
    assert not window.modified and path.exists()


# --------------------------------------------------------------------------------------------
# CNN window


def gray_photos(folder: Path) -> list[Path]:
    folder.mkdir()
    yy, xx = np.mgrid[0:40, 0:56] / 56
    paths = []
    for index in range(2):
        path = folder / f"photo{index}.png"
        media.write_image(path, 0.5 + 0.4 * np.sin(8 * xx + index) * np.cos(5 * yy))
        paths.append(path)
    return paths


def colorized_cnn_window(qtbot, tmp_path, model_file) -> CnnWindow:
    """Two photos, the tiny model, both colorized, vividness T = 0.3, the second shown."""
    window = CnnWindow()
    qtbot.addWidget(window)
    window.show()
    photos = gray_photos(tmp_path / "photos")
    assert wait_job(qtbot, window, lambda: window.add_photos([str(p) for p in photos])) \
        == "done"
    assert not window.modified  # fresh photos are nothing to lose yet
    window.picker.add_file(str(model_file))
    assert wait_job(qtbot, window, window.colorize_all) == "done"
    window.vividness.setValue(70)
    window.photo_list.setCurrentRow(1)
    window.redecode()
    assert window.result is not None and window.modified
    return window


def assert_same_cnn_state(restored: CnnWindow, window: CnnWindow, model_file: Path) -> None:
    assert [e.path for e in restored.photos] == [e.path for e in window.photos]
    assert restored.photo_list.currentRow() == 1
    assert restored.temperature == window.temperature == 0.3
    choice = restored.picker.current()
    assert choice is not None and choice.path == str(model_file)
    # Every photo's result comes back (at the vividness it had), not only the shown one's.
    assert restored.result is not None and window.result is not None
    assert np.abs(restored.result - window.result).max() <= LAYER_TOLERANCE
    assert [e.colorized for e in restored.photos] == [True, True]
    for kept, entry in zip(restored.photos, window.photos):
        assert entry.prediction is not None
        expected = entry.prediction.decode(window.temperature)
        assert np.abs(kept.result(restored.temperature) - expected).max() <= LAYER_TOLERANCE
    kept_ref, ref = restored.photos[1].ref, window.photos[1].ref
    assert kept_ref is not None and ref is not None and kept_ref.sha256 == ref.sha256 != ""
    # The list shows the results as thumbnails, as before the crash.
    for row in range(2):
        shown, before = thumbnail_pixels(restored, row), thumbnail_pixels(window, row)
        assert len(shown) == len(before) and has_colour(shown)
        assert np.abs(np.subtract(shown, before)).max() <= 1  # 16-bit layers, 8-bit icons


def thumbnail_pixels(window: CnnWindow, row: int) -> list[tuple[int, int, int]]:
    """The RGB values of row ``row``'s thumbnail, as the list shows it."""
    item = present(window.photo_list.item(row))
    image = item.icon().pixmap(window.photo_list.iconSize()).toImage()
    return [(colour.red(), colour.green(), colour.blue())
            for colour in (image.pixelColor(x, y)
                           for y in range(image.height()) for x in range(image.width()))]


def has_colour(pixels: list[tuple[int, int, int]]) -> bool:
    return max(max(rgb) - min(rgb) for rgb in pixels) >= 3


def test_cnn_project_round_trip(qtbot, tmp_path, monkeypatch, model_file, errors):
    window = colorized_cnn_window(qtbot, tmp_path, model_file)
    save_as(window, monkeypatch, tmp_path / "album.colorize")
    saved = load_project(tmp_path / "album.colorize")
    assert saved.method == "cnn" and sorted(saved.layers) == ["result_0", "result_1"]

    restored = CnnWindow()
    qtbot.addWidget(restored)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(tmp_path / "album.colorize")], ""))
    restored.open_action.trigger()  # Ctrl+O takes projects too
    assert errors == []
    assert_same_cnn_state(restored, window, model_file)
    assert not restored.modified and "album.colorize" in restored.windowTitle()
    # The restored result is saved as it is; colorizing again brings the slider back.
    assert wait_job(qtbot, restored, restored.colorize_all) == "done"
    assert [e.colorized for e in restored.photos] == [True, True] and restored.modified


def test_cnn_autosave_is_restored_after_a_crash(qtbot, tmp_path, model_file, errors):
    window = colorized_cnn_window(qtbot, tmp_path, model_file)
    folder = tmp_path / "autosave"
    qtbot.waitUntil(lambda: not window.autosaver.pending and Path(window.autosaver.path)
                    .exists(), timeout=5000)
    # A crashed session's file: this one under the name of a process that is gone.
    shutil.copy(window.autosaver.path, folder / "999999999-crashed.colorize")

    menu = MainMenu()
    qtbot.addWidget(menu)
    offered = []
    restored = autosave.offer_restore(
        menu, ask=lambda parent, found: offered.append(found.describe()) or "restore")
    assert len(offered) == 1 and offered[0].startswith(
        "automatic colorization work on photo0.png, photo1.png")
    assert len(restored) == 1 and errors == []
    qtbot.addWidget(restored[0])
    assert_same_cnn_state(restored[0], window, model_file)
    assert restored[0].modified and autosave.orphaned_autosaves() == []
    adopted = Path(restored[0].autosaver.path)
    restored[0].close()
    assert not adopted.exists()


# --------------------------------------------------------------------------------------------
# Video window


@pytest.fixture
def clip(gray_clip) -> Path:
    return gray_clip


def test_video_project_round_trip_resumes_from_the_work_folder(
        qtbot, tmp_path, monkeypatch, clip, model_file, errors):
    folder = tmp_path / "film"
    folder.mkdir()
    video = Path(shutil.copy(clip, folder / "clip.mp4"))
    window = VideoWindow()
    qtbot.addWidget(window)
    window.picker.add_file(str(model_file))
    window.preset_box.setCurrentText("Fast")
    assert window.load(str(video)) and not window.modified
    window.epochs_box.setValue(1)
    assert wait_job(qtbot, window, window.run) == "done"
    assert window.refined_frames().complete() and window.modified
    window.scrubber.set_index(2)
    save_as(window, monkeypatch, folder / "film.colorize")
    work = window.work

    # Move the video and its project: the work folder's name (from the path) changes, but
    # the project remembers it, so the finished run is found, not redone.
    moved = tmp_path / "moved"
    shutil.move(str(folder), str(moved))
    restored = VideoWindow()
    qtbot.addWidget(restored)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(moved / "film.colorize"), ""))
    restored.open_action.trigger()
    assert errors == []
    assert restored.source.path == str(moved / "clip.mp4")
    assert restored.preset_box.currentText() == "Fast" and restored.epochs_box.value() == 1
    assert restored.picker.current().path == str(model_file)
    assert restored.work == work and restored.refined_frames().complete()
    assert restored.export_action.isEnabled() and restored.scrubber.index == 2
    assert not restored.modified

    # Another file in the video's place is not taken for it.
    (moved / "clip.mp4").write_bytes(b"\0" * 2048)
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: asked.append(a[1]) or ("", ""))
    again = VideoWindow()
    qtbot.addWidget(again)
    assert again.open_project_file(str(moved / "film.colorize")) is None
    assert len(asked) == 1 and "has changed since the project was saved" in asked[0]
    assert again.source is None


# --------------------------------------------------------------------------------------------
# Shortcuts


@pytest.mark.parametrize("window_class", [ScribbleWindow, SwatchWindow, CnnWindow,
                                          VideoWindow])
def test_every_shortcut_of_a_window_is_unique(qtbot, window_class):
    window = window_class()
    qtbot.addWidget(window)
    keys = Counter()
    owners = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString(QKeySequence.PortableText)
            keys[text] += 1
            owners.setdefault(text, []).append(action.text())
    for shortcut in window.findChildren(QShortcut):
        text = shortcut.key().toString(QKeySequence.PortableText)
        keys[text] += 1
        owners.setdefault(text, []).append("QShortcut")
    assert {key: owners[key] for key, count in keys.items() if count > 1} == {}
    assert owners["Ctrl+S"] == ["Save project"]
    assert owners["Ctrl+Shift+S"] == ["Save project as..."]
    assert len(owners["Ctrl+O"]) == 1 and len(owners["Ctrl+E"]) == 1
