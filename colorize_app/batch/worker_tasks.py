"""The work a batch job sends to its Dask workers: one photo, or one shot of a video, per task.

Runs in the worker processes (any machine with the project installed and the same files
in reach). Each worker thread loads the model once, on its first task, and keeps it for
the rest of the job; a task returns a small result dict and never raises for a bad input,
so that one unreadable scan is reported and the others go on. Only a model the worker
cannot load (or a different one than the client's) raises :class:`WorkerModelError`:
every later task would fail the same way, so the job stops.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from colorize_app.batch.job_settings import BatchSettings
from colorize_app.runtime.tf_startup import configure_tensorflow, import_tensorflow

if TYPE_CHECKING:
    from algorithms.cnn.colorizer import Colorizer

#: Per worker thread: {(model, sha256, temperature, input size, threads): Colorizer} and a
#: load count.
_LOCAL = threading.local()


class WorkerModelError(RuntimeError):
    """A worker cannot load the job's model (missing there, or another version)."""


def dask_setup(worker: object) -> None:
    """Dask preload hook of the local cluster's workers: Ctrl+C is the client's to handle.

    A terminal sends SIGINT to the whole process group; workers that took it as their own
    would die mid-task with tracebacks. The client stops them cleanly instead.
    """
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_name() -> str:
    """host:pid of this worker process (for the manifest)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def model_loads() -> int:
    """How many models this worker thread has loaded so far."""
    return getattr(_LOCAL, "loads", 0)


def _colorizer(settings: BatchSettings) -> Colorizer:
    """This thread's Colorizer for the job's model, loaded on first use."""
    key = (settings.model, settings.model_sha256, settings.temperature, settings.input_size,
           settings.threads)
    cache = getattr(_LOCAL, "colorizers", None)
    if cache is None:
        cache = _LOCAL.colorizers = {}
    if key not in cache:
        import_tensorflow()  # first, the quiet and lighter way
        from algorithms.errors import ColorizeError
        from colorize_app.io.model_registry import resolve_model
        from colorize_app.io.safe_files import file_sha256
        from colorize_app.sessions.cnn import load_colorizer, load_model

        loading = time.perf_counter()
        try:
            path = resolve_model(settings.model)
            if file_sha256(path) != settings.model_sha256:
                raise WorkerModelError(f"the model {path} on worker {worker_name()} is not "
                                       f"the client's (different contents)")
            model = load_model(path)
        except ColorizeError as error:
            raise WorkerModelError(f"worker {worker_name()} cannot load the model: "
                                   f"{error}") from None
        for old in cache.values():  # one model per thread: a new job's replaces the last
            old.close()
        cache.clear()
        if settings.threads > 0:
            import cv2

            # OpenCV (decoding, colour conversion) would use every core in every worker.
            cv2.setNumThreads(settings.threads)
        # The rule of every front: the model's own decoding unless a temperature is given.
        colorizer = load_colorizer(model, temperature=settings.temperature,
                                   input_size=settings.input_size, threads=settings.threads)
        # TensorFlow optimises the graph on its first run: count that as loading.
        colorizer.predict_logits(np.full((64, 64), 50.0, np.float32))
        cache[key] = colorizer
        _LOCAL.loads = model_loads() + 1
        _LOCAL.model_path = str(path)
        _LOCAL.load_seconds = time.perf_counter() - loading  # reported by this task only
    return cache[key]


def _result(status: str, started: float, error: str | None = None,
            notes: tuple = ()) -> dict:
    result: dict[str, Any] = {"status": status, "seconds": round(time.perf_counter() - started, 3),
                              "worker": worker_name(), "model_loads": model_loads()}
    load_seconds = getattr(_LOCAL, "load_seconds", None)
    if load_seconds is not None:  # this task loaded the model: its seconds include that
        result["model_load_s"] = round(load_seconds, 3)
        _LOCAL.load_seconds = None
    if error is not None:
        result["error"] = error
    if notes:
        result["notes"] = list(notes)
    return result


def _failure(started: float, error: BaseException) -> dict:
    """The one-line reason a bad input failed (a bug is named as one)."""
    from algorithms.errors import ColorizeError, one_line

    if isinstance(error, MemoryError):
        reason = "out of memory"
    elif isinstance(error, ColorizeError):
        reason = one_line(error) or "failed"
    else:
        reason = one_line(f"internal error ({type(error).__name__}: {error})")
    return _result("failed", started, reason)


def _make_folders(settings: BatchSettings, target: str) -> None:
    """The folders above ``target``, made inside the job's OUT_DIR without following links."""
    from colorize_app.io.batch_paths import make_output_folders

    if settings.out_dir is not None:
        make_output_folders(settings.out_dir, target)
    else:  # a caller of its own (no OUT_DIR): as before
        os.makedirs(os.path.dirname(target), exist_ok=True)


def colorize_photo(source: str, target: str, settings: BatchSettings) -> dict:
    """Colorize the photo ``source`` into ``target`` (atomic; folders made as needed) with
    the job's model, temperature (None: the model's decoding), input size and threads."""
    configure_tensorflow("cnn")  # a remote worker's first task imports TensorFlow
    started = time.perf_counter()
    colorizer = _colorizer(settings)  # WorkerModelError stops the job
    try:
        from colorize_app.io import media
        from colorize_app.sessions.memory import check_photo_file_memory

        # From the header, before decoding: `colorize cnn`'s rule for each photo.
        check_photo_file_memory("cnn", source, native=settings.input_size is None)
        image = media.read_image(source)
        rgb = colorizer.colorize(image.pixels)
        _make_folders(settings, target)
        media.write_image(target, rgb, inputs=[source])
    except (Exception, MemoryError) as error:  # noqa: BLE001 - a bad input must not stop a batch
        return _failure(started, error)
    return _result("done", started, notes=image.notes)


