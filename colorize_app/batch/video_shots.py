"""`colorize batch video`: shots are the unit of work.

A video goes through three kinds of Dask task (:mod:`colorize_app.batch.worker_tasks`): its shots
are found (``find_shots``), each shot is colorized and refined on its own
(``colorize_video_shot``, into ``OUT_DIR/.colorize-parts/<output>/shot-NNNN/``), and once all
its shots are done the file is assembled (``assemble_video``) and its parts removed. The
manifest records every stage: ``<parts>/shots`` (the shots found), ``<parts>/shot-NNNN``
(each shot, with its frame range) and the video itself (with its shots). A rerun skips what
is recorded as done, so an interrupted job redoes only the shots it had not finished; a
video whose shot failed is recorded as failed and retried by the next run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from colorize_app.batch import runner
from colorize_app.batch.job_settings import BatchSettings
from colorize_app.batch.runner import BatchItem, BatchSummary, Cluster
from colorize_app.io.batch_files import Manifest
from colorize_app.jobs.reporting import JobReporter

#: Folder of OUT_DIR that holds the shots of videos not assembled yet.
PARTS_FOLDER = ".colorize-parts"


def parts_of(output: str) -> str:
    """The parts folder (relative to OUT_DIR) of the video written to ``output``."""
    return os.path.join(PARTS_FOLDER, output)


def _done(manifest: Manifest, output: str, key: str, item: BatchItem) -> dict | None:
    """The record of ``output`` when it is done with these settings from this input."""
    record = manifest.records.get(output)
    if (record and record.get("status") == "done" and record.get("settings") == key
            and record.get("fingerprint") == item.fingerprint):
        return record
    return None


def run_videos(cluster: Cluster, items: Sequence[BatchItem], settings: BatchSettings,
               manifest: Manifest, out_dir: str, *, run: str, label: str = "videos",
               reporter: JobReporter | None = None) -> BatchSummary:
    """Colorize the videos ``items`` (those :func:`runner.to_do` left), shot by shot.

    Returns one summary per video: done when assembled, failed (with the first reason) when
    any of its stages failed; each failure is also recorded under the video's output.
    ``reporter`` hears each stage's progress and failures.
    """
    from colorize_app.batch import worker_tasks

    summary = BatchSummary(total=len(items))
    started = time.perf_counter()
    key = settings.key()

    def stage(task: Callable, stage_items: list, what: str) -> None:
        if stage_items:
            runner.run_items(cluster, task, stage_items, settings, manifest, out_dir,
                             run=run, label=what, reporter=reporter)

    # 1. The shots of each video (a rerun reads them from the manifest).
    def shots_record(item: BatchItem) -> dict | None:
        found = _done(manifest, os.path.join(parts_of(item.output), "shots"), key, item)
        return found if found is not None and "shots" in found else None  # checked on read

    stage(worker_tasks.find_shots, [
        BatchItem(item.source, os.path.join(parts_of(item.output), "shots"), item.fingerprint,
                  _keyframes_of(item))
        for item in items if shots_record(item) is None], f"{label}: finding shots")

    # 2. Every shot not done yet, of every video whose shots are known.
    shot_items = []
    for item in items:
        found = shots_record(item)
        for index, shot in enumerate(found["shots"] if found else []):
            part = BatchItem(item.source, _shot_output(item, index), item.fingerprint,
                             {"shot": shot, **_keyframes_of(item)})
            if not manifest.is_done(part.output, key, part.fingerprint):
                shot_items.append(part)
    stage(worker_tasks.colorize_video_shot, shot_items, "shots")

    # 3. Each video whose shots are all done: its file, then its parts go.
    to_assemble = []
    for item in items:
        found = shots_record(item)
        reason = _failure(manifest, item, found)
        if reason is None and found is not None:
            to_assemble.append(BatchItem(item.source, item.output, item.fingerprint, {
                "shots": found["shots"],
                "parts": os.path.join(out_dir, parts_of(item.output))}))
        else:
            manifest.append({"output": item.output, "input": item.source, "run": run,
                             "fingerprint": item.fingerprint, "settings": key,
                             "status": "failed", "error": reason or "failed"})
    stage(worker_tasks.assemble_video, to_assemble, label)

    for item in items:
        record = manifest.records.get(item.output, {})
        if record.get("run") == run and record.get("status") == "done":
            summary.done += 1
            assembled = shots_record(item)  # done: its shots were found
            _remove_parts(out_dir, item, len(assembled["shots"]) if assembled else 0)
        else:
            summary.failed += 1
            summary.failures.append((item.source, record.get("error", "failed")))
    _remove_empty_folders(os.path.join(out_dir, PARTS_FOLDER))
    summary.seconds = time.perf_counter() - started
    return summary


def with_keyframes(items: Sequence[BatchItem], root: str) -> list[BatchItem]:
    """``items`` with their keyframes: the folder under ``root`` named as a video's output
    without its extension (``reel3.mp4`` -> ``root/reel3/``), where there is one with a
    file in it (an empty one, made ahead, counts as none). Its files join the video's
    fingerprint, so a rerun redoes a video whose keyframes changed."""
    from colorize_app.io.fingerprints import fingerprint

    keyed = []
    for item in items:
        folder = os.path.join(root, os.path.splitext(item.output)[0])
        if os.path.isdir(folder) and any(not name.startswith(".")
                                         for name in os.listdir(folder)):
            item = BatchItem(item.source, item.output,
                             [*item.fingerprint, ["keyframes", fingerprint(folder)]],
                             {**item.extra, "keyframes": folder})
        keyed.append(item)
    return keyed


def _keyframes_of(item: BatchItem) -> dict:
    """The tasks' keyword argument for ``item``'s keyframes folder, if it has one."""
    return {"keyframes": item.extra["keyframes"]} if "keyframes" in item.extra else {}


def _shot_output(item: BatchItem, index: int) -> str:
    return os.path.join(parts_of(item.output), f"shot-{index:04d}")


def _failure(manifest: Manifest, item: BatchItem, found: dict | None) -> str | None:
    """Why ``item`` cannot be assembled (its first failed stage), None when it can."""
    if found is None:
        record = manifest.records.get(os.path.join(parts_of(item.output), "shots"), {})
        return record.get("error", "its shots were not found")
    for index in range(len(found["shots"])):
        record = manifest.records.get(_shot_output(item, index), {})
        if record.get("status") != "done":
            return f"shot {index + 1}: {record.get('error', 'not done')}"
    return None


def _remove_parts(out_dir: str, item: BatchItem, shots: int) -> None:
    """Remove an assembled video's shot folders: the frames the job wrote, and the folders
    left empty; anything else (a file the user put there) stays, and no link is followed."""
    from colorize_app.io.batch_paths import remove_empty_folder, remove_frame_folder

    for index in range(shots):
        remove_frame_folder(os.path.join(out_dir, _shot_output(item, index)))
    folder = os.path.join(out_dir, parts_of(item.output))
    while os.path.relpath(folder, out_dir) not in (".", ""):
        remove_empty_folder(folder)
        folder = os.path.dirname(folder)


def _remove_empty_folders(folder: str) -> None:
    """Remove ``folder`` and the folders below it that hold no file (never through a link)."""
    from colorize_app.io.batch_paths import remove_empty_folder

    if os.path.islink(folder) or not os.path.isdir(folder):
        return
    for root, _, _ in sorted(os.walk(folder), key=lambda entry: -len(entry[0])):
        remove_empty_folder(root)
