"""The automatic (CNN) window's project state: its widgets bound to a CnnSession.

The project's content is read and checked by
:meth:`colorize_app.sessions.cnn.CnnSession.from_project` (the same as ``colorize cnn
--project``); this mixin only shows a session in the window's photo list, model picker and
vividness slider, and hands the window's session back for saving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from algorithms.cnn.decode import VIVIDNESS_REFERENCE
from colorize_app.gui import settings
from colorize_app.gui.model_picker import select_recorded
from colorize_app.gui.photo_list import thumbnail
from colorize_app.gui.qt_objects import present
from colorize_app.io.project import Project
from colorize_app.sessions.cnn import CnnSession

#: The slider runs from T = 1 (dull) at 0 to T = 0.05 (vivid) at 95. Its middle, 48, is
#: T = 0.52 (decode.VIVIDNESS_REFERENCE), where the decoding's vividness gain is 1: the
#: default. With the shipped model's decoding the chroma is scaled by (0.52 / T)^k on top of
#: the annealing, so the ends differ clearly (tests/test_shipped_model.py checks >= 2x).
SLIDER_MAX = 95

if TYPE_CHECKING:  # the window's parts the mixin uses, for the type checker only
    import numpy as np
    from PyQt5.QtWidgets import QSlider

    from colorize_app.gui.base_window import MethodWindow
    from colorize_app.gui.model_picker import ModelPicker
    from colorize_app.gui.photo_list import PhotoList
    from colorize_app.sessions.cnn import ModelChoice

    class _Window(MethodWindow):
        """The automatic window's attributes and methods its project mixin uses."""

        session: CnnSession
        photo_list: PhotoList
        picker: ModelPicker
        vividness: QSlider
        photo: np.ndarray | None  # pixels of the shown photo

        def _show_temperature(self) -> None: ...

        def show_photo(self, row: int) -> None: ...

        def _update_actions(self) -> None: ...
else:
    _Window = object


def temperature_of(slider_value: int) -> float:
    """Annealed-mean temperature for a vividness slider position (higher: more vivid)."""
    return round(1.0 - slider_value / 100.0, 2)


def slider_value_of(temperature: float) -> int:
    """The slider position nearest ``temperature`` (clamped by the slider to its range)."""
    return int(round((1.0 - temperature) * 100))


class CnnProjectMixin(_Window):
    """``project_state`` / ``restore_project_state`` of the CNN window (``self.session``,
    ``photo_list``, ``picker``, ``vividness``, ``jobs``, ``show_photo`` are the window's)."""

    project_method = "cnn"

    def project_state(self) -> Project | None:
        session: CnnSession = self.session
        if not session.photos:
            return None
        session.current = self.photo_list.currentRow()
        choice = self.picker.current()
        session.model = choice
        project = session.to_project()  # decodes results the slider left behind
        for row, entry in enumerate(session.photos):
            decoded = entry.decoded
            if decoded is not None and decoded[0] == session.temperature:
                self.photo_list.show_result(row, decoded[1])  # they follow the slider too
        return project

    def restore_project_state(self, project: Project, images: dict) -> None:
        session = CnnSession.from_project(project, images)  # every check, before any change
        self.jobs.wait()
        self.photo_list.blockSignals(True)
        self.photo_list.remove_all()
        self.session = session
        pixels = {image.path: image.pixels for image in images.values()}
        # A restored result is shown as its photo's thumbnail, as after colorizing.
        self.photo_list.show_entries(session.photos, [thumbnail(
            pixels[entry.path] if entry.saved_result is None else entry.saved_result)
            for entry in session.photos])
        self.photo_list.setCurrentRow(session.current if session.photos else -1)
        self.photo_list.blockSignals(False)
        self.select_model(session.model)
        # The slider shows the nearest position; the session keeps the project's value.
        temperature = VIVIDNESS_REFERENCE if session.temperature is None \
            else session.temperature  # a project always gives one
        self.vividness.blockSignals(True)
        self.vividness.setValue(slider_value_of(temperature))
        self.vividness.blockSignals(False)
        settings.set_value("cnn/temperature", temperature)
        self._show_temperature()
        self.photo, session.result = None, None
        if session.photos:
            self.show_photo(session.current)
        self._update_actions()

    def select_model(self, model: ModelChoice | None) -> None:
        """Select a project's model (a ModelChoice or None); say so when it is not here."""
        if model is not None and not select_recorded(self.picker, model.record()):
            name = model.label or model.path
            present(self.statusBar()).showMessage(
                f"The project's model {name} is not here: choose a model", 10000)
        self.session.model = self.picker.current()
