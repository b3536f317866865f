"""The settings of a training run and their checks (light: the command line's parser reads
its defaults without loading numpy or the engine)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from algorithms.errors import BadInputError, SettingError

#: The encoder name of ``--encoder`` and of model metadata for the EfficientNet models.
ENCODER_CHOICE = "efficientnet-lite0"
#: Default class-rebalancing lambda: 1 = none (the calibrated decoding does the rest).
REBALANCE_DEFAULT = 1.0


@dataclass
class TrainingSettings:
    """What to train on and how; the names are ``colorize train``'s options.

    ``images``: folders of colour photos; ``out``: the model file to write (.npz); ``crop``
    (pixels) a multiple of 8 in [8, 256]; ``rebalance`` in [0, 1]; ``checkpoint_minutes``
    between checkpoints. The encoder options apply with ``encoder="efficientnet-lite0"``.
    """

    images: list[str]
    out: str
    val: str | None = None
    exclude: str | None = None
    width: float = 0.25
    encoder: str = "zhang"
    finetune_blocks: int = 0
    finetune_lr: float | None = None
    init: str | None = None
    half: bool = False
    cache: str | None = None
    views: int = 2
    rebalance: float = REBALANCE_DEFAULT
    encoder_weights: str | None = None
    steps: int = 2000
    crop: int = 176
    batch: int = 16
    lr: float = 3e-4
    seed: int = 0
    checkpoint_dir: str | None = None
    checkpoint_minutes: float = 5.0
    resume: bool = False

    def check(self) -> None:
        """Refuse settings that cannot train (SettingError naming the setting, by its field
        name here; ``colorize train`` names each as its option)."""
        if not self.out.endswith(".npz"):
            raise SettingError("out", f"must be a .npz model file, got {self.out}")
        if self.crop < 8 or self.crop % 8 or self.crop > 256:
            raise SettingError("crop",
                               f"must be a multiple of 8 between 8 and 256, got {self.crop}")
        for name in ("steps", "batch"):
            if getattr(self, name) < 1:
                raise SettingError(name, "must be at least 1")
        if not self.lr > 0 or not self.checkpoint_minutes > 0:
            raise SettingError("lr", words=lambda name: f"{name('lr')} and "
                               f"{name('checkpoint_minutes')} must be positive")
        if self.encoder == "zhang" and (self.finetune_blocks or self.finetune_lr is not None
                                        or self.encoder_weights or self.init):
            raise SettingError("encoder", words=lambda name: (
                f"{name('finetune_blocks')}, {name('finetune_lr')}, {name('init')} and "
                f"{name('encoder_weights')} need {name('encoder')} {ENCODER_CHOICE}"))
        if not 0 <= self.finetune_blocks <= 16:
            raise SettingError("finetune_blocks", "must be between 0 and 16")
        if self.finetune_lr is not None and not self.finetune_lr > 0:
            raise SettingError("finetune_lr", "must be positive")
        if not 0.0 <= self.rebalance <= 1.0:
            raise SettingError("rebalance", f"must be between 0 and 1, got {self.rebalance}")
        if self.cache and self.encoder != ENCODER_CHOICE:
            raise SettingError("cache", words=lambda name: (
                f"{name('cache')} needs {name('encoder')} {ENCODER_CHOICE}"))
        if self.cache and self.crop % 32:
            raise SettingError("cache", words=lambda name: (
                f"{name('cache')} needs {name('crop')} a multiple of 32, got {self.crop}"))
        if not 1 <= self.views <= 64:
            raise SettingError("views", "must be between 1 and 64")
        folder = os.path.dirname(os.path.abspath(self.out))
        if not os.path.isdir(folder):
            raise BadInputError(f"output folder does not exist: {folder}")

    @property
    def checkpoint_folder(self) -> str:
        return self.checkpoint_dir or f"{self.out}.checkpoints"
