"""EfficientNet-Lite0 as a frozen semantic encoder, rebuilt in ``tf.compat.v1``.

EfficientNet-Lite (Tan and Le 2019, the "Lite" variants for mobile hardware) is
EfficientNet without squeeze-excitation and with ReLU6 instead of swish; stem and head
widths are not scaled. The layers, confirmed from the names and shapes of the weight
file (``efficientnet-lite0-57934424.pth``, see :mod:`algorithms.cnn.efficientnet_weights`):

- stem: 3x3 convolution stride 2 (no bias) to 32 channels, batch norm, ReLU6;
- 16 MBConv blocks: [1x1 expansion convolution, BN, ReLU6] (absent when the expansion
  ratio is 1), kxk depthwise convolution (stride 1 or 2), BN, ReLU6, 1x1 projection
  convolution, BN (no activation), plus the input when stride is 1 and the widths match;
- (head 1x1 convolution to 1280 and the ImageNet classifier: not used here).

Every convolution pads as TensorFlow's 'SAME' (the PyTorch port pads the same way,
top/left getting the smaller half); batch norm epsilon is 1e-3.

Variables (TensorFlow layouts): ``encoder/stem/weights`` (3, 3, 3, 32), ``encoder/stem_bn/
{gamma,beta,moving_mean,moving_variance}``, and for block i ``encoder/block{i}/expand/
weights`` (1, 1, in, mid), ``.../depthwise/weights`` (k, k, mid, 1), ``.../project/
weights`` (1, 1, mid, out), each followed by ``.../<name>_bn/...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from algorithms.errors import BadInputError

if TYPE_CHECKING:
    import tensorflow

#: Name of the encoder in model files and on the command line.
ENCODER_NAME = "efficientnet-lite0"
#: Batch-norm epsilon of the TensorFlow original and of the PyTorch port.
BN_EPSILON = 1e-3
#: The Lite models' input normalisation: (x - 0.498) / 0.502 for x in [0, 1], i.e. [-1, 1].
INPUT_MEAN, INPUT_STD = 0.498, 0.502
#: Strides at which the head takes features.
FEATURE_STRIDES = (4, 8, 16, 32)
BN_PARTS = ("gamma", "beta", "moving_mean", "moving_variance")


@dataclass(frozen=True)
class BlockSpec:
    """One MBConv block: input, expanded and output widths, depthwise kernel, stride."""

    in_channels: int
    mid_channels: int
    out_channels: int
    kernel: int
    stride: int

    @property
    def expands(self) -> bool:
        return self.mid_channels != self.in_channels

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.in_channels == self.out_channels


def stage_blocks(stages: list[tuple[int, int, int, int, int]], stem: int) -> tuple[BlockSpec, ...]:
    """Blocks from stage rows (repeats, kernel, stride, expansion, out), as the original's table.

    The first block of a stage takes the stride and the width change; its repeats keep both.
    """
    blocks = []
    channels = stem
    for repeats, kernel, stride, expansion, out in stages:
        for index in range(repeats):
            blocks.append(BlockSpec(channels, channels * expansion, out, kernel,
                                    stride if index == 0 else 1))
            channels = out
    return tuple(blocks)


#: EfficientNet-Lite0's stage table (repeats, kernel, stride, expansion, out): 16 blocks.
LITE0_STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
                (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
LITE0_STEM = 32
LITE0_BLOCKS = stage_blocks(LITE0_STAGES, LITE0_STEM)
#: Width and depth multipliers of the larger Lite models (Lite1: 240 px, Lite2: 260 px input).
LITE_SCALING = {"efficientnet-lite0": (1.0, 1.0), "efficientnet-lite1": (1.0, 1.1),
                "efficientnet-lite2": (1.1, 1.2)}


def _round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Channels scaled by ``width``, to a multiple of 8, never more than 10% below."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


def lite_blocks(width: float, depth: float) -> tuple[BlockSpec, ...]:
    """The blocks of an EfficientNet-Lite scaled by ``width`` and ``depth``.

    The Lite models keep the stem (32) and the first and last stages' repeats fixed; other
    repeats grow to ceil(repeats * depth), every stage's width to :func:`_round_filters`.
    """
    import math

    last = len(LITE0_STAGES) - 1
    stages = [(repeats if index in (0, last) else math.ceil(repeats * depth), kernel, stride,
               expansion, _round_filters(out, width))
              for index, (repeats, kernel, stride, expansion, out) in enumerate(LITE0_STAGES)]
    return stage_blocks(stages, LITE0_STEM)


@dataclass(frozen=True)
class EncoderSpec:
    """The whole encoder: stem width and blocks."""

    stem: int = LITE0_STEM
    blocks: tuple[BlockSpec, ...] = LITE0_BLOCKS

    def __post_init__(self) -> None:
        for block in self.blocks:
            if min(block.in_channels, block.mid_channels, block.out_channels, block.kernel) < 1 \
                    or block.stride not in (1, 2) or self.stem < 1:
                raise BadInputError(f"invalid encoder block {block}")
        if not self.blocks or self.blocks[0].in_channels != self.stem:
            raise BadInputError("the first block must take the stem's channels")
        for previous, block in zip(self.blocks, self.blocks[1:]):
            if block.in_channels != previous.out_channels:
                raise BadInputError("encoder blocks do not chain (widths disagree)")
        if tuple(sorted(self.feature_blocks())) != tuple(self.feature_blocks()):
            raise BadInputError("encoder feature taps are out of order")

    def strides(self) -> list[int]:
        """Total stride after each block (the stem halves the input first)."""
        total, result = 2, []
        for block in self.blocks:
            total *= block.stride
            result.append(total)
        return result

    def feature_blocks(self) -> list[int]:
        """Index of the last block at each of :data:`FEATURE_STRIDES`."""
        strides = self.strides()
        taps = []
        for wanted in FEATURE_STRIDES:
            at = [i for i, s in enumerate(strides) if s == wanted]
            if not at:
                raise BadInputError(f"the encoder has no block at stride {wanted}")
            taps.append(at[-1])
        return taps

    def feature_channels(self) -> list[int]:
        return [self.blocks[i].out_channels for i in self.feature_blocks()]

    def to_json(self) -> dict:
        return {"stem": self.stem, "blocks": [[b.in_channels, b.mid_channels, b.out_channels,
                                               b.kernel, b.stride] for b in self.blocks]}

    @classmethod
    def from_json(cls, data: dict) -> EncoderSpec:
        try:
            blocks = tuple(BlockSpec(*(int(v) for v in row)) for row in data["blocks"])
            return cls(int(data["stem"]), blocks)
        except (KeyError, TypeError, ValueError):
            raise BadInputError("the model's encoder description is malformed") from None


def encoder_variable_shapes(spec: EncoderSpec) -> dict[str, tuple[int, ...]]:
    """``{variable name: shape}`` of the encoder, in TensorFlow layout."""
    shapes: dict[str, tuple[int, ...]] = {"encoder/stem/weights": (3, 3, 3, spec.stem)}
    shapes.update({f"encoder/stem_bn/{p}": (spec.stem,) for p in BN_PARTS})
    for i, block in enumerate(spec.blocks):
        scope = f"encoder/block{i}"
        if block.expands:
            shapes[f"{scope}/expand/weights"] = (1, 1, block.in_channels, block.mid_channels)
            shapes.update({f"{scope}/expand_bn/{p}": (block.mid_channels,) for p in BN_PARTS})
        shapes[f"{scope}/depthwise/weights"] = (block.kernel, block.kernel, block.mid_channels, 1)
        shapes.update({f"{scope}/depthwise_bn/{p}": (block.mid_channels,) for p in BN_PARTS})
        shapes[f"{scope}/project/weights"] = (1, 1, block.mid_channels, block.out_channels)
        shapes.update({f"{scope}/project_bn/{p}": (block.out_channels,) for p in BN_PARTS})
    return shapes


def encoder_input(lightness: np.ndarray) -> np.ndarray:
    """CIELAB L (..., H, W) in [0, 100] -> the encoder's input, float32 of the same shape.

    The gray sRGB value with that lightness, normalised as the Lite weights expect. The
    graph repeats it into the three RGB channels.
    """
    from algorithms.colorspace import lab_to_rgb_fast

    lightness = np.asarray(lightness, dtype=np.float32)
    lab: np.ndarray = np.zeros(lightness.shape + (3,), dtype=np.float32)
    lab[..., 0] = np.clip(lightness, 0.0, 100.0)
    flat = lab.reshape(-1, lab.shape[-2], 3)  # (rows, W, 3), whatever the leading axes
    gray = lab_to_rgb_fast(flat)[..., 0].reshape(lightness.shape)
    return ((gray - INPUT_MEAN) / INPUT_STD).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# The TensorFlow graph (TensorFlow is imported only when a graph is built)


def _batch_norm(tf, x, channels: int, trainable: bool):
    """Batch norm in inference form, always: the encoder's statistics stay ImageNet's."""
    tf1 = tf.compat.v1
    gamma = tf1.get_variable("gamma", (channels,), initializer=tf1.ones_initializer(),
                             trainable=trainable)
    beta = tf1.get_variable("beta", (channels,), initializer=tf1.zeros_initializer(),
                            trainable=trainable)
    mean = tf1.get_variable("moving_mean", (channels,), initializer=tf1.zeros_initializer(),
                            trainable=False)
    variance = tf1.get_variable("moving_variance", (channels,),
                                initializer=tf1.ones_initializer(), trainable=False)
    scale = gamma * tf.math.rsqrt(variance + BN_EPSILON)
    return x * scale + (beta - mean * scale)


def _conv(tf, x, name: str, shape: tuple[int, ...], stride: int, trainable: bool,
          depthwise: bool = False, biased: bool = False):
    tf1 = tf.compat.v1
    with tf1.variable_scope(name):
        kernel = tf1.get_variable("weights", shape, initializer=tf1.zeros_initializer(),
                                  trainable=trainable)
        if biased:
            biases = tf1.get_variable("biases", (shape[2] if depthwise else shape[3],))
    if depthwise:
        y = tf.nn.depthwise_conv2d(x, kernel, [1, stride, stride, 1], "SAME")
    else:
        y = tf.nn.conv2d(x, kernel, strides=stride, padding="SAME")
    return tf.nn.bias_add(y, biases) if biased else y


def _conv_bn(tf, x, name: str, shape: tuple[int, ...], stride: int, trainable: bool,
             relu6: bool = True, depthwise: bool = False, folded: bool = False):
    """Convolution, batch norm, ReLU6; ``folded``: the batch norm is in the convolution's
    kernel and bias already (:mod:`algorithms.cnn.folding`), for inference."""
    tf1 = tf.compat.v1
    y = _conv(tf, x, name, shape, stride, trainable, depthwise, biased=folded)
    if not folded:
        with tf1.variable_scope(f"{name}_bn"):
            y = _batch_norm(tf, y, shape[2] if depthwise else shape[3], trainable)
    return tf.nn.relu6(y) if relu6 else y


def cache_points(spec: EncoderSpec, start: int | None = None) -> list[int]:
    """Blocks whose outputs stand in for the encoder below block ``start`` (-1: the stem).

    Training blocks ``start`` on needs the output of block ``start - 1`` (the input of the
    first trained block) and the feature taps below it; ``start`` = None (or the block
    count) gives the four feature taps themselves: a frozen encoder's whole output.
    """
    count = len(spec.blocks)
    start = count if start is None else int(start)
    if not 0 <= start <= count:
        raise BadInputError(f"the first trained block must be in [0, {count}], got {start}")
    taps = spec.feature_blocks()
    return sorted({t for t in taps if t < start} | {start - 1})


def point_channels(spec: EncoderSpec, points: list[int]) -> list[int]:
    """Channels of the outputs at ``points`` (block indices, -1: the stem)."""
    return [spec.stem if i < 0 else spec.blocks[i].out_channels for i in points]


def build_encoder(normalised: tensorflow.Tensor | None, spec: EncoderSpec,
                  trainable_from: int | None = None, start: int = 0,
                  cached: list[tensorflow.Tensor] | None = None,
                  folded: bool = False) -> list[tensorflow.Tensor]:
    """Add the encoder to the default graph; returns its features at strides 4, 8, 16, 32.

    Parameters
    ----------
    normalised : tf.Tensor or None
        (N, H, W, 1) from :func:`encoder_input`; any H, W (outputs are ceil(H / stride)).
        None when the encoder starts from ``cached`` outputs.
    spec : EncoderSpec
        The blocks.
    trainable_from : int or None
        Blocks from this index on are trainable (fine-tuning); ``None``: all frozen.
    start, cached :
        Build only blocks ``start`` on, from ``cached``: the outputs at
        :func:`cache_points` (spec, start), computed once by a lower encoder
        (:func:`build_lower_encoder`); the features below ``start`` are taken from them.
    folded : bool
        Inference only: every batch norm is folded into its convolution, whose variables
        are then ``weights`` and ``biases`` (:func:`algorithms.cnn.folding.fold_batch_norm`).
    """
    import tensorflow as tf

    tf1 = tf.compat.v1
    taps = spec.feature_blocks()
    features = []
    frozen = trainable_from is None
    with tf1.variable_scope("encoder"):
        if cached is None:
            if start:
                raise BadInputError("an encoder built from a later block needs its inputs")
            x = tf.tile(normalised, [1, 1, 1, 3])
            x = _conv_bn(tf, x, "stem", (3, 3, 3, spec.stem), 2, trainable=False,
                         folded=folded)
        else:
            points = cache_points(spec, start)
            if len(cached) != len(points):
                raise BadInputError(f"{len(points)} cached outputs are needed, "
                                    f"got {len(cached)}")
            given = dict(zip(points, cached))
            features = [given[t] for t in taps if t < start]
            x = given[start - 1]
        for i, block in enumerate(spec.blocks[start:], start):
            trainable = trainable_from is not None and i >= trainable_from
            x = _block(tf, x, i, block, trainable, folded)
            if i in taps:
                features.append(x)
    if frozen and not folded:  # (a folded graph has nothing to train)
        features = [tf.stop_gradient(f) for f in features]
    return features


def _block(tf, x, index: int, block: BlockSpec, trainable: bool, folded: bool = False):
    """One MBConv block (variables under ``block{index}``)."""
    with tf.compat.v1.variable_scope(f"block{index}"):
        y = x
        if block.expands:
            y = _conv_bn(tf, y, "expand", (1, 1, block.in_channels, block.mid_channels),
                         1, trainable, folded=folded)
        y = _conv_bn(tf, y, "depthwise", (block.kernel, block.kernel, block.mid_channels, 1),
                     block.stride, trainable, depthwise=True, folded=folded)
        y = _conv_bn(tf, y, "project", (1, 1, block.mid_channels, block.out_channels),
                     1, trainable, relu6=False, folded=folded)
        return y + x if block.residual else y


def build_lower_encoder(normalised: tensorflow.Tensor, spec: EncoderSpec,
                        start: int | None = None) -> list[tensorflow.Tensor]:
    """The frozen encoder below block ``start``: its outputs at :func:`cache_points`.

    ``start`` = None gives the four features of the whole encoder.
    """
    import tensorflow as tf

    tf1 = tf.compat.v1
    points = cache_points(spec, start)
    outputs: dict[int, tensorflow.Tensor] = {}
    with tf1.variable_scope("encoder"):
        x = tf.tile(normalised, [1, 1, 1, 3])
        x = _conv_bn(tf, x, "stem", (3, 3, 3, spec.stem), 2, trainable=False)
        outputs[-1] = x
        for i, block in enumerate(spec.blocks[:points[-1] + 1]):
            x = _block(tf, x, i, block, trainable=False)
            outputs[i] = x
    return [outputs[i] for i in points]


def lower_variable_names(spec: EncoderSpec, start: int | None) -> list[str]:
    """The encoder variables below block ``start`` (those a lower encoder holds)."""
    start = len(spec.blocks) if start is None else start
    return [name for name in encoder_variable_shapes(spec)
            if name.startswith("encoder/stem") or int(name.split("/")[1][5:]) < start]