def find_shots(source: str, target: str, settings: BatchSettings,
               keyframes: str | None = None) -> dict:
    """The shots of the video (or folder of frames) ``source``: ``shots`` [[start, stop],
    ...] and ``frames``, the count. Reads every frame once; loads no model. A folder of
    ``keyframes`` is read here too, so that a bad one fails the video before any shot."""
    started = time.perf_counter()
    try:
        from colorize_app.io import video_in
        from colorize_app.sessions.video_memory import check_video_memory
        from deep_video_prior.shots import detect_shots

        frames = video_in.open_frames(source)
        check_video_memory(frames, refine=settings.refine is not None)
        if keyframes is not None:  # every file read and checked, frame numbers included
            from colorize_app.io.keyframe_files import read_keyframes

            read_keyframes(keyframes, len(frames), (frames.height, frames.width))
        shots = detect_shots(frames)
    except (Exception, MemoryError) as error:  # noqa: BLE001 - a bad input must not stop a batch
        return _failure(started, error)
    return dict(_result("done", started), shots=[[shot.start, shot.stop] for shot in shots],
                frames=len(frames))


def colorize_video_shot(source: str, target: str, settings: BatchSettings,
                        shot: list, keyframes: str | None = None) -> dict:
    """Colorize frames ``shot`` = [start, stop) of ``source`` into the folder ``target``, as
    `colorize video` does (per-frame CNN, then the refinement ``settings.refine``, or
    none), with the shot's keyframes from the folder ``keyframes``, if any; the folder
    appears only once complete. A shot cut short resumes from what the engine
    checkpointed (the same run folder as `colorize video`'s, keyed by the shot)."""
    configure_tensorflow("video")  # a remote worker's first task imports TensorFlow
    started = time.perf_counter()
    colorizer = _colorizer(settings)  # WorkerModelError stops the job
    notes: list = []
    try:
        from colorize_app.io import video_in
        from colorize_app.jobs import video_frames
        from colorize_app.sessions.video_memory import check_video_memory
        from colorize_app.sessions.video_run import RunKey, build_video_job

        frames = video_in.open_frames(source)
        check_video_memory(frames, refine=settings.refine is not None)
        span = range(*shot)
        gray, notes = video_frames.as_gray(
            video_frames.FrameRange(frames.reopened(), span), source)
        refine, work = settings.refine, None
        if refine is not None:
            work = RunKey("batch-shot", (source, _LOCAL.model_path), settings.temperature,
                          (span.start, span.stop)).folder()
            refine = dataclasses.replace(refine, threads=settings.threads)
        edits = [] if keyframes is None else _keyframes_in(keyframes, frames, span)
        _make_folders(settings, target)
        build_video_job(gray, target, frames.fps, work=work, refine=refine,
                        source=video_frames.FrameRange(frames, span),
                        colorizer=lambda _report: colorizer, keyframes=edits).run()
    except (Exception, MemoryError) as error:  # noqa: BLE001 - a bad input must not stop a batch
        return _failure(started, error)
    return _result("done", started, notes=tuple(notes))


def _keyframes_in(folder: str, frames, span: range) -> list:
    """The keyframes of ``folder`` (as ``colorize video --keyframes`` reads them) on the
    frames ``span``, numbered from its start; the other frames' files are not read."""
    from colorize_app.io.keyframe_files import read_keyframes

    edits = read_keyframes(folder, len(frames), (frames.height, frames.width), span)
    return [dataclasses.replace(edit, frame=edit.frame - span.start) for edit in edits]


def assemble_video(source: str, target: str, settings: BatchSettings, shots: list,
                   parts: str) -> dict:
    """Write ``target`` (a video with ``source``'s audio, or a folder of PNG frames) from the
    shot folders ``parts``/shot-0000, ... that :func:`colorize_video_shot` wrote."""
    started = time.perf_counter()
    notes: list = []
    try:
        from colorize_app.io import safe_files, video_in
        from colorize_app.jobs import video_frames, video_job
        from colorize_app.sessions.video_run import build_video_job

        safe_files.check_not_input(target, [source])
        frames = video_in.open_frames(source)
        notes = list(frames.notes)
        fps = video_job.output_fps([frames], target, notes)
        joined = video_frames.Concatenated([
            video_frames.FrameFolder(shot_folder(parts, index), stop - start)
            for index, (start, stop) in enumerate(shots)])
        _make_folders(settings, target)
        report = build_video_job(joined, target, fps, work=None, refine=None, colour=joined,
                                 audio_from=video_job.audio_source([frames]),
                                 inputs=[source]).run()
        notes += report.notes
    except (Exception, MemoryError) as error:  # noqa: BLE001 - a bad input must not stop a batch
        return _failure(started, error)
    return _result("done", started, notes=tuple(notes))


def shot_folder(parts: str, index: int) -> str:
    """The folder of shot ``index`` among a video's ``parts``."""
    return os.path.join(parts, f"shot-{index:04d}")
