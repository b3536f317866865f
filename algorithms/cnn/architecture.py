"""The Zhang et al. (2016) network's layer list, variable names and shapes (no TensorFlow).

Names follow the public colorization-tf code that the course project used:
``conv1`` .. ``conv23`` (``weights`` (kh, kw, in, out), ``biases``), ``conv20`` being
the transposed convolution (``weights`` (4, 4, out, in), TensorFlow's layout), and
``bn_1`` .. ``bn_7`` (``gamma``, ``beta``, ``moving_mean``, ``moving_variance``).
The eight block widths are free, so one description covers the full network, its
width-multiplied variants and the reduced test fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.errors import BadInputError

#: Block widths of the full network (blocks 1..7 end with batch norm; block 8 is the decoder).
FULL_WIDTHS = (64, 128, 256, 512, 512, 512, 512, 256)
#: Number of quantised ab bins (the in-gamut cells of an ab grid of 10).
NUM_BINS = 313
#: Convolutions per block (block 8: transposed convolution, two 3x3, then the 1x1 to bins).
CONVS_PER_BLOCK = (2, 2, 3, 3, 3, 3, 3, 4)
#: The two ways to pad a stride-2 3x3 convolution (they sample different pixels).
PADDINGS = ("tf_same", "torch_symmetric")


@dataclass(frozen=True)
class Layer:
    """One layer: ``kind`` is 'conv', 'deconv' or 'bn'; shapes in TensorFlow layout."""

    name: str
    kind: str
    in_channels: int
    out_channels: int
    kernel: int = 3
    stride: int = 1
    dilation: int = 1
    relu: bool = True


@dataclass(frozen=True)
class Architecture:
    """What fixes the graph: block widths, bin count, stride-2 padding and BN epsilon."""

    widths: tuple[int, ...] = FULL_WIDTHS
    bins: int = NUM_BINS
    padding: str = "tf_same"
    bn_epsilon: float = 1e-3

    def __post_init__(self) -> None:
        if len(self.widths) != 8 or not all(int(w) >= 1 for w in self.widths):
            raise BadInputError(f"the network needs 8 positive block widths, got {self.widths}")
        if self.padding not in PADDINGS:
            raise BadInputError(f"unknown padding convention {self.padding!r}; use {PADDINGS}")
        if not self.bn_epsilon > 0:
            raise BadInputError("batch-norm epsilon must be positive")


def widths_for_multiplier(multiplier: float) -> tuple[int, ...]:
    """Block widths of the network scaled by ``multiplier`` (1.0 = the paper's network)."""
    if not 0 < multiplier <= 4:
        raise BadInputError(f"width multiplier must be in (0, 4], got {multiplier}")
    return tuple(max(1, int(round(width * multiplier))) for width in FULL_WIDTHS)


def layers(arch: Architecture) -> Iterator[Layer]:
    """The network's layers in order (see docs/methods.md, 'The networks')."""
    conv_number = 0
    in_channels = 1
    for block, (width, count) in enumerate(zip(arch.widths, CONVS_PER_BLOCK), start=1):
        dilation = 2 if block in (5, 6) else 1
        for index in range(count):
            conv_number += 1
            name = f"conv{conv_number}"
            if block == 8 and index == 0:
                yield Layer(name, "deconv", in_channels, width, kernel=4, stride=2)
            elif block == 8 and index == count - 1:
                yield Layer(name, "conv", in_channels, arch.bins, kernel=1, relu=False)
                width = arch.bins
            else:
                # The last convolution of blocks 1-3 halves the resolution.
                stride = 2 if block <= 3 and index == count - 1 else 1
                yield Layer(name, "conv", in_channels, width, stride=stride, dilation=dilation)
            in_channels = width
        if block <= 7:
            yield Layer(f"bn_{block}", "bn", width, width)


def variable_shapes(arch: Architecture) -> dict[str, tuple[int, ...]]:
    """``{variable name: shape}`` of every variable, in TensorFlow layout."""
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in layers(arch):
        if layer.kind == "conv":
            k = layer.kernel
            shapes[f"{layer.name}/weights"] = (k, k, layer.in_channels, layer.out_channels)
            shapes[f"{layer.name}/biases"] = (layer.out_channels,)
        elif layer.kind == "deconv":
            k = layer.kernel
            shapes[f"{layer.name}/weights"] = (k, k, layer.out_channels, layer.in_channels)
            shapes[f"{layer.name}/biases"] = (layer.out_channels,)
        else:
            for part in ("gamma", "beta", "moving_mean", "moving_variance"):
                shapes[f"{layer.name}/{part}"] = (layer.out_channels,)
    return shapes


def infer_widths(shapes: dict[str, tuple[int, ...]]) -> tuple[tuple[int, ...], int]:
    """Block widths and bin count read off the shapes of a set of variables.

    The output channels of each block's last convolution give its width; ``conv23``
    gives the number of bins. Raises BadInputError naming a missing variable.
    """
    last_convs = np.cumsum(CONVS_PER_BLOCK)
    widths = []
    for conv_number in last_convs[:7]:
        widths.append(_channels(shapes, f"conv{conv_number}/weights", axis=3))
    widths.append(_channels(shapes, "conv20/weights", axis=2))  # transposed: (k, k, out, in)
    bins = _channels(shapes, "conv23/weights", axis=3)
    return tuple(widths), bins


def _channels(shapes: dict[str, tuple[int, ...]], name: str, axis: int) -> int:
    if name not in shapes:
        raise BadInputError(f"missing variable {name}")
    shape = tuple(shapes[name])
    if len(shape) != 4:
        raise BadInputError(f"variable {name} has shape {shape}, expected a 4-D kernel")
    return int(shape[axis])


def random_weights(arch: Architecture, seed: int = 0) -> dict[str, np.ndarray]:
    """He-initialised random weights with plausible batch-norm statistics (for tests).

    Scaled for inputs of order 1 (the PyTorch normalisation (L - 50) / 100).

    The output layer is scaled so that the logits spread over a few units, which makes
    the decoded colours depend visibly on the temperature.
    """
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    for name, shape in variable_shapes(arch).items():
        if name.endswith("/weights"):
            fan_in = int(np.prod(shape[:2])) * shape[2 if not name.startswith("conv20/") else 3]
            scale = np.sqrt(2.0 / fan_in) * (10.0 if name.startswith("conv23/") else 1.0)
            value = rng.standard_normal(shape) * scale
        elif name.endswith("/biases") or name.endswith("/beta"):
            value = rng.uniform(-0.1, 0.1, shape)
        elif name.endswith("/gamma"):
            value = rng.uniform(0.8, 1.2, shape)
        elif name.endswith("/moving_mean"):
            value = rng.uniform(0.0, 0.5, shape)
        else:
            value = rng.uniform(0.5, 1.5, shape)
        weights[name] = value.astype(np.float32)
    return weights
