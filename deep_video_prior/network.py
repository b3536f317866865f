"""The Deep Video Prior U-Net and its losses as a ``tf.compat.v1`` graph.

The authors' network: a 1x1 first convolution, five levels of two 3x3 convolutions
(widths w, 2w, 4w, 8w, 16w) with 2x2 max pooling between them, then four levels up, each
a bilinear x2 resize and a 3x3 convolution concatenated with the skip connection and
followed by two 3x3 convolutions; leaky ReLU 0.2, no normalisation, a linear last layer.
With IRT the last layer gives two outputs (main and minor) of ``channels`` each.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from algorithms.errors import BadInputError
from algorithms.tf_session import open_session

tf1 = tf.compat.v1

#: Spatial sides must be multiples of this (four 2x2 poolings).
SIDE_MULTIPLE = 16
#: IRT divides errors by (input + this), as the authors do.
IRT_OFFSET = 0.1
#: The warm-up loss weighs the minor output by this (the authors' 0.9).
WARMUP_MINOR_WEIGHT = 0.9


def _leaky_relu(x: tf.Tensor) -> tf.Tensor:
    return tf.maximum(0.2 * x, x)


def _conv(x: tf.Tensor, channels: int, kernel: int, name: str, activation: bool = True
          ) -> tf.Tensor:
    in_channels = int(x.shape[-1])
    with tf1.variable_scope(name):
        weights = tf1.get_variable(
            "weights", (kernel, kernel, in_channels, channels),
            # He initialisation (the authors use Xavier): it keeps the signal through the
            # 23 leaky-ReLU layers, and the network learns within the few epochs a CPU allows.
            initializer=tf1.variance_scaling_initializer(2.0),
        )
        biases = tf1.get_variable("biases", (channels,), initializer=tf1.zeros_initializer())
        y = tf.nn.bias_add(tf.nn.conv2d(x, weights, strides=1, padding="SAME"), biases)
    return _leaky_relu(y) if activation else y


def _pool(x: tf.Tensor) -> tf.Tensor:
    return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")


def _up_and_concat(x: tf.Tensor, skip: tf.Tensor, channels: int, name: str) -> tf.Tensor:
    size = tf.shape(skip)[1:3]
    up = tf.image.resize(x, size, method="bilinear")
    up.set_shape([None, None, None, int(x.shape[-1])])
    return tf.concat([_conv(up, channels, 3, name, activation=False), skip], axis=3)


def build_unet(gray: tf.Tensor, width: int, out_channels: int) -> tf.Tensor:
    """Add the U-Net to the default graph: (N, H, W, C_in) -> (N, H, W, out_channels).

    H and W must be multiples of :data:`SIDE_MULTIPLE`.
    """
    x = _conv(gray, width, 1, "conv1_1")
    skips = []
    for level in range(5):
        channels = width * 2**level
        if level:
            x = _conv(_pool(x), channels, 3, f"conv{level + 1}_1")
        x = _conv(x, channels, 3, f"conv{level + 1}_2")
        skips.append(x)
    for level in range(3, -1, -1):
        channels = width * 2**level
        name = f"conv{9 - level}"
        x = _up_and_concat(x, skips[level], channels, f"up{4 - level}")
        x = _conv(x, channels, 3, f"{name}_1")
        if level:
            x = _conv(x, channels, 3, f"{name}_2")
    return _conv(x, out_channels, 3, "conv9_2", activation=False)


def irt_confidence(main: tf.Tensor, minor: tf.Tensor, target: tf.Tensor, gray: tf.Tensor
                   ) -> tf.Tensor:
    """1 where the main output wins: its input-normalised error, maxed over channels, is smaller."""
    scale = 1.0 / (gray + IRT_OFFSET)
    main_error = tf.reduce_max(tf.abs(main - target) * scale, axis=3, keepdims=True)
    minor_error = tf.reduce_max(tf.abs(minor - target) * scale, axis=3, keepdims=True)
    return tf.cast(main_error < minor_error, tf.float32)


def irt_loss(main: tf.Tensor, minor: tf.Tensor, target: tf.Tensor, gray: tf.Tensor) -> tf.Tensor:
    """The IRT loss: mean(|main - P| * win) + mean(|minor - P| * (1 - win)).

    The confidence mask is a constant for the gradient (a comparison has none anyway).
    """
    win = tf.stop_gradient(irt_confidence(main, minor, target, gray))
    return (tf.reduce_mean(tf.abs(main - target) * win)
            + tf.reduce_mean(tf.abs(minor - target) * (1.0 - win)))


class DvpNetwork:
    """One U-Net in its own graph and Session, with its Adam training steps.

    Parameters
    ----------
    width : int
        Base width (channels of the first level).
    channels : int
        Channels of each output (2 for chroma, 3 for RGB).
    irt : bool
        Two outputs (main, minor) trained by IRT; otherwise one output trained by L1.
    learning_rate : float
        Adam learning rate.
    seed : int
        Graph-level seed of the initialisation.
    threads : int
        Threads per op (0: TensorFlow's choice).
    """

    def __init__(self, width: int, channels: int, irt: bool, learning_rate: float,
                 seed: int = 0, threads: int = 0) -> None:
        self.channels, self.irt = channels, irt
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf1.set_random_seed(seed)
            self.gray = tf1.placeholder(tf.float32, (1, None, None, 1), name="gray")
            self.target = tf1.placeholder(tf.float32, (1, None, None, channels), name="target")
            # Centred input: with no normalisation layers this speeds up the first epochs.
            outputs = build_unet(self.gray - 0.5, width, channels * (2 if irt else 1))
            self.main = outputs[..., :channels]
            self.losses = {}
            if irt:
                self.minor = outputs[..., channels:]
                self.losses["irt"] = irt_loss(self.main, self.minor, self.target, self.gray)
                self.losses["warmup"] = (
                    tf.reduce_mean(tf.abs(self.main - self.target))
                    + WARMUP_MINOR_WEIGHT * tf.reduce_mean(tf.abs(self.minor - self.target)))
            else:
                self.losses["l1"] = tf.reduce_mean(tf.abs(self.main - self.target))
            init = tf1.global_variables_initializer()
        self._learning_rate = learning_rate
        # Built on first use (a gradient graph costs about a second): one Adam per loss,
        # as the authors, so switching losses does not share moments.
        self._train_ops: dict[str, tf.Operation] = {}
        self.session = open_session(tf, self.graph, threads)
        self.session.run(init)
        #: Training steps run (tests count these).
        self.steps = 0

    @property
    def loss_kinds(self) -> tuple[str, ...]:
        """The losses this network trains: ("irt", "warmup") or ("l1",)."""
        return tuple(self.losses)

    def _feed(self, gray: np.ndarray, target: np.ndarray | None = None) -> dict:
        gray = np.asarray(gray, np.float32)
        if gray.ndim != 2 or gray.shape[0] % SIDE_MULTIPLE or gray.shape[1] % SIDE_MULTIPLE:
            raise BadInputError(f"network input must be (H, W) with H, W multiples of "
                                f"{SIDE_MULTIPLE}, got {gray.shape}")
        feed = {self.gray: gray[None, ..., None]}
        if target is not None:
            feed[self.target] = np.asarray(target, np.float32)[None]
        return feed

    def _train_op(self, kind: str) -> tf.Operation:
        if kind not in self._train_ops:
            with self.graph.as_default():
                optimizer = tf1.train.AdamOptimizer(self._learning_rate, name=f"adam_{kind}")
                self._train_ops[kind] = optimizer.minimize(self.losses[kind])
                self.session.run(tf1.variables_initializer(optimizer.variables()))
        return self._train_ops[kind]

    def train_step(self, kind: str, gray: np.ndarray, target: np.ndarray) -> float:
        """One Adam step on loss ``kind`` for one frame; returns the loss before the step.

        ``gray`` is (H, W) in [0, 1], ``target`` (H, W, channels).
        """
        _, loss = self.session.run([self._train_op(kind), self.losses[kind]],
                                   self._feed(gray, target))
        self.steps += 1
        return float(loss)

    def outputs(self, gray: np.ndarray) -> tuple[np.ndarray, ...]:
        """(main,) or (main, minor) for one frame, each (H, W, channels) float32."""
        tensors = (self.main, self.minor) if self.irt else (self.main,)
        return tuple(out[0] for out in self.session.run(tensors, self._feed(gray)))

    def predict(self, gray: np.ndarray) -> np.ndarray:
        """The main output (H, W, channels) float32 for one frame (H, W) in [0, 1]."""
        return self.session.run(self.main, self._feed(gray))[0]

    def loss(self, kind: str, gray: np.ndarray, target: np.ndarray) -> float:
        """The value of loss ``kind`` for one frame, without training."""
        return float(self.session.run(self.losses[kind], self._feed(gray, target)))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DvpNetwork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
