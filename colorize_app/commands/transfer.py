"""`colorize transfer`: colour a gray photo from a reference photo (Welsh et al. 2002)."""

from __future__ import annotations

import argparse
import os
import sys

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
Example: colorize transfer old.jpg beach.jpg -o coloured.png --regions swatches.json"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _odd_size(text: str) -> int:
    value = _positive_int(text)
    if value < 3 or value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be an odd number >= 3, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transfer", help="colour a gray photo from a reference photo (Welsh et al. 2002)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET", help="the gray photo to colour")
    parser.add_argument("reference", metavar="REFERENCE", help="the colour photo to copy from")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image file")
    parser.add_argument("--regions", metavar="FILE", help="swatch pairs (JSON) for swatch mode")
    parser.add_argument("--samples", type=_positive_int, default=200, metavar="N",
                        help="jittered samples from the reference, per swatch with --regions "
                             "(default 200, as the paper)")
    parser.add_argument("--neighbourhood", type=_odd_size, default=5, metavar="N",
                        help="odd window size for the lightness statistics (default 5)")
    parser.add_argument("--method", choices=("propagated", "plain"), default="propagated",
                        help="propagated (default) or plain per-pixel matches")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the sampling")
    parser.set_defaults(func=run)


def _warn(message: str) -> None:
    print(f"colorize: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from algorithms.errors import BadInputError
    from algorithms.regions import validate_regions
    from algorithms.transfer import transfer_colour
    from colorize_app import media
    from colorize_app.progress_bar import progress_bar

    inputs = [args.target, args.reference]
    # Cheap checks first, so that a bad output name fails before the work, not after.
    extension = os.path.splitext(args.output)[1].lower()
    if extension not in media.WRITE_EXTENSIONS:
        raise BadInputError(
            f"cannot write {args.output}: unknown image type '{extension or '(no extension)'}'; "
            f"use one of {', '.join(media.WRITE_EXTENSIONS)}"
        )
    media.check_not_input(args.output, inputs)
    pairs = media.read_regions(args.regions) if args.regions else None
    target = media.read_image(args.target)
    reference = media.read_image(args.reference)
    if pairs is not None:
        try:
            validate_regions(pairs, target.pixels.shape, reference.pixels.shape)
        except BadInputError as error:
            raise BadInputError(f"bad region file {args.regions}: {error}") from None
    for image in (target, reference):
        for note in image.notes:
            _warn(f"{image.path}: {note}")
    with progress_bar("transfer") as progress:
        result = transfer_colour(
            target.pixels, reference.pixels,
            samples=args.samples, neighbourhood=args.neighbourhood, pairs=pairs,
            method=args.method, seed=args.seed, progress=progress,
        )
    for warning in result.warnings:
        _warn(warning)
    media.write_image(args.output, result.rgb, inputs=inputs)
    mode = f"{len(pairs)} swatch pair{'s' if len(pairs) > 1 else ''}" if pairs else "whole image"
    detail = (f", {result.hint_fraction:.0%} confident hints"
              if args.method == "propagated" else "")
    print(f"transferred colours ({mode}, {args.method}{detail}) -> {args.output}")
    return 0
