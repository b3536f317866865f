"""The video window's projects: its session to and from a Project, and the moved video asked for.

What a video project holds and how it is checked is :mod:`colorize_app.sessions.video`'s;
here only what needs the window: asking for a video that moved, and showing a restored
session in the widgets. Mixed into the window (a ``MethodWindow`` holding ``session``); it
never imports the window module.
"""

from __future__ import annotations

import os

from algorithms.errors import BadInputError
from colorize_app.gui import jobs
from colorize_app.gui.model_picker import select_recorded
from colorize_app.io import video_in
from colorize_app.io.project import Project
from colorize_app.sessions.video import (
    VideoSession,
    is_project_video,
    locate_video,
    project_video,
)

VIDEO_FILTER = "Videos ({})".format(" ".join(f"*{ext}" for ext in video_in.VIDEO_EXTENSIONS))


class VideoProjectMixin:
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
            self.statusBar().showMessage("The project's model is not here: choose a model",
                                         10000)
        # The picker's model is the one the run uses (the project's, when it is here).
        session.set_model(self.picker.current())
        session.resume_stored_work()
        self.adopt_session(session)
