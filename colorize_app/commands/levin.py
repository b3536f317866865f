"""`colorize levin`: colorize a photo from colour scribbles (Levin et al. 2004)."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Colorize the photo GRAY from colour strokes (Levin, Lischinski, Weiss 2004): colour
spreads from the strokes to neighbouring pixels of similar luminance. MARKED is GRAY with
the strokes painted on it; a pixel is a stroke where MARKED differs from GRAY. With
--mask, the mask alone says where the strokes are, so strokes in a neutral colour (gray,
white) count too. A colour photo as GRAY is recoloured: where the mask marks a pixel
that MARKED leaves unchanged, the photo keeps its own colour ("keep" strokes)."""

EPILOG = """\
With --project, a project saved by the scribble window (.colorize) gives the photo, the
strokes, any loaded hint layer and the automatic starting colours; GRAY, if given,
replaces the project's photo (for example when it has moved).
Examples:
  colorize levin photo.png photo_marked.png -o coloured.png
  colorize levin photo.png strokes.png --mask strokes_mask.png -o coloured.png
  colorize levin --project portrait.colorize -o coloured.png"""


def _radius(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 5:
        raise argparse.ArgumentTypeError(f"must be between 1 and 5, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "levin",
        help="colorize a photo from colour scribbles (Levin et al. 2004)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("gray", metavar="GRAY", nargs="?",
                        help="the photo to colorize (gray or colour)")
    parser.add_argument("marked", metavar="MARKED", nargs="?",
                        help="GRAY with colour strokes painted on it")
    parser.add_argument("--project", metavar="FILE",
                        help="a scribble project (.colorize) instead of MARKED and --mask")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image file")
    parser.add_argument("--mask", metavar="MASK", help="image, nonzero where a pixel is a stroke")
    parser.add_argument(
        "--radius", type=_radius, default=1, metavar="R",
        help="window radius: (2R+1)x(2R+1) neighbours (default 1, as the paper)",
    )
    parser.add_argument(
        "--solver", choices=("multigrid", "direct"), default="multigrid",
        help="multigrid (default, fast) or direct (SciPy SuperLU: slow, for reference)",
    )
    parser.add_argument(
        "--exact", action="store_true",
        help="solve the full-size system until every pixel is estimated within 1/255 of "
             "the exact solution, and warn if it cannot (slower; by default photos over "
             "0.3 megapixels are solved at 0.3 MP and refined at full size)",
    )
    parser.add_argument(
        "--bit-depth", type=int, choices=(8, 16), default=8,
        help="bits per channel of OUT (16 for .png and .tif only)",
    )
    parser.set_defaults(func=run, usage_error=parser.error)


def run(args: argparse.Namespace) -> int:
    import math

    from algorithms.scribble import MAX_SOLVE_PIXELS, hints_from_marked
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io.media import read_image, write_image
    from colorize_app.io.safe_files import check_not_input
    from colorize_app.sessions.scribble import ScribbleInputs

    max_solve_pixels = math.inf if args.exact else MAX_SOLVE_PIXELS
    if args.project:
        if args.marked or args.mask:
            args.usage_error("--project gives the strokes: leave out MARKED and --mask")
        inputs, photo_path = _project_inputs(args)
        with progress_bar("levin") as progress:
            result = _warning_on_inexact(lambda: inputs.colorize(
                radius=args.radius, solver=args.solver, max_solve_pixels=max_solve_pixels,
                progress=progress))
        write_image(args.output, result, inputs=[args.project, photo_path],
                    bit_depth=args.bit_depth)
        print(f"colorized from {int(inputs.hint_mask.sum())} hint pixels -> {args.output}")
        return 0
    if not args.gray or not args.marked:
        args.usage_error("give GRAY and MARKED, or --project FILE")
    paths = [args.gray, args.marked] + ([args.mask] if args.mask else [])
    check_not_input(args.output, paths)  # refuse before any long work
    _check_memory(args.gray, args)  # from the header, before anything is decoded
    gray = read_image(args.gray)
    marked = read_image(args.marked)
    mask = read_image(args.mask) if args.mask else None
    for loaded in (marked, mask, gray):
        _print_notes(loaded)
    hint_chroma, hint_mask = hints_from_marked(
        gray.pixels, marked.pixels, None if mask is None else mask.pixels)
    inputs = ScribbleInputs(gray.pixels, hint_chroma, hint_mask, None, 0.0, args.gray)
    with progress_bar("levin") as progress:
        result = _warning_on_inexact(lambda: inputs.colorize(
            radius=args.radius, solver=args.solver, max_solve_pixels=max_solve_pixels,
            progress=progress))
    write_image(args.output, result, inputs=paths, bit_depth=args.bit_depth)
    print(f"colorized from {int(hint_mask.sum())} hint pixels -> {args.output}")
    return 0


def _warning_on_inexact(solve):
    """``solve()``, with the engine's InexactSolveWarning (an exact solve that stopped
    short of its aim) printed as a one-line warning on stderr; other warnings pass on."""
    import warnings

    from algorithms.scribble import InexactSolveWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InexactSolveWarning)
        result = solve()
    for warning in caught:
        if issubclass(warning.category, InexactSolveWarning):
            print(f"colorize: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return result


def _print_notes(loaded) -> None:
    """What reading an image lost or converted, as notes on stderr."""
    for note in loaded.notes if loaded else ():
        print(f"colorize: note: {loaded.path}: {note}", file=sys.stderr)


def _project_inputs(args: argparse.Namespace) -> tuple:
    """(ScribbleInputs, photo path) of ``--project``; GRAY, if given, replaces its photo.

    Every check of the project's content is the session's, prefixed with the file's name.
    """
    from algorithms.errors import BadInputError
    from colorize_app.io.media import read_image
    from colorize_app.io.project import command_image, load_for_command
    from colorize_app.io.safe_files import check_not_input
    from colorize_app.sessions.scribble import ScribbleSession

    project = load_for_command(args.project, "scribble")
    path = args.gray or command_image(project, "photo", args.project, "give the photo as GRAY")
    check_not_input(args.output, [args.project, path])
    _check_memory(path, args)
    gray = read_image(path)
    _print_notes(gray)
    try:
        inputs = ScribbleSession.from_project(project, {"photo": gray}).engine_inputs()
    except BadInputError as error:
        raise BadInputError(f"{args.project}: {error}") from None
    return inputs, path


def _check_memory(photo: str, args: argparse.Namespace) -> None:
    """Refuse a photo whose solve would not fit in memory, from its header alone (the
    sessions' rule, which the scribble window uses too)."""
    import math

    from algorithms.scribble import MAX_SOLVE_PIXELS
    from colorize_app.sessions.scribble import check_photo_file

    check_photo_file(photo, radius=args.radius,
                     max_solve_pixels=math.inf if args.exact else MAX_SOLVE_PIXELS)
