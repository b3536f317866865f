"""`colorize video`: per-frame CNN colorization, then flicker removal that keeps local colour."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from colorize_app.documents.video_keyframes import KeyframeEdit
    from deep_video_prior.settings import RefineSettings

DESCRIPTION = """\
Colorize a gray video: each frame is colorized by the CNN (Zhang et al. 2016), then the
flicker between frames is removed while each object keeps its colour: each frame's overall
colour is steadied and every pixel's colour averaged along its motion over the frames around
it (--preset network: Deep Video Prior, Lei et al. 2020, one small network trained per shot).
INPUT is a video file (.mp4, .mov, .avi, .mkv, .webm) or a folder of frame images (natural
order). An OUTPUT with a video extension is written as an H.264 video with INPUT's audio;
any other OUTPUT is a folder of PNG frames 00000.png, 00001.png, ... A colour video is
recoloured (only its lightness is used). An interrupted run (Ctrl+C) resumes from its
per-shot checkpoints when the same command is run again. With --project, a project saved
by the video window (.colorize) gives the video, the model, the quality preset and the
keyframes (--model, --preset, --epochs, --no-irt and --keyframes, when given, replace the
project's).

Keyframes (--keyframes): give the colour of a few frames yourself and the rest of each
shot follows: the keyframes' colour is carried forward and backward along the motion,
never across a cut, and the automatic colour fills in only where no keyframe colour
reaches (new things entering the picture). FILE_OR_DIR is one keyframe file or a folder
of them, each named by its frame number counted from 0 as output frames are named
(0045.png is the 46th frame): a colour image the size of the video (only its colour is
used: its lightness stays the video's), or strokes painted on that frame (0045.json: a
list of strokes as projects store them, or {"strokes": [...], "stroke_reach": 0.1}; or a
scribble project 0045.colorize), colorized there by Levin et al. (over the automatic
colour when a stroke reach is given)."""

EPILOG = """\
--model takes a name from `colorize models list` or a model file, as `colorize cnn`.
Examples:
  colorize video old_film.mp4 -o coloured.mp4
  colorize video old_film.mp4 -o frames/ --no-refine --temperature 0.3
  colorize video --project old_film.colorize -o coloured.mp4
  colorize video old_film.mp4 -o coloured.mp4 --keyframes keyframes/"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from colorize_app.commands.arguments import temperature
    from colorize_app.commands.video_options import add_refine_options

    parser = subparsers.add_parser(
        "video", help="colorize a video: per-frame CNN, then flicker removal",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", nargs="?", metavar="INPUT",
                        help="video file or folder of frames")
    parser.add_argument("--project", metavar="FILE",
                        help="a video-window project (.colorize) instead of INPUT")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="video file (.mp4, ...) or folder of PNG frames")
    parser.add_argument("--model", metavar="NAME|FILE", help="CNN model name or model file")
    parser.add_argument("--temperature", type=temperature, default=None, metavar="T",
                        help="CNN annealed-mean temperature in (0, 10]: lower is more vivid "
                             "(default: the model's own decoding, as colorize cnn)")
    parser.add_argument("--no-refine", action="store_true",
                        help="write the per-frame colorization without removing its flicker")
    parser.add_argument("--keyframes", metavar="FILE_OR_DIR",
                        help="keyframe colour images or strokes files named by frame number "
                             "(0045.png, 0045.json): their colour follows the motion through "
                             "each shot")
    add_refine_options(parser)
    parser.set_defaults(func=run, usage_error=parser.error)


