"""The video method's session: a video, a model, quality settings and the run's work folder.

A video project holds the video (or frame folder) as image role ``video`` with no checksum:
hashing a whole video would take long, so the settings' ``video_check`` holds its size and
the SHA-256 of its first MiB (a folder: its frame count, see
:func:`colorize_app.io.fingerprints.video_check`).
Settings also keep ``preset``, ``epochs``, ``model``, ``show``, ``frame`` and
``work_folder``: the run's frames and checkpoints live there, so a restored project resumes
the run, also after the video was moved.

The run (:meth:`VideoSession.colorize`) is the :class:`~colorize_app.jobs.video_job.VideoJob`
that :func:`colorize_app.sessions.video_run.build_video_job` builds for every front, in the
work folder that :class:`~colorize_app.sessions.video_run.RunFolder` lays out: the per-frame
colour in ``frames/`` and, per set of refine settings, ``checkpoints-<tag>/`` and
``refined-<tag>/``, all kept; :meth:`VideoSession.exporter` writes the refined frames as a
video or a folder.

Keyframes (:meth:`VideoSession.set_keyframe`, :mod:`colorize_app.documents.video_keyframes`)
are kept in the project (settings ``keyframes``, layers ``keyframe_NNNNN``). With
keyframes, ``refined-<tag>/`` is the automatic colour under them and the result is
``keyed-<tag>-<keyframes digest>/``: changing a keyframe reruns only the propagation.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter
from colorize_app.documents.strokes import Stroke
from colorize_app.documents.video_keyframes import (
    KeyframeEdit,
    check_edit,
    edits_from_project,
    edits_to_project,
)
from colorize_app.io import video_in, video_out
from colorize_app.io.fingerprints import video_check
from colorize_app.io.project import ImageRef, Project
from colorize_app.jobs.video_frames import FrameFolder, as_gray
from colorize_app.jobs.video_job import FrameColorizer, JobReport, VideoJob
from colorize_app.sessions import video_presets, video_run
from colorize_app.sessions.cnn import ModelChoice
from colorize_app.sessions.video_presets import preset_labelled
from colorize_app.sessions.video_run import RunFolder, RunKey, build_video_job
from deep_video_prior.settings import RefineSettings

#: The preset a new session starts with: its window label (:data:`video_presets.PRESETS`).
DEFAULT_PRESET = video_presets.PRESETS[video_presets.DEFAULT_PRESET].label
#: Epochs a project (and the window) may ask of the network preset.
EPOCHS_RANGE = (1, 200)
#: What the window shows after the source: the refined frames or the per-frame colour.
SHOW_CHOICES = ("Refined", "Per-frame")


def fingerprint_or_none(path: str) -> dict | None:
    """The :func:`~colorize_app.io.fingerprints.video_check` of ``path``, None if unreadable."""
    try:
        return video_check(path)
    except OSError:
        return None


def work_folder(source_path: str, model: ModelChoice) -> Path:
    """The work folder of a video colorized with one model at its own decoding (the
    window's :class:`~colorize_app.sessions.video_run.RunKey`: the video's and the model's
    paths, sizes and times); FileNotFoundError when one is not there."""
    inputs = (source_path, model.path) + ((model.bins_path,) if model.bins_path else ())
    return RunKey("video-window", inputs).folder().path


def project_video(project: Project) -> ImageRef:
    """The ImageRef of a project's video (BadInputError when it names none)."""
    ref = project.images.get("video")
    if ref is None:
        raise BadInputError("the project names no video")
    return ref


