"""How far the temperature travels: from the command line's ``run`` and from the automatic
window to the decoder, the session does the work, so the front hands the temperature down
once and the walk stays short.

The walk is traced with ``sys.setprofile``: from the front's entry frame, every call into the
project's own modules (``colorize_app``, ``algorithms``) whose arguments hold the temperature
(the value itself, or an object whose ``temperature``, or whose ``decoding``'s, it is: the
command's options, a session, a colorizer, a decoding) is a step, until the decoder crossing:
the first such call into ``algorithms.cnn.decode`` made by ``algorithms.cnn.colorizer``.
Counted: the distinct modules of the entry and of the steps (the crossing's included), and
the climbs back: steps that returned into the front before the crossing (the front took
the temperature back and had to hand it on again).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import FrameType

import numpy as np
import pytest

from colorize_app import cli
from colorize_app.io import media
from colorize_app.io import model_registry as registry

pytest.importorskip("tensorflow")

#: The crossing: the decoder's module, entered from the colorizer's.
DECODER, COLORIZER = "algorithms.cnn.decode", "algorithms.cnn.colorizer"
#: The targets: at most this many modules, and this many climbs back.
MAX_MODULES, MAX_CLIMBS = 6, 1


def _holds(value: object, temperature: float, depth: int = 0) -> bool:
    """Whether ``value`` is the temperature or carries it (``.temperature``, ``.decoding``)."""
    if isinstance(value, float):
        return value == temperature
    if depth > 1 or value is None or isinstance(value, (bool, int, str, bytes, type)):
        return False
    try:
        attributes = vars(value)
    except TypeError:
        return False
    return any(name in attributes and _holds(attributes[name], temperature, depth + 1)
               for name in ("temperature", "decoding"))


@dataclass
class Walk:
    """A profile function following ``temperature`` from the entry (module, function)."""

    temperature: float
    entry: tuple[str, str]
    modules: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    climbs: list[str] = field(default_factory=list)
    crossed: bool = False
    _front: FrameType | None = None

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if self.crossed or event not in ("call", "return"):
            return
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in ("colorize_app", "algorithms"):
            return
        if event == "call" and self._front is None:
            if (module, frame.f_code.co_name) == self.entry:
                self._front = frame
                self._step(module, frame)
            return
        if self._front is None or not any(
                _holds(value, self.temperature) for value in frame.f_locals.values()):
            return
        if event == "call":
            self._step(module, frame)
            caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
            self.crossed = module == DECODER and caller == COLORIZER
        elif frame.f_back is self._front:
            self.climbs.append(f"{module}.{frame.f_code.co_name}")

    def _step(self, module: str, frame: FrameType) -> None:
        self.steps.append(f"{module}.{frame.f_code.co_name}")
        if module not in self.modules:
            self.modules.append(module)


def follow(temperature: float, entry: tuple[str, str], action) -> Walk:
    """Run ``action()`` while following ``temperature`` from ``entry``."""
    walk = Walk(temperature, entry)
    previous = sys.getprofile()
    sys.setprofile(walk)
    try:
        action()
    finally:
        sys.setprofile(previous)
    return walk


def _front(settings, colorizer, decode):
    """A front (run below as a project module's): it hands the temperature to a helper that
    returns (one climb back), then down to the decoder through the colorizer's module."""
    decode.check_temperature(settings.temperature)
    prediction = colorizer.Prediction(np.zeros((1, 1, 2), np.float32),
                                      np.zeros((2, 2), np.float32), (1, 1), False,
                                      np.zeros((2, 2), np.float32))
    return prediction.ab_at(settings.temperature)


def test_the_walk_counts_what_it_says():
    import types

    from algorithms.cnn import colorizer, decode

    settings = types.SimpleNamespace(temperature=0.4321)
    front = types.FunctionType(_front.__code__, {"__name__": "colorize_app.a_front",
                                                 "np": np}, "front")
    walk = follow(0.4321, ("colorize_app.a_front", "_front"),
                  lambda: front(settings, colorizer, decode))
    assert walk.crossed
    assert walk.climbs == ["algorithms.cnn.decode.check_temperature"]
    assert walk.modules == ["colorize_app.a_front", DECODER, COLORIZER]
    assert walk.steps[-1] == f"{DECODER}.at_temperature"


def test_the_command_lines_temperature_reaches_the_decoder_in_a_short_walk(
        tmp_path, model_file, monkeypatch):
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    media.write_image(tmp_path / "photo.png", np.full((24, 32), 0.5, np.float32))
    arguments = ["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png"),
                 "--model", str(model_file), "--size", "32", "--temperature", "0.4321"]
    walk = follow(0.4321, ("colorize_app.commands.cnn", "run"),
                  lambda: cli.main(arguments))
    assert walk.crossed, walk.steps
    assert (tmp_path / "out.png").exists()
    assert len(walk.modules) <= MAX_MODULES, walk.modules
    assert len(walk.climbs) <= MAX_CLIMBS, walk.climbs


@pytest.fixture
def cnn_window(qtbot, tmp_path, monkeypatch):
    """The automatic window with private settings, no installed model."""
    pytest.importorskip("PyQt5")
    from colorize_app.gui import autosave, base_window, settings

    monkeypatch.setattr(settings, "SETTINGS_FILE", str(tmp_path / "settings.ini"))
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", str(tmp_path / "autosave"))
    monkeypatch.setattr(base_window, "ask_save_changes", lambda window, action="": "discard")
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    from colorize_app.gui.cnn_window import CnnWindow

    window = CnnWindow()
    qtbot.addWidget(window)
    return window


def test_the_windows_temperature_reaches_the_decoder_in_a_short_walk(
        qtbot, cnn_window, tmp_path, model_file, monkeypatch):
    from colorize_app.gui.cnn_state import temperature_of

    window = cnn_window
    window.vividness.setValue(57)  # the slider's T
    temperature = temperature_of(57)
    assert window.session.temperature == temperature
    path = tmp_path / "photo.png"
    media.write_image(path, np.full((24, 32), 0.5, np.float32))
    with qtbot.waitSignal(window.jobs.finished, timeout=60_000):
        window.add_photos([str(path)])
    window.picker.add_file(str(model_file))
    tasks = []
    monkeypatch.setattr(window.jobs, "start", lambda task, done, title: tasks.append(task))
    window.colorize_all()
    # The colorize job's task, run here rather than in the job runner's thread: the same
    # code, where the profiler sees it.
    walk = follow(temperature, ("colorize_app.gui.cnn_window", "task"),
                  lambda: tasks[0](lambda fraction, message: None, lambda: False))
    assert walk.crossed, walk.steps
    assert len(walk.modules) <= MAX_MODULES, walk.modules
    assert len(walk.climbs) <= MAX_CLIMBS, walk.climbs
    window.jobs.finished.emit("done")  # what the job runner says when a task ends
    assert window.session.photos[0].prediction is not None

    # The vividness slider: the shown photo decoded again at its new temperature.
    window.vividness.setValue(30)
    assert window.session.temperature == temperature_of(30)
    walk = follow(temperature_of(30), ("colorize_app.gui.cnn_window", "redecode"),
                  window.redecode)
    assert walk.crossed, walk.steps
    assert len(walk.modules) <= MAX_MODULES, walk.modules
    assert len(walk.climbs) <= MAX_CLIMBS, walk.climbs
