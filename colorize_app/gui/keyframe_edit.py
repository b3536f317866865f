"""The scribble window's keyframe mode: a video frame painted with the scribble tools.

The video window's "Edit this frame" (:mod:`colorize_app.gui.video_keyframes`) opens a
scribble window on the gray frame (with the frame's automatic colour as the starting point
once a run has made it, and the keyframe's strokes when it has some). Its "Use as keyframe"
hands the strokes, the stroke reach and, when there is a fresh result, the colours back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from colorize_app.documents.strokes import Stroke
from colorize_app.gui import jobs
from colorize_app.gui.qt_objects import present

if TYPE_CHECKING:  # the window's parts this mixin uses (see scribble_host)
    from colorize_app.gui.scribble_host import ScribbleHost as _Window
else:
    _Window = object

#: What "Use as keyframe" hands back: (strokes, stroke reach or None, colours or None).
KeyframeResult = tuple[list[Stroke], float | None, np.ndarray | None]


class KeyframeEditMixin(_Window):
    """The scribble window's keyframe mode (mixed into ScribbleWindow)."""

    _keyframe_use: Callable[[KeyframeResult], None] | None = None

    def edit_keyframe(self, frame_rgb: np.ndarray, automatic_rgb: np.ndarray | None,
                      strokes: list[Stroke], stroke_reach: float | None, title: str,
                      use: Callable[[KeyframeResult], None]) -> None:
        """Paint on the gray video frame ``frame_rgb`` ((H, W, 3) in [0, 1]) to make it a
        keyframe; ``use`` receives the result of "Use as keyframe"."""
        self.set_photo(frame_rgb)
        session = self.session
        assert session is not None  # set_photo made it
        if automatic_rgb is not None:
            session.set_prior(automatic_rgb, "automatic")
            session.set_result(automatic_rgb)
            self.prior_changed()
        if stroke_reach is not None:
            self.reach_box.setValue(int(round(stroke_reach * 100)))
        for stroke in strokes:
            session.add_stroke(stroke)
        self.undo_stack.clear()
        self.strokes_changed()
        self._keyframe_use = use
        self.keyframe_action.setVisible(True)
        self.keyframe_action.setText(f"Use as keyframe ({title})")
        self.set_title_detail(f"keyframe: {title}")
        self.mark_unchanged()
        present(self.statusBar()).showMessage(
            "Paint the colours this frame should have, then 'Use as keyframe': the video "
            "carries them along the motion through the shot", 15000)

    def add_keyframe_action(self) -> None:
        """The toolbar action of keyframe mode (hidden otherwise)."""
        self.keyframe_action = self.add_action(
            "Use as keyframe", self.use_as_keyframe, "Ctrl+Return", self.edit_menu,
            tip="Give these colours to the video's frame (Ctrl+Enter)")
        self.keyframe_action.setVisible(False)

    def use_as_keyframe(self) -> None:
        session = self.session
        if session is None or self._keyframe_use is None:
            return
        strokes = list(session.strokes.strokes)
        fresh = session.result if session.result is not None \
            and not session.result_is_stale else None
        if not strokes and fresh is None:
            jobs.show_error(self, "Use as keyframe",
                            "Paint a few strokes first (or start from automatic).")
            return
        reach = session.stroke_reach if session.prior_chroma is not None else None
        use, self._keyframe_use = self._keyframe_use, None
        use((strokes, reach, fresh))
        self.mark_unchanged()
        self.close()


def fit_to_frame(rgb: np.ndarray, source, path: str) -> np.ndarray:
    """``rgb`` as an (H, W, 3) colour image of the video's frame size: scaled when only the
    size differs (within 1 % of the frame's shape), else a one-line BadInputError."""
    import cv2

    from algorithms.errors import BadInputError

    rgb = np.asarray(rgb, np.float32)
    if rgb.ndim != 3:
        raise BadInputError(f"{os.path.basename(path)} is a gray image: a keyframe needs "
                            "colours")
    height, width = source.height, source.width
    if rgb.shape[:2] == (height, width):
        return rgb[..., :3]
    if abs(rgb.shape[1] / rgb.shape[0] - width / height) > 0.01 * width / height:
        raise BadInputError(f"{os.path.basename(path)} is {rgb.shape[1]}x{rgb.shape[0]}, not "
                            f"the shape of the video's {width}x{height} frames")
    return cv2.resize(np.ascontiguousarray(rgb[..., :3]), (width, height),
                      interpolation=cv2.INTER_AREA)
