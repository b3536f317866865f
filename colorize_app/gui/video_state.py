"""The video window's project state (to and from a Project).

A video project holds the video (or frame folder) as image role ``video`` with no
checksum: hashing a whole video would take long, so the settings' ``video_check`` holds
its size and the SHA-256 of its first MiB (a folder: its frame count, see
``video_work.video_fingerprint``). Settings also keep ``preset``, ``epochs``, ``model``,
``show``, ``frame`` and ``work_folder``: the run's frames and checkpoints live there, so
a restored project resumes the run, also after the video was moved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from algorithms.errors import BadInputError
from colorize_app import media
from colorize_app.gui import jobs
from colorize_app.gui.model_picker import choice_data, select_recorded
from colorize_app.gui.video_work import PRESETS, video_fingerprint
from colorize_app.project import ImageRef, Project

if TYPE_CHECKING:
    from colorize_app.gui.video_window import VideoWindow

VIDEO_FILTER = "Videos ({})".format(" ".join(f"*{ext}" for ext in media.VIDEO_EXTENSIONS))


def fingerprint_or_none(path: str) -> Optional[dict]:
    try:
        return video_fingerprint(path)
    except OSError:
        return None


class VideoProjectMixin:
    """``project_state`` / ``restore_project_state`` of the video window."""

    project_method = "video"

    def project_state(self: "VideoWindow") -> Optional[Project]:
        if self.source is None:
            return None
        path = os.path.abspath(self.source.path)
        settings = {
            "video_check": self.video_check,
            "preset": self.preset_box.currentText(),
            "epochs": self.epochs_box.value(),
            "model": choice_data(self.picker.current()),
            "show": self.show_box.currentText(),
            "frame": self.scrubber.index,
            "work_folder": "" if self.work is None else str(self.work),
        }
        ref = ImageRef(path, size=(self.source.width, self.source.height))
        return Project("video", images={"video": ref}, settings=settings)

    def find_project_images(self: "VideoWindow", project: Project,
                            project_path: str) -> Optional[dict]:
        """{"video": path} of a project's video, asking for it when it moved or changed."""
        ref = project.images.get("video")
        if ref is None:
            jobs.show_error(self, "Open project", "the project names no video")
            return None
        expected = project.settings.get("video_check")
        candidates = [ref.path]
        if ref.relative_path:
            folder = os.path.dirname(os.path.abspath(project_path))
            candidates.append(os.path.normpath(os.path.join(folder, ref.relative_path)))
        for candidate in candidates:
            if os.path.exists(candidate) and (
                    not expected or fingerprint_or_none(candidate) == expected):
                ref.path = os.path.abspath(candidate)
                return {"video": ref.path}
        changed = "has changed since the project was saved" if any(
            os.path.exists(candidate) for candidate in candidates) else "is missing (moved?)"
        while True:
            path = self.ask_open(f"The project's video {ref.path} {changed}: where is it now?",
                                 "video", VIDEO_FILTER)
            if path is None:
                return None
            if not expected or fingerprint_or_none(path) == expected:
                ref.path = os.path.abspath(path)
                return {"video": ref.path}
            jobs.show_error(self, "Open project",
                            f"{path} is not the project's video (its size or start differ)")

    def restore_project_state(self: "VideoWindow", project: Project, images: dict) -> None:
        settings = project.settings
        preset, epochs = settings.get("preset"), settings.get("epochs")
        if preset not in PRESETS:
            raise BadInputError(f"unknown quality preset {str(preset)[:20]!r} in the project")
        if isinstance(epochs, bool) or not isinstance(epochs, int) \
                or not self.epochs_box.minimum() <= epochs <= self.epochs_box.maximum():
            raise BadInputError(f"bad number of epochs {str(epochs)[:20]} in the project")
        self.open_source(images["video"])
        model = settings.get("model")
        if model is not None and not select_recorded(self.picker, model):
            self.statusBar().showMessage("The project's model is not here: choose a model",
                                         10000)
        self.preset_box.setCurrentText(preset)
        self.epochs_box.setValue(epochs)
        if settings.get("show") in ("Refined", "Per-frame"):
            self.show_box.setCurrentText(settings["show"])
        self._work_changed()
        stored = settings.get("work_folder")
        # The folder's name comes from the video's path: a moved video finds its run here.
        if isinstance(stored, str) and stored and os.path.isdir(stored) and (
                self.work is None or not self.work.is_dir()) and self.picker.current():
            self.work = Path(stored)
        frame = settings.get("frame", 0)
        if isinstance(frame, int) and not isinstance(frame, bool) \
                and 0 <= frame < len(self.source):
            self.scrubber.set_index(frame)
        self.show_frame(self.scrubber.index)
        self._update_actions()
