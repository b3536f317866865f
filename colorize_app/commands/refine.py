"""`colorize refine`: flicker removal (motion filter or Deep Video Prior) of a per-frame video."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the work, not with the parser
    import numpy as np

DESCRIPTION = """\
Refine a per-frame processed video: the flicker of per-frame colour is removed while each
object keeps its colour. Each frame's overall colour is steadied, then every pixel's colour
is averaged along its motion (optical flow) over the frames around it; --preset network
uses Deep Video Prior (Lei, Xing, Chen, NeurIPS 2020) instead, a small network trained on
this video alone.
GRAY holds the original frames and PROCESSED the per-frame results, paired in order; each
is a video file (.mp4, .mov, .avi, .mkv, .webm) or a folder of frame images (natural order).
OUTPUT has as many frames as PROCESSED, at its size. An OUTPUT with a video extension is
written as an H.264 video with the audio of PROCESSED (or of GRAY); any other OUTPUT is a
folder of PNG frames 00000.png, 00001.png, ... An interrupted run (Ctrl+C) resumes from
its per-shot checkpoints when the same command is run again."""

EPILOG = """\
Examples:
  colorize refine gray_frames/ colorized_frames/ -o refined.mp4
  colorize refine gray_frames/ colorized_frames/ -o refined.mp4 --preset network --epochs 20"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from colorize_app.commands.video_options import add_refine_options

    parser = subparsers.add_parser(
        "refine", help="remove per-frame flicker, keeping each object's colour",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("gray", metavar="GRAY", help="original frames: video file or folder")
    parser.add_argument("processed", metavar="PROCESSED",
                        help="per-frame processed frames: video file or folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="video file (.mp4, ...) or folder of PNG frames")
    add_refine_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from algorithms.errors import BadInputError
    from colorize_app.commands import video_options
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io import safe_files, video_in
    from colorize_app.jobs import video_job
    from colorize_app.jobs.video_frames import as_gray, resized_to
    from colorize_app.sessions.video_memory import check_video_memory
    from colorize_app.sessions.video_run import RunKey, build_video_job

    settings = video_options.refine_settings(args)
    inputs = [args.gray, args.processed]
    safe_files.check_not_input(args.output, inputs)
    gray_source = video_in.open_frames(args.gray)
    processed = video_in.open_frames(args.processed)
    for frames in (gray_source, processed):  # from the probes, before any frame is decoded
        check_video_memory(frames, colorize=False)
    if len(gray_source) != len(processed):
        raise BadInputError(f"GRAY has {len(gray_source)} frames but PROCESSED has "
                            f"{len(processed)}; they must pair one to one")
    notes = list(gray_source.notes) + list(processed.notes)
    from colorize_app.runtime.tf_startup import import_tensorflow

    import_tensorflow()  # first, the quiet way: TensorFlow's start-up notices are dropped
    gray: Sequence[np.ndarray] = gray_source
    if (gray_source.width, gray_source.height) != (processed.width, processed.height):
        notes.append(f"gray frames resized from {gray_source.width} x {gray_source.height} to "
                     f"{processed.width} x {processed.height}, the size of PROCESSED")
        gray = resized_to(gray_source, processed.width, processed.height)
    gray, colour_notes = as_gray(gray, f"GRAY ({args.gray})")
    notes += colour_notes
    fps = video_job.output_fps([processed, gray_source], args.output, notes)
    video_options.print_notes(notes)
    job = build_video_job(
        gray, args.output, fps, work=RunKey("refine", tuple(inputs)).folder(),
        refine=settings, colour=processed,
        audio_from=video_job.audio_source([processed, gray_source]), inputs=inputs)
    video_options.print_resuming(job)
    with progress_bar("refine") as progress:
        report = job.run(progress)
    video_options.print_summary(report, args.output, "refined")
    return 0
