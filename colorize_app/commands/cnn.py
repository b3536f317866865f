"""`colorize cnn`: automatic colorization with the Zhang et al. (2016) network."""

from __future__ import annotations

import argparse
import os
import sys

from colorize_app.commands.arguments import temperature, whole_number

DESCRIPTION = """\
Colorize gray photos automatically with the Zhang, Isola, Efros (ECCV 2016) network.
One input: OUT is the output image file. Several inputs (or a folder): OUT is a folder,
and each result is written there under the input's name with a .png extension.
Colour photos are re-coloured (only their lightness is used).
With --project, a project saved by the automatic window (.colorize) gives the photos, the
model and the temperature; --model and --temperature override the project's."""

EPILOG = """\
--model takes a name from `colorize models list` or a file: the project's .npz, a
TensorFlow checkpoint in the colorization-tf layout (with --bins or pts_in_hull.npy
beside it), or the authors' PyTorch .pth. Without --model the shipped model is used,
or eccv16 if downloaded (`colorize models download eccv16`).
Example: colorize cnn old_photo.jpg -o coloured.png --temperature 0.3
         colorize cnn --project album.colorize -o coloured/"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cnn", help="automatic colorization with a CNN (Zhang et al. 2016)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="image files or folders")
    parser.add_argument("--project", metavar="FILE",
                        help="an automatic-window project (.colorize) instead of INPUT")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file (one input) or folder (several)")
    parser.add_argument("--model", metavar="NAME|FILE", help="model name or model file")
    parser.add_argument("--bins", metavar="NPY", help="ab bins (313, 2) for a TF checkpoint")
    parser.add_argument("--temperature", type=temperature, default=None, metavar="T",
                        help="the vividness: annealed-mean temperature in (0, 10], lower is "
                             "more vivid (default: the decoding's; calibrated uses the "
                             "model's tuned value, 0.52 for the shipped model, whose "
                             "decoding also scales the colour with T: 1 is about 0.65 of the "
                             "default's chroma, 0.05 about twice; paper uses 0.38)")
    parser.add_argument("--decoding", choices=["calibrated", "paper"], default="calibrated",
                        help="calibrated (default): vivid where the network is sure, muted "
                             "where it hesitates, colour following the photo's edges; "
                             "paper: the plain annealed mean, bilinear upsampling")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", type=whole_number(8, 8192, multiple_of=8), default=256,
                      metavar="N",
                      help="side of the square the network sees, a multiple of 8 (default 256)")
    size.add_argument("--native", action="store_true",
                      help="run the network at the photo's own resolution (slower)")
    parser.set_defaults(func=run, usage_error=parser.error)


def plan_outputs(inputs: list[str], output: str) -> list[tuple[str, str]]:
    """(input file, output file) pairs; refuses clashing names before any work is done."""
    from algorithms.errors import BadInputError
    from colorize_app.io import media, safe_files

    files: list[str] = []
    any_folder = False
    for name in inputs:
        if os.path.isdir(name):
            any_folder = True
            found = media.list_images(name)
            if not found:
                raise BadInputError(f"no images in folder {name}")
            files.extend(found)
        else:
            files.append(name)
    if len(files) == 1 and not any_folder:
        extension = os.path.splitext(output)[1].lower()
        if os.path.isdir(output) or extension not in media.WRITE_EXTENSIONS:
            kinds = ", ".join(media.WRITE_EXTENSIONS)
            raise BadInputError(
                f"with one input, OUT must be an image file name ({kinds}), got {output}"
            )
        safe_files.check_not_input(output, files)
        return [(files[0], output)]
    if os.path.exists(output) and not os.path.isdir(output):
        raise BadInputError(f"with several inputs, OUT must be a folder; {output} is a file")
    pairs, seen = [], {}
    for path in files:
        target = os.path.join(output, os.path.splitext(os.path.basename(path))[0] + ".png")
        if target in seen:
            raise BadInputError(f"{path} and {seen[target]} would both be written to {target}")
        seen[target] = path
        safe_files.check_not_input(target, files)  # e.g. -o the input folder itself
        pairs.append((path, target))
    return pairs


def _session_from_project(args: argparse.Namespace):
    """The CnnSession of ``--project`` (photos found as the window finds them, else refused)."""
    import dataclasses

    import numpy as np

    from algorithms.errors import BadInputError
    from colorize_app.io import media
    from colorize_app.io.project import command_image, load_for_command
    from colorize_app.sessions.cnn import CnnSession

    project = load_for_command(args.project, "cnn")
    images = {}
    for role in project.images:
        image = media.read_image(command_image(
            project, role, args.project, "give the photos as INPUT instead of --project"))
        # The session reads only sizes and colour here; each photo is read again when it is
        # colorized, so a large album never holds every photo's pixels at once.
        images[role] = dataclasses.replace(
            image, pixels=np.broadcast_to(np.float32(0), image.pixels.shape))
    try:
        return CnnSession.from_project(project, images)
    except BadInputError as error:
        raise BadInputError(f"{args.project}: {error}") from None


def _model_source(args: argparse.Namespace, session) -> tuple[str, str | None]:
    """(model file, bins file or None): --model, else the project's model, else the default."""
    from algorithms.errors import BadInputError
    from colorize_app.io.model_registry import resolve_model

    recorded = session.model
    if args.model or recorded is None:
        return str(resolve_model(args.model)), args.bins
    if not recorded.path or not os.path.exists(recorded.path):
        raise BadInputError(f"{args.project}: the project's model "
                            f"{recorded.label or recorded.path} is not here; give --model")
    return recorded.path, args.bins or recorded.bins_path


