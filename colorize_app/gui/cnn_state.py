"""The automatic (CNN) window's project state (to and from a Project).

Kept apart from ``cnn_window`` so that the window module stays about colorizing. A CNN
project holds the photos by role ``photo_0``, ``photo_1``... (path and checksum), the
settings ``photos`` (the roles in list order), ``current`` (the shown row),
``temperature`` and ``model`` (``path``, ``bins_path``, ``label``), and a layer
``result_<i>`` for each photo whose result is at hand without decoding: the shown
photo's, and results restored from a project. The network's logits are not kept, so a
restored result keeps its vividness until the photo is colorized again.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Optional

from algorithms.errors import BadInputError
from colorize_app.gui.model_picker import choice_data, select_recorded
from colorize_app.gui.photo_list import thumbnail
from colorize_app.project import ImageRef, Project

if TYPE_CHECKING:
    from colorize_app.gui.cnn_window import CnnWindow


class CnnProjectMixin:
    """``project_state`` / ``restore_project_state`` of the CNN window."""

    project_method = "cnn"

    def project_state(self: "CnnWindow") -> Optional[Project]:
        if not self.photos:
            return None
        current = self.current_entry()
        images, layers = {}, {}
        for index, entry in enumerate(self.photos):
            role = f"photo_{index}"
            images[role] = entry.ref or ImageRef(entry.path, size=(entry.width, entry.height))
            # Only results already decoded: decoding every photo here would block the UI.
            result = self.result if entry is current else entry.saved_result
            if result is not None:
                layers[f"result_{index}"] = result
        settings = {"photos": list(images), "current": self.photo_list.currentRow(),
                    "temperature": self.temperature, "model": choice_data(self.picker.current())}
        return Project("cnn", images=images, settings=settings, layers=layers)

    def restore_project_state(self: "CnnWindow", project: Project, images: dict) -> None:
        from colorize_app.gui.cnn_window import slider_value_of

        settings = project.settings
        roles = settings.get("photos", list(images))
        if not isinstance(roles, list) or any(role not in images for role in roles):
            raise BadInputError("the project's photo list names photos it does not hold")
        results = {}
        for index, role in enumerate(roles):
            result = project.layers.get(f"result_{index}")
            height, width = images[role].pixels.shape[:2]
            if result is not None:
                if result.shape != (height, width, 3):
                    raise BadInputError(f"the result of {os.path.basename(images[role].path)} "
                                        "does not match its photo's size")
                results[index] = result
        temperature = settings.get("temperature")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) \
                or not math.isfinite(temperature) or not 0.0 < temperature <= 1.0:
            raise BadInputError(f"bad temperature {str(temperature)[:20]} in the project "
                                "(0 < T <= 1)")
        self.jobs.wait()
        self.photo_list.blockSignals(True)
        self.photo_list.remove_all()
        self.photo_list.add_loaded([
            (images[role].path, images[role].pixels.shape, thumbnail(images[role].pixels),
             project.images[role]) for role in roles])
        for index, result in results.items():
            self.photos[index].saved_result = result
            self.photo_list.refresh(index)
        current = settings.get("current", 0)
        row = current if isinstance(current, int) and 0 <= current < len(roles) else 0
        self.photo_list.setCurrentRow(row if roles else -1)
        self.photo_list.blockSignals(False)
        self.select_model(settings.get("model"))
        self.vividness.setValue(slider_value_of(float(temperature)))
        self.photo, self.result = None, None
        if roles:
            self.show_photo(row)
        self._update_actions()

    def select_model(self: "CnnWindow", model: object) -> None:
        """Select a project's model; say so when it is not here."""
        if model is not None and not select_recorded(self.picker, model):
            name = model.get("label") or model.get("path") if isinstance(model, dict) else ""
            self.statusBar().showMessage(
                f"The project's model {name} is not here: choose a model", 10000)
