"""The Zhang head on EfficientNet-Lite0 features: a top-down multi-scale fusion to bin logits.

Features at strides 4, 8, 16 and 32 (:func:`algorithms.cnn.efficientnet.build_encoder`)
each get a 1x1 lateral convolution to ``width`` channels. From the coarsest down, the
running map is upsampled (bilinear) to the next finer lateral's size, added to it and
smoothed by a 3x3 convolution + ReLU (a feature pyramid's top-down path). At stride 4 a
further 3x3 convolution + ReLU and a 1x1 convolution give the logits over the ab bins:
(N, ceil(H / 4), ceil(W / 4), Q), decoded as the paper's (docs/methods.md, 'Decoding:
annealed mean').

Variables: ``head/lateral{4,8,16,32}``, ``head/smooth{16,8,4}``, ``head/refine`` and
``head/logits``, each ``weights`` (kh, kw, in, out) and ``biases`` (out,).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from algorithms.cnn.efficientnet import (
    ENCODER_NAME,
    FEATURE_STRIDES,
    EncoderSpec,
    encoder_variable_shapes,
)
from algorithms.errors import BadInputError

if TYPE_CHECKING:
    import tensorflow

#: Channels of the fused maps.
HEAD_WIDTH = 128


@dataclass(frozen=True)
class EncoderHeadArchitecture:
    """EfficientNet-Lite0 encoder + top-down head: what fixes the graph."""

    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    width: int = HEAD_WIDTH
    bins: int = 313
    #: For code that reads these off any architecture (the encoder pads as TF's 'SAME').
    padding: str = "tf_same"
    bn_epsilon: float = 1e-3
    name: str = ENCODER_NAME
    #: Native-resolution inputs are padded to this multiple (the coarsest stride).
    size_multiple: int = 32

    def __post_init__(self) -> None:
        if self.width < 1 or self.bins < 2:
            raise BadInputError("the head needs a positive width and at least 2 bins")


def head_variable_shapes(arch: EncoderHeadArchitecture) -> dict[str, tuple[int, ...]]:
    """``{variable name: shape}`` of the head (TensorFlow layout)."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name: str, kernel: int, inputs: int, outputs: int) -> None:
        shapes[f"head/{name}/weights"] = (kernel, kernel, inputs, outputs)
        shapes[f"head/{name}/biases"] = (outputs,)

    for stride, channels in zip(FEATURE_STRIDES, arch.encoder.feature_channels()):
        conv(f"lateral{stride}", 1, channels, arch.width)
    for stride in FEATURE_STRIDES[-2::-1]:
        conv(f"smooth{stride}", 3, arch.width, arch.width)
    conv("refine", 3, arch.width, arch.width)
    conv("logits", 1, arch.width, arch.bins)
    return shapes


def variable_shapes(arch: EncoderHeadArchitecture) -> dict[str, tuple[int, ...]]:
    """Every variable of the network: encoder then head."""
    return {**encoder_variable_shapes(arch.encoder), **head_variable_shapes(arch)}


def head_weights(arch: EncoderHeadArchitecture, seed: int = 0) -> dict[str, np.ndarray]:
    """Fresh head weights: He-normal kernels, zero biases; small logits (a near-uniform start)."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in head_variable_shapes(arch).items():
        if name.endswith("/weights"):
            gain = 0.1 if name.startswith("head/logits/") else 1.0
            value = rng.standard_normal(shape) * gain * np.sqrt(2.0 / np.prod(shape[:3]))
        else:
            value = np.zeros(shape)
        weights[name] = value.astype(np.float32)
    return weights


def architecture_from_metadata(metadata: dict, shapes: dict[str, tuple[int, ...]]
                               ) -> EncoderHeadArchitecture:
    """The architecture of a model file: encoder from its metadata, head sizes from shapes."""
    if "encoder" not in metadata:
        raise BadInputError("the model's metadata does not describe its encoder")
    encoder = EncoderSpec.from_json(metadata["encoder"])
    logits = shapes.get("head/logits/weights")
    if logits is None or len(logits) != 4:
        raise BadInputError("missing variable head/logits/weights")
    return EncoderHeadArchitecture(encoder, width=int(logits[2]), bins=int(logits[3]))


def build_logits(normalised: tensorflow.Tensor, arch: EncoderHeadArchitecture,
                 trainable_from: int | None = None, folded: bool = False) -> tensorflow.Tensor:
    """Add encoder and head to the default graph: (N, H, W, 1) -> (N, ceil(H/4), ceil(W/4), Q).

    ``normalised`` comes from :func:`algorithms.cnn.efficientnet.encoder_input`; the
    encoder's batch norm always uses its stored statistics (``trainable_from``: the first
    fine-tuned block, ``None`` for a frozen encoder). ``folded``: inference weights with
    the encoder's batch norm folded into its convolutions (:mod:`algorithms.cnn.folding`).
    """
    from algorithms.cnn.efficientnet import build_encoder

    features = build_encoder(normalised, arch.encoder, trainable_from, folded=folded)
    return build_head(features, arch)


def build_head(features: list[tensorflow.Tensor], arch: EncoderHeadArchitecture
               ) -> tensorflow.Tensor:
    """Add the head to the default graph: encoder features at strides 4..32 -> bin logits.

    ``features`` are the encoder's outputs (or the same arrays from a feature cache, fed
    through placeholders): (N, ceil(H / s), ceil(W / s), C_s) for s = 4, 8, 16, 32.
    """
    import tensorflow as tf

    tf1 = tf.compat.v1
    shapes = head_variable_shapes(arch)

    def conv(x, name: str, relu: bool = True):
        with tf1.variable_scope(name):
            kernel = tf1.get_variable("weights", shapes[f"head/{name}/weights"],
                                      initializer=tf1.zeros_initializer())
            biases = tf1.get_variable("biases", shapes[f"head/{name}/biases"],
                                      initializer=tf1.zeros_initializer())
        y = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"), biases)
        return tf.nn.relu(y) if relu else y

    with tf1.variable_scope("head"):
        laterals = [conv(f, f"lateral{s}", relu=False) for s, f in zip(FEATURE_STRIDES, features)]
        x = laterals[-1]
        for stride, lateral in zip(FEATURE_STRIDES[-2::-1], laterals[-2::-1]):
            # Odd sizes: SAME convolutions give ceil(n / 2), so match the finer map exactly.
            x = tf.image.resize(x, tf.shape(lateral)[1:3], method="bilinear")
            x = conv(x + lateral, f"smooth{stride}")
        x = conv(x, "refine")
        return conv(x, "logits", relu=False)
