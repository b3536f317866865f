"""`colorize refine`: flicker removal (motion filter or Deep Video Prior) of a per-frame video.

Also holds what `colorize video` shares with it: lazy frame sequences, the resume
checkpoints' folder and the loop that refines into a :class:`media.FrameWriter`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

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


def add_refine_options(parser: argparse.ArgumentParser) -> None:
    """--preset, --epochs and --no-irt, shared with `colorize video`."""
    from colorize_app.commands.arguments import whole_number

    parser.add_argument("--preset", choices=PRESET_NAMES, default="balanced",
                        help="fast, balanced (default) or best: each frame's colour averaged "
                             "along the motion over the frames around it, at a growing working "
                             "size; network: Deep Video Prior, a network trained per shot "
                             "(slower; loses more local colour)")
    # Out of range is bad usage (exit 2), as everywhere.
    parser.add_argument("--epochs", type=whole_number(1, 100_000), metavar="N",
                        help="training epochs per shot of the network (implies --preset "
                             "network; default: its measured default)")
    parser.add_argument("--no-irt", action="store_true",
                        help="network: plain L1 training instead of Iteratively Reweighted "
                             "Training (implies --preset network)")


#: --preset names: the engine's presets, lower case, "network" for Deep Video Prior.
PRESET_NAMES = ("fast", "balanced", "best", "network")


def refine_settings(args: argparse.Namespace):  # noqa: ANN201 - RefineSettings, imported late
    """RefineSettings from the command line options."""
    import dataclasses

    from algorithms.errors import BadInputError
    from deep_video_prior.settings import PRESETS

    network = args.epochs is not None or args.no_irt
    if network and args.preset not in ("balanced", "network"):
        raise BadInputError(f"--epochs and --no-irt train the network: they do not go with "
                            f"--preset {args.preset}")
    name = "network" if network else args.preset
    settings = PRESETS["Deep Video Prior" if name == "network" else name.capitalize()]
    if args.epochs is not None:
        if args.epochs < 1:
            raise BadInputError(f"--epochs must be at least 1, got {args.epochs}")
        settings = dataclasses.replace(settings, epochs=args.epochs)
    if args.no_irt:
        settings = dataclasses.replace(settings, irt=False)
    return settings


# --------------------------------------------------------------------------------------------
# Lazy frame sequences


# --------------------------------------------------------------------------------------------
# Resume checkpoints and the refinement loop


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"colorize: note: {note}", file=sys.stderr)


def refine_into(writer, gray: Sequence[np.ndarray], processed: Sequence[np.ndarray],  # noqa: ANN001
                settings, checkpoints: Path, label: str):  # noqa: ANN001, ANN201
    """Run refine_video, writing each frame to ``writer``; returns the engine's report.

    Checkpoints are kept in ``checkpoints`` while the job runs (a rerun resumes from
    them) and removed once the output is complete.
    """
    from colorize_app.progress_bar import progress_bar
    from deep_video_prior.pipeline import refine_video

    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        print(f"colorize: resuming the interrupted run from its checkpoints in {checkpoints}",
              file=sys.stderr)
    checkpoints.mkdir(parents=True, exist_ok=True)

    def write_frame(index: int, rgb: np.ndarray) -> None:
        if index != writer.frames_written:
            raise RuntimeError(f"frame {index} written out of order")
        writer.write(rgb)

    with progress_bar(label) as progress:
        report = refine_video(gray, processed, write_frame, settings=settings,
                              checkpoint_dir=checkpoints, progress=progress)
    return report


def finish(report, writer, checkpoints: Path, output: str, label: str) -> None:  # noqa: ANN001
    """Print the writer's notes and a summary; drop the checkpoints of the finished job."""
    shutil.rmtree(checkpoints, ignore_errors=True)
    print_notes(writer.notes)
    resumed = (f", {len(report.resumed_shots)} resumed from checkpoints"
               if report.resumed_shots else "")
    shots = len(report.shots)
    print(f"{label} {writer.frames_written} frames ({shots} shot{'s' if shots != 1 else ''}"
          f"{resumed}, {report.seconds:.0f} s) -> {output}", file=sys.stdout)


def output_fps(sources: Sequence, output: str, notes: list[str]) -> float:
    """Frame rate of the output: the first video source's; a note when only folders."""
    from colorize_app import media

    for source in sources:
        if not source.is_folder:
            return source.fps
    if media.is_video_path(output):
        notes.append(f"frames from a folder have no frame rate: the video is timed at "
                     f"{media.FOLDER_FPS:g} fps")
    return media.FOLDER_FPS


def audio_source(sources: Sequence) -> Optional[str]:
    """Path of the first source that is a video with audio, if any."""
    return next((source.path for source in sources if source.has_audio), None)


def run(args: argparse.Namespace) -> int:
    from algorithms.errors import BadInputError
    from colorize_app import media
    from colorize_app.video_frames import as_gray, checkpoint_dir, resized_to

    settings = refine_settings(args)
    inputs = [args.gray, args.processed]
    media.check_not_input(args.output, inputs)
    gray_source = media.open_frames(args.gray)
    processed = media.open_frames(args.processed)
    if len(gray_source) != len(processed):
        raise BadInputError(f"GRAY has {len(gray_source)} frames but PROCESSED has "
                            f"{len(processed)}; they must pair one to one")
    notes = list(gray_source.notes) + list(processed.notes)
    gray: Sequence[np.ndarray] = gray_source
    if (gray_source.width, gray_source.height) != (processed.width, processed.height):
        notes.append(f"gray frames resized from {gray_source.width} x {gray_source.height} to "
                     f"{processed.width} x {processed.height}, the size of PROCESSED")
        gray = resized_to(gray_source, processed.width, processed.height)
    gray, colour_notes = as_gray(gray, f"GRAY ({args.gray})")
    notes += colour_notes
    fps = output_fps([processed, gray_source], args.output, notes)
    print_notes(notes)
    checkpoints = checkpoint_dir("refine", inputs, {"settings": repr(settings)})
    with media.FrameWriter(args.output, fps=fps, audio_from=audio_source([processed, gray_source]),
                           inputs=inputs, frame_count=len(processed)) as writer:
        report = refine_into(writer, gray, processed, settings, checkpoints, "refine")
    finish(report, writer, checkpoints, args.output, "refined")
    return 0
