"""Long jobs tell a person what is happening: words, time left, and how the job ended; Quit
asks about all unsaved work before it closes anything."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
import pytest
from PyQt5.QtWidgets import QApplication

from algorithms.errors import CancelledError
from colorize_app.gui import base_window, jobs
from colorize_app.gui.base_window import quit_application
from colorize_app.gui.main_menu import MainMenu
from colorize_app.gui.scribble_window import ScribbleWindow


def test_time_left_follows_the_recent_rate():
    samples = deque([(0.0, 0.0)])
    assert jobs.time_left(samples, 1.0, 0.5, 0.0) is None  # too early to tell
    samples.append((10.0, 0.1))
    assert jobs.time_left(samples, 10.0, 0.1, 0.0) == pytest.approx(90.0)
    # A faster stage: after the rate window, only the recent progress counts.
    samples.append((50.0, 0.2))
    samples.append((60.0, 0.6))
    assert jobs.time_left(samples, 60.0, 0.6, 0.0) == pytest.approx(0.4 * 50 / 0.5)


def video_window():
    from colorize_app.gui.video_window import VideoWindow

    return VideoWindow()


@pytest.fixture(params=[ScribbleWindow, video_window], ids=["scribble", "video"])
def window(qtbot, request):
    window = request.param()
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_running_job_shows_its_words_and_time_left_at_1024_wide(qtbot, window, monkeypatch):
    monkeypatch.setattr(jobs, "ESTIMATE_AFTER_S", 0.0)
    halfway, release = threading.Event(), threading.Event()

    def task(progress, cancelled):
        progress(0.1, "colorizing frame 9/90, ETA 5 s")
        time.sleep(0.3)
        progress(0.5, "shot 1/2, training epoch 3/25")
        halfway.set()
        release.wait(10)
        progress(1.0, "done")
        return 42

    window.jobs.start(task, lambda result: None, "Colorize video")
    qtbot.waitUntil(halfway.is_set, timeout=5000)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: "epoch 3/25" in bar.currentMessage(), timeout=5000)
    message = bar.currentMessage()
    assert message.startswith("Colorize video: shot 1/2, training epoch 3/25 - about ")
    assert message.endswith(" s left") and "ETA" not in message
    # The status line has room for it: the message area is not squeezed by other widgets.
    width = bar.fontMetrics().horizontalAdvance(message)
    spare = bar.width() - sum(child.width() for child in bar.findChildren(type(window.size_label))
                              if child.isVisible())
    assert width < spare
    with qtbot.waitSignal(window.jobs.finished, timeout=5000):
        release.set()
    assert bar.currentMessage().startswith("Colorize video: done in ")


def test_cancelled_and_failed_jobs_say_so(qtbot, window, errors):
    started = threading.Event()

    def slow(progress, cancelled):
        started.set()
        while not cancelled():
            progress(0.2, "working")
            time.sleep(0.01)
        raise CancelledError("cancelled")

    window.jobs.start(slow, lambda result: None, "Export")
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(window.jobs.finished, timeout=5000):
        window.jobs.cancel_button.click()
    assert window.statusBar().currentMessage().startswith("Export: cancelled after ")

    def broken(progress, cancelled):
        raise OSError("disk full")

    with qtbot.waitSignal(window.jobs.finished, timeout=5000):
        window.jobs.start(broken, lambda result: None, "Export")
    assert window.statusBar().currentMessage().startswith("Export: failed after ")
    assert errors and "disk full" in errors[0][1]


def test_quit_then_cancel_leaves_every_window_open(qtbot, monkeypatch):
    menu = MainMenu()
    qtbot.addWidget(menu)
    menu.show()
    clean, unsaved, also_unsaved = ScribbleWindow(), ScribbleWindow(), ScribbleWindow()
    for window in (clean, unsaved, also_unsaved):
        qtbot.addWidget(window)
        window.show()
    for window in (unsaved, also_unsaved):
        window.set_photo(np.full((20, 30), 0.5, np.float32), "")
        window.mark_changed()
        monkeypatch.setattr(window, "project_state", lambda: object())  # work to keep
    asked = []

    def answer(window, action=""):
        asked.append((window, action))
        return "discard" if len(asked) == 1 else "cancel"

    monkeypatch.setattr(base_window, "ask_save_changes", answer)
    assert quit_application() is False
    assert {window for window, _ in asked} == {unsaved, also_unsaved}
    assert all(w.isVisible() for w in (menu, clean, unsaved, also_unsaved))

    asked.clear()
    monkeypatch.setattr(base_window, "ask_save_changes",
                        lambda window, action="": asked.append(window) or "discard")
    assert quit_application() is True
    assert sorted(map(id, asked)) == sorted(map(id, [unsaved, also_unsaved]))  # once each
    assert not any(w.isVisible() for w in (menu, clean, unsaved, also_unsaved))
    QApplication.processEvents()


def test_help_menu_says_how_to_use_the_window(qtbot, monkeypatch):
    window = ScribbleWindow()
    qtbot.addWidget(window)
    shown = []
    monkeypatch.setattr(base_window.QMessageBox, "information",
                        lambda parent, title, text: shown.append((title, text)))
    assert [a.text() for a in window.help_menu.actions()][0] == "How to use this window"
    window.help_action.trigger()
    assert shown[0][0] == "How to use: Scribble colorization"
    assert "Eyedropper" in shown[0][1]


def test_files_named_on_the_command_line_open_in_their_windows(qtbot, tmp_path, monkeypatch):
    from colorize_app.gui import app
    from colorize_app.io import media

    photo = tmp_path / "gray.png"
    media.write_image(str(photo), np.full((12, 16), 0.5, np.float32))
    menu = MainMenu()
    qtbot.addWidget(menu)
    opened = []
    real_open = menu.open_entry
    monkeypatch.setattr(menu, "open_entry", lambda key: opened.append(real_open(key))
                        or opened[-1])
    assert app.window_key_for(str(photo)) == "scribble"
    assert app.window_key_for(str(tmp_path / "clip.mp4")) == "video"
    app.open_paths(menu, [str(photo)])
    (window,) = opened
    qtbot.addWidget(window)
    assert isinstance(window, ScribbleWindow) and window.photo.shape == (12, 16)
    window.close()


def test_a_failing_result_callback_still_ends_the_job(qtbot):
    window = ScribbleWindow()
    qtbot.addWidget(window)
    ended = []
    window.jobs.finished.connect(ended.append)

    def show(_result):
        raise RuntimeError("the window could not show it")

    with qtbot.capture_exceptions() as raised:
        window.jobs.start(lambda progress, cancelled: 1, show, "Colorize")
        qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    assert ended == ["done"] and not window.jobs.busy
    assert [str(error[1]) for error in raised] == ["the window could not show it"]
