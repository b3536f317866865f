"""The scribble window's automatic start: the CNN's colours as the prior strokes correct.

Mixed into :class:`~colorize_app.gui.scribble_window.ScribbleWindow` (its session, job
runner, result pane and undo stack). Starting from automatic is one undo step
(:class:`~colorize_app.gui.scribble_state.PriorCommand`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from colorize_app.gui.qt_objects import present
from colorize_app.gui.scribble_state import PriorCommand

if TYPE_CHECKING:  # the window's parts this mixin uses (see scribble_host)
    from colorize_app.gui.scribble_host import ScribbleHost as _Window
else:
    _Window = object


class AutomaticStartMixin(_Window):
    """Start from automatic, and the CNN window's Refine with strokes."""

    def start_from_automatic(self) -> None:
        """Colorize with the CNN; its chroma becomes the prior that strokes correct."""
        if self.photo is None:
            return
        from colorize_app.io.model_registry import resolve_model

        paths = []
        if not self.guarded("Start from automatic",
                            lambda: paths.append(resolve_model(None))):
            return
        photo, model_path = self.photo, paths[0]
        model = os.path.basename(str(model_path))
        photo_path = self.session.photo_path if self.session is not None else ""

        def task(progress, cancelled):
            from colorize_app.gui.model_picker import ModelChoice, obtain_colorizer
            from colorize_app.sessions.cnn import CnnSession

            progress(0.0, "loading the model")
            colorizer = obtain_colorizer(ModelChoice(str(model_path)), progress, cancelled)
            try:  # the model's own decoding, the photo refused first if it is too large
                return CnnSession().colorize(colorizer, photo, progress, cancelled,
                                             path=photo_path)
            finally:
                colorizer.close()

        self.jobs.start(task, lambda rgb: self._use_automatic(rgb, model),
                        "Automatic colorization")

    def start_from(self, photo: np.ndarray, automatic_rgb: np.ndarray, path: str = "") -> None:
        """Open ``photo`` with ``automatic_rgb`` (its CNN colorization, (H, W, 3) in [0, 1])
        as the starting point that strokes correct (the CNN window's "Refine with strokes")."""
        self.set_photo(photo, path)
        self._use_automatic(np.asarray(automatic_rgb, dtype=np.float32))

    def _use_automatic(self, rgb: np.ndarray, model: str = "") -> None:
        session = self.session
        if session is None:
            return
        before = session.prior_state()
        session.set_prior(rgb, model)
        session.set_result(rgb)
        after = session.prior_state()
        session.restore_prior_state(before)
        self.undo_stack.push(PriorCommand(self, before, after))  # redo() applies it
        present(self.statusBar()).showMessage(
            "Automatic colours set as the starting point: paint strokes to correct them, "
            "then Colorize (Ctrl+Z takes them back)", 8000)

    def prior_changed(self) -> None:
        """The prior and result were swapped (start from automatic, its undo): show them."""
        session = self.session
        if session is None:
            return
        if session.result is None:
            self.result_view.show_result(self._photo_rgb, None)
        else:
            self.result_view.show_result(self._photo_rgb, session.result)
        self._update_actions()
        self._changed()
