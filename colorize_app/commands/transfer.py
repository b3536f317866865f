"""`colorize transfer`: colour a gray photo from a reference photo (Welsh et al. 2002)."""

from __future__ import annotations

import argparse
import os
import sys

from colorize_app.commands.arguments import whole_number
from colorize_app.sessions.transfer_settings import (
    MAX_NEIGHBOURHOOD,
    MAX_SAMPLES,
    MAX_SEED,
    METHODS,
)

DESCRIPTION = """\
Colour the gray photo TARGET with the colours of the colour photo REFERENCE
(Welsh, Ashikhmin, Mueller 2002): each target pixel takes the chroma of the reference
sample whose lightness and neighbourhood texture match best; the target's lightness is
kept. With --regions, only the paired swatches are matched, and the rest of the target
is coloured from its coloured swatches (for photos where lightness alone is ambiguous).
A colour TARGET is used for its lightness only."""

EPILOG = """\
Region file (JSON, pixels, x = left column, y = top row):
  {"pairs": [{"reference": [x, y, w, h], "target": [x, y, w, h]}, ...]}
--method propagated (default) keeps only confident matches and spreads them along the
target's edges with the scribble solver (Irony et al. 2005); plain is the per-pixel
result of the paper (blocky seams, colour edges that ignore the photo's edges).
With --project, a project saved by the colour-transfer window (.colorize) gives TARGET,
REFERENCE, the swatch pairs and the settings; TARGET and REFERENCE, if given, replace
its images, and the options given replace its settings.
Examples:
  colorize transfer old.jpg beach.jpg -o coloured.png --regions swatches.json
  colorize transfer --project holiday.colorize -o coloured.png"""


def _odd_size(text: str) -> int:
    value = whole_number(3, MAX_NEIGHBOURHOOD)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be an odd number >= 3, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transfer", help="colour a gray photo from a reference photo (Welsh et al. 2002)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET", nargs="?", help="the gray photo to colour")
    parser.add_argument("reference", metavar="REFERENCE", nargs="?",
                        help="the colour photo to copy from")
    parser.add_argument("--project", metavar="FILE",
                        help="a colour-transfer project (.colorize): images and swatch pairs")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image file")
    parser.add_argument("--regions", metavar="FILE", help="swatch pairs (JSON) for swatch mode")
    # No defaults here: an option not given keeps the project's setting, else the session's
    # default (200, 5, propagated, 0).
    parser.add_argument("--samples", type=whole_number(1, MAX_SAMPLES), metavar="N",
                        help="jittered samples from the reference, per swatch with --regions "
                             "(default 200, as the paper)")
    parser.add_argument("--neighbourhood", type=_odd_size, metavar="N",
                        help="odd window size for the lightness statistics (default 5)")
    parser.add_argument("--method", choices=METHODS,
                        help="propagated (default) or plain per-pixel matches")
    parser.add_argument("--seed", type=whole_number(0, MAX_SEED),
                        help="random seed of the sampling (a whole number >= 0)")
    parser.set_defaults(func=run, usage_error=parser.error)


def _warn(message: str) -> None:
    print(f"colorize: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from algorithms.errors import BadInputError
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io import media, safe_files, text_files
    from colorize_app.sessions.transfer import check_files_memory

    if args.project:
        if args.regions:
            args.usage_error("--project gives the swatch pairs: leave out --regions")
        if bool(args.target) != bool(args.reference):
            args.usage_error("with --project, give both TARGET and REFERENCE or neither")
    elif not args.target or not args.reference:
        args.usage_error("give TARGET and REFERENCE, or --project FILE")
    # Cheap checks first, so that a bad output name fails before the work, not after.
    extension = os.path.splitext(args.output)[1].lower()
    if extension not in media.WRITE_EXTENSIONS:
        raise BadInputError(
            f"cannot write {args.output}: unknown image type '{extension or '(no extension)'}'; "
            f"use one of {', '.join(media.WRITE_EXTENSIONS)}"
        )
    project = None
    if args.project:
        project, target_path, reference_path = _open_project(args)
        inputs = [target_path, reference_path, args.project]
    else:
        target_path, reference_path = args.target, args.reference
        inputs = [args.target, args.reference, args.regions]  # the region file too
    safe_files.check_not_input(args.output, inputs)
    pairs = text_files.read_regions(args.regions) if args.regions else None
    check_files_memory(target_path, reference_path)  # from the headers, before decoding
    target = media.read_image(target_path)
    reference = media.read_image(reference_path)
    session = _session(args, project, target, reference, pairs)
    for image in (target, reference):
        for note in image.notes:
            _warn(f"{image.path}: {note}")
    with progress_bar("transfer") as progress:
        result = session.transfer(progress=progress)
    for warning in result.warnings:
        _warn(warning)
    media.write_image(args.output, result.rgb, inputs=inputs)
    pairs = session.pairs()
    mode = f"{len(pairs)} swatch pair{'s' if len(pairs) > 1 else ''}" if pairs else "whole image"
    method = session.settings.method
    detail = f", {result.hint_fraction:.0%} confident hints" if method == "propagated" else ""
    print(f"transferred colours ({mode}, {method}{detail}) -> {args.output}")
    return 0


def _open_project(args: argparse.Namespace) -> tuple:
    """(project, target path, reference path) of ``--project``; TARGET and REFERENCE, when
    given, replace its images."""
    from colorize_app.io.project import command_image, load_for_command
    from colorize_app.io.project_images import ImageRef

    project = load_for_command(args.project, "transfer")
    paths = []
    for role, given in (("target", args.target), ("reference", args.reference)):
        if given:
            project.images[role] = ImageRef(path=os.path.abspath(given))
        paths.append(given or command_image(project, role, args.project,
                                            "give TARGET and REFERENCE"))
    return project, paths[0], paths[1]


def _session(args: argparse.Namespace, project, target, reference, pairs):
    """The TransferSession of the command: from the project, or from the photos and the
    region file; the options given on the command line replace the project's settings."""
    from algorithms.errors import BadInputError
    from colorize_app.sessions.transfer import TransferSession

    if project is not None:
        try:
            session = TransferSession.from_project(
                project, {"target": target, "reference": reference})
        except BadInputError as error:
            raise BadInputError(f"bad project {args.project}: {error}") from None
    else:
        session = TransferSession()
        session.set_photo("target", target.pixels, target.path)
        session.set_photo("reference", reference.pixels, reference.path)
        if pairs is not None:
            try:
                session.load_regions(pairs)
            except BadInputError as error:
                raise BadInputError(f"bad region file {args.regions}: {error}") from None
    session.with_settings(samples=args.samples, neighbourhood=args.neighbourhood,
                          method=args.method, seed=args.seed)
    return session
