"""`colorize batch cnn|video`: whole archives, resumably, on this machine or a Dask cluster."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from colorize_app.commands import arguments

if TYPE_CHECKING:
    from colorize_app.batch.job_settings import BatchSettings
    from colorize_app.jobs.reporting import JobReporter, TaskProgress

DESCRIPTION = """\
Colorize whole archives of photos (batch cnn) or videos (batch video). INPUTS are files,
folders (searched recursively) and glob patterns ('scans/**/*.tif'); each result keeps its
path relative to the INPUT it was found through, under OUT_DIR. The work runs on a Dask
cluster: by default one started on this machine (one worker process per core, each
loading the model once), or an existing one with --scheduler. The job is resumable:
OUT_DIR/colorize-batch.jsonl records every input's fingerprint, settings and result; the
same command run again skips what is done and retries what failed. A video's unit of
work is one shot: its shots run in parallel and a rerun redoes only the shots not done.
A bad input is reported and skipped; the exit status is 1 when any input failed, 0 when
all are done."""

EPILOG = """\
Examples:
  colorize batch cnn scans/ -o coloured/ --workers 2
  colorize batch cnn 'archive/**/*.tif' -o coloured/ --format jpg --temperature 0.3
  colorize batch cnn scans/ -o /shared/coloured/ --scheduler tcp://10.0.0.5:8786
  colorize batch video films/ -o coloured_films/ --no-refine
  colorize batch video films/ -o coloured_films/ --keyframes films_keyframes/