def run(args: argparse.Namespace) -> int:
    from algorithms.cnn.model_file import load_model, model_files
    from algorithms.errors import BadInputError, CancelledError, ColorizeError
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io import media, safe_files
    from colorize_app.sessions.cnn import CnnSession, ModelChoice, PhotoEntry
    from colorize_app.sessions.memory import check_photo_file_memory

    if args.project:
        if args.inputs:
            args.usage_error("--project gives the photos: leave out INPUT")
        session = _session_from_project(args)
        named = [entry.path for entry in session.photos]
    else:
        if not args.inputs:
            args.usage_error("the following arguments are required: INPUT (or --project)")
        session = CnnSession()
        named = args.inputs
    if args.temperature is not None:
        session.temperature = args.temperature
    session.decoding = args.decoding
    session.input_size = None if args.native else args.size
    session.check()
    pairs = plan_outputs(named, args.output)
    if not args.project:
        session.photos = [PhotoEntry(source) for source, _ in pairs]
    model_path, bins_path = _model_source(args, session)
    session.model = ModelChoice(model_path, bins_path)
    own = [args.project] if args.project else []
    for _, target in pairs:  # nor over the model, its bins or the project
        safe_files.check_not_input(target, model_files(model_path, bins_path) + own)
    from colorize_app.runtime.tf_startup import import_tensorflow

    # Before anything imports it the usual way: without its Keras start-up, a third less
    # import time (usage errors above are reported before this wait).
    import_tensorflow()
    model = load_model(model_path, bins_path=bins_path)

    input_size = session.input_size
    inputs = [source for source, _ in pairs] + own
    failed: list[str] = []
    with session.load_colorizer(model) as colorizer:
        if len(pairs) > 1:
            os.makedirs(args.output, exist_ok=True)
        with progress_bar("cnn") as progress:
            for index, (source, target) in enumerate(pairs):
                try:
                    # From the header, before decoding: the windows' rule and words too.
                    check_photo_file_memory("cnn", source, native=input_size is None)
                    image = media.read_image(source)
                    rgb = session.colorize(colorizer, image.pixels)
                    media.write_image(target, rgb, inputs=inputs)
                except CancelledError:
                    raise
                except (ColorizeError, MemoryError) as error:
                    # A batch goes on past a bad input; a single input fails as usual.
                    if len(pairs) == 1:
                        raise
                    failed.append(source)
                    reason = str(error).splitlines()[0] if str(error) else "out of memory"
                    print(f"colorize: error: skipped {source}: {reason}", file=sys.stderr)
                progress((index + 1) / len(pairs), os.path.basename(source))
    done = len(pairs) - len(failed)
    where = pairs[0][1] if len(pairs) == 1 else args.output
    print(f"colorized {done} image{'s' if done != 1 else ''} with "
          f"{model.describe()} -> {where}", file=sys.stdout)
    if failed:
        raise BadInputError(f"{len(failed)} of {len(pairs)} inputs could not be colorized "
                            f"(first: {failed[0]}); the others were written")
    return 0
