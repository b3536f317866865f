"""The video window's projects: its session to and from a Project, and the moved video asked for.

What a video project holds and how it is checked is :mod:`colorize_app.sessions.video`'s;
here only what needs the window: asking for a video that moved, and showing a restored
session in the widgets. Mixed into the window (a ``MethodWindow`` holding ``session``); it
never imports the window module. :class:`VideoHost` declares, for the type checker only,
what the window gives its mixins (this one and ``video_keyframes``'s).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from algorithms.errors import BadInputError
from colorize_app.gui import jobs
from colorize_app.gui.model_picker import select_recorded
from colorize_app.gui.qt_objects import present
from colorize_app.io import video_in
from colorize_app.io.project import Project
from colorize_app.sessions.video import (
    VideoSession,
    is_project_video,
    locate_video,
    project_video,
)

VIDEO_FILTER = "Videos ({})".format(" ".join(f"*{ext}" for ext in video_in.VIDEO_EXTENSIONS))

if TYPE_CHECKING:  # declarations for the type checker only: nothing here runs
    from colorize_app.gui.base_window import MethodWindow
    from colorize_app.gui.frame_scrubber import FrameScrubber
    from colorize_app.gui.model_picker import ModelPicker

    class VideoHost(MethodWindow):
        """The video window's attributes and methods its mixins use."""

        session: VideoSession
        picker: ModelPicker
        scrubber: FrameScrubber

        @property
        def source(self) -> Any: ...  # the session's video_in.FrameSource, or None

        def adopt_session(self, session: VideoSession) -> None: ...

        def show_frame(self, index: int) -> None: ...

        def set_report(self, text: str) -> None: ...

        def _update_actions(self) -> None: ...

    _Window = VideoHost
else:
    _Window = object


class VideoProjectMixin(_Window):
    """``project_state`` / ``find_project_images`` / ``restore_project_state`` of the video
    window, which provides ``session``, ``picker``, ``ask_open``, ``statusBar`` and
    ``adopt_session``."""

    project_method = "video"

    def project_state(self) -> Project | None:
        return self.session.to_project()

    def find_project_images(self, project: Project, project_path: str) -> dict | None:
        """{"video": path} of a project's video, asking for it when it moved or changed."""
        try:
            ref = project_video(project)
        except BadInputError as error:
            jobs.show_error(self, "Open project", str(error))
            return None
        path, changed = locate_video(project, project_path)
        while path is None:
            path = self.ask_open(f"The project's video {ref.path} {changed}: where is it now?",
                                 "video", VIDEO_FILTER)
            if path is None:
                return None
            if not is_project_video(project, path):
                jobs.show_error(self, "Open project",
                                f"{path} is not the project's video (its size or start differ)")
                path = None
        ref.path = os.path.abspath(path)
        return {"video": ref.path}

    def restore_project_state(self, project: Project, images: dict) -> None:
        session = VideoSession.from_project(project, images)
        recorded = project.settings.get("model")
        if recorded is not None and not select_recorded(self.picker, recorded):
            present(self.statusBar()).showMessage("The project's model is not here: choose a model",
                                         10000)
        # The picker's model is the one the run uses (the project's, when it is here).
        session.set_model(self.picker.current())
        session.resume_stored_work()
        self.adopt_session(session)
