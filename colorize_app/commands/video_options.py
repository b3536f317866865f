"""Command-line options and messages shared by `colorize video`, `colorize refine` and
`colorize batch video` (the run itself is :mod:`colorize_app.sessions.video_run`'s)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deep_video_prior.settings import RefineSettings


def add_refine_options(parser: argparse.ArgumentParser) -> None:
    """--preset, --epochs and --no-irt."""
    from colorize_app.commands.arguments import whole_number
    from colorize_app.sessions.video_presets import PRESETS

    # No default here: `colorize video --project` tells a chosen preset from the project's.
    parser.add_argument("--preset", choices=list(PRESETS), default=None,
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


def refine_settings(args: argparse.Namespace) -> RefineSettings:
    """RefineSettings from the options of :func:`add_refine_options`."""
    from colorize_app.commands.arguments import settings_as_options
    from colorize_app.sessions.video_presets import command_settings

    with settings_as_options():
        return command_settings(args.preset, args.epochs, irt=not args.no_irt)


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"colorize: note: {note}", file=sys.stderr)


def print_resuming(job) -> None:
    """Say so when ``job`` resumes an interrupted run from its checkpoints."""
    if job.resuming():
        print(f"colorize: resuming the interrupted run from its checkpoints in "
              f"{job.checkpoints}", file=sys.stderr)


def print_summary(report, output: str, label: str) -> None:
    """The writer's notes, then one line: frames, shots, resumed shots, seconds, output."""
    print_notes(report.notes)
    refined = report.refine
    resumed = (f", {len(refined.resumed_shots)} resumed from checkpoints"
               if refined.resumed_shots else "")
    shots = len(refined.shots)
    print(f"{label} {report.frames} frames ({shots} shot{'s' if shots != 1 else ''}"
          f"{resumed}, {refined.seconds:.0f} s) -> {output}", file=sys.stdout)


def print_keyframes_summary(report, output: str, model: str, refined: bool) -> None:
    """The writer's notes, then one line: frames, keyframes, shots, output."""
    print_notes(report.notes)
    keyed = report.keyframes
    used = sum(len(frames) for frames in keyed.keyframes_by_shot)
    shots = sum(1 for frames in keyed.keyframes_by_shot if frames)
    share = 100.0 * sum(keyed.keyframe_share) / max(1, len(keyed.keyframe_share))
    automatic = "refined automatic colour" if refined else "per-frame automatic colour"
    print(f"colorized {report.frames} frames from {used} keyframe{'s' if used != 1 else ''} "
          f"({shots} of {len(keyed.shots)} shot{'s' if len(keyed.shots) != 1 else ''} keyed, "
          f"{share:.0f}% of the pixels from keyframes; elsewhere the {automatic} of {model}) "
          f"-> {output}", file=sys.stdout)
