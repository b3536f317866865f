"""Batch norm folded into the weights, for inference graphs (numpy; no TensorFlow).

In inference, batch norm is a fixed per-channel affine map,
``y = gamma * (x - mean) / sqrt(variance + eps) + beta = x * scale + offset``.

- EfficientNet-Lite's batch norm directly follows a convolution without bias (before the
  ReLU6), so it folds into that convolution exactly: the kernel's output channels are
  multiplied by ``scale`` and ``offset`` becomes the convolution's bias. One
  convolution + bias instead of a convolution and six element-wise ops on constants.
- The Zhang network's batch norm comes after a ReLU, so it cannot move into the
  convolution before it (nor into the one after, whose zero padding would then differ at
  the border). It keeps its multiply-add, with ``scale`` and ``offset`` computed here once
  instead of in the graph.

The folded names are those of the unfolded variables plus ``.../biases`` for the
EfficientNet convolutions and ``bn_k/scale``, ``bn_k/offset`` for the Zhang blocks; the
graph builders take them with ``folded=True``. Arithmetic is in float64, stored as float32.
"""

from __future__ import annotations

import numpy as np

from algorithms.cnn.architecture import Architecture
from algorithms.cnn.efficientnet import BN_EPSILON
from algorithms.cnn.fpn_head import EncoderHeadArchitecture

BN_SUFFIXES = ("gamma", "beta", "moving_mean", "moving_variance")


def _scale_offset(weights: dict[str, np.ndarray], scope: str, epsilon: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The batch norm under ``scope`` as ``x * scale + offset`` (float64 vectors)."""
    gamma, beta, mean, variance = (np.asarray(weights[f"{scope}/{part}"], np.float64)
                                   for part in BN_SUFFIXES)
    scale = gamma / np.sqrt(variance + epsilon)
    return scale, beta - mean * scale


def fold_batch_norm(arch: Architecture | EncoderHeadArchitecture,
                    weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inference weights of ``arch`` with every batch norm folded (see the module doc).

    ``weights`` holds every variable of the architecture (TensorFlow names and layouts,
    as :func:`algorithms.cnn.model_weights.network_variable_shapes` lists them).
    """
    batch_norms = [name[: -len("/gamma")] for name in weights if name.endswith("/gamma")]
    folded = {name: np.asarray(value, np.float32) for name, value in weights.items()
              if name.rsplit("/", 1)[-1] not in BN_SUFFIXES}
    for scope in batch_norms:
        if isinstance(arch, EncoderHeadArchitecture):
            scale, offset = _scale_offset(weights, scope, BN_EPSILON)
            conv = scope[: -len("_bn")]  # encoder/block3/expand_bn -> encoder/block3/expand
            kernel = np.asarray(weights[f"{conv}/weights"], np.float64)
            # Depthwise kernels are (k, k, channels, 1): their channels are axis 2.
            depthwise = conv.endswith("/depthwise")
            kernel = kernel * (scale[:, None] if depthwise else scale)
            folded[f"{conv}/weights"] = kernel.astype(np.float32)
            folded[f"{conv}/biases"] = offset.astype(np.float32)
        else:
            scale, offset = _scale_offset(weights, scope, arch.bn_epsilon)
            folded[f"{scope}/scale"] = scale.astype(np.float32)
            folded[f"{scope}/offset"] = offset.astype(np.float32)
    return folded
