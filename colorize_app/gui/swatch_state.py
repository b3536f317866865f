"""The colour-transfer window's undo command and its project state (to and from a Project).

Kept apart from ``swatch_window`` so that the window module stays about drawing swatches
and running the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from PyQt5.QtWidgets import QUndoCommand

from algorithms.errors import BadInputError
from colorize_app.project import Project
from colorize_app.swatches import SIDES

if TYPE_CHECKING:
    from colorize_app.gui.swatch_window import SwatchWindow


class BoardCommand(QUndoCommand):
    def __init__(self, window: "SwatchWindow", text: str, before: list, after: list) -> None:
        super().__init__(text)
        self.window, self.before, self.after = window, before, after

    def redo(self) -> None:
        self.window.board.restore(self.after)
        self.window.board_changed()

    def undo(self) -> None:
        self.window.board.restore(self.before)
        self.window.board_changed()


class SwatchProjectMixin:
    """``project_state`` / ``restore_project_state`` of the colour-transfer window.

    Images by role ``target`` and ``reference``; the numbered swatch pairs, a side possibly
    still missing; the layer ``result``.
    """

    project_method = "transfer"

    def project_state(self: "SwatchWindow") -> Optional[Project]:
        images = {side: ref for side, ref in self.refs.items() if ref is not None}
        if not images:
            return None
        layers = {} if self.result is None else {"result": self.result}
        return Project("transfer", images=images, swatches=self.board.snapshot(),
                       layers=layers)

    def restore_project_state(self: "SwatchWindow", project: Project, images: dict) -> None:
        for number, entry in enumerate(project.swatches, start=1):
            for side in SIDES:
                rect = entry.get(side)
                if rect is None:
                    continue
                if side not in images:
                    raise BadInputError(f"swatch pair {number} needs the {side} image")
                height, width = images[side].pixels.shape[:2]
                if rect.x + rect.width > width or rect.y + rect.height > height:
                    raise BadInputError(f"swatch pair {number}: {side} {rect.as_list()} lies "
                                        f"outside the {side} image ({width}x{height} pixels)")
        self.board.restore([])
        for side in SIDES:
            if side in images:
                self.set_image(side, images[side].pixels, project.images[side].path,
                               ref=project.images[side])
        self.board.restore(project.swatches)
        self.selected = None
        result = project.layers.get("result")
        target = self.images["target"]
        if result is not None and target is not None and result.ndim == 3 \
                and result.shape[:2] == target.shape[:2]:
            self.result = result
            before = target if target.ndim == 3 else target[..., None].repeat(3, axis=2)
            self.result_view.show_result(before, result)
        self.refresh()
