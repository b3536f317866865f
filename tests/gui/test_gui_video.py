"""The video window: a short clip with a tone goes through colorization, refinement, export."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtCore import QPointF

pytest.importorskip("tensorflow")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from algorithms.colorspace import luminance  # noqa: E402
from colorize_app.gui import model_picker, video_window  # noqa: E402
from colorize_app.gui.video_window import VideoWindow  # noqa: E402
from colorize_app.io import model_registry as registry  # noqa: E402
from colorize_app.io import video_in  # noqa: E402
from colorize_app.sessions import video_presets  # noqa: E402
from deep_video_prior import RefineSettings  # noqa: E402

FRAMES, WIDTH, HEIGHT, FPS = 6, 48, 32, 12
JOB_MS = 120_000


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """6 gray frames of 48 x 32 at 12 fps with a 440 Hz tone, made by ffmpeg."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         f"testsrc=size={WIDTH}x{HEIGHT}:rate={FPS}", "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=44100", "-frames:v", str(FRAMES), "-t",
         str(FRAMES / FPS), "-vf", "hue=s=0", "-pix_fmt", "yuv420p", "-c:v", "libx264",
         "-c:a", "aac", str(path)], check=True)
    return path


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Private cache and data folders; a tiny 'Fast' preset (1 epoch, width 4)."""
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")
    monkeypatch.setenv("COLORIZE_CACHE_DIR", str(tmp_path / "cache"))
    tiny = RefineSettings(
        method="network", epochs=1, width=4, working_pixels=WIDTH * HEIGHT, warmup_epochs=0)
    monkeypatch.setitem(video_presets.PRESETS, "fast", video_presets.Preset("fast", "Fast", tiny))


@pytest.fixture
def window(qtbot, clip, model_file, errors):
    window = VideoWindow()
    qtbot.addWidget(window)
    window.show()
    window.picker.add_file(str(model_file))
    window.preset_box.setCurrentText("Fast")
    assert window.load(str(clip)) and errors == []
    return window


def wait_job(qtbot, window, start) -> str:
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_MS) as finished:
        assert start() is not False
    return finished.args[0]


def hidden_files(folder: Path) -> list[str]:
    return [name for _, _, files in os.walk(folder) for name in files if name.startswith(".")]


def test_clip_is_colorized_refined_and_exported_with_its_audio(qtbot, window, tmp_path, errors,
                                                              monkeypatch):
    source = window.source
    assert (len(source), source.width, source.height, source.has_audio) == (6, 48, 32, True)
    assert window.epochs_box.value() == 1
    assert wait_job(qtbot, window, window.run) == "done" and errors == []
    refined = window.refined_frames()
    assert refined.complete() and window.export_action.isEnabled()
    for index in (0, 5):
        gray = luminance(source[index])
        frame = refined[index]
        assert frame.shape == (HEIGHT, WIDTH, 3)
        # Refinement keeps the frame's own luminance (8-bit files both ways).
        assert np.abs(luminance(frame) - gray).max() < 2.5 / 255
    assert any(np.ptp(refined[i], axis=2).max() > 0.02 for i in range(FRAMES))  # has colour
    window.scrubber.set_index(4)
    assert window.view.view.has_after

    out = tmp_path / "out" / "coloured.mp4"
    out.parent.mkdir()
    assert wait_job(qtbot, window, lambda: window.export_to(str(out))) == "done"
    exported = video_in.open_frames(out)
    assert (len(exported), exported.width, exported.height) == (FRAMES, WIDTH, HEIGHT)
    assert exported.has_audio and exported.fps == pytest.approx(FPS, rel=0.01)
    assert np.abs(exported[2] - refined[2]).mean() < 0.04  # H.264 is lossy, but close
    assert hidden_files(out.parent) == []

    # Delete work files: the cached frames go, a new run would start over.
    from PyQt5.QtWidgets import QMessageBox

    work = window.work
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.Yes)
    window.delete_action.trigger()
    assert not work.exists() and not window.export_action.isEnabled()
    assert not window.view.view.has_after and window.run_action.text() == "Colorize and refine"


def test_cancelled_run_resumes_without_redoing_finished_work(qtbot, window, monkeypatch):
    built, cancel_once = [], [True]
    real_build = model_picker.build_colorizer

    def build_and_cancel_after_three_frames(choice):
        colorizer = real_build(choice)
        original = colorizer.colorize

        def colorize(*args, **kwargs):
            if colorizer.forward_runs == 3 and cancel_once:
                cancel_once.pop()
                window.jobs.worker.cancel_event.set()  # as the Cancel button does
            return original(*args, **kwargs)

        colorizer.colorize = colorize
        built.append(colorizer)
        return colorizer

    # The window gets its colorizer through model_picker.obtain_colorizer.
    monkeypatch.setattr(model_picker, "build_colorizer", build_and_cancel_after_three_frames)
    assert wait_job(qtbot, window, window.run) == "cancelled"
    per_frame = window.per_frame_frames()
    assert [per_frame.has(i) for i in range(FRAMES)] == [True] * 4 + [False] * 2
    assert not window.refined_frames().folder.exists()
    assert hidden_files(window.work) == []  # no half-written frame
    assert window.run_action.text() == "Resume"

    colorizer = built[0]
    assert wait_job(qtbot, window, window.run) == "done"
    assert colorizer.forward_runs == FRAMES  # only the two missing frames ran
    assert window.refined_frames().complete()
    assert window.last_report.resumed_shots == [] and window.last_report.epochs_run == 1

    assert wait_job(qtbot, window, window.run) == "done"  # again: every shot read back
    assert colorizer.forward_runs == FRAMES
    assert window.last_report.resumed_shots == [0] and window.last_report.epochs_run == 0
    assert "1 shot, 1 resumed" in window.report_label.text()


def test_cancelled_export_leaves_no_half_file(qtbot, window, monkeypatch, tmp_path):
    assert wait_job(qtbot, window, window.run) == "done"
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    real_read = video_window.FrameFolder.__getitem__

    def read_then_cancel(frames, index):
        if index == 3:
            window.jobs.worker.cancel_event.set()  # as the Cancel button does
        return real_read(frames, index)

    monkeypatch.setattr(video_window.FrameFolder, "__getitem__", read_then_cancel)
    for target in ("coloured.mp4", "frames"):  # a video file, a folder of frames
        outcome = wait_job(qtbot, window,
                           lambda path=str(out_folder / target): window.export_to(path))
        assert outcome == "cancelled"
        assert os.listdir(out_folder) == []


def test_run_without_a_model_offers_the_download(qtbot, clip, monkeypatch, errors):
    from PyQt5.QtWidgets import QMessageBox

    window = VideoWindow()
    qtbot.addWidget(window)
    assert window.load(str(clip))
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *rest: asked.append(text) or QMessageBox.No)
    assert window.run() is False
    assert len(asked) == 1 and "No colorization model is installed" in asked[0]


def test_play_steps_through_the_frames_and_stops_at_the_end(qtbot, window):
    seen = []
    window.scrubber.frame_changed.connect(seen.append)
    assert window.scrubber.timer.interval() == round(1000 / FPS)
    window.scrubber.play()
    qtbot.waitUntil(lambda: not window.scrubber.playing, timeout=5000)
    assert seen == [1, 2, 3, 4, 5] and window.scrubber.index == FRAMES - 1



def test_playing_never_moves_the_frame_and_a_new_clip_clears_the_report(qtbot, window, clip):
    window.resize(1024, 700)
    view = window.view.view
    view.zoom_at(2.37, QPointF(101, 57))
    before = view.viewportTransform()
    for _ in range(3):
        window.scrubber.set_index(0)
        window.scrubber.play()
        qtbot.waitUntil(lambda: not window.scrubber.playing, timeout=5000)
    assert view.viewportTransform() == before
    window.set_report("Done: refined 6 frames")
    assert window.load(str(clip))
    assert window.report_label.text() == ""


def test_cancelled_run_says_so_and_how_to_go_on(qtbot, window, monkeypatch):
    real_build = model_picker.build_colorizer

    def build_and_cancel(choice):
        colorizer = real_build(choice)
        original = colorizer.colorize

        def colorize(*args, **kwargs):
            if colorizer.forward_runs == 2:
                window.jobs.worker.cancel_event.set()
            return original(*args, **kwargs)

        colorizer.colorize = colorize
        return colorizer

    monkeypatch.setattr(model_picker, "build_colorizer", build_and_cancel)
    assert wait_job(qtbot, window, window.run) == "cancelled"
    text = window.report_label.text()
    assert text.startswith("Colorize video: cancelled after ") and "Resume (Ctrl+R)" in text
    assert window.statusBar().currentMessage().startswith("Colorize video: cancelled after ")


def test_a_video_too_large_is_refused_with_the_command_lines_words(
        qtbot, clip, model_file, monkeypatch, tmp_path, errors, capsys):
    from colorize_app import cli
    from colorize_app.runtime import system

    monkeypatch.setattr(system, "available_memory", lambda: 100_000)
    assert cli.main(["video", str(clip), "--model", str(model_file), "-o",
                     str(tmp_path / "out.mp4")]) == 1
    said = capsys.readouterr().err.strip().splitlines()[-1].removeprefix("colorize: error: ")
    assert said.startswith("colorizing the 48 x 32 frames of ")
    window = VideoWindow()
    qtbot.addWidget(window)
    assert window.load(str(clip)) is False
    assert errors == [("Open video", said, "")] and window.source is None
