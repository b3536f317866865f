"""A colorization network's weights as the engine holds them, whatever file they came from.

:class:`ModelWeights` holds every variable by its TensorFlow name and layout, the ab bins
(Q, 2) and the metadata (widths, input normalisation, padding convention, batch-norm
epsilon, training notes). :func:`validate` checks them against the architecture read off
the shapes (the Zhang network's widths, or the EfficientNet-Lite0 encoder + top-down head
of :mod:`algorithms.cnn.fpn_head` when the metadata says ``"architecture":
"efficientnet-lite0"``); :func:`convert_torch_state` maps the authors' PyTorch release to
TF names and layouts; :func:`model_arrays` gives the arrays a model file stores.

Reading the files (the project's ``.npz``, TF checkpoints, ``.pth``) is the application's
file layer: :mod:`colorize_app.io.model_files`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

import numpy as np

from algorithms.cnn.architecture import (
    CONVS_PER_BLOCK,
    FULL_WIDTHS,
    Architecture,
    infer_widths,
    variable_shapes,
)
from algorithms.cnn.decode import check_bins
from algorithms.cnn.efficientnet import ENCODER_NAME
from algorithms.cnn.model_checks import validate_metadata
from algorithms.errors import BadInputError

if TYPE_CHECKING:
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture

PathLike = Union[str, "os.PathLike[str]"]

#: Version of the project's .npz layout.
FORMAT_VERSION = 1
#: Normalisation and conventions of each source (input fed as (L - offset) / scale).
TF_CHECKPOINT_METADATA = {
    "input_offset": 50.0, "input_scale": 1.0, "padding": "tf_same", "bn_epsilon": 1e-3,
}
TORCH_RELEASE_METADATA = {
    "input_offset": 50.0, "input_scale": 100.0, "padding": "torch_symmetric", "bn_epsilon": 1e-5,
}
#: The PyTorch release predicts ab / 110 (its ``unnormalize_ab``).
TORCH_AB_SCALE = 110.0


@dataclass
class ModelWeights:
    """A loaded model: variables (TensorFlow names and layouts), ab bins and metadata."""

    weights: dict[str, np.ndarray]
    bins: np.ndarray
    metadata: dict = field(default_factory=dict)
    path: str | None = None

    @property
    def is_encoder_head(self) -> bool:
        """True for the EfficientNet-Lite0 encoder + head network."""
        return self.metadata.get("architecture") == ENCODER_NAME

    @property
    def architecture(self) -> Architecture | EncoderHeadArchitecture:
        if self.is_encoder_head:
            from algorithms.cnn.fpn_head import architecture_from_metadata

            return architecture_from_metadata(
                self.metadata, {k: np.shape(v) for k, v in self.weights.items()})
        widths, count = infer_widths({k: v.shape for k, v in self.weights.items()})
        return Architecture(
            widths=widths,
            bins=count,
            padding=self.metadata.get("padding", "tf_same"),
            bn_epsilon=float(self.metadata.get("bn_epsilon", 1e-3)),
        )

    @property
    def width_multiplier(self) -> float:
        return cast(Architecture, self.architecture).widths[3] / FULL_WIDTHS[3]

    def normalise_lightness(self, lightness: np.ndarray) -> np.ndarray:
        """CIELAB L in [0, 100] -> the network's input, float32."""
        if self.is_encoder_head:
            from algorithms.cnn.efficientnet import encoder_input

            return encoder_input(lightness)
        offset = float(self.metadata.get("input_offset", 50.0))
        scale = float(self.metadata.get("input_scale", 1.0))
        return ((np.asarray(lightness, dtype=np.float32) - offset) / scale).astype(np.float32)

    def describe(self) -> str:
        arch: Any = self.architecture  # either kind, told apart by is_encoder_head
        if self.is_encoder_head:
            return (f"{self.metadata.get('name', Path(self.path or 'model').name)}: "
                    f"{ENCODER_NAME} encoder + top-down head (width {arch.width}), "
                    f"{arch.bins} bins, {sum(v.size for v in self.weights.values()):,} parameters")
        return (f"{self.metadata.get('name', Path(self.path or 'model').name)}: width x"
                f"{self.width_multiplier:g}, {arch.bins} bins, {arch.padding} padding, "
                f"{sum(v.size for v in self.weights.values()):,} parameters")


def network_variable_shapes(arch: Architecture | EncoderHeadArchitecture
                            ) -> dict[str, tuple[int, ...]]:
    """``{variable name: shape}`` of either network (TensorFlow layouts)."""
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture
    from algorithms.cnn.fpn_head import variable_shapes as head_shapes

    if isinstance(arch, EncoderHeadArchitecture):
        return head_shapes(arch)
    return variable_shapes(arch)


def validate(model: ModelWeights, source: str) -> ModelWeights:
    """Check every variable's presence, shape and values, and the bins; name any culprit."""
    validate_metadata(model.metadata, source)
    try:
        arch = model.architecture
    except BadInputError as error:
        raise BadInputError(f"{source}: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError,
            OverflowError) as error:  # metadata of the wrong shape (e.g. the encoder's)
        raise BadInputError(f"{source}: malformed metadata ({type(error).__name__}: "
                            f"{str(error)[:80]})") from None
    shapes = network_variable_shapes(arch)
    names = model.metadata.get("source_names", {})
    weights = {}
    for name, shape in shapes.items():
        label = f"{names[name]} ({name})" if name in names else name
        if name not in model.weights:
            raise BadInputError(f"{source}: missing variable {label}")
        value = np.asarray(model.weights[name])
        if value.shape != shape:
            raise BadInputError(
                f"{source}: variable {label} has shape {value.shape}, expected {shape}"
            )
        if value.dtype.kind not in "fiu":  # complex, object, text, bool: not weights
            raise BadInputError(f"{source}: variable {label} holds {value.dtype} values, "
                                "not real numbers")
        if not np.all(np.isfinite(value)):
            raise BadInputError(f"{source}: variable {label} holds non-finite values")
        if name.endswith("/moving_variance") and value.min() < 0:
            raise BadInputError(f"{source}: variable {label} is negative (a variance)")
        weights[name] = value.astype(np.float32)
    try:
        bins = check_bins(model.bins, arch.bins, name="the ab bins")
    except BadInputError as error:
        raise BadInputError(f"{source}: {error}") from None
    return ModelWeights(weights, bins, dict(model.metadata), model.path)


