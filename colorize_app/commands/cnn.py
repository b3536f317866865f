"""`colorize cnn`: automatic colorization with the Zhang et al. (2016) network."""

from __future__ import annotations

import argparse
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


def run(args: argparse.Namespace) -> int:
    from colorize_app.commands.arguments import settings_as_options
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.sessions import cnn_files

    if args.project and args.inputs:
        args.usage_error("--project gives the photos: leave out INPUT")
    if not args.project and not args.inputs:
        args.usage_error("the following arguments are required: INPUT (or --project)")
    # Every check, then the model (TensorFlow's import, seconds): usage errors come first.
    with settings_as_options():
        job = cnn_files.prepare(
            args.inputs, args.output, project=args.project, model=args.model, bins=args.bins,
            temperature=args.temperature, decoding=args.decoding,
            input_size=None if args.native else args.size,
            photo_remedy="give the photos as INPUT instead of --project")

    def skipped(path: str, reason: str) -> None:
        print(f"colorize: error: skipped {path}: {reason}", file=sys.stderr)

    with progress_bar("cnn") as progress:
        done = job.run(progress, skipped)
    print(f"colorized {done} image{'s' if done != 1 else ''} with {job.model_description} -> "
          f"{job.destination}", file=sys.stdout)
    job.check_all_written()
    return 0
