"""One video job: per-frame colour, refinement, writing and resume, without Qt or printing.

`colorize video`, `colorize refine`, `colorize batch video` and the video window all run a
:class:`VideoJob`. It colours each frame with the CNN (computed on access, or kept as PNG
frames in a work folder so that an interrupted run colours only the frames still missing),
refines the per-frame colour with :func:`deep_video_prior.pipeline.refine_video` (a checkpoint per
finished shot, so a rerun does not train those shots again) or writes it as it is, and writes
the result through :class:`video_out.FrameWriter` (a video file or a folder of PNG frames; a
cancelled or interrupted job leaves no partial output). Progress is ``(fraction, message)``;
``cancelled()`` True stops the job at its next check with ``CancelledError``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from algorithms.progress import CancelCheck, ProgressCallback, Reporter
from colorize_app.jobs.video_frames import FrameFolder, MappedFrames

if TYPE_CHECKING:
    from colorize_app.documents.video_keyframes import KeyframeEdit
    from deep_video_prior.keyframes import KeyframeReport, KeyframeSettings
    from deep_video_prior.settings import RefineReport, RefineSettings

#: Share of the progress bar that the per-frame colorization takes when no frame is done.
COLORIZE_SHARE = 0.4
#: Of the rest, the share that refinement takes when keyframes follow it.
REFINE_SHARE_WITH_KEYFRAMES = 0.8


class FrameColorizer(Protocol):
    """What the job needs of :class:`algorithms.cnn.colorizer.Colorizer`."""

    def colorize(self, image: np.ndarray) -> np.ndarray: ...


def output_fps(sources: Sequence[Any], output: str, notes: list[str]) -> float:
    """Frame rate of the output: the first video source's; a note when only folders."""
    from colorize_app.io import video_in

    for source in sources:
        if not source.is_folder:
            return source.fps
    if video_in.is_video_path(output):
        notes.append(f"frames from a folder have no frame rate: the video is timed at "
                     f"{video_in.FOLDER_FPS:g} fps")
    return video_in.FOLDER_FPS


def audio_source(sources: Sequence[Any]) -> str | None:
    """Path of the first source (a video_in.FrameSource) that is a video with audio, if any."""
    return next((source.path for source in sources if source.has_audio), None)


def duration_text(seconds: float) -> str:
    """``"1 min 5 s"`` or ``"42 s"``."""
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


@dataclass
class JobReport:
    """What a :class:`VideoJob` did: frames written, frames coloured in this run (a folder's
    missing ones), the writer's notes, the engine's report (None when not refined in this
    run) and the keyframe engine's (None without keyframes)."""

    frames: int = 0
    colorized: int = 0
    notes: list[str] = field(default_factory=list)
    refine: RefineReport | None = None
    keyframes: KeyframeReport | None = None


