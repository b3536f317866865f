"""The job runner: results on the UI thread, progress from any thread, cancel, error dialogs."""

from __future__ import annotations

import threading
import time

import pytest
from PyQt5.QtWidgets import QMainWindow

from algorithms.errors import BadInputError
from algorithms.progress import Reporter
from colorize_app.gui.jobs import JobRunner


@pytest.fixture
def runner(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    return JobRunner(window)


def test_result_arrives_on_the_ui_thread_with_progress(qtbot, runner, errors):
    received, threads, fractions = [], [], []
    runner.progress_bar.valueChanged.connect(fractions.append)

    def task(progress, cancelled):
        # Engines report from their own worker threads: the runner must cope.
        helper = threading.Thread(target=progress, args=(0.5, "half"))
        helper.start()
        helper.join()
        return 42

    def on_success(result):
        received.append(result)
        threads.append(threading.current_thread() is threading.main_thread())

    with qtbot.waitSignal(runner.finished, timeout=5000) as finished:
        assert runner.start(task, on_success, "Test")
        assert runner.busy and runner.progress_bar.isVisibleTo(runner.parent())
    assert finished.args == ["done"]
    assert received == [42] and threads == [True]
    assert 500 in fractions
    assert not runner.busy and errors == []


def test_cancel_stops_a_long_job_and_its_result_never_arrives(qtbot, runner, errors):
    received = []

    def endless(progress, cancelled):
        report = Reporter(progress, cancelled)
        while True:  # only cancelling ends it
            report(0.1, "looping")
            time.sleep(0.002)

    with qtbot.waitSignal(runner.finished, timeout=5000) as finished:
        runner.start(endless, received.append, "Endless")
        qtbot.wait(30)
        runner.cancel_button.click()
    assert finished.args == ["cancelled"]
    assert received == [] and errors == [] and not runner.busy


def test_user_error_becomes_a_dialog_with_its_message(qtbot, runner, errors):
    def failing(progress, cancelled):
        raise BadInputError("photo.png is truncated (incomplete file)")

    with qtbot.waitSignal(runner.finished, timeout=5000) as finished:
        runner.start(failing, lambda result: None, "Colorize")
    assert finished.args == ["failed"]
    assert errors == [("Colorize", "photo.png is truncated (incomplete file)", "")]


def test_bug_becomes_a_dialog_with_expandable_details(qtbot, runner, errors):
    def buggy(progress, cancelled):
        return 1 / 0

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(buggy, lambda result: None, "Colorize")
    (title, message, details), = errors
    assert "ZeroDivisionError" in message and "Traceback" in details


def test_a_second_job_waits_for_the_first(qtbot, runner, errors):
    gate = threading.Event()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        assert runner.start(lambda progress, cancelled: gate.wait(5), lambda r: None, "One")
        assert not runner.start(lambda progress, cancelled: 2, lambda r: None, "Two")
        gate.set()


def test_silent_runner_replaces_the_running_job(qtbot, errors):
    window = QMainWindow()
    qtbot.addWidget(window)
    runner = JobRunner(window, silent=True)
    received = []

    def slow(progress, cancelled):
        report = Reporter(progress, cancelled)
        for _ in range(2000):
            report(0.0)
            time.sleep(0.002)
        return "old"

    runner.start(slow, received.append)
    runner.start(lambda progress, cancelled: "new", received.append)
    qtbot.waitUntil(lambda: received == ["new"] and not runner.busy, timeout=5000)
    assert not runner.progress_bar.isVisibleTo(window)
