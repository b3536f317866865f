"""The scribble window's undo commands and its project state (to and from a Project).

Kept apart from ``scribble_window`` so that the window module stays about painting and
running the engine. Restoring a project replays its strokes as undo commands, so every
restored stroke can be undone one by one, as if just painted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
from PyQt5.QtWidgets import QUndoCommand

from algorithms.colorspace import rgb_to_yiq
from algorithms.errors import BadInputError
from colorize_app.project import Project
from colorize_app.strokes import Stroke, as_rgb

if TYPE_CHECKING:
    from colorize_app.gui.scribble_window import ScribbleWindow


class AddStrokeCommand(QUndoCommand):
    def __init__(self, window: "ScribbleWindow", stroke: Stroke) -> None:
        super().__init__(f"{stroke.kind} stroke")
        self.window, self.stroke = window, stroke

    def redo(self) -> None:
        self.window.strokes.add(self.stroke)
        self.window.strokes_changed()

    def undo(self) -> None:
        self.window.strokes.pop()
        self.window.strokes_changed()


class SnapshotCommand(QUndoCommand):
    """Clear, or loading a hint file: swap whole stroke states."""

    def __init__(self, window: "ScribbleWindow", text: str, before: tuple, after: tuple) -> None:
        super().__init__(text)
        self.window, self.before, self.after = window, before, after

    def redo(self) -> None:
        self.window.strokes.restore(self.after)
        self.window.strokes_changed()

    def undo(self) -> None:
        self.window.strokes.restore(self.before)
        self.window.strokes_changed()


def _number(value: object) -> Optional[float]:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    return float(value) if ok else None


def stroke_reach_of(settings: dict, shape: tuple[int, int]) -> Optional[float]:
    """A project's stroke reach (a share of the longer side, 0.01 to 1): its own, else the
    one its prior weight lambda gives on a photo of ``shape`` (older projects); None when
    it has neither."""
    reach = _number(settings.get("stroke_reach"))
    if reach is None:
        weight = _number(settings.get("prior_weight"))
        if weight is None or weight <= 0:
            return None
        reach = 1.0 / (np.sqrt(weight) * max(shape))  # inverts prior_weight_for_reach
    return float(min(max(reach, 0.01), 1.0))


class ScribbleProjectMixin:
    """``project_state`` / ``restore_project_state`` of the scribble window.

    Layers: ``marked`` and ``mask`` (the rasterised hints, what the engine reads),
    ``hint_marked`` / ``hint_mask`` (a loaded hint file under the strokes), ``result`` and
    ``prior`` (the automatic colorization that strokes correct).
    """

    project_method = "scribble"

    def project_state(self: "ScribbleWindow") -> Optional[Project]:
        if self.photo is None or self.photo_ref is None:
            return None
        layers = {"marked": self.marked.copy(), "mask": self.mask.copy()}  # painted in place
        if self.strokes.base_marked is not None and self.strokes.base_mask is not None:
            layers["hint_marked"] = self.strokes.base_marked
            layers["hint_mask"] = self.strokes.base_mask
        if self.result is not None:
            layers["result"] = self.result
        if self.prior_rgb is not None:
            layers["prior"] = self.prior_rgb
        # prior_weight is the full-size lambda (what `colorize levin --project` uses).
        settings = {"prior_weight": self.prior_weight(), "stroke_reach": self.reach,
                    "result_is_stale": bool(self.result_is_stale)}
        if self.prior_model:
            settings["model"] = self.prior_model
        return Project("scribble", images={"photo": self.photo_ref}, settings=settings,
                       strokes=list(self.strokes.strokes), layers=layers)

    def restore_project_state(self: "ScribbleWindow", project: Project, images: dict) -> None:
        if "photo" not in images:
            raise BadInputError("the project has no photo")
        photo = images["photo"].pixels
        shape = photo.shape[:2]
        layers = project.layers
        for name, array in layers.items():
            if array.shape[:2] != shape:
                raise BadInputError(f"layer {name} is {array.shape[1]} x {array.shape[0]}, "
                                    f"the photo {shape[1]} x {shape[0]} pixels")
        self.set_photo(photo, project.images["photo"].path, ref=project.images["photo"])
        self.rebuilding = True  # one rasterisation at the end, not one per stroke
        try:
            if "hint_marked" in layers and "hint_mask" in layers:
                base = as_rgb(photo).copy()
                mask = layers["hint_mask"]
                base[mask] = as_rgb(layers["hint_marked"])[mask]
                self.undo_stack.push(SnapshotCommand(
                    self, "load hints", self.strokes.snapshot(), ([], base, mask)))
            for stroke in project.strokes:
                self.undo_stack.push(AddStrokeCommand(self, stroke))
        finally:
            self.rebuilding = False
        self.strokes_changed()
        reach = stroke_reach_of(project.settings, shape)
        if reach is not None:
            self.reach_box.setValue(int(round(reach * 100)))
        if "prior" in layers and layers["prior"].ndim == 3:
            self.prior_rgb = layers["prior"]
            self.prior_chroma = rgb_to_yiq(self.prior_rgb)[..., 1:].astype(np.float32)
            model = project.settings.get("model")
            self.prior_model = model if isinstance(model, str) else ""
        if "result" in layers and layers["result"].ndim == 3:
            self._show_result(layers["result"])
            self.result_is_stale = project.settings.get("result_is_stale") is True
