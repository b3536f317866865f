"""The Zhang et al. (2016) colorization network as a ``tf.compat.v1`` graph.

Graph mode with a Session, variables under the colorization-tf scopes (``conv1`` ..
``conv23``, ``bn_1`` .. ``bn_7``; see :mod:`algorithms.cnn.architecture`), so that a
``tf.compat.v1.train.Saver`` reads and writes checkpoints in that layout. The graph is
built once per :class:`Architecture` and takes any input size (the spatial dimensions
are dynamic), so it is reused across images.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np
import tensorflow as tf

from algorithms.cnn.architecture import Architecture, Layer, layers
from algorithms.cnn.fpn_head import EncoderHeadArchitecture
from algorithms.cnn.model_weights import network_variable_shapes
from algorithms.errors import BadInputError
from algorithms.tf_session import open_session

tf1 = tf.compat.v1


def _conv(x: tf.Tensor, layer: Layer, padding: str, training: bool = False) -> tf.Tensor:
    kernel = tf1.get_variable(
        "weights", (layer.kernel, layer.kernel, layer.in_channels, layer.out_channels),
        initializer=tf1.zeros_initializer(),
    )
    biases = tf1.get_variable("biases", (layer.out_channels,), initializer=tf1.zeros_initializer())
    if layer.stride == 2 and padding == "torch_symmetric":
        # PyTorch pads one pixel on every side; TF 'SAME' pads only bottom/right here.
        x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        y = tf.nn.conv2d(x, kernel, strides=2, padding="VALID")
    elif training and layer.dilation > 1:
        # TF's CPU kernels have no gradient for dilated conv2d; the space-to-batch form
        # computes the same convolution and has one.
        y = tf.nn.atrous_conv2d(x, kernel, rate=layer.dilation, padding="SAME")
    else:
        y = tf.nn.conv2d(x, kernel, strides=layer.stride, padding="SAME",
                         dilations=layer.dilation)
    y = tf.nn.bias_add(y, biases)
    return tf.nn.relu(y) if layer.relu else y


def _deconv(x: tf.Tensor, layer: Layer) -> tf.Tensor:
    # Kernel 4, stride 2, 'SAME': one pixel cropped on each side, as PyTorch's padding=1.
    kernel = tf1.get_variable(
        "weights", (layer.kernel, layer.kernel, layer.out_channels, layer.in_channels),
        initializer=tf1.zeros_initializer(),
    )
    biases = tf1.get_variable("biases", (layer.out_channels,), initializer=tf1.zeros_initializer())
    shape = tf.shape(x)
    output_shape = tf.stack([shape[0], 2 * shape[1], 2 * shape[2], layer.out_channels])
    y = tf.nn.conv2d_transpose(x, kernel, output_shape, strides=2, padding="SAME")
    return tf.nn.relu(tf.nn.bias_add(y, biases))


def _batch_norm(x: tf.Tensor, layer: Layer, epsilon: float, training: bool = False,
                momentum: float = 0.99, folded: bool = False) -> tf.Tensor:
    shape = (layer.out_channels,)
    if folded:  # scale and offset computed once (algorithms.cnn.folding)
        return x * tf1.get_variable("scale", shape) + tf1.get_variable("offset", shape)
    gamma = tf1.get_variable("gamma", shape, initializer=tf1.ones_initializer())
    beta = tf1.get_variable("beta", shape, initializer=tf1.zeros_initializer())
    # The moving statistics are state, not parameters: an optimiser must not touch them.
    mean = tf1.get_variable("moving_mean", shape, initializer=tf1.zeros_initializer(),
                            trainable=False)
    variance = tf1.get_variable("moving_variance", shape, initializer=tf1.ones_initializer(),
                                trainable=False)
    if training:
        # Batch statistics; the moving averages are updated by ops in UPDATE_OPS.
        batch_mean, batch_variance = tf.nn.moments(x, axes=[0, 1, 2])
        for moving, batch in ((mean, batch_mean), (variance, batch_variance)):
            update = tf1.assign(moving, momentum * moving + (1.0 - momentum) * batch)
            tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update)
        mean, variance = batch_mean, batch_variance
    # Inference form: one multiply-add per element (grappler folds the constants).
    scale = gamma * tf.math.rsqrt(variance + epsilon)
    return x * scale + (beta - mean * scale)


def build_logits(normalised_l: tf.Tensor, arch: Architecture | EncoderHeadArchitecture,
                 training: bool = False, trainable_from: int | None = None,
                 folded: bool = False) -> tf.Tensor:
    """Add the network to the default graph: (N, H, W, 1) input -> (N, H/4, W/4, bins) logits.

    ``training=True`` normalises with batch statistics and adds the moving-average
    updates to ``tf.compat.v1.GraphKeys.UPDATE_OPS`` (training code runs them).

    ``normalised_l`` is the lightness already normalised as the model expects
    (for example ``L - 50`` or ``(L - 50) / 100``). H and W must be multiples of 8 for the
    output to be exactly a quarter of the input.

    An :class:`EncoderHeadArchitecture` builds EfficientNet-Lite0 + the top-down head
    (:mod:`algorithms.cnn.fpn_head`) instead; its encoder's batch norm always uses the
    stored statistics, and ``trainable_from`` names its first fine-tuned block.

    ``folded=True`` (inference) takes the weights of
    :func:`algorithms.cnn.folding.fold_batch_norm`: batch norm folded into the
    convolutions where it directly follows one, else as a precomputed multiply-add.
    """
    if isinstance(arch, EncoderHeadArchitecture):
        from algorithms.cnn import fpn_head

        return fpn_head.build_logits(normalised_l, arch, trainable_from, folded)
    x = normalised_l
    for layer in layers(arch):
        with tf1.variable_scope(layer.name):
            if layer.kind == "conv":
                x = _conv(x, layer, arch.padding, training)
            elif layer.kind == "deconv":
                x = _deconv(x, layer)
            else:
                x = _batch_norm(x, layer, arch.bn_epsilon, training, folded=folded)
    return x


class Network:
    """A built graph, its Session and the ops that load weights into it.

    Parameters
    ----------
    arch : Architecture
        Widths, bin count, padding convention and batch-norm epsilon.
    threads : int, optional
        Threads per op (0: TensorFlow's choice, all cores).
    constants : dict, optional
        Weights (TensorFlow names and layouts) built into the graph as constants instead of
        variables, batch norm folded (:mod:`algorithms.cnn.folding`): an inference network
        that starts several times sooner (no variable bookkeeping, assign ops or Saver: 329
        ops instead of 3,575 for effnet_lite0, and no graph-optimisation pass before its
        first run). :meth:`load_weights` then rebuilds it.
    """

    def __init__(self, arch: Architecture | EncoderHeadArchitecture, threads: int = 0,
                 constants: dict[str, np.ndarray] | None = None) -> None:
        self.arch = arch
        self.threads = threads
        #: Native-resolution inputs are padded to a multiple of this.
        self.size_multiple = int(getattr(arch, "size_multiple", 8))
        #: Number of forward passes run, one per image of a batch (the re-decoding tests
        #: count these).
        self.forward_runs = 0
        self._constants = None if constants is None else self._checked(constants)
        self.variables: dict = {}
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.input = tf1.placeholder(tf.float32, (None, None, None, 1), name="normalised_l")
            if self._constants is not None:
                from algorithms.cnn.folding import fold_batch_norm

                weights = fold_batch_norm(arch, self._constants)

                def constant(getter, name: str, *args, **kwargs) -> tf.Tensor:
                    return tf.constant(weights[name], name=name.replace("/", "_"))

                with tf1.variable_scope("", custom_getter=constant):
                    self.logits = build_logits(self.input, arch, folded=True)
            else:
                self.logits = build_logits(self.input, arch)
                self.variables = {
                    variable.op.name: variable for variable in tf1.global_variables()
                }
                self._feeds = {}
                assigns = []
                for name, variable in self.variables.items():
                    feed = tf1.placeholder(tf.float32, variable.shape, name=f"load/{name}")
                    self._feeds[name] = feed
                    assigns.append(tf1.assign(variable, feed, validate_shape=True))
                self._load_op = tf.group(*assigns)
                self.saver = tf1.train.Saver(self.variables, max_to_keep=None)
        # Grappler's passes cost 0.3 s before the first run of the constant graph and did
        # not make later runs faster (56 against 65 ms at 256 x 256): off for it.
        self.session = open_session(tf, self.graph, threads,
                                    graph_optimisation=self._constants is None)
        self._warm_up: Future | None = None

    def _checked(self, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``weights`` as float32, every variable of the architecture present, shapes checked."""
        expected = network_variable_shapes(self.arch)
        checked = {}
        for name, shape in expected.items():
            if name not in weights:
                raise BadInputError(f"missing variable {name}")
            value = np.asarray(weights[name], dtype=np.float32)
            if value.shape != shape:
                raise BadInputError(
                    f"variable {name} has shape {value.shape}, expected {shape}"
                )
            checked[name] = value
        return checked

    def load_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Assign every variable from ``weights`` (TensorFlow names and layouts)."""
        checked = self._checked(weights)
        if self._constants is not None:  # constants cannot be assigned: built anew
            self.close()
            self.__init__(self.arch, self.threads, constants=checked)  # type: ignore[misc]
            return
        feed = {self._feeds[name]: value for name, value in checked.items()}
        self.session.run(self._load_op, feed_dict=feed)

    def read_weights(self) -> dict[str, np.ndarray]:
        """The current values of all variables, by name."""
        if self._constants is not None:
            return {name: value.copy() for name, value in self._constants.items()}
        values = self.session.run(self.variables)
        return {name: np.asarray(value) for name, value in values.items()}

    def warm_up(self, height: int = 32, width: int = 32) -> None:
        """Run the network once on zeros (1, ``height``, ``width``) in a background thread.

        TensorFlow sets a session up on its first run (the graph handed to the session,
        kernels created, buffers allocated: about 0.1 s for effnet_lite0, more at the first
        run of each input size). Started when the network is built, that happens while the
        caller reads its photo; :meth:`run` waits for it, and raises what it raised.
        """
        zeros = np.zeros((1, height, width, 1), np.float32)
        pool = ThreadPoolExecutor(1, thread_name_prefix="network-warm-up")
        self._warm_up = pool.submit(self.session.run, self.logits, {self.input: zeros})
        pool.shutdown(wait=False)

    def _warmed_up(self) -> None:
        """Wait for a warm-up run (see :meth:`warm_up`) to finish; raise its error."""
        if self._warm_up is not None:
            warm_up, self._warm_up = self._warm_up, None
            warm_up.result()

    def run(self, normalised_l: np.ndarray) -> np.ndarray:
        """Logits (N, H/4, W/4, bins) for a batch (N, H, W) or one image (H, W) of inputs."""
        self._warmed_up()
        batch = np.asarray(normalised_l, dtype=np.float32)
        single = batch.ndim == 2
        if single:
            batch = batch[None]
        if batch.ndim != 3 or batch.shape[1] % 8 or batch.shape[2] % 8:
            raise BadInputError(f"network input must be (N, H, W) with H, W multiples of 8, "
                                f"got {batch.shape}")
        logits = self.session.run(self.logits, feed_dict={self.input: batch[..., None]})
        self.forward_runs += len(batch)
        return logits[0] if single else logits

    def save_checkpoint(self, prefix: str) -> str:
        """Write a TF1 checkpoint (colorization-tf layout); returns the prefix written."""
        if self._constants is not None:  # through a network with variables
            with Network(self.arch, self.threads) as variables:
                variables.load_weights(self._constants)
                return variables.save_checkpoint(prefix)
        with self.graph.as_default():  # outside it TF 2 would try to save eagerly
            return self.saver.save(self.session, prefix, write_meta_graph=False)

    def close(self) -> None:
        if self._warm_up is not None:  # a session must not close under a run
            wait([self._warm_up])
        self.session.close()

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_network(arch: Architecture | EncoderHeadArchitecture,
                  weights: dict[str, np.ndarray] | None = None, threads: int = 0,
                  frozen: bool = False) -> Network:
    """Build the graph for ``arch`` and load ``weights`` into it if given (``frozen``: as
    constants, for inference; see :class:`Network`)."""
    if frozen and weights is not None:
        return Network(arch, threads=threads, constants=weights)
    network = Network(arch, threads=threads)
    if weights is not None:
        network.load_weights(weights)
    return network
