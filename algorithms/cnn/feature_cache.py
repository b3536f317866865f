"""Training from cached encoder outputs: the frozen part of the encoder runs once per crop.

With the EfficientNet encoder frozen, its features of a crop never change, so they are
computed once per crop (:class:`FeatureEncoder`) and the head is trained on them for many
epochs (:class:`FeatureCache`, fed to a ``Trainer(..., from_features=True)``). When the
upper blocks are fine-tuned from block ``start`` on, the frozen lower blocks' outputs (the
input of block ``start`` and the feature taps below it,
:func:`algorithms.cnn.efficientnet.cache_points`) are cached instead, and the trainer runs
only the upper blocks and the head. Each photo
gives ``views`` crops, cut and flipped as the photo-based training does
(:func:`algorithms.cnn.training_data.random_crop`); their features are stored as float16
(about 0.2 MB a 192-pixel crop for the whole encoder's features, 0.11 MB for block 2's
output when blocks 3 on are fine-tuned), their ab as the mean of each 4 x 4 block (the logits'
grid), also float16. Writing a cache to disk and reading it back is the caller's business:
:meth:`FeatureCache.arrays` and :meth:`FeatureCache.from_arrays`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from algorithms.cnn.bins import quarter_ab
from algorithms.cnn.efficientnet import (
    EncoderSpec,
    cache_points,
    encoder_variable_shapes,
    lower_variable_names,
    point_channels,
)
from algorithms.cnn.train import FeatureBatch
from algorithms.errors import BadInputError, CancelledError
from algorithms.progress import CancelCheck, ProgressCallback
from algorithms.tf_session import open_session

#: Crops encoded per network run.
ENCODE_BATCH = 16


class FeatureEncoder:
    """The frozen encoder in its own graph, built once: L crops -> features at strides 4..32
    (or, with ``start``, the lower blocks' outputs that training blocks ``start`` on needs).

    Parameters
    ----------
    weights : dict
        The encoder's variables (``encoder/...``), as a model file or the converter holds them.
    spec : EncoderSpec
        Its blocks.
    threads : int
        TensorFlow threads per op (0: all cores).
    start : int or None
        The first block that is trained from the cache; None: the whole encoder is frozen.
    """

    def __init__(self, weights: dict[str, np.ndarray], spec: EncoderSpec, threads: int = 0,
                 start: int | None = None):
        import tensorflow as tf

        from algorithms.cnn.efficientnet import build_lower_encoder

        tf1 = tf.compat.v1
        shapes = encoder_variable_shapes(spec)
        for name, shape in shapes.items():
            if name not in weights:
                raise BadInputError(f"missing variable {name}")
            if np.shape(weights[name]) != shape:
                raise BadInputError(f"variable {name} has shape {np.shape(weights[name])}, "
                                    f"expected {shape}")
        self.spec, self.start = spec, start
        self.points = cache_points(spec, start)
        shapes = {name: shapes[name] for name in lower_variable_names(spec, start)}
        self.graph = tf.Graph()
        with self.graph.as_default():
            self._input = tf1.placeholder(tf.float32, (None, None, None, 1), "normalised_l")
            self._outputs = build_lower_encoder(self._input, spec, start)
            variables = {v.op.name: v for v in tf1.global_variables()}
            feeds = {name: tf1.placeholder(tf.float32, shape) for name, shape in shapes.items()}
            assign = [variables[name].assign(feeds[name]) for name in shapes]
        self.session = open_session(tf, self.graph, threads)
        self.session.run(assign, {feeds[n]: np.asarray(weights[n], np.float32) for n in shapes})

    def strides(self) -> list[int]:
        """The stride of each output (2 for the stem, then the blocks')."""
        strides = [2] + self.spec.strides()
        return [strides[i + 1] for i in self.points]

    def features(self, lightness: np.ndarray) -> list[np.ndarray]:
        """Outputs (N, ceil(H/s), ceil(W/s), C_s) float32 of L crops (N, H, W) in [0, 100]:
        the features at strides 4..32, or the lower blocks' outputs (``start``)."""
        from algorithms.cnn.efficientnet import encoder_input

        lightness = np.asarray(lightness, dtype=np.float32)
        if lightness.ndim != 3:
            raise BadInputError(f"crops must be (N, H, W), got {lightness.shape}")
        return self.run(encoder_input(lightness))

    def run(self, normalised: np.ndarray) -> list[np.ndarray]:
        """Features of inputs already normalised by ``encoder_input``: (N, H, W) float32."""
        return self.session.run(self._outputs, {self._input: np.asarray(normalised)[..., None]})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FeatureEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class FeatureCache:
    """Encoder features and quarter-grid ab of many crops, all of one size.

    ``features[s]`` is (M, h_s, w_s, C_s) float16 for the strides 4, 8, 16, 32 (or the
    lower blocks' outputs at :func:`~algorithms.cnn.efficientnet.cache_points`) and
    ``ab_quarter`` (M, h_4, w_4, 2) float16; ``photo_index`` (M,) says which photo each crop
    came from (crops of one photo are never split between training and held-out data).
    """

    features: list[np.ndarray]
    ab_quarter: np.ndarray
    photo_index: np.ndarray

    def __len__(self) -> int:
        return len(self.ab_quarter)

    def subset(self, rows: np.ndarray) -> FeatureCache:
        return FeatureCache([f[rows] for f in self.features], self.ab_quarter[rows],
                            self.photo_index[rows])

    def batch(self, rows: np.ndarray) -> FeatureBatch:
        return FeatureBatch([f[rows] for f in self.features], self.ab_quarter[rows])

    def batches(self, batch: int, rng: np.random.Generator) -> Iterator[FeatureBatch]:
        """Endless minibatches: every crop once per epoch, in a new random order each epoch."""
        if len(self) == 0:
            raise BadInputError("the feature cache is empty")
        batch = min(batch, len(self))
        while True:
            order = rng.permutation(len(self))
            for start in range(0, len(order) - batch + 1, batch):
                yield self.batch(np.sort(order[start:start + batch]))

    def arrays(self) -> dict[str, np.ndarray]:
        """The cache as named arrays (for ``np.savez``)."""
        named = {f"features{i}": f for i, f in enumerate(self.features)}
        return dict(named, ab_quarter=self.ab_quarter, photo_index=self.photo_index)

    @classmethod
    def from_arrays(cls, arrays, spec: EncoderSpec, start: int | None = None) -> FeatureCache:
        """A cache back from :meth:`arrays`, checked against the encoder's widths (the
        outputs that training from block ``start`` on needs; None: the whole encoder's)."""
        channels = point_channels(spec, cache_points(spec, start))
        try:
            features = [np.asarray(arrays[f"features{i}"]) for i in range(len(channels))]
            ab, index = np.asarray(arrays["ab_quarter"]), np.asarray(arrays["photo_index"])
        except KeyError as missing:
            raise BadInputError(f"the feature cache lacks {missing}") from None
        count = len(ab)
        if f"features{len(channels)}" in getattr(arrays, "files", arrays):
            raise BadInputError("the feature cache does not match the encoder")
        for feature, width in zip(features, channels):
            if feature.ndim != 4 or len(feature) != count or feature.shape[3] != width:
                raise BadInputError("the feature cache does not match the encoder")
        if ab.ndim != 4 or ab.shape[3] != 2 or index.shape != (count,):
            raise BadInputError("the feature cache's ab does not match its features")
        return cls(features, ab, index)


def _lab_crops(crops: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    from algorithms.cnn.training_data import lab_batch

    batch = lab_batch(crops)
    return batch.lightness, batch.ab


def build_cache(encoder: FeatureEncoder, photos: Sequence[np.ndarray], crop: int, views: int,
                rng: np.random.Generator, progress: ProgressCallback | None = None,
                cancelled: CancelCheck | None = None) -> FeatureCache:
    """Encode ``views`` random crops (scale jitter, flips) of each uint8 RGB photo.

    Parameters
    ----------
    crop : int
        Crop side in pixels, a multiple of 32 (the encoder's coarsest stride).
    views : int
        Crops per photo (>= 1).
    """
    from algorithms.cnn.training_data import random_crop

    if crop < 32 or crop % 32:
        raise BadInputError(f"cached crops must be a multiple of 32 pixels, got {crop}")
    if views < 1 or not photos:
        raise BadInputError("the feature cache needs photos and at least one view of each")
    jobs = [(p, v) for p in range(len(photos)) for v in range(views)]
    sizes = [-(-crop // s) for s in encoder.strides()]
    channels = point_channels(encoder.spec, encoder.points)
    features = [np.empty((len(jobs), n, n, c), np.float16) for n, c in zip(sizes, channels)]
    ab_quarter = np.empty((len(jobs), sizes[0], sizes[0], 2), np.float16)
    for start in range(0, len(jobs), ENCODE_BATCH):
        if cancelled is not None and cancelled():
            raise CancelledError("feature caching cancelled")
        chunk = jobs[start:start + ENCODE_BATCH]
        lightness, ab = _lab_crops([random_crop(photos[p], crop, rng) for p, _ in chunk])
        for stored, computed in zip(features, encoder.features(lightness)):
            stored[start:start + len(chunk)] = computed
        ab_quarter[start:start + len(chunk)] = quarter_ab(ab.astype(np.float64))
        if progress is not None:
            progress((start + len(chunk)) / len(jobs), f"encoded {start + len(chunk)} crops")
    return FeatureCache(features, ab_quarter, np.array([p for p, _ in jobs], np.int32))


def encoder_features(weights: dict[str, np.ndarray], spec: EncoderSpec,
                     normalised: np.ndarray) -> list[np.ndarray]:
    """Run the encoder once: features (N, h, w, C) at strides 4, 8, 16, 32 (checks, benchmarks).

    ``normalised`` is (N, H, W) or (H, W) from :func:`encoder_input`.
    """
    batch = np.asarray(normalised, dtype=np.float32)
    with FeatureEncoder(weights, spec) as encoder:
        return encoder.run(batch[None] if batch.ndim == 2 else batch)