def locate_video(project: Project, project_path: str) -> tuple[str | None, str]:
    """``(path, "")`` of a project's video where it is and unchanged, else ``(None, why)``.

    The video is looked for at its path, then relative to the project file; one whose
    fingerprint differs from the project's ``video_check`` is not taken for it.
    """
    ref = project_video(project)
    candidates = [ref.path]
    if ref.relative_path:
        folder = os.path.dirname(os.path.abspath(project_path))
        candidates.append(os.path.normpath(os.path.join(folder, ref.relative_path)))
    for candidate in candidates:
        if os.path.exists(candidate) and is_project_video(project, candidate):
            return os.path.abspath(candidate), ""
    changed = any(os.path.exists(candidate) for candidate in candidates)
    return None, ("has changed since the project was saved" if changed
                  else "is missing (moved?)")


def is_project_video(project: Project, path: str) -> bool:
    """True when ``path`` has the fingerprint the project recorded (or it recorded none)."""
    expected = project.settings.get("video_check")
    return not expected or fingerprint_or_none(path) == expected


class VideoSession:
    """The video method's document: the source video, model, settings and work folder.

    ``source`` is a :class:`video_in.FrameSource` (None until a video is opened); ``preset`` a
    preset's window label (:data:`video_presets.PRESETS`); ``epochs`` the network preset's
    epochs; ``show`` and ``frame`` what the window shows; ``work`` the folder of this
    video's run with ``model``.
    """

    def __init__(self) -> None:
        self.source: Any = None
        self.video_check: dict = {}
        self.preset = DEFAULT_PRESET
        self.epochs = preset_labelled(DEFAULT_PRESET).settings.epochs
        self.model: ModelChoice | None = None
        self.show = SHOW_CHOICES[0]
        self.frame = 0
        self.work: Path | None = None
        #: The work folder a project named (None: none); see :meth:`resume_stored_work`.
        self.stored_work: Path | None = None
        #: The keyframes by frame number (see :meth:`set_keyframe`).
        self.keyframes: dict[int, KeyframeEdit] = {}

    # -- document -------------------------------------------------------------------------

    def open(self, path: str) -> None:
        """Open ``path`` (a video file or a folder of frames) as the source (first frame)."""
        opened = video_in.open_frames(path)
        self.close()
        self.source = opened
        self.video_check = fingerprint_or_none(path) or {}
        self.frame = 0
        self.keyframes = {}
        self._find_work()

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None

    def set_model(self, model: ModelChoice | None) -> None:
        """Choose the model; the work folder becomes this video's with that model."""
        self.model = model
        self._find_work()

    def set_preset(self, name: str) -> None:
        """Choose a preset by its label (its own number of epochs)."""
        self.preset, self.epochs = name, preset_labelled(name).settings.epochs

    # -- keyframes ------------------------------------------------------------------------

    def set_keyframe(self, frame: int, rgb: np.ndarray | None = None,
                     strokes: list[Stroke] | None = None,
                     stroke_reach: float | None = None) -> KeyframeEdit:
        """Make ``frame`` (from 0) a keyframe, replacing the one there: its colour ``rgb``
        ((H, W, 3) in [0, 1], e.g. the scribble result or a colour photo), and/or the
        ``strokes`` painted on its gray frame (kept to edit again; without ``rgb`` they are
        colorized at the run, over the automatic colour when ``stroke_reach`` is given).
        BadInputError (one line) when no video is open or it does not fit."""
        if self.source is None:
            raise BadInputError("open a video first")
        edit = KeyframeEdit(frame, None if rgb is None else np.asarray(rgb, np.float32),
                            list(strokes or []), stroke_reach)
        check_edit(edit, len(self.source), (self.source.height, self.source.width))
        self.keyframes[frame] = edit
        return edit

    def remove_keyframe(self, frame: int) -> KeyframeEdit | None:
        """Remove the keyframe of ``frame``; returns it (None when there was none)."""
        return self.keyframes.pop(frame, None)

    def keyframe_frames(self) -> list[int]:
        """The frames that are keyframes, in order (for the scrubber's marks)."""
        return sorted(self.keyframes)

    def keyframe(self, frame: int) -> KeyframeEdit | None:
        """The keyframe of ``frame``, or None."""
        return self.keyframes.get(frame)

    def gray_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as the gray (H, W, 3) float32 frame that keyframes are painted on."""
        if self.source is None:
            raise BadInputError("open a video first")
        from colorize_app.jobs.video_frames import gray_of

        frame = np.asarray(self.source[index], np.float32)
        return gray_of(frame) if frame.ndim == 3 else np.repeat(frame[..., None], 3, axis=2)

    def automatic_frame(self, index: int) -> np.ndarray | None:
        """The per-frame automatic colour of frame ``index`` (the scribble tools' "Start
        from automatic"), or None while the run has not coloured it."""
        frames = self.per_frame_frames()
        return frames[index] if frames is not None and frames.has(index) else None

    def keyframes_digest(self) -> str:
        """A short digest of the keyframes (:func:`video_run.keyframes_digest`)."""
        return video_run.keyframes_digest(self.keyframes)

    def _find_work(self) -> None:
        self.work = None
        if self.source is not None and self.model is not None:
            try:
                self.work = work_folder(self.source.path, self.model)
            except FileNotFoundError:  # the model file is gone: a project's, not here any more
                pass

    def refine_settings(self) -> RefineSettings:
        """The chosen preset (the network's with the chosen number of epochs)."""
        preset = preset_labelled(self.preset).settings
        if preset.method != "network":
            return preset
        return dataclasses.replace(preset, epochs=self.epochs)

    def per_frame_frames(self) -> FrameFolder | None:
        """The per-frame colour in the work folder (some frames may be missing)."""
        if self.work is None:
            return None
        return RunFolder(self.work).frames(len(self.source))

    def automatic_frames(self) -> FrameFolder | None:
        """The refined automatic colour of the chosen settings (the result without
        keyframes, the background under them)."""
        if self.work is None:
            return None
        return RunFolder(self.work).refined(self.refine_settings(), len(self.source))

    def refined_frames(self) -> FrameFolder | None:
        """The result of the chosen settings and keyframes (complete once a run finished)."""
        if self.work is None:
            return None
        if not self.keyframes:
            return self.automatic_frames()
        return RunFolder(self.work).keyed(self.refine_settings(), self.keyframes,
                                          len(self.source))

    def shown_frames(self) -> FrameFolder | None:
        return self.refined_frames() if self.show == "Refined" else self.per_frame_frames()

    def started(self) -> bool:
        """True when some frame of the run is coloured."""
        frames = self.per_frame_frames()
        return frames is not None and any(frames.has(i) for i in range(len(frames)))

    def finished(self) -> bool:
        """True when every refined frame of the chosen settings is there."""
        frames = self.refined_frames()
        return frames is not None and frames.complete()

    def delete_work(self) -> None:
        """Remove this video's work folder (its frames and checkpoints)."""
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- projects -------------------------------------------------------------------------

    @classmethod
    def from_project(cls, project: Project, images: dict) -> VideoSession:
        """The session of a video project; ``images`` is ``{"video": path}``, the video found
        (see :func:`locate_video`). Every check of the project happens here."""
        settings = project.settings
        project_video(project)
        preset, epochs = str(settings.get("preset")), settings.get("epochs")
        try:
            preset_labelled(preset)
        except BadInputError as error:
            raise BadInputError(f"{error} in the project") from None
        if isinstance(epochs, bool) or not isinstance(epochs, int) \
                or not EPOCHS_RANGE[0] <= epochs <= EPOCHS_RANGE[1]:
            raise BadInputError(f"bad number of epochs {str(epochs)[:20]} in the project")
        session = cls()
        session.open(images["video"])
        session.preset, session.epochs = preset, epochs
        session.model = ModelChoice.from_record(settings.get("model"))
        if settings.get("show") in SHOW_CHOICES:
            session.show = settings["show"]
        frame = settings.get("frame", 0)
        if isinstance(frame, int) and not isinstance(frame, bool) \
                and 0 <= frame < len(session.source):
            session.frame = frame
        session.keyframes = edits_from_project(
            settings.get("keyframes"), project.layers, len(session.source),
            (session.source.height, session.source.width))
        stored = settings.get("work_folder")
        session.stored_work = Path(stored) if isinstance(stored, str) and stored else None
        session._find_work()
        return session

    def resume_stored_work(self) -> None:
        """Take the project's work folder when this video's has none: the folder's name
        comes from the video's path, so a moved video finds its run there."""
        stored = self.stored_work
        if stored is not None and stored.is_dir() and self.model is not None and (
                self.work is None or not self.work.is_dir()):
            self.work = stored

    def to_project(self) -> Project | None:
        """The session as a Project (None while no video is open)."""
        if self.source is None:
            return None
        path = os.path.abspath(self.source.path)
        model = None if self.model is None else self.model.record()
        settings = {
            "video_check": self.video_check,
            "preset": self.preset,
            "epochs": self.epochs,
            "model": model,
            "show": self.show,
            "frame": self.frame,
            "work_folder": "" if self.work is None else str(self.work),
        }
        settings["keyframes"], layers = edits_to_project(self.keyframes)
        ref = ImageRef(path, size=(self.source.width, self.source.height))
        return Project("video", images={"video": ref}, settings=settings, layers=layers)

    # -- the run --------------------------------------------------------------------------

    def prepare_run(self, colorizer: Callable[[Reporter], FrameColorizer]
                    ) -> tuple[VideoJob, list[str]]:
        """The run of the current settings, as a job to run (in a worker thread), and notes
        on the source (a colour video is recoloured). See :meth:`colorize`."""
        if self.source is None or self.work is None:
            raise BadInputError("open a video and choose a model first")
        refine = self.refine_settings()
        gray, notes = as_gray(self.source.reopened(), os.path.basename(self.source.path))
        output = self.refined_frames()
        assert output is not None  # a work folder is set
        stale_pattern = f"keyed-{video_run.refine_tag(refine)}-*"
        for stale in self.work.glob(stale_pattern):  # other keyframes' results
            if stale != output.folder:
                shutil.rmtree(stale, ignore_errors=True)
        job = build_video_job(
            gray, output.folder, self.source.fps, work=RunFolder(self.work), refine=refine,
            source=self.source.reopened(), colorizer=colorizer,
            keyframes=[self.keyframes[f] for f in sorted(self.keyframes)], keep_frames=True,
            keep_work=True)
        return job, notes

    def colorize(self, colorizer: Callable[[Reporter], FrameColorizer],
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> tuple[JobReport, list[str]]:
        """Colour the frames still missing, then refine (finished shots are read back).

        ``colorizer(report)`` gives the Colorizer (called only when a frame needs colour).
        Returns the job's report and notes on the source.
        """
        job, notes = self.prepare_run(colorizer)
        return job.run(progress, cancelled), notes

    def exporter(self, path: str) -> Callable[..., list[str]]:
        """``export(progress=None, cancelled=None) -> notes``: writes the refined frames to
        ``path`` (a video file, with the source's audio, or a new folder of PNG frames);
        nothing is left behind when cancelled. Prepared here, to run in a worker thread."""
        refined = self.refined_frames()
        if refined is None or not refined.complete():
            raise BadInputError("the video is not refined yet: run it first")
        source = self.source
        audio = source.path if source.has_audio and not source.is_folder else None

        def export(progress: ProgressCallback | None = None,
                   cancelled: CancelCheck | None = None) -> list[str]:
            report = Reporter(progress, cancelled)
            with video_out.FrameWriter(path, fps=source.fps, audio_from=audio,
                                   inputs=[source.path], frame_count=len(refined)) as writer:
                for index in range(len(refined)):
                    report(index / len(refined), f"frame {index + 1}/{len(refined)}")
                    writer.write(refined[index])
                report(1.0, "finishing")
            return list(writer.notes)

        return export
