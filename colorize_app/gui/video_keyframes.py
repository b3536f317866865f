"""The video window's keyframes: paint a frame, take a colour image or the shown colours.

A keyframe lives in the window's session
(:meth:`colorize_app.sessions.video.VideoSession.set_keyframe`) and so in its project and
autosave; the scrubber marks it. Frames are numbered from 1 on screen, as the scrubber does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMenu, QMessageBox, QToolBar

from colorize_app.gui.base_window import IMAGE_FILTER
from colorize_app.gui.keyframe_edit import KeyframeResult, fit_to_frame
from colorize_app.io import media

if TYPE_CHECKING:
    from colorize_app.gui.scribble_window import ScribbleWindow
    from colorize_app.gui.video_state import VideoHost as _Window
else:
    _Window = object


class VideoKeyframesMixin(_Window):
    """The video window's keyframe actions (mixed into VideoWindow)."""

    _keyframe_windows: list[ScribbleWindow]

    def add_keyframe_actions(self, menu: QMenu, toolbar: QToolBar) -> None:
        self.keyframes_menu = menu
        self.edit_frame_action = self.add_action(
            "Edit this frame...", self.edit_this_frame, "Ctrl+K", menu, toolbar=False,
            tip="Paint this frame's colours in the scribble tools: the shot follows (Ctrl+K)")
        self.keyframe_image_action = self.add_action(
            "Keyframe from image...", self.keyframe_from_image, None, menu, toolbar=False,
            tip="Use a colour photo of this frame (or a frame coloured elsewhere) as its "
                "keyframe")
        self.keep_shown_action = self.add_action(
            "Keep shown colours as keyframe", self.keep_shown_colours, None, menu,
            toolbar=False, tip="Make the colours shown for this frame a keyframe, so that "
                               "they hold through the shot")
        self.remove_keyframe_action = self.add_action(
            "Remove keyframe", self.remove_this_keyframe, None, menu, toolbar=False,
            tip="This frame is no longer a keyframe")
        for action in (self.edit_frame_action, self.keyframe_image_action):
            toolbar.addAction(action)

    def _frame_title(self, index: int) -> str:
        name = os.path.basename(os.path.normpath(self.source.path))
        return f"frame {index + 1} of {name}"

    def update_keyframe_actions(self) -> None:
        has_video = self.source is not None and not self.jobs.busy
        frame = self.scrubber.index
        for action in (self.edit_frame_action, self.keyframe_image_action):
            action.setEnabled(has_video)
        shown = self.session.shown_frames() if has_video else None
        self.keep_shown_action.setEnabled(shown is not None and shown.has(frame))
        self.remove_keyframe_action.setEnabled(
            has_video and self.session.keyframe(frame) is not None)
        self.scrubber.set_marks(self.session.keyframe_frames() if self.source else [])

    def edit_this_frame(self) -> None:
        """Open the scribble tools on the shown frame (its strokes, if it is a keyframe)."""
        if self.source is None:
            return
        from colorize_app.gui.scribble_window import ScribbleWindow

        index = self.scrubber.index
        found: list[tuple] = []
        if not self.guarded("Edit this frame", lambda: found.append(
                (self.session.gray_frame(index), self.session.automatic_frame(index)))):
            return
        gray, automatic = found[0]
        existing = self.session.keyframe(index)
        window = ScribbleWindow()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Held while open (a top-level window without a reference would be collected).
        self._keyframe_windows = getattr(self, "_keyframe_windows", [])
        self._keyframe_windows.append(window)
        window.destroyed.connect(lambda _=None, gone=window: self._keyframe_windows.remove(gone))
        window.edit_keyframe(gray, automatic, list(existing.strokes) if existing else [],
                             existing.stroke_reach if existing else None,
                             self._frame_title(index),
                             lambda result: self._keyframe_painted(index, result))
        window.show()
        window.raise_()
        window.activateWindow()

    def _keyframe_painted(self, index: int, result: KeyframeResult) -> None:
        strokes, reach, rgb = result

        def use() -> None:
            self.session.set_keyframe(index, rgb, strokes, reach)

        if self.guarded("Use as keyframe", use):
            self._keyframes_changed(index, "painted")
            self.raise_()
            self.activateWindow()

    def keyframe_from_image(self) -> None:
        """A colour image file as the shown frame's keyframe (scaled to the video's size
        when only the size differs, refused when the shape differs)."""
        if self.source is None:
            return
        path = self.ask_open("Keyframe from image", "keyframe", IMAGE_FILTER)
        if not path:
            return
        index = self.scrubber.index

        def load() -> None:
            rgb = media.read_image(path).pixels
            self.session.set_keyframe(index, fit_to_frame(rgb, self.source, path))

        if self.guarded("Keyframe from image", load):
            self._keyframes_changed(index, f"from {os.path.basename(path)}")

    def keep_shown_colours(self) -> None:
        index = self.scrubber.index
        shown = self.session.shown_frames()
        if shown is None or not shown.has(index):
            return
        def keep() -> None:
            self.session.set_keyframe(index, shown[index])

        if self.guarded("Keep shown colours", keep):
            self._keyframes_changed(index, "from the shown colours")

    def remove_this_keyframe(self) -> None:
        index = self.scrubber.index
        if self.session.keyframe(index) is None:
            return
        if QMessageBox.question(self, "Remove keyframe",
                                f"Frame {index + 1} will no longer be a keyframe.") \
                != QMessageBox.StandardButton.Yes:
            return
        self.session.remove_keyframe(index)
        self._keyframes_changed(index, "removed")

    def _keyframes_changed(self, index: int, how: str) -> None:
        self.mark_changed()
        self.update_keyframe_actions()
        self._update_actions()
        self.show_frame(self.scrubber.index)
        count = len(self.session.keyframes)
        if how == "removed":
            said = f"Frame {index + 1} is no longer a keyframe"
        else:
            said = f"Frame {index + 1} is a keyframe ({how})"
        self.set_report(f"{said}; {count} keyframe{'s' if count != 1 else ''} in all. "
                        "Colorize and refine (Ctrl+R) carries them through their shots.")
