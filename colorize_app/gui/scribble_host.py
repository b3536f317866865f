"""What the scribble window's mixins use of the window, for the type checker.

:class:`~colorize_app.gui.scribble_window.ScribbleWindow` is put together from mixins
(painting, keyframe mode, automatic start) that use its session, views, brush panel and undo
stack. The mixins cannot import the window (it imports them), so each one reads as
:class:`ScribbleHost` while type-checked::

    if TYPE_CHECKING:
        from colorize_app.gui.scribble_host import ScribbleHost as _Window
    else:
        _Window = object

    class PaintingMixin(_Window): ...

At run time the mixins stay plain classes and this module defines nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing here runs: declarations for the type checker only
    import numpy as np
    from PyQt5.QtWidgets import QSpinBox, QUndoStack

    from colorize_app.documents.strokes import Stroke
    from colorize_app.gui.base_window import MethodWindow
    from colorize_app.gui.brush_panel import BrushPanel
    from colorize_app.gui.image_view import ComparisonView, ImageView
    from colorize_app.io.project import ImageRef
    from colorize_app.sessions.scribble import ScribbleSession

    class ScribbleHost(MethodWindow):
        """The scribble window's attributes and methods its mixins use (declarations only)."""

        session: ScribbleSession | None  # None until a photo is open
        view: ImageView  # the photo pane, painted on
        result_view: ComparisonView
        brush: BrushPanel
        reach_box: QSpinBox
        undo_stack: QUndoStack
        _photo_rgb: np.ndarray  # (H, W, 3) in [0, 1]: what keep and erase strokes paint back
        _stroke: Stroke | None  # the stroke being drawn

        # The session's parts as the window shows them (empty ones while no photo is open).
        @property
        def photo(self) -> np.ndarray | None: ...

        @property
        def marked(self) -> np.ndarray: ...

        @property
        def result(self) -> np.ndarray | None: ...

        def set_photo(self, photo: np.ndarray, path: str = "",
                      ref: ImageRef | None = None) -> None: ...

        def strokes_changed(self) -> None: ...

        def prior_changed(self) -> None: ...

        def _update_actions(self) -> None: ...

        def _changed(self) -> None: ...
