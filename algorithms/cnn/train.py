"""Training the colorization network: the Trainer (graph, loss, Adam) and the step loop.

The method: docs/methods.md, 'Training: soft-encoding and class rebalancing'.

The engine works on in-memory arrays only: lightness L in [0, 100] and ab in CIELAB
units. It builds the very network that inference uses (:func:`build_logits`), in
training mode (batch statistics), and trains it with Adam on the class-rebalanced
multinomial cross-entropy against soft-encoded ab targets (built by
:mod:`algorithms.cnn.bins`). Checkpoint files are the command's business:
:meth:`Trainer.state` and :meth:`Trainer.restore` give and take every variable (network,
batch-norm statistics, Adam moments, step) as arrays.

The same trainer trains the EfficientNet-Lite0 encoder + top-down head
(:class:`~algorithms.cnn.fpn_head.EncoderHeadArchitecture`): the encoder starts from the
ImageNet weights and stays frozen (batch norm on its stored statistics), or its blocks
from ``finetune_from`` on are fine-tuned at a lower learning rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from algorithms.cnn.architecture import Architecture, layers
from algorithms.cnn.bins import quarter_ab, soft_encode
from algorithms.cnn.fpn_head import EncoderHeadArchitecture, head_weights
from algorithms.cnn.model_weights import network_variable_shapes
from algorithms.errors import BadInputError, CancelledError
from algorithms.progress import CancelCheck, ProgressCallback
from algorithms.tf_session import open_session

#: Input normalisation of models trained here: (L - 50) / 100.
INPUT_OFFSET, INPUT_SCALE = 50.0, 100.0


# ---------------------------------------------------------------------------------------------
# Initial weights


def he_weights(arch: Architecture | EncoderHeadArchitecture, seed: int = 0
               ) -> dict[str, np.ndarray]:
    """Fresh weights: He-normal kernels, zero biases, identity batch norm.

    For an EncoderHeadArchitecture only the head's (the encoder's come pretrained).
    """
    if isinstance(arch, EncoderHeadArchitecture):
        return head_weights(arch, seed)
    rng = np.random.default_rng(seed)
    weights = {}
    kernels = {layer.name: layer for layer in layers(arch) if layer.kind != "bn"}
    for name, shape in network_variable_shapes(arch).items():
        scope, part = name.split("/")
        if part == "weights":
            layer = kernels[scope]
            fan_in = layer.kernel * layer.kernel * layer.in_channels
            gain = 1.0 if layer.relu else 0.1  # small initial logits: a near-uniform start
            value = rng.standard_normal(shape) * gain * np.sqrt(2.0 / fan_in)
        elif part in ("gamma", "moving_variance"):
            value = np.ones(shape)
        else:
            value = np.zeros(shape)
        weights[name] = value.astype(np.float32)
    return weights


# ---------------------------------------------------------------------------------------------
# The trainer


@dataclass
class Batch:
    """Training or validation data: L (N, H, W) in [0, 100] and ab (N, H, W, 2); H, W % 8 == 0."""

    lightness: np.ndarray
    ab: np.ndarray


@dataclass
class FeatureBatch:
    """Cached training data of a frozen encoder: its features and the ab on the logits' grid.

    ``features`` are (N, h_s, w_s, C_s) at strides 4, 8, 16, 32 (float16 or float32);
    ``ab_quarter`` is (N, h_4, w_4, 2), the mean ab of each 4 x 4 block
    (:func:`~algorithms.cnn.bins.quarter_ab`).
    """

    features: list
    ab_quarter: np.ndarray


class Trainer:
    """The network in training mode, its loss and an Adam optimiser, in one TF1 graph.

    Parameters
    ----------
    arch : Architecture
        Network shape; ``arch.bins`` must equal ``len(bins)``.
    bins : (Q, 2) ndarray
        ab bin centres.
    class_weights : (Q,) ndarray
        Rebalancing weight of each bin (:func:`~algorithms.cnn.decode.rebalancing_weights`).
    learning_rate : float
        Adam's step size at the start; it decays to a tenth along a cosine.
    total_steps : int
        Length of the schedule.
    seed : int
        Seed of the initial weights.
    encoder_weights : dict, optional
        The pretrained encoder's variables (required for an EncoderHeadArchitecture).
    finetune_from : int, optional
        EncoderHeadArchitecture only: fine-tune the encoder blocks from this index on,
        at ``finetune_lr`` (same schedule); ``None`` keeps the encoder frozen.
    from_features : bool
        EncoderHeadArchitecture only: train on :class:`FeatureBatch` es of cached encoder
        outputs. With a frozen encoder the graph holds the head alone and the features are
        the encoder's; with ``finetune_from`` = k it holds blocks k on and the head, and
        the features are the lower blocks' outputs at
        :func:`~algorithms.cnn.efficientnet.cache_points` (spec, k). The encoder's weights
        are still given; those of the cached part are kept for :meth:`network_weights`.
    """

    def __init__(self, arch: Architecture | EncoderHeadArchitecture, bins: np.ndarray,
                 class_weights: np.ndarray, learning_rate: float = 3e-4,
                 total_steps: int = 1000, seed: int = 0, threads: int = 0,
                 encoder_weights: dict[str, np.ndarray] | None = None,
                 finetune_from: int | None = None, finetune_lr: float = 3e-5,
                 from_features: bool = False) -> None:
        import tensorflow as tf

        from algorithms.cnn.fpn_head import build_head
        from algorithms.cnn.network import build_logits

        tf1 = tf.compat.v1
        if arch.bins != len(bins) or np.shape(class_weights) != (len(bins),):
            raise BadInputError("bins, class weights and the network's output size disagree")
        self.arch, self.bins = arch, np.asarray(bins, dtype=np.float32)
        self.class_weights = np.asarray(class_weights, dtype=np.float32)
        self.learning_rate, self.total_steps = float(learning_rate), int(total_steps)
        self.encoder_head = isinstance(arch, EncoderHeadArchitecture)
        if self.encoder_head and encoder_weights is None:
            raise BadInputError("the EfficientNet model needs its pretrained encoder weights")
        if from_features and not self.encoder_head:
            raise BadInputError("training from cached features needs the EfficientNet encoder")
        self.from_features = from_features
        self._encoder_weights: dict[str, np.ndarray] = {}
        cached_names: set[str] = set()
        if from_features:
            from algorithms.cnn.efficientnet import lower_variable_names

            spec = cast(EncoderHeadArchitecture, arch).encoder
            cached_names = set(lower_variable_names(spec, finetune_from))
            self._encoder_weights = {k: v for k, v in (encoder_weights or {}).items()
                                     if k in cached_names}
        self.graph = tf.Graph()
        with self.graph.as_default():
            self._input = tf1.placeholder(tf.float32, (None, None, None, 1), "normalised_l")
            channels: list[int] = []
            if isinstance(arch, EncoderHeadArchitecture):
                from algorithms.cnn.efficientnet import cache_points, point_channels

                channels = (point_channels(arch.encoder, cache_points(arch.encoder,
                                                                      finetune_from))
                            if from_features else arch.encoder.feature_channels())
            self._features = [tf1.placeholder(tf.float32, (None, None, None, c), f"feature{i}")
                              for i, c in enumerate(channels)]
            self._index = tf1.placeholder(tf.int32, (None, None, None, None), "target_bins")
            self._soft = tf1.placeholder(tf.float32, (None, None, None, None), "target_weights")
            self._pixel_weight = tf1.placeholder(tf.float32, (None, None, None), "pixel_weight")
            self._lr = tf1.placeholder(tf.float32, (), "learning_rate")
            if from_features:
                from algorithms.cnn.efficientnet import build_encoder

                # Neither the head nor the encoder's batch norm (always on its stored
                # statistics) differ in training: training and inference graphs are the same.
                encoder_head = cast(EncoderHeadArchitecture, arch)
                features = self._features
                if finetune_from is not None:
                    features = build_encoder(None, encoder_head.encoder, finetune_from,
                                             start=finetune_from, cached=self._features)
                train_logits = self._eval_logits = build_head(features, encoder_head)
            else:
                train_logits = build_logits(self._input, arch, training=True,
                                            trainable_from=finetune_from)
                with tf1.variable_scope(tf1.get_variable_scope(), reuse=True):
                    self._eval_logits = build_logits(self._input, arch, training=False,
                                                     trainable_from=finetune_from)
            self._train_loss = self._loss(tf, train_logits)
            self._eval_loss = self._loss(tf, self._eval_logits)
            self._step = tf1.train.get_or_create_global_step()
            optimiser = tf1.train.AdamOptimizer(self._lr, beta1=0.9, beta2=0.99)
            trainable = tf1.trainable_variables()
            head = [v for v in trainable if not v.op.name.startswith("encoder/")]
            encoder = [v for v in trainable if v.op.name.startswith("encoder/")]
            with tf.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
                # One backward pass for both groups of variables.
                gradients = tf.gradients(self._train_loss, head + encoder)
                self._train_op = optimiser.apply_gradients(
                    zip(gradients[:len(head)], head), global_step=self._step)
                if encoder:
                    # Fine-tuning: the encoder's blocks follow the same schedule, scaled.
                    slow = tf1.train.AdamOptimizer(self._lr * (finetune_lr / learning_rate),
                                                   beta1=0.9, beta2=0.99, name="AdamFinetune")
                    self._train_op = tf.group(self._train_op, slow.apply_gradients(
                        zip(gradients[len(head):], encoder)))
            self._all = {v.op.name: v for v in tf1.global_variables()}
            self._network_names = [name for name in network_variable_shapes(arch)
                                   if name in self._all]
            self._feeds, assigns = {}, []
            for name, variable in self._all.items():
                feed = tf1.placeholder(variable.dtype.base_dtype, variable.shape, f"set/{name}")
                self._feeds[name] = feed
                assigns.append(tf1.assign(variable, feed))
            self._assign_ops = dict(zip(self._all, assigns))
            init = tf1.global_variables_initializer()
        self.session = open_session(tf, self.graph, threads)
        self.session.run(init)
        self.set_weights(he_weights(arch, seed))
        if encoder_weights is not None:
            self.set_weights({k: v for k, v in encoder_weights.items()
                              if k not in cached_names})

    def _loss(self, tf, logits):
        log_p = tf.nn.log_softmax(logits)
        picked = tf.gather(log_p, self._index, batch_dims=3)  # (N, h, w, neighbours)
        cross_entropy = -tf.reduce_sum(self._soft * picked, axis=-1)
        return tf.reduce_mean(self._pixel_weight * cross_entropy)

    # -- state ------------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return int(self.session.run(self._step))

    def set_weights(self, values: dict[str, np.ndarray]) -> None:
        """Assign the variables named in ``values`` (network, Adam slots or the step)."""
        unknown = sorted(set(values) - set(self._all))
        if unknown:
            raise BadInputError(f"checkpoint holds unknown variable {unknown[0]}")
        ops = [self._assign_ops[name] for name in values]
        feed = {self._feeds[name]: np.asarray(value) for name, value in values.items()}
        self.session.run(ops, feed_dict=feed)

    def load_network(self, weights: dict[str, np.ndarray]) -> None:
        """Start from a model's network weights: the graph's are assigned, those of a
        cached lower encoder are kept for :meth:`network_weights`."""
        cached = {k: np.asarray(v) for k, v in weights.items()
                  if k in self._encoder_weights and k not in self._all}
        self._encoder_weights.update(cached)
        self.set_weights({k: v for k, v in weights.items() if k not in cached})

    def network_weights(self) -> dict[str, np.ndarray]:
        """The network's variables (what a model file holds), the cached encoder's included."""
        names = self._network_names
        trained = dict(zip(names, self.session.run([self._all[n] for n in names])))
        return {**self._encoder_weights, **trained}

    def state(self) -> dict[str, np.ndarray]:
        """Every variable: network, batch-norm statistics, Adam moments and the step."""
        return {k: np.asarray(v) for k, v in self.session.run(self._all).items()}

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Put back a :meth:`state`; every variable must be there with its shape."""
        for name, variable in self._all.items():
            if name not in state:
                raise BadInputError(f"checkpoint lacks variable {name}")
            if tuple(np.shape(state[name])) != tuple(variable.shape.as_list()):
                raise BadInputError(f"checkpoint variable {name} has the wrong shape")
        self.set_weights(state)

    # -- steps ------------------------------------------------------------------------------

    def current_learning_rate(self, step: int | None = None) -> float:
        """Cosine decay from ``learning_rate`` to a tenth of it over ``total_steps``."""
        step = self.step if step is None else step
        fraction = min(step / max(self.total_steps, 1), 1.0)
        return self.learning_rate * (0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * fraction)))

    def _feed(self, batch: Batch | FeatureBatch) -> dict:
        if isinstance(batch, FeatureBatch) != self.from_features:
            raise BadInputError("this trainer takes " + ("cached features" if self.from_features
                                                         else "photo crops"))
        if isinstance(batch, FeatureBatch):  # the same as self.from_features, checked above
            index, soft = soft_encode(np.asarray(batch.ab_quarter, dtype=np.float64), self.bins)
            feed = {placeholder: np.asarray(value, dtype=np.float32)
                    for placeholder, value in zip(self._features, batch.features)}
            feed.update({self._index: index, self._soft: soft,
                         self._pixel_weight: self.class_weights[index[..., 0]]})
            return feed
        lightness = np.asarray(batch.lightness, dtype=np.float32)
        if lightness.ndim != 3 or lightness.shape[1] % 8 or lightness.shape[2] % 8:
            raise BadInputError(f"training crops must be (N, H, W), H and W multiples of 8, "
                                f"got {lightness.shape}")
        ab = quarter_ab(np.asarray(batch.ab, dtype=np.float64))
        index, soft = soft_encode(ab, self.bins)
        pixel_weight = self.class_weights[index[..., 0]]  # the weight of the nearest bin
        if self.encoder_head:
            from algorithms.cnn.efficientnet import encoder_input

            normalised = encoder_input(lightness)
        else:
            normalised = (lightness - INPUT_OFFSET) / INPUT_SCALE
        return {self._input: normalised[..., None], self._index: index, self._soft: soft,
                self._pixel_weight: pixel_weight}

    def train_step(self, batch: Batch | FeatureBatch) -> float:
        """One Adam step on ``batch``; returns its loss (before the step)."""
        feed = self._feed(batch)
        feed[self._lr] = self.current_learning_rate()
        loss, _ = self.session.run([self._train_loss, self._train_op], feed_dict=feed)
        return float(loss)

    def evaluate(self, batch: Batch, temperature: float = 0.38) -> tuple[float, float]:
        """Validation loss (inference-mode network) and raw AuC of the annealed-mean ab."""
        from algorithms.cnn.decode import annealed_mean, upsample_ab
        from algorithms.metrics import raw_auc

        losses, aucs = [], []
        for i in range(len(batch.lightness)):
            one = Batch(batch.lightness[i:i + 1], batch.ab[i:i + 1])
            loss, logits = self.session.run([self._eval_loss, self._eval_logits],
                                            feed_dict=self._feed(one))
            ab = upsample_ab(annealed_mean(logits[0], self.bins, temperature),
                             one.lightness.shape[1:])
            losses.append(float(loss))
            aucs.append(raw_auc(ab, one.ab[0]))
        return float(np.mean(losses)), float(np.mean(aucs))

    def evaluate_features(self, batch: FeatureBatch, temperature: float = 0.38
                          ) -> tuple[float, float]:
        """As :meth:`evaluate`, on cached features; AuC on the logits' grid (no upsampling)."""
        from algorithms.cnn.decode import annealed_mean
        from algorithms.metrics import raw_auc

        losses, aucs = [], []
        for i in range(len(batch.ab_quarter)):
            one = FeatureBatch([f[i:i + 1] for f in batch.features], batch.ab_quarter[i:i + 1])
            loss, logits = self.session.run([self._eval_loss, self._eval_logits],
                                            feed_dict=self._feed(one))
            losses.append(float(loss))
            aucs.append(raw_auc(annealed_mean(logits[0], self.bins, temperature),
                                np.asarray(one.ab_quarter[0], dtype=np.float32)))
        return float(np.mean(losses)), float(np.mean(aucs))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_training(trainer: Trainer, batches: Iterator[Batch], steps: int,
                 checkpoint: Callable[[], None], checkpoint_seconds: float = 300.0,
                 on_step: Callable[[int, float], None] | None = None,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None,
                 clock: Callable[[], float] = time.monotonic) -> int:
    """Train until ``trainer.step == steps``, checkpointing every ``checkpoint_seconds``.

    ``checkpoint()`` is called on schedule, at the end, and when ``cancelled()`` turns
    true (then CancelledError is raised after it). ``on_step(step, loss)`` sees each
    step. Returns the final step.
    """
    step = trainer.step
    last_checkpoint = clock()
    while step < steps:
        if cancelled is not None and cancelled():
            checkpoint()
            raise CancelledError(f"interrupted at step {step}")
        loss = trainer.train_step(next(batches))
        step = trainer.step
        if on_step is not None:
            on_step(step, loss)
        if progress is not None:
            progress(step / steps, f"step {step}/{steps} loss {loss:.3f}")
        if clock() - last_checkpoint >= checkpoint_seconds and step < steps:
            checkpoint()
            last_checkpoint = clock()
    checkpoint()
    return step