def _from_project(args: argparse.Namespace) -> tuple[str, Path, RefineSettings | None,
                                                     list[KeyframeEdit]]:
    """(video path, model path, refine settings or None, keyframes) of --project, refused
    in one line with the session's words where the window would refuse it."""
    from algorithms.errors import BadInputError
    from colorize_app.commands import video_options
    from colorize_app.io.model_registry import resolve_model
    from colorize_app.io.project import load_for_command
    from colorize_app.sessions.video import VideoSession, locate_video, project_video

    project = load_for_command(args.project, "video")
    try:
        path, why = locate_video(project, args.project)
        if path is None:
            raise BadInputError(f"the project's video {project_video(project).path} {why}; "
                                "give the video as INPUT instead of --project")
        session = VideoSession.from_project(project, {"video": path})
    except BadInputError as error:
        raise BadInputError(f"{args.project}: {error}") from None
    session.close()  # the command opens the video itself, as for INPUT
    if args.model or session.model is None:
        model = resolve_model(args.model)
    elif not session.model.path or not os.path.exists(session.model.path):
        raise BadInputError(f"{args.project}: the project's model "
                            f"{session.model.label or session.model.path} is not here; "
                            "give --model")
    else:
        model = Path(session.model.path)
    own = args.preset is not None or args.epochs is not None or args.no_irt
    settings = None if args.no_refine else (
        video_options.refine_settings(args) if own else session.refine_settings())
    keyframes = [session.keyframes[frame] for frame in session.keyframe_frames()]
    return path, model, settings, keyframes


def run(args: argparse.Namespace) -> int:
    from colorize_app.commands import video_options
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io import safe_files, video_in
    from colorize_app.io.model_files import model_files
    from colorize_app.io.model_registry import resolve_model
    from colorize_app.jobs import video_frames, video_job
    from colorize_app.sessions.cnn import load_colorizer, load_model
    from colorize_app.sessions.video_memory import check_video_memory
    from colorize_app.sessions.video_run import RunKey, build_video_job

    temperature = args.temperature  # None: the model's own decoding (checked by the parser)
    if args.project:
        if args.input:
            args.usage_error("--project gives the video: leave out INPUT")
        args.input, model_path, settings, keyframes = _from_project(args)
    elif not args.input:
        args.usage_error("the following arguments are required: INPUT (or --project)")
    else:
        settings = None if args.no_refine else video_options.refine_settings(args)
        model_path = resolve_model(args.model)
        keyframes = []
    model_inputs = [str(path) for path in model_files(model_path)]
    inputs = [args.input, *model_inputs]  # the model is never written over either
    if args.keyframes:
        inputs.append(args.keyframes)
    safe_files.check_not_input(args.output, inputs)
    source = video_in.open_frames(args.input)
    check_video_memory(source, refine=settings is not None)  # from the probe, before decoding
    if args.keyframes:
        from colorize_app.io.keyframe_files import read_keyframes

        keyframes = read_keyframes(args.keyframes, len(source), (source.height, source.width))
    model = load_model(model_path)
    gray, notes = video_frames.as_gray(source.reopened(), args.input)
    notes = list(source.notes) + notes
    fps = video_job.output_fps([source], args.output, notes)
    video_options.print_notes(notes)
    work = None if settings is None else RunKey(
        "video", (args.input, *model_inputs), temperature).folder()

    from colorize_app.runtime.tf_startup import import_tensorflow

    import_tensorflow()  # first, the quiet and lighter way
    with load_colorizer(model, temperature=temperature) as colorizer:
        job = build_video_job(
            gray, args.output, fps, work=work, refine=settings, source=source,
            colorizer=lambda _report: colorizer, keyframes=keyframes,
            audio_from=video_job.audio_source([source]), inputs=inputs)
        video_options.print_resuming(job)
        with progress_bar("video") as progress:
            report = job.run(progress)
    if keyframes:
        video_options.print_keyframes_summary(report, args.output, model.describe(),
                                              refined=settings is not None)
    elif settings is None:
        video_options.print_notes(report.notes)
        print(f"colorized {report.frames} frames with {model.describe()} (per frame, "
              f"not refined) -> {args.output}", file=sys.stdout)
    else:
        video_options.print_summary(report, args.output,
                                    f"colorized with {model.describe()} and refined")
    return 0
