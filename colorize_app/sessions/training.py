"""One training run of the colorization network: photos, bins, trainer loop, checkpoints, model.

:class:`TrainingRun` reads the training (and validation) folders, derives the ab bins and
the class-rebalancing weights, trains with :func:`algorithms.cnn.train.run_training`
(checkpoints and a CSV log in the checkpoint folder, resumable), and writes the model file
with its metadata. It prints nothing: lines for the user go to its ``report`` and ``note``
callbacks, progress to its ``progress`` factory, and a ``cancelled`` check stops it (after
a checkpoint). ``colorize train`` is a thin layer over it.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from algorithms.errors import BadInputError, SettingError
from algorithms.progress import CancelCheck, ProgressCallback
from colorize_app.sessions.training_files import (
    encoder_setup,
    export_model,
    initial_model,
    load_checkpoint,
    save_checkpoint,
)
from colorize_app.sessions.training_settings import (  # noqa: F401 - offered here too
    ENCODER_CHOICE,
    REBALANCE_DEFAULT,
    TrainingSettings,
)

CHECKPOINT_NAME = "checkpoint.npz"
LOG_NAME = "train_log.csv"
LOG_FIELDS = ["step", "elapsed_s", "train_loss", "learning_rate", "images_per_s",
              "val_loss", "val_raw_auc"]
VALIDATION_PHOTOS = 12
VALIDATION_SIZE = 256
CACHE_NAME = "features.npz"

#: ``progress(stage)`` gives a context manager yielding that stage's progress callback.
ProgressFactory = Callable[[str], AbstractContextManager[ProgressCallback]]


@contextlib.contextmanager
def no_progress(stage: str) -> Iterator[ProgressCallback]:
    """A progress factory that shows nothing."""
    def nothing(fraction: float, message: str = "") -> None:
        return None

    yield nothing


def _ignore(line: str) -> None:
    return None


def lower_weights_digest(weights: dict[str, np.ndarray], start: int | None) -> str:
    """A short SHA-256 of the frozen encoder blocks below ``start``: a feature cache made
    with other weights is not reused."""
    import hashlib

    from algorithms.cnn.efficientnet import lower_variable_names
    from algorithms.cnn.efficientnet_weights import LITE0

    digest = hashlib.sha256()
    for name in lower_variable_names(LITE0, start):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(weights[name], np.float32).tobytes())
    return digest.hexdigest()[:16]


def read_photos(folders: str | list[str], what: str, limit: int | None = None,
                exclude: frozenset[str] | set[str] = frozenset(),
                note: Callable[[str], None] = _ignore) -> list:
    """Colour photos of ``folders`` as uint8 RGB at short side 256; ``note`` hears of the
    photos skipped for having no colour."""
    from algorithms.cnn.training_data import has_colour, prepare_photo
    from colorize_app.io import media

    folders = [folders] if isinstance(folders, str) else folders
    files = [f for folder in folders for f in media.list_images(folder)
             if os.path.basename(f) not in exclude]
    if not files:
        raise BadInputError(f"no images in folder {', '.join(folders)}")
    photos: list[np.ndarray] = []
    skipped: list[str] = []
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
        note(f"note: skipped {len(skipped)} {what} photo(s) with no colour: {shown}")
    if not photos:
        raise BadInputError(f"no colour photos in folder {', '.join(folders)}")
    return photos


if TYPE_CHECKING:
    from algorithms.cnn.architecture import Architecture
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture
    from algorithms.cnn.model_weights import ModelWeights
    from algorithms.cnn.train import Batch, FeatureBatch


@dataclass(frozen=True)
class PreparedRun:
    """What :meth:`TrainingRun.prepare` read and chose, for :meth:`TrainingRun.train`.

    ``photos`` are the training photos (uint8 RGB, short side 256), ``validation`` the
    validation photos' centre crops (None without ``--val``), ``samples`` their ab (M, 2),
    ``bins`` (Q, 2) and ``class_weights`` (Q,) the network's colours and their rebalancing;
    ``config`` the run's configuration as checkpoints and the model file record it (JSON);
    ``rng`` the batches' random generator (advanced by training); ``arch`` the network and
    ``encoder_options`` the Trainer's EfficientNet keyword arguments; ``log_path`` the CSV
    log (``new_log``: start it with its header); ``resumed`` the checkpoint gone on from and
    ``initial`` the model started from, when any.
    """

    photos: list[np.ndarray]
    validation: Batch | None
    samples: np.ndarray
    bins: np.ndarray
    class_weights: np.ndarray
    config: dict[str, Any]
    rng: np.random.Generator
    arch: Architecture | EncoderHeadArchitecture
    encoder_options: dict[str, Any]
    log_path: str
    new_log: bool
    resumed: dict[str, Any] | None = None
    initial: ModelWeights | None = None


class TrainingRun:
    """One run of ``colorize train``: :meth:`prepare` (photos, bins, network), then
    :meth:`train` (the loop, checkpoints, the model file). :meth:`run` does both.

    Parameters
    ----------
    settings : TrainingSettings
    report, note : callable(str)
        Lines for the user: progress news (checkpoints, the feature cache) and notes
        (skipped photos).
    progress : callable(stage) -> context manager yielding ``progress(fraction, message)``
        One per stage: ``"encode"`` (building the feature cache) and ``"train"``.
    cancelled : callable() -> bool
        Checked before every step; when true, a checkpoint is saved and CancelledError
        raised (:attr:`step` tells where).
    """

    def __init__(self, settings: TrainingSettings, *,
                 report: Callable[[str], None] = _ignore, note: Callable[[str], None] = _ignore,
                 progress: ProgressFactory = no_progress,
                 cancelled: CancelCheck | None = None) -> None:
        self.settings = settings
        self.report, self.note, self.progress = report, note, progress
        self.cancelled = cancelled
        self.step = 0
        self._prepared: PreparedRun | None = None

    @property
    def checkpoint_folder(self) -> str:
        return self.settings.checkpoint_folder

    def run(self) -> str:
        """Prepare and train; returns the summary line."""
        self.prepare()
        return self.train()

    def prepare(self) -> None:
        """Check the settings, read the photos (and the checkpoint when resuming), derive
        the bins and rebalancing weights, choose the network. No training yet."""
        from algorithms.cnn.architecture import Architecture, widths_for_multiplier
        from algorithms.cnn.bins import bin_distribution, derive_bins
        from algorithms.cnn.decode import rebalancing_weights
        from algorithms.cnn.training_data import ab_samples, centre_crops
        from colorize_app.io import text_files

        settings = self.settings
        settings.check()
        folder = settings.checkpoint_folder
        resumed = (load_checkpoint(os.path.join(folder, CHECKPOINT_NAME))
                   if settings.resume else None)
        # The starting model gives the first weights, and always the frozen lower blocks
        # of a cached encoder (so a resumed run caches with the same encoder).
        initial = initial_model(settings.init) if settings.init else None
        exclude = (set(text_files.read_name_list(settings.exclude, "photo list"))
                   if settings.exclude else set())
        photos = read_photos(settings.images, "training", exclude=exclude, note=self.note)
        validation = None
        if settings.val:
            val_photos = read_photos(settings.val, "validation", limit=VALIDATION_PHOTOS,
                                     note=self.note)
            validation = centre_crops(val_photos, VALIDATION_SIZE)

        samples = ab_samples(photos)
        config: dict[str, Any]
        if resumed is None:
            bins = derive_bins(samples) if initial is None else initial.bins
            class_weights = rebalancing_weights(bin_distribution(samples, bins), bins,
                                                lam=settings.rebalance)
            config = {"width": settings.width, "crop": settings.crop, "batch": settings.batch,
                      "rebalance_lambda": settings.rebalance,
                      "cache_views": settings.views if settings.cache else None,
                      "steps": settings.steps, "lr": settings.lr, "seed": settings.seed,
                      "train_photos": len(photos), "encoder": settings.encoder,
                      "finetune_blocks": settings.finetune_blocks,
                      "finetune_lr": settings.finetune_lr or settings.lr / 10,
                      "init": os.path.basename(settings.init) if settings.init else None}
            rng = np.random.default_rng(settings.seed)
        else:
            bins, class_weights = resumed["bins"], resumed["class_weights"]
            # The network, schedule and batches are the checkpoint's; only steps may grow.
            config = dict(resumed["config"], steps=settings.steps)
            rng = np.random.default_rng()
            rng.bit_generator.state = resumed["rng"]
        encoder_options: dict = {}
        if config.get("encoder", "zhang") == ENCODER_CHOICE:
            arch, encoder_options = encoder_setup(settings, config, len(bins), initial)
            encoder_options["from_features"] = bool(config.get("cache_views"))
        else:
            arch = Architecture(widths=widths_for_multiplier(config["width"]), bins=len(bins))
        os.makedirs(folder, exist_ok=True)
        log_path = os.path.join(folder, LOG_NAME)
        self._prepared = PreparedRun(
            photos=photos, validation=validation, samples=samples, bins=bins,
            class_weights=class_weights, config=config, rng=rng, arch=arch,
            encoder_options=encoder_options, log_path=log_path,
            new_log=not (settings.resume and os.path.isfile(log_path)),
            resumed=resumed, initial=initial)

    def train(self) -> str:
        """Train (after :meth:`prepare`) and write the model file; returns the summary line.

        Raises CancelledError when ``cancelled`` turned true (a checkpoint is saved first).
        """
        from algorithms.cnn.bins import bin_distribution
        from algorithms.cnn.train import Trainer, run_training
        from algorithms.cnn.training_data import random_batches

        if self._prepared is None:
            raise BadInputError("prepare the training run first")
        p = self._prepared
        settings, config, rng = self.settings, p.config, p.rng
        photos = p.photos
        batches = random_batches(photos, config["crop"], config["batch"], rng)
        # The validation crops, or their features when training from the feature cache.
        validation: Batch | None = p.validation
        validation_features: FeatureBatch | None = None
        if config.get("cache_views"):
            if not settings.cache:
                raise SettingError("cache", words=lambda name: (
                    f"this checkpoint trained from a feature cache: give {name('cache')}"))
            cache, validation_features = self._feature_cache(config, photos, validation,
                                                             p.encoder_options)
            validation = None
            batches = cache.batches(config["batch"], rng)
        checkpoint_path = os.path.join(settings.checkpoint_folder, CHECKPOINT_NAME)
        started = time.monotonic()
        with Trainer(p.arch, p.bins, p.class_weights, config["lr"], config["steps"],
                     seed=config["seed"], **p.encoder_options) as trainer, \
                open(p.log_path, "a", newline="") as log_file:
            if p.resumed is not None:
                trainer.restore(p.resumed["state"])
            elif p.initial is not None:
                trainer.load_network(p.initial.weights)
            self.step = trainer.step
            log = csv.DictWriter(log_file, LOG_FIELDS)
            if p.new_log:
                log.writeheader()
            recent: list[float] = []
            marks = {"time": time.monotonic(), "step": trainer.step}

            def on_step(step: int, loss: float) -> None:
                self.step = step
                recent.append(loss)
                if step % 10 == 0:
                    now = time.monotonic()
                    rate = ((step - marks["step"]) * config["batch"]
                            / max(now - marks["time"], 1e-9))
                    log.writerow({"step": step, "elapsed_s": round(now - started, 1),
                                  "train_loss": round(float(np.mean(recent)), 4),
                                  "learning_rate": f"{trainer.current_learning_rate(step):.3g}",
                                  "images_per_s": round(rate, 2)})
                    log_file.flush()
                    recent.clear()
                    marks.update(time=now, step=step)

            def checkpoint() -> None:
                save_checkpoint(checkpoint_path, trainer, rng, config)
                line = f"step {trainer.step}/{config['steps']}: checkpoint saved"
                measured = (trainer.evaluate_features(validation_features)
                            if validation_features is not None else
                            trainer.evaluate(validation) if validation is not None else None)
                if measured is not None:
                    val_loss, val_auc = measured
                    log.writerow({"step": trainer.step,
                                  "elapsed_s": round(time.monotonic() - started, 1),
                                  "val_loss": round(val_loss, 4),
                                  "val_raw_auc": round(val_auc, 4)})
                    log_file.flush()
                    line += f", validation loss {val_loss:.3f}, raw AuC {val_auc:.4f}"
                self.report(line)

            with self.progress("train") as progress:
                run_training(trainer, batches, config["steps"], checkpoint,
                             settings.checkpoint_minutes * 60.0, on_step=on_step,
                             progress=progress, cancelled=self.cancelled)
            notes = {"bins_from": "training photos (ab grid 10)",
                     "rebalance_lambda": config.get("rebalance_lambda", 0.5)}
            export_model(settings.out, trainer, config, notes, half=settings.half,
                          bin_prior=bin_distribution(p.samples, p.bins))
        network = (f"{ENCODER_CHOICE} encoder" if trainer.encoder_head
                   else f"width x{config['width']:g}")
        return (f"trained {config['steps']} steps on {len(photos)} photos: "
                f"{len(p.bins)} bins, {network} -> {settings.out}")

    def _feature_cache(self, config: dict, photos: list, validation: Any,
                       encoder_options: dict) -> tuple:
        """The training crops' features (from the cache folder when it matches, else encoded
        and saved there) and the validation crops' features (or None)."""
        from algorithms.cnn.bins import quarter_ab
        from algorithms.cnn.efficientnet_weights import LITE0
        from algorithms.cnn.feature_cache import FeatureCache, FeatureEncoder, build_cache
        from algorithms.cnn.train import FeatureBatch
        from colorize_app.io import safe_files

        folder = self.settings.cache
        assert folder is not None  # train() checked
        start = encoder_options["finetune_from"]  # None: the whole encoder is frozen
        weights = encoder_options["encoder_weights"]
        key = {"crop": config["crop"], "views": config["cache_views"], "seed": config["seed"],
               "photos": len(photos), "encoder": ENCODER_CHOICE,
               "lower": lower_weights_digest(weights, start)}
        if start is not None:
            key["first_trained_block"] = start
        path = os.path.join(folder, CACHE_NAME)
        cache = None
        if os.path.isfile(path):
            with np.load(path, allow_pickle=False) as archive:
                if "key" in archive.files and json.loads(str(archive["key"])) == key:
                    cache = FeatureCache.from_arrays(archive, LITE0, start)
                    self.report(f"feature cache: {len(cache)} crops from {path}")
        with FeatureEncoder(weights, LITE0, start=start) as encoder:
            if cache is None:
                os.makedirs(folder, exist_ok=True)
                with self.progress("encode") as progress:
                    cache = build_cache(encoder, photos, config["crop"], config["cache_views"],
                                        np.random.default_rng(config["seed"] + 1), progress)
                arrays: dict[str, Any] = {"key": np.array(json.dumps(key)), **cache.arrays()}
                with safe_files.atomic_output(path) as temporary:
                    with open(temporary, "wb") as handle:
                        np.savez(handle, **arrays)
            if validation is not None:
                validation = FeatureBatch(encoder.features(validation.lightness),
                                          quarter_ab(validation.ab.astype(np.float64)))
        return cache, validation