@dataclass
class VideoJob:
    """One video's run: per-frame colour, then refinement (or not), written to ``output``.

    ``gray`` holds the frames (H, W, 3) float in [0, 1] whose lightness the output keeps.
    The per-frame colour is ``colour`` when given (`colorize refine`); else each frame of
    ``source`` is coloured by ``colorizer(report)`` (called once, when a frame needs it; it
    may load a model, whose decoding and temperature are the colorizer's): on access, or
    first into ``frames`` when given, where a rerun finds the frames already done.
    ``refine`` None writes the per-frame colour as it is; else finished shots are kept in
    ``checkpoints``. The folders ``discard`` are removed once the output is complete (and
    their parent folder when that leaves it empty). ``output``, ``fps``, ``audio_from``,
    ``inputs``: as for :class:`video_out.FrameWriter`. Built by
    :func:`colorize_app.sessions.video_run.build_video_job`.

    With ``keyframes`` (:class:`~colorize_app.documents.video_keyframes.KeyframeEdit`, their
    frame and size already checked) the automatic colour (refined, when ``refine`` is
    given, into the PNG folder ``automatic``, which a later run reuses when complete) is
    only the background: the keyframes' colour is carried through their shots
    (:func:`deep_video_prior.keyframes.propagate_keyframes`, ``keyframe_settings``).
    """

    gray: Sequence[np.ndarray]
    output: str | Path
    fps: float
    colour: Sequence[np.ndarray] | None = None
    source: Sequence[np.ndarray] | None = None
    colorizer: Callable[[Reporter], FrameColorizer] | None = None
    frames: FrameFolder | None = None
    refine: RefineSettings | None = None
    checkpoints: Path | None = None
    discard: Sequence[Path] = ()
    audio_from: str | None = None
    inputs: Sequence[str] = ()
    keyframes: Sequence[KeyframeEdit] = ()
    automatic: Path | None = None
    keyframe_settings: KeyframeSettings | None = None

    def __post_init__(self) -> None:
        colorizes = not (self.source is None or self.colorizer is None)
        if (self.colour is None) != colorizes:
            raise ValueError("a video job needs either colour, or a source and a colorizer")
        if self.refine is not None and self.checkpoints is None:
            raise ValueError("a refined video job needs a checkpoints folder")
        if self.keyframes and self.refine is not None and self.automatic is None:
            raise ValueError("a refined video job with keyframes needs a folder for the "
                             "automatic colour")

    def resuming(self) -> bool:
        """True when an earlier, interrupted run of this job left checkpoints."""
        return (self.refine is not None and self.checkpoints is not None
                and self.checkpoints.is_dir() and any(self.checkpoints.iterdir()))

    def run(self, progress: ProgressCallback | None = None,
            cancelled: CancelCheck | None = None) -> JobReport:
        """Run the job; CancelledError (or KeyboardInterrupt) leaves no partial output."""
        from colorize_app.io import video_out

        report = Reporter(progress, cancelled)
        result = JobReport()
        colour, share = self._per_frame_colour(report, result)
        refine, checkpoints = self.refine, self.checkpoints  # both or neither (__post_init__)
        if self.keyframes:
            automatic, shots, share = self._automatic(colour, report, share, result,
                                                      cancelled)
            with video_out.FrameWriter(self.output, fps=self.fps, audio_from=self.audio_from,
                                   inputs=self.inputs, frame_count=len(colour)) as writer:
                result.keyframes = self._propagate(writer, automatic, shots,
                                                   report.stage(share, 1.0), cancelled)
            self._discard()
            result.frames, result.notes = writer.frames_written, list(writer.notes)
            return result
        with video_out.FrameWriter(self.output, fps=self.fps, audio_from=self.audio_from,
                               inputs=self.inputs, frame_count=len(colour)) as writer:
            if refine is None or checkpoints is None:
                _write_all(writer, colour, report.stage(share, 1.0))
            else:
                result.refine = self._refine(writer, self.gray, colour, refine, checkpoints,
                                             report.stage(share, 1.0), cancelled)
        self._discard()
        result.frames, result.notes = writer.frames_written, list(writer.notes)
        return result

    def _discard(self) -> None:
        """The output is complete: the folders to discard go, and their parents once empty."""
        for folder in self.discard:
            shutil.rmtree(folder, ignore_errors=True)
        for parent in {Path(folder).parent for folder in self.discard}:
            try:
                parent.rmdir()  # only when empty: another run's folders stay
            except OSError:
                pass

    # -- stages ---------------------------------------------------------------------------

    def _per_frame_colour(self, report: Reporter,
                          result: JobReport) -> tuple[Sequence[np.ndarray], float]:
        """The per-frame colour sequence and the progress share spent on it."""
        if self.colour is not None:
            return self.colour, 0.0
        source, make = self.source, self.colorizer
        if source is None or make is None:  # as __post_init__ said
            raise ValueError("a video job without colour needs a source and a colorizer")
        if self.frames is None:  # coloured on access, as the refinement reads each frame
            colorizer = make(report)
            return MappedFrames(source, colorizer.colorize), 0.0
        missing = self.frames.missing()
        share = COLORIZE_SHARE * len(missing) / max(1, len(self.frames))
        if missing:
            report(0.0, "loading the model")
            colorize_into_folder(make(report), source, self.frames, missing,
                                 report.stage(0.0, share))
        result.colorized = len(missing)
        return self.frames, share

    def _automatic(self, colour: Sequence[np.ndarray], report: Reporter, share: float,
                   result: JobReport, cancelled: CancelCheck | None
                   ) -> tuple[Sequence[np.ndarray], list[range] | None, float]:
        """The automatic colour under the keyframes, the shots found and the progress
        share spent: the per-frame colour, or it refined into the ``automatic`` folder
        (kept: a run with other keyframes reads it back)."""
        refine, checkpoints, folder = self.refine, self.checkpoints, self.automatic
        if refine is None or checkpoints is None or folder is None:
            return colour, None, share
        frames = FrameFolder(folder, len(colour))
        if frames.complete():
            return frames, None, share
        from colorize_app.io import video_out

        stop = share + REFINE_SHARE_WITH_KEYFRAMES * (1.0 - share)
        folder.parent.mkdir(parents=True, exist_ok=True)
        with video_out.FrameWriter(folder, fps=self.fps, frame_count=len(colour)) as writer:
            refined = self._refine(writer, self.gray, colour, refine, checkpoints,
                                   report.stage(share, stop), cancelled)
        result.refine = refined
        return frames, refined.shots, stop

    def _propagate(self, writer: Any, automatic: Sequence[np.ndarray],
                   shots: list[range] | None, report: Reporter,
                   cancelled: CancelCheck | None) -> KeyframeReport:
        """The keyframes' colour carried through their shots, written to ``writer``."""
        from deep_video_prior.keyframes import KeyframeSettings, propagate_keyframes

        keys = []
        for number, edit in enumerate(self.keyframes):
            report(0.0, f"keyframe {number + 1}/{len(self.keyframes)}: frame {edit.frame}")
            keys.append(edit.keyframe(self.gray[edit.frame], automatic[edit.frame]))

        def write_frame(index: int, rgb: np.ndarray) -> None:
            if index != writer.frames_written:
                raise RuntimeError(f"frame {index} written out of order")
            writer.write(rgb)

        return propagate_keyframes(self.gray, automatic, keys, write_frame, shots=shots,
                                   settings=self.keyframe_settings or KeyframeSettings(),
                                   progress=report, cancelled=cancelled)

    @staticmethod
    def _refine(writer: Any, gray: Sequence[np.ndarray], colour: Sequence[np.ndarray],
                settings: RefineSettings, checkpoints: Path, report: Reporter,
                cancelled: CancelCheck | None) -> RefineReport:
        from colorize_app.io.shot_checkpoints import shot_checkpoints
        from deep_video_prior.pipeline import refine_video

        checkpoints.mkdir(parents=True, exist_ok=True)

        def write_frame(index: int, rgb: np.ndarray) -> None:
            if index != writer.frames_written:
                raise RuntimeError(f"frame {index} written out of order")
            writer.write(rgb)

        # The engine polls cancelled() itself, between progress reports too.
        options = {} if cancelled is None else {"cancelled": cancelled}
        return refine_video(gray, colour, write_frame, settings=settings,
                            checkpoints=shot_checkpoints(checkpoints), progress=report,
                            **options)


def colorize_into_folder(colorizer: FrameColorizer, source: Sequence[np.ndarray],
                         frames: FrameFolder, missing: list[int], report: Reporter) -> None:
    """Colour the frames ``missing`` of ``source`` into ``frames``, each written when done."""
    from colorize_app.io import media

    frames.folder.mkdir(parents=True, exist_ok=True)
    first_done = 0.0
    for done, index in enumerate(missing):
        eta = ""
        if done == 1:
            first_done = time.monotonic()
        elif done >= 2:
            # From the second frame on: the first one pays the network's warm-up, which
            # made an estimate right after a resume many times too long.
            left = (time.monotonic() - first_done) / (done - 1) * (len(missing) - done)
            eta = f", ETA {duration_text(left)}"
        report(done / len(missing), f"colorizing frame {index + 1}/{len(frames)}{eta}")
        rgb = colorizer.colorize(source[index])
        media.write_image(frames.path(index), rgb)
    report(1.0, "frames colorized")


def _write_all(writer: Any, frames: Sequence[np.ndarray], report: Reporter) -> None:
    """Write every frame of ``frames``, in order."""
    count = len(frames)
    for index in range(count):
        writer.write(frames[index])
        report((index + 1) / count, f"frame {index + 1}/{count}")