# ---------------------------------------------------------------------------------------------
# Detection and loading


def convert_torch_state(state: dict[str, np.ndarray], source: str) -> ModelWeights:
    """The authors' ECCV16 state dict (PyTorch layout) -> TF names and layouts.

    Blocks ``model1`` .. ``model8`` hold, in index order, their convolutions (4-D
    ``weight`` and ``bias``) then, for blocks 1-7, a batch norm (``weight``, ``bias``,
    ``running_mean``, ``running_var``); ``model_out.weight`` (2, Q, 1, 1) holds the
    bins divided by 110. Widths are whatever the shapes say.
    """
    weights: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    conv_number = 0
    for block, conv_count in enumerate(CONVS_PER_BLOCK, start=1):
        indices = sorted({int(m.group(1)) for key in state
                          if (m := re.match(rf"model{block}\.(\d+)\.", key))})
        convs = [i for i in indices if f"model{block}.{i}.weight" in state
                 and np.ndim(state[f"model{block}.{i}.weight"]) == 4]
        norms = [i for i in indices if f"model{block}.{i}.running_mean" in state]
        if len(convs) != conv_count or len(norms) != (1 if block <= 7 else 0):
            raise BadInputError(
                f"{source}: not the ECCV16 layout (block model{block} has {len(convs)} "
                f"convolutions and {len(norms)} batch norms)"
            )
        for i in convs:
            conv_number += 1
            prefix = f"model{block}.{i}"
            kernel = state[f"{prefix}.weight"]
            # Conv2d (out, in, kh, kw) and ConvTranspose2d (in, out, kh, kw) both become
            # TF's (kh, kw, in, out) and (kh, kw, out, in) by the same permutation.
            weights[f"conv{conv_number}/weights"] = kernel.transpose(2, 3, 1, 0)
            names[f"conv{conv_number}/weights"] = f"{prefix}.weight"
            bias_key = f"{prefix}.bias"
            if bias_key not in state:
                raise BadInputError(f"{source}: missing variable {bias_key}")
            weights[f"conv{conv_number}/biases"] = state[bias_key]
            names[f"conv{conv_number}/biases"] = bias_key
        for i in norms:
            prefix = f"model{block}.{i}"
            for ours, theirs in (("gamma", "weight"), ("beta", "bias"),
                                 ("moving_mean", "running_mean"),
                                 ("moving_variance", "running_var")):
                key = f"{prefix}.{theirs}"
                if key not in state:
                    raise BadInputError(f"{source}: missing variable {key}")
                weights[f"bn_{block}/{ours}"] = state[key]
                names[f"bn_{block}/{ours}"] = key
    if "model_out.weight" not in state:
        raise BadInputError(f"{source}: missing variable model_out.weight (the ab bins)")
    out = np.asarray(state["model_out.weight"])
    if out.ndim != 4 or out.shape[0] != 2 or out.shape[2:] != (1, 1):
        raise BadInputError(
            f"{source}: variable model_out.weight has shape {out.shape}, expected (2, Q, 1, 1)"
        )
    bins = out[:, :, 0, 0].T * TORCH_AB_SCALE
    metadata = dict(TORCH_RELEASE_METADATA, source_format="torch", source_names=names,
                    name=Path(source).stem)
    return ModelWeights(weights, bins, metadata, None)


def model_arrays(model: ModelWeights, name: str, half: bool = False,
                 **metadata: object) -> dict[str, np.ndarray]:
    """The arrays of the project's ``.npz`` for ``model`` (validated; ``name`` for errors).

    ``half`` stores a pretrained encoder's weights as float16 (they are read back as
    float32); the head's stay float32. Extra keyword arguments are stored in the
    metadata (e.g. ``notes="..."``). Writing them is the application's
    (``colorize_app.io.model_writer.save_model``).
    """
    model = validate(model, name)
    arch: Any = model.architecture  # either kind, told apart by is_encoder_head
    meta = {k: v for k, v in model.metadata.items() if k != "source_names"}
    meta.update(metadata)
    if model.is_encoder_head:
        meta.update(format_version=FORMAT_VERSION, architecture=ENCODER_NAME,
                    encoder=arch.encoder.to_json(), head_width=arch.width, bins=arch.bins)
    else:
        meta.update(format_version=FORMAT_VERSION, widths=list(arch.widths), bins=arch.bins,
                    width=model.width_multiplier, padding=arch.padding,
                    bn_epsilon=arch.bn_epsilon)
        meta.setdefault("input_offset", 50.0)
        meta.setdefault("input_scale", 1.0)
    meta["storage"] = "float16" if half else "float32"

    def stored(variable: str, value: np.ndarray) -> np.ndarray:
        # The pretrained encoder holds most of the weights; the trained head, whose
        # last layer sharpens every error, stays float32.
        wanted = np.float16 if half and variable.startswith("encoder/") else np.float32
        return value.astype(wanted)

    arrays = {f"weights/{variable}": stored(variable, value)
              for variable, value in model.weights.items()}
    arrays["bins"] = model.bins
    arrays["metadata"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays
