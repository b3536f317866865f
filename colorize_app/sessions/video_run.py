"""One video run for every front: the preset table, the resume folder and the job's builder.

The window (:meth:`colorize_app.sessions.video.VideoSession.prepare_run`), `colorize video`,
`colorize refine` and the batch job's shot task all build their
:class:`~colorize_app.jobs.video_job.VideoJob` with :func:`build_video_job`, in a
:class:`RunFolder` found by its :class:`RunKey`:

- **Presets**: :data:`colorize_app.sessions.video_presets.PRESETS`, each refinement preset
  once, with its command-line name, its window label and the engine's settings.
- **Resume**: a run's folder lies in the cache (:func:`colorize_app.runtime.paths.
  video_checkpoints_dir`), named by the :func:`~colorize_app.io.fingerprints.settings_digest`
  of its key: which front, the input files' paths and
  :func:`~colorize_app.io.fingerprints.fingerprint`, the temperature and (batch) the shot.
  Inside it: ``frames/`` (the per-frame colour, where a front keeps it), per set of refine
  settings ``checkpoints-<tag>/`` (a file per finished shot) and ``refined-<tag>/`` (the
  refined automatic colour under keyframes), and ``keyed-<tag>-<keyframes digest>/`` (the
  window's result with keyframes). ``<tag>`` is :func:`refine_tag`. A command removes its
  checkpoints once its output is complete; the window keeps everything (its project names
  the folder).
- **Temperature**: the colorizer's (:func:`colorize_app.sessions.cnn.load_colorizer`, the
  rule of every front: None, the default, is the model's own decoding; a given T
  overrides it); a run's key holds it, so another temperature is another run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from algorithms.progress import Reporter
from colorize_app.documents.video_keyframes import KeyframeEdit, edits_to_project
from colorize_app.io.fingerprints import fingerprint, settings_digest
from colorize_app.jobs.video_frames import FrameFolder
from colorize_app.jobs.video_job import FrameColorizer, VideoJob
from deep_video_prior.settings import RefineSettings

# --------------------------------------------------------------------------------------------
# Resume folders


def refine_tag(refine: RefineSettings) -> str:
    """The short name of one set of refine settings (threads do not count)."""
    return settings_digest(dataclasses.replace(refine, threads=0), 12)


def keyframes_digest(keyframes: Mapping[int, KeyframeEdit]) -> str:
    """A short digest of keyframes (their frames, colours, strokes, reach), at the 16 bits
    a project keeps their colour in: the same once the project is reopened."""
    entries, layers = edits_to_project(dict(keyframes))
    levels = {name: np.round(np.clip(layer, 0.0, 1.0) * 65535.0).astype(np.uint16)
              for name, layer in layers.items()}
    return settings_digest({"keyframes": entries, "layers": levels}, 12)


@dataclass(frozen=True)
class RunFolder:
    """A run's resume folder and the folders inside it (see the module's docstring)."""

    path: Path

    def frames(self, count: int) -> FrameFolder:
        """The per-frame colour, where a front keeps it."""
        return FrameFolder(self.path / "frames", count)

    def checkpoints(self, refine: RefineSettings) -> Path:
        """The finished shots of a refinement with ``refine``."""
        return self.path / f"checkpoints-{refine_tag(refine)}"

    def refined(self, refine: RefineSettings, count: int) -> FrameFolder:
        """The refined automatic colour (the result when there are no keyframes)."""
        return FrameFolder(self.path / f"refined-{refine_tag(refine)}", count)

    def keyed(self, refine: RefineSettings, keyframes: Mapping[int, KeyframeEdit],
              count: int) -> FrameFolder:
        """The result with ``keyframes`` over the refined automatic colour."""
        return FrameFolder(self.path / f"keyed-{refine_tag(refine)}-"
                                       f"{keyframes_digest(keyframes)}", count)


@dataclass(frozen=True)
class RunKey:
    """What a run's folder is keyed by: the front (``"video"``, ``"video-window"``,
    ``"refine"``, ``"batch-shot"``), its input files (the video, the model's files...),
    the temperature (None: the model's decoding) and, for a shot, its frames [start, stop)."""

    front: str
    inputs: tuple[str, ...]
    temperature: float | None = None
    shot: tuple[int, int] | None = None

    def folder(self) -> RunFolder:
        """The folder; FileNotFoundError when an input is not there."""
        from colorize_app.runtime.paths import video_checkpoints_dir

        for path in self.inputs:
            if not os.path.exists(path):
                raise FileNotFoundError(path)
        key = {"front": self.front, "temperature": self.temperature,
               "shot": None if self.shot is None else list(self.shot),
               "inputs": [[os.path.abspath(path), fingerprint(path)] for path in self.inputs]}
        return RunFolder(video_checkpoints_dir() / settings_digest(key, 20))


# --------------------------------------------------------------------------------------------
# The job


def build_video_job(gray: Sequence[np.ndarray], output: str | Path, fps: float, *,
                    work: RunFolder | None, refine: RefineSettings | None,
                    source: Sequence[np.ndarray] | None = None,
                    colorizer: Callable[[Reporter], FrameColorizer] | None = None,
                    colour: Sequence[np.ndarray] | None = None,
                    keyframes: Sequence[KeyframeEdit] = (), keep_frames: bool = False,
                    keep_work: bool = False, audio_from: str | None = None,
                    inputs: Sequence[str] = ()) -> VideoJob:
    """The video job of every front, its folders in ``work``.

    The per-frame colour is ``colour``, or ``source`` coloured by ``colorizer(report)``,
    kept in ``work``'s ``frames/`` when ``keep_frames``. ``refine`` None writes it as it
    is; else the finished shots go to ``work``'s checkpoints and, with ``keyframes``, the
    refined automatic colour to its ``refined-<tag>/``. Unless ``keep_work``, those go once
    the output is complete (and ``work`` with them when left empty). ``output``, ``fps``,
    ``audio_from``, ``inputs``: as for :class:`~colorize_app.io.video_out.FrameWriter`.
    """
    checkpoints = automatic = None
    if refine is not None:
        if work is None:
            raise ValueError("a refined video job needs a work folder")
        checkpoints = work.checkpoints(refine)
        if keyframes:
            automatic = work.refined(refine, len(gray)).folder
    frames = None
    if keep_frames and colour is None:
        if work is None:
            raise ValueError("frames are kept in a work folder")
        frames = work.frames(len(gray))
    discard = () if keep_work else tuple(
        folder for folder in (checkpoints, automatic) if folder is not None)
    return VideoJob(gray, output, fps, colour=colour, source=source, colorizer=colorizer,
                    frames=frames, refine=refine,
                    checkpoints=checkpoints, discard=discard, audio_from=audio_from,
                    inputs=tuple(inputs), keyframes=tuple(keyframes), automatic=automatic)
