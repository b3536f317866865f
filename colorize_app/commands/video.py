"""`colorize video`: per-frame CNN colorization, then flicker removal that keeps local colour."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Colorize a gray video: each frame is colorized by the CNN (Zhang et al. 2016), then the
flicker between frames is removed while each object keeps its colour: each frame's overall
colour is steadied and every pixel's colour averaged along its motion over the frames around
it (--preset network: Deep Video Prior, Lei et al. 2020, one small network trained per shot).
INPUT is a video file (.mp4, .mov, .avi, .mkv, .webm) or a folder of frame images (natural
order). An OUTPUT with a video extension is written as an H.264 video with INPUT's audio;
any other OUTPUT is a folder of PNG frames 00000.png, 00001.png, ... A colour video is
recoloured (only its lightness is used). An interrupted run (Ctrl+C) resumes from its
per-shot checkpoints when the same command is run again."""

EPILOG = """\
--model takes a name from `colorize models list` or a model file, as `colorize cnn`.
Examples:
  colorize video old_film.mp4 -o coloured.mp4
  colorize video old_film.mp4 -o frames/ --no-refine --temperature 0.3"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from colorize_app.commands.arguments import temperature
    from colorize_app.commands.video_options import add_refine_options

    parser = subparsers.add_parser(
        "video", help="colorize a video: per-frame CNN, then flicker removal",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="video file or folder of frames")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="video file (.mp4, ...) or folder of PNG frames")
    parser.add_argument("--model", metavar="NAME|FILE", help="CNN model name or model file")
    parser.add_argument("--temperature", type=temperature, default=0.38, metavar="T",
                        help="CNN annealed-mean temperature in (0, 10]: lower is more vivid "
                             "(default 0.38)")
    parser.add_argument("--no-refine", action="store_true",
                        help="write the per-frame colorization without removing its flicker")
    add_refine_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from algorithms.cnn.decode import check_temperature
    from algorithms.cnn.model_file import load_model, model_files
    from colorize_app import media, video_frames, video_job
    from colorize_app.commands import video_options
    from colorize_app.model_registry import resolve_model
    from colorize_app.progress_bar import progress_bar

    temperature = check_temperature(args.temperature)
    settings = None if args.no_refine else video_options.refine_settings(args)
    model_path = resolve_model(args.model)
    inputs = [args.input, *model_files(model_path)]  # the model is never written over either
    media.check_not_input(args.output, inputs)
    source = media.open_frames(args.input)
    model = load_model(model_path)
    gray, notes = video_frames.as_gray(source.reopened(), args.input)
    notes = list(source.notes) + notes
    fps = video_job.output_fps([source], args.output, notes)
    video_options.print_notes(notes)
    checkpoints = None if settings is None else video_frames.checkpoint_dir(
        "video", [args.input, str(model_path)],
        {"settings": repr(settings), "temperature": temperature})

    from algorithms.cnn.colorizer import Colorizer

    with Colorizer(model) as colorizer:
        job = video_job.VideoJob(
            gray, args.output, fps, source=source, colorizer=lambda _report: colorizer,
            temperature=temperature, refine=settings, checkpoints=checkpoints,
            audio_from=video_job.audio_source([source]), inputs=inputs)
        video_options.print_resuming(job)
        with progress_bar("video") as progress:
            report = job.run(progress)
    if settings is None:
        video_options.print_notes(report.notes)
        print(f"colorized {report.frames} frames with {model.describe()} (per frame, "
              f"not refined) -> {args.output}", file=sys.stdout)
    else:
        video_options.print_summary(report, args.output,
                                    f"colorized with {model.describe()} and refined")
    return 0