With --scheduler, every worker must see INPUTS and OUT_DIR at the same paths (a shared
file system) and have the project installed; --model names a model installed there, or
a file they can read."""

#: --format choices: the written image's extension.
FORMATS = ("png", "jpg", "tif", "webp", "bmp")


def register(subparsers: argparse._SubParsersAction) -> None:
    from colorize_app.commands.video_options import add_refine_options

    parser = subparsers.add_parser(
        "batch", help="colorize whole archives resumably, locally or on a Dask cluster",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    photos = kinds.add_parser(
        "cnn", help="photos, as `colorize cnn`", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_options(photos, "image files, folders or glob patterns")
    photos.add_argument("--format", choices=FORMATS, default="png",
                        help="file type of the results (default png)")
    size = photos.add_mutually_exclusive_group()
    size.add_argument("--size", type=arguments.whole_number(8, 8192, multiple_of=8),
                      default=256, metavar="N",
                      help="side of the square the network sees, a multiple of 8 (default 256)")
    size.add_argument("--native", action="store_true",
                      help="run the network at each photo's own resolution (slower)")
    photos.set_defaults(func=run_cnn)
    videos = kinds.add_parser(
        "video", help="videos, as `colorize video` (results are .mp4)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_options(videos, "video files, folders or glob patterns")
    videos.add_argument("--no-refine", action="store_true",
                        help="write the per-frame colorization without Deep Video Prior")
    videos.add_argument("--keyframes", metavar="DIR",
                        help="each video's keyframes, as for colorize video --keyframes, in "
                             "the folder of DIR named as its result without the extension "
                             "(films/1950/reel3.mp4 found through films/ -> "
                             "DIR/1950/reel3/0000.png); videos without one are coloured "
                             "automatically")
    add_refine_options(videos)
    videos.set_defaults(func=run_video)


def _common_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=what)
    parser.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                        help="output folder (made if needed); holds the job's manifest")
    parser.add_argument("--model", metavar="NAME|FILE", help="model name or model file")
    parser.add_argument("--temperature", type=arguments.temperature, default=None,
                        metavar="T", help="annealed-mean temperature in (0, 10]: lower is "
                                          "more vivid (default: the model's own decoding, "
                                          "as colorize cnn)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=arguments.whole_number(1, 1024), metavar="N",
                       help="local worker processes (default: one per core, as memory allows)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster (e.g. tcp://host:8786)")


def _model(spec: str | None) -> tuple[str, str, str]:
    """(what workers resolve, the model file's sha256, its description); checked here first.

    A name stays a name (each worker finds its own installed copy); a file is passed as an
    absolute path. The checksum makes a worker with another version refuse the job.
    """
    from colorize_app.io.model_registry import installed_models, resolve_model
    from colorize_app.io.safe_files import file_sha256
    from colorize_app.sessions.cnn import load_model

    path = resolve_model(spec)
    description = load_model(path).describe()  # a bad model fails here, before any cluster
    name = {model.path.resolve(): model.name for model in installed_models()}.get(path.resolve())
    worker_spec = name if name and spec in (None, name) else str(path.resolve())
    return worker_spec, file_sha256(path), description


def _output_folder(path: str) -> str:
    from algorithms.errors import BadInputError

    if os.path.exists(path) and not os.path.isdir(path):
        raise BadInputError(f"OUT_DIR must be a folder; {path} is a file")
    return os.path.abspath(path)


def run_cnn(args: argparse.Namespace) -> int:
    from colorize_app.batch import worker_tasks
    from colorize_app.batch.job_settings import BatchSettings
    from colorize_app.io import media

    out_dir = _output_folder(args.output)
    model, sha256, description = _model(args.model)
    settings = BatchSettings("cnn", model, sha256, temperature=args.temperature,
                             input_size=None if args.native else args.size,
                             format=args.format, out_dir=out_dir)
    return _run(args, out_dir, media.IMAGE_EXTENSIONS, f".{args.format}",
                worker_tasks.colorize_photo, settings, "photos", description)


def run_video(args: argparse.Namespace) -> int:
    from algorithms.errors import BadInputError
    from colorize_app.batch import video_shots
    from colorize_app.batch.job_settings import BatchSettings
    from colorize_app.commands import video_options
    from colorize_app.io import video_in

    out_dir = _output_folder(args.output)
    refine_settings = None if args.no_refine else video_options.refine_settings(args)
    keyframes = None
    if args.keyframes is not None:
        if not os.path.isdir(args.keyframes):
            raise BadInputError(f"--keyframes: {args.keyframes} is not a folder")
        keyframes = os.path.abspath(args.keyframes)  # as remote workers see it
    model, sha256, description = _model(args.model)
    settings = BatchSettings("video", model, sha256, temperature=args.temperature,
                             input_size=256, refine=refine_settings, out_dir=out_dir)
    return _run(args, out_dir, video_in.VIDEO_EXTENSIONS, ".mp4", None, settings,
                "videos", description, run_all=video_shots.run_videos,
                parts=video_shots.parts_of,
                keyed=None if keyframes is None else
                lambda items: video_shots.with_keyframes(items, keyframes))


class _BatchBar:
    """The command line's side of a batch job's reporter: notes and failures on stderr
    (above the bar), and one tqdm bar per stage: inputs finished, the rate, and done /
    failed / remaining."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage = ""

    def reporter(self) -> JobReporter:
        from colorize_app.jobs.reporting import JobReporter

        return JobReporter(note=self.note, progress=self.progress, failure=self.failure)

    def _write(self, line: str) -> None:
        from tqdm import tqdm

        tqdm.write(line, file=sys.stderr)

    def note(self, text: str) -> None:
        self._write(f"colorize: note: {text}")

    def failure(self, source: str, reason: str) -> None:
        from algorithms.errors import one_line

        self._write("colorize: error: " + one_line(f"skipped {source}: {reason}"))

    def progress(self, state: TaskProgress) -> None:
        from tqdm import tqdm

        if self.bar is None or state.stage != self.stage:
            self.close()
            self.stage = state.stage
            self.bar = tqdm(total=state.total, desc="batch", unit=f" {state.stage}",
                            file=sys.stderr, disable=None,
                            bar_format="{desc}: {n}/{total}{unit} |{bar}| "
                                       "{elapsed}<{remaining}, {rate_fmt}{postfix}")
        self.bar.set_postfix_str(f"done {state.done}, failed {state.failed}, "
                                 f"remaining {state.remaining}", refresh=False)
        self.bar.update(state.done + state.failed - self.bar.n)
        if state.remaining == 0:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextlib.contextmanager
def _batch_bar() -> Iterator[JobReporter]:
    """A reporter printing a batch job's notes, failures and progress; its bar closed at
    the end (Ctrl+C included)."""
    bar = _BatchBar()
    try:
        yield bar.reporter()
    finally:
        bar.close()


def _run(args: argparse.Namespace, out_dir: str, extensions: tuple, suffix: str,
         task: Callable | None, settings: BatchSettings, label: str, model: str,
         run_all: Callable | None = None, parts: Callable[[str], str] | None = None,
         keyed: Callable[[list], list] | None = None) -> int:
    """Plan, prove every output path safe, skip what the manifest says is done, run the
    rest, summarise (exit status).

    Each input is one ``task``, or ``run_all`` (as
    :func:`~colorize_app.batch.runner.run_items` without the task) does the inputs its own
    way: videos shot by shot, each in the folder ``parts(output)`` until it is assembled.
    ``keyed`` gives the planned items their keyframes.
    """
    from algorithms.errors import BadInputError
    from colorize_app.batch import runner
    from colorize_app.io.batch_files import MANIFEST_NAME, Manifest, find_inputs
    from colorize_app.io.batch_paths import check_outputs

    items = runner.plan_items(find_inputs(args.inputs, extensions, out_dir), suffix)
    if keyed is not None:
        items = keyed(items)
    outputs = {item.output for item in items}
    part_folders = {parts(item.output) for item in items} if parts else set()
    # Before any work: results, manifest and shot folders inside OUT_DIR, through no
    # link, onto no input (nor the model file).
    model_file = settings.model if os.path.isabs(settings.model) else None
    check_outputs(out_dir, [*sorted(outputs), MANIFEST_NAME,
                            *(f"{folder}/shot-0000" for folder in sorted(part_folders))],
                  [item.source for item in items] + ([model_file] if model_file else []))
    key = settings.key()

    def this_job(output: str) -> bool:  # the manifest's records this job needs
        return output in outputs or os.path.dirname(output) in part_folders

    with Manifest(out_dir, keep=this_job) as manifest:
        pending = runner.to_do(items, manifest, key)
        skipped = len(items) - len(pending)
        if not pending:
            print(f"nothing to do: all {len(items)} {label} are done -> {out_dir}")
            return 0
        run = time.strftime("%Y%m%dT%H%M%S-") + secrets.token_hex(3)  # unique per run
        if skipped:
            print(f"colorize: note: {skipped} of {len(items)} {label} already done "
                  f"(per {manifest.path}); doing the other {len(pending)}", file=sys.stderr)
        summary = None
        try:
            with _batch_bar() as reporter, \
                    runner.connect(args.workers, args.scheduler, reporter) as cluster:
                manifest.append({"run": run, "command": f"batch {args.kind}",
                                 "settings": settings.identity(), "settings_key": key,
                                 "inputs": len(items), "to_do": len(pending),
                                 "cluster": cluster.description})
                if cluster.dashboard:  # only a scheduler that serves one has a link
                    reporter.note(f"progress dashboard at {cluster.dashboard}")
                job_settings = dataclasses.replace(settings,
                                                   threads=cluster.threads_per_task)
                if run_all is not None:
                    summary = run_all(cluster, pending, job_settings, manifest, out_dir,
                                      run=run, label=label, reporter=reporter)
                else:
                    assert task is not None  # one of task and run_all is given
                    summary = runner.run_items(cluster, task, pending, job_settings,
                                               manifest, out_dir, run=run, label=label,
                                               reporter=reporter)
        except KeyboardInterrupt:
            done = sum(1 for item in pending
                       if manifest.records.get(item.output, {}).get("run") == run)
            print(f"colorize: note: stopped after {done} of {len(pending)} {label}; run the "
                  f"same command again to do the rest", file=sys.stderr)
            raise
    rate = summary.done / summary.seconds if summary.seconds > 0 else 0.0
    print(f"colorized {summary.done} {label if summary.done != 1 else label[:-1]} "
          f"({skipped} already done, {summary.failed} "
          f"failed) with {model} on {cluster.description} in {summary.seconds:.1f} s "
          f"({rate:.2f} {label}/s) -> {out_dir}")
    if summary.failures:
        source, _ = summary.failures[0]
        raise BadInputError(f"{summary.failed} of {len(items)} inputs could not be colorized "
                            f"(first: {source}); the others were written; the same command "
                            f"retries them")
    return 0
