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
Examples:
  colorize levin photo.png photo_marked.png -o coloured.png
  colorize levin photo.png strokes.png --mask strokes_mask.png -o coloured.png"""


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
    parser.add_argument("gray", metavar="GRAY", help="the photo to colorize (gray or colour)")
    parser.add_argument("marked", metavar="MARKED", help="GRAY with colour strokes painted on it")
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
        help="solve the full-size system even for large photos (slower; by default photos "
             "over 0.3 megapixels are solved at 0.3 MP and refined at full size)",
    )
    parser.add_argument(
        "--bit-depth", type=int, choices=(8, 16), default=8,
        help="bits per channel of OUT (16 for .png and .tif only)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math

    from algorithms.scribble import MAX_SOLVE_PIXELS, colorize_scribbles, hints_from_marked
    from colorize_app.media import check_not_input, read_image, write_image
    from colorize_app.progress_bar import progress_bar

    inputs = [args.gray, args.marked] + ([args.mask] if args.mask else [])
    check_not_input(args.output, inputs)  # refuse before any long work
    gray = read_image(args.gray)
    marked = read_image(args.marked)
    mask = read_image(args.mask) if args.mask else None
    for loaded in (gray, marked, mask):
        for note in loaded.notes if loaded else ():
            print(f"colorize: note: {loaded.path}: {note}", file=sys.stderr)
    hint_chroma, hint_mask = hints_from_marked(
        gray.pixels, marked.pixels, None if mask is None else mask.pixels
    )
    with progress_bar("levin") as progress:
        result = colorize_scribbles(
            gray.pixels, hint_chroma, hint_mask,
            radius=args.radius, solver=args.solver, progress=progress,
            max_solve_pixels=math.inf if args.exact else MAX_SOLVE_PIXELS,
        )
    write_image(args.output, result, inputs=inputs, bit_depth=args.bit_depth)
    print(f"colorized from {int(hint_mask.sum())} hint pixels -> {args.output}")
    return 0
