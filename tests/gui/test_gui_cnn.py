"""The automatic (CNN) window: model files, colorizing a list, the vividness slider, saving."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtWidgets import QFileDialog, QMessageBox

from algorithms.colorspace import lab_lightness, rgb_to_lab
from colorize_app.io import media
from colorize_app.io import model_registry as registry

pytest.importorskip("tensorflow")

from algorithms.cnn.architecture import Architecture
from colorize_app.gui.cnn_window import CnnWindow, temperature_of
from colorize_app.gui.scribble_window import ScribbleWindow

FIXTURES = Path(__file__).parent.parent / "fixtures"
TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))
JOB_MS = 60_000


@pytest.fixture(autouse=True)
def no_installed_models(monkeypatch, tmp_path):
    """An empty data folder and no shipped model, unless a test adds one."""
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")


def write_gray(path: Path, height: int = 40, width: int = 56, phase: float = 0.0) -> Path:
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    media.write_image(path, (0.5 + 0.4 * np.sin(8 * xx + phase) * np.cos(5 * yy)))
    return path


@pytest.fixture
def window(qtbot):
    window = CnnWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def wait_job(qtbot, window, start) -> str:
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        assert start() is not False
    return finished.args[0]


def open_photos(qtbot, window, paths) -> None:
    assert wait_job(qtbot, window, lambda: window.add_photos([str(p) for p in paths])) == "done"


def choose_file_through_the_dialog(qtbot, window, monkeypatch, path, bins=None) -> str:
    answers = [str(path)] + ([str(bins)] if bins else [])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (answers.pop(0), ""))
    picker = window.picker
    choose_row = picker.count() - 1
    assert picker.itemText(choose_row) == "Model file..."
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        picker.activated.emit(choose_row)
    assert answers == []
    return finished.args[0]


def test_model_file_chosen_in_the_dialog_is_loaded(qtbot, window, monkeypatch, model_file,
                                                   errors):
    assert window.picker.current() is None  # nothing installed
    assert choose_file_through_the_dialog(qtbot, window, monkeypatch, model_file) == "done"
    assert errors == []
    assert window.colorizer is not None and window.colorizer.model.path == str(model_file)
    assert window.colorizer.model.architecture.widths == TINY.widths
    assert window.picker.current().path == str(model_file)
    assert window.picker.currentText() == "tiny.npz (file)"


def test_official_pth_and_tf_checkpoint_with_bins_load_too(qtbot, window, monkeypatch,
                                                           tmp_path, errors):
    pth = FIXTURES / "eccv16_tiny.pth"
    assert choose_file_through_the_dialog(qtbot, window, monkeypatch, pth) == "done"
    assert window.colorizer.model.metadata["source_format"] == "torch"
    # The same network saved as a TF checkpoint, with its bins in a separate file.
    prefix = str(tmp_path / "ckpt" / "model.ckpt")
    os.makedirs(os.path.dirname(prefix))
    window.colorizer.network.save_checkpoint(prefix)
    bins = tmp_path / "my_bins.npy"
    np.save(bins, window.colorizer.model.bins)
    outcome = choose_file_through_the_dialog(qtbot, window, monkeypatch, prefix + ".index",
                                             bins)
    assert outcome == "done" and errors == []
    assert window.colorizer.model.metadata["source_format"] == "tf_checkpoint"


def test_a_file_that_is_no_model_gives_a_one_line_error(qtbot, window, monkeypatch, tmp_path,
                                                        errors):
    bad = tmp_path / "notes.npz"
    bad.write_bytes(b"hello")
    assert choose_file_through_the_dialog(qtbot, window, monkeypatch, bad) == "failed"
    assert len(errors) == 1 and "not a model file" in errors[0][1]
    assert window.colorizer is None


def test_slider_redecodes_without_running_the_network(qtbot, window, monkeypatch, model_file,
                                                      tmp_path):
    choose_file_through_the_dialog(qtbot, window, monkeypatch, model_file)
    open_photos(qtbot, window, [write_gray(tmp_path / "a.png"),
                                write_gray(tmp_path / "b.png", 30, 20, phase=1.0)])
    assert wait_job(qtbot, window, window.colorize_all) == "done"
    assert all(photo.prediction is not None for photo in window.photos)
    runs = window.colorizer.forward_runs
    window.photo_list.setCurrentRow(0)
    shown = window.result_view.view.after_item.pixmap().toImage()
    before = window.result.copy()

    def chroma(rgb):
        lab = rgb_to_lab(rgb.astype(np.float64))
        return np.hypot(lab[..., 1], lab[..., 2]).mean()

    window.vividness.setValue(90)  # T = 0.1: more vivid
    qtbot.waitUntil(lambda: not np.array_equal(window.result, before), timeout=2000)
    assert temperature_of(90) == pytest.approx(0.1)
    assert chroma(window.result) > chroma(before)
    assert window.result_view.view.after_item.pixmap().toImage() != shown
    # The lightness stays the photo's own; the network did not run again.
    gray = window.photo
    assert np.median(np.abs(rgb_to_lab(window.result.astype(np.float64))[..., 0]
                            - lab_lightness(gray))) < 0.5
    window.photo_list.setCurrentRow(1)  # the other photo decodes from its own prediction
    assert window.result.shape == (30, 20, 3)
    assert window.colorizer.forward_runs == runs


def test_colorize_without_a_model_offers_the_download(qtbot, window, monkeypatch, tmp_path):
    open_photos(qtbot, window, [write_gray(tmp_path / "a.png")])
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *rest: asked.append(text) or QMessageBox.No)
    assert window.colorize_all() is False
    assert len(asked) == 1 and "No colorization model is installed" in asked[0]
    assert "Download the authors' official weights" in asked[0]


def test_download_offline_says_so_and_keeps_nothing(qtbot, window, monkeypatch, tmp_path,
                                                    errors):
    entry = registry.REGISTRY["eccv16"]
    monkeypatch.setitem(registry.REGISTRY, "eccv16", registry.RegistryEntry(
        entry.name, entry.filename, "http://127.0.0.1:9/model.pth", entry.sha256, entry.size,
        entry.description))
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        window.download_action.trigger()
    assert finished.args == ["failed"] and len(errors) == 1
    message = errors[0][1]
    assert "cannot download eccv16: no connection to 127.0.0.1:9 (offline?)" in message
    assert "'Model file...'" in message and "--model" not in message
    assert registry.installed_models() == [] and window.picker.current() is None


def test_downloaded_model_appears_in_the_picker(qtbot, window, monkeypatch, tmp_path):
    data = tmp_path / "data"

    def fake_download(name, progress=None):
        progress(0.5, "half")
        data.mkdir(exist_ok=True)
        target = data / registry.REGISTRY[name].filename
        target.write_bytes((FIXTURES / "eccv16_tiny.pth").read_bytes())
        return target

    monkeypatch.setattr(registry, "download", fake_download)
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS):
        window.download_action.trigger()
    assert window.picker.currentText() == "eccv16 (downloaded)"


def test_cancel_keeps_the_photos_done_and_saving_writes_whole_files(
        qtbot, window, monkeypatch, model_file, tmp_path, errors):
    choose_file_through_the_dialog(qtbot, window, monkeypatch, model_file)
    paths = [write_gray(tmp_path / f"p{i}.png", phase=i) for i in range(3)]
    open_photos(qtbot, window, paths)
    colorizer = window.colorizer
    original = colorizer.colorize

    def colorize_then_cancel_after_first(*args, **kwargs):
        rgb = original(*args, **kwargs)
        window.jobs.worker.cancel_event.set()  # as the Cancel button does
        return rgb

    monkeypatch.setattr(colorizer, "colorize", colorize_then_cancel_after_first)
    assert wait_job(qtbot, window, window.colorize_all) == "cancelled"
    assert [photo.prediction is not None for photo in window.photos] == [True, False, False]

    out = tmp_path / "out"
    out.mkdir()
    assert wait_job(qtbot, window, lambda: window.save_all_to(str(out))) == "done"
    assert sorted(os.listdir(out)) == ["p0_colorized.png"]
    saved = media.read_image(out / "p0_colorized.png").pixels
    window.photo_list.setCurrentRow(0)
    assert np.abs(saved - window.result).max() <= 0.5 / 255 + 1e-6
    assert errors == []


def test_refine_with_strokes_starts_the_scribble_window_from_the_result(
        qtbot, window, monkeypatch, model_file, tmp_path):
    choose_file_through_the_dialog(qtbot, window, monkeypatch, model_file)
    open_photos(qtbot, window, [write_gray(tmp_path / "a.png")])
    assert wait_job(qtbot, window, window.colorize_selected) == "done"
    from colorize_app.gui import cnn_window

    window.refine_action.trigger()
    scribble = cnn_window._HANDED_OFF[-1]
    qtbot.addWidget(scribble)
    assert isinstance(scribble, ScribbleWindow)
    assert np.array_equal(scribble.result, window.result)
    assert np.array_equal(scribble.photo, window.photo)
    assert scribble.prior_chroma is not None and scribble.photo_path == str(tmp_path / "a.png")


def test_menu_opens_the_cnn_and_video_windows(qtbot):
    from colorize_app.gui.main_menu import MainMenu
    from colorize_app.gui.video_window import VideoWindow

    menu = MainMenu()
    qtbot.addWidget(menu)
    cnn, video = menu.open_entry("cnn"), menu.open_entry("video")
    assert isinstance(cnn, CnnWindow) and isinstance(video, VideoWindow)
    assert cnn.isVisible() and video.isVisible()
    for opened in (cnn, video):
        with qtbot.waitSignal(opened.destroyed):
            opened.close()
    assert menu._open_windows == []


def test_shipped_model_is_listed_first_and_used_without_asking(qtbot, monkeypatch, model_file,
                                                               tmp_path, errors):
    monkeypatch.setattr(registry, "shipped_model_path", lambda: model_file)
    window = CnnWindow()
    qtbot.addWidget(window)
    shipped = f"{registry.SHIPPED_NAME} (shipped)"
    assert window.picker.currentText() == shipped
    assert [window.picker.itemText(i) for i in range(window.picker.count())] == [
        shipped, "Model file..."]
    open_photos(qtbot, window, [write_gray(tmp_path / "a.png")])
    assert wait_job(qtbot, window, window.colorize_selected) == "done" and errors == []
    assert window.colorizer.model.path == str(model_file)
    assert window.photos[0].prediction is not None and window.result.shape == (40, 56, 3)


@pytest.mark.parametrize("temperature, refused", [(2.5, False), (11, True)])
def test_a_projects_temperature_has_the_command_lines_rule(qtbot, window, tmp_path, errors,
                                                            temperature, refused):
    from colorize_app.io.project import save_project
    from colorize_app.io.project_images import image_ref
    from colorize_app.sessions.cnn import CnnSession, PhotoEntry

    path = write_gray(tmp_path / "photo.png")
    session = CnnSession(photos=[PhotoEntry(str(path), 56, 40, ref=image_ref(path, (56, 40)))],
                         temperature=temperature)
    save_project(tmp_path / "p.colorize", session.to_project())
    shown = window.open_project_file(str(tmp_path / "p.colorize"))
    if refused:  # the words of `colorize cnn --temperature` and of --project
        assert shown is None and not window.photos
        assert errors[-1][1].endswith("temperature must be in (0, 10], got 11")
    else:  # beyond the slider's range: kept as it is, the slider at its dull end
        assert errors == [] and window.temperature == 2.5 and window.vividness.value() == 0
        assert window.temperature_label.text() == " T = 2.50"
