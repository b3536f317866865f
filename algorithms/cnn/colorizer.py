"""Automatic colorization of whole photos with the Zhang et al. (2016) network.

A :class:`Colorizer` builds its graph once, loads a model's weights once, and then
colorizes any number of images. It keeps the logits of the last image (at a quarter of
the network's input size) and that image's full-resolution lightness, so that a new
temperature re-decodes without running the network again (the vividness slider).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np

from algorithms.cnn.decode import (
    DEFAULT_TEMPERATURE,
    Decoding,
    prior_log_weights,
    upsample_ab,
)
from algorithms.cnn.model_weights import ModelWeights
from algorithms.colorspace import lab_lightness, lab_to_rgb_fast, neutral_lightness
from algorithms.edge_aware import EdgeAwareFilter, global_smoother_for, guided_filter_for
from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter

#: Side of the square the network sees in the default mode (the authors' 256 x 256).
DEFAULT_INPUT_SIZE = 256
#: Edge-aware global smoothing strength per squared upsampling factor (see ab_at).
GLOBAL_STRENGTH = 20.0
#: Network inputs up to this many pixels run with their mirror image as one batch of two.
FLIP_BATCH_PIXELS = 1 << 20


class _LastEdgeFilter:
    """The edge-aware filter of the prediction decoded last, with its decoding: one for the
    whole process. The vividness slider re-decodes one photo many times; a filter kept by
    every prediction would double the memory a session of many photos holds per photo."""

    def __init__(self) -> None:
        self._kept: tuple = (lambda: None, None, None)

    def get(self, prediction: Prediction, key: Decoding) -> EdgeAwareFilter | None:
        owner, kept_key, kept = self._kept  # one read: another thread may replace it
        return kept if owner() is prediction and kept_key == key else None

    def keep(self, prediction: Prediction, key: Decoding, edge_filter: EdgeAwareFilter) -> None:
        self._kept = (weakref.ref(prediction), key, edge_filter)


_last_edge_filter = _LastEdgeFilter()


@dataclass
class Prediction:
    """One image's network output, enough to decode it at any temperature without the network.

    A window keeps one per photo, so that the vividness slider re-decodes whichever is shown.
    """

    logits: np.ndarray  # (h, w, Q) float32
    lightness: np.ndarray  # (H, W) float32, L in [0, 100]
    network_shape: tuple[int, int]  # the (possibly padded) network input size
    native: bool
    bins: np.ndarray  # (Q, 2) ab centre of each bin
    decoding: Decoding = field(default_factory=Decoding)  # used when none is given
    log_weights: np.ndarray | None = None  # (Q,) the model's rebalancing log-weights

    def _full_size(self, small: np.ndarray) -> np.ndarray:
        """Bilinear resize of a map on the logits' grid (h, w[, C]) to the image's size."""
        if self.native:
            # Upsample to the padded network input (x4), then crop the mirror padding.
            full = upsample_ab(small, self.network_shape)
            return full[: self.lightness.shape[0], : self.lightness.shape[1]]
        return upsample_ab(small, self.lightness.shape)

    def ab_at(self, temperature: float | None = None,
              decoding: Decoding | None = None) -> np.ndarray:
        """ab (H, W, 2) float32 at the image's full size.

        ``decoding`` defaults to the prediction's own; ``temperature`` overrides its
        temperature (the vividness slider).
        """
        decoding = decoding or self.decoding
        if temperature is not None:
            decoding = decoding.at_temperature(temperature)
        ab_small, confidence = decoding.small_ab(self.logits, self.bins, self.log_weights)
        ab = self._full_size(ab_small)
        if decoding.edges == "none":
            return ab
        return self._edge_filter(decoding, ab_small.shape[:2], confidence)(ab)

    def _edge_filter(self, decoding: Decoding, small_shape: tuple[int, int],
                     confidence: np.ndarray | None) -> EdgeAwareFilter:
        """The full-size edge-aware filter of ``decoding``, kept for the next temperature:
        neither the confidence nor the filter depends on it, and setting them up (the
        filter's normalisation at 1 MP) took a third of a re-decode."""
        key = decoding.at_temperature(DEFAULT_TEMPERATURE)
        kept = _last_edge_filter.get(self, key)
        if kept is not None:
            return kept
        # The upsampling factor: the distance over which bilinear resizing mixes colours.
        factor = 4.0 if self.native else max(self.lightness.shape[0] / small_shape[0],
                                             self.lightness.shape[1] / small_shape[1])
        weight = None if confidence is None else self._full_size(confidence)
        if decoding.edges == "guided":
            edge_filter = guided_filter_for(self.lightness, max(2, round(factor)),
                                            confidence=weight)
        else:
            edge_filter = global_smoother_for(self.lightness, GLOBAL_STRENGTH * factor**2,
                                              confidence=weight)
        _last_edge_filter.keep(self, key, edge_filter)
        return edge_filter

    def decode(self, temperature: float | None = None,
               decoding: Decoding | None = None) -> np.ndarray:
        """RGB (H, W, 3) float32 in [0, 1]; L is the image's own (arguments as :meth:`ab_at`)."""
        lab = np.empty(self.lightness.shape + (3,), dtype=np.float32)
        lab[..., 0] = self.lightness
        lab[..., 1:] = self.ab_at(temperature, decoding)
        return lab_to_rgb_fast(lab)


def image_lightness(image: np.ndarray) -> np.ndarray:
    """CIELAB L (H, W) float32 of a gray (H, W) or RGB (H, W, 3) image in [0, 1]."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise BadInputError(f"image must be (H, W) gray or (H, W, 3) RGB, got {image.shape}")
    if min(image.shape[:2]) < 1 or not np.issubdtype(image.dtype, np.number):
        raise BadInputError("image is empty or not numeric")
    if image.ndim == 3 and np.array_equal(image[..., 0], image[..., 1]) \
            and np.array_equal(image[..., 1], image[..., 2]):
        image = image[..., 0]  # gray stored as RGB (a video's frames): its L by table
    if image.ndim == 2 and np.issubdtype(image.dtype, np.floating):
        return neutral_lightness(image)
    # A colour photo is re-coloured: only its own lightness is kept.
    return lab_lightness(np.clip(image.astype(np.float32), 0.0, 1.0)).astype(np.float32)


def _mean_log_probabilities(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """log((softmax(first) + softmax(second)) / 2) over the last axis, float32: logits of
    the averaged distribution. Probabilities below float32's smallest normal number
    (1e-38) count as it (log -87.3), which no decoding can tell apart from zero."""
    halves = []
    for logits in (first, second):
        # In place, one exponential per value: four times faster than log-softmaxes and
        # logaddexp (about 20 ms a video frame).
        probabilities = np.asarray(logits, np.float32) - np.max(logits, axis=-1, keepdims=True)
        np.exp(probabilities, out=probabilities)
        probabilities *= np.float32(0.5) / probabilities.sum(axis=-1, keepdims=True)
        halves.append(probabilities)
    total = np.add(halves[0], halves[1], out=halves[0])
    np.maximum(total, np.finfo(np.float32).tiny, out=total)
    return np.log(total, out=total)


def resize_lightness(lightness: np.ndarray, size: int) -> np.ndarray:
    """L resized to (size, size): area averaging down, bicubic up (as the authors' PIL resize)."""
    import cv2

    height, width = lightness.shape
    shrinking = height * width >= size * size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    resized = cv2.resize(lightness, (size, size), interpolation=interpolation)
    return np.clip(resized, 0.0, 100.0)


class Colorizer:
    """Colorize photos with one model; graph and weights are set up once.

    Parameters
    ----------
    model : ModelWeights
        From :func:`colorize_app.io.model_files.load_model`.
    input_size : int or None
        The network sees L resized to ``input_size`` x ``input_size`` (default 256, a
        multiple of 8); ab is upsampled back. ``None`` runs at the image's native
        resolution (padded to a multiple of 8), as the course project did.
    threads : int
        TensorFlow threads per op (0: all cores).
    decoding : Decoding, optional
        How predictions become colour; default: what the model file recommends, else the
        calibrated, edge-aware decoding.
    flip_average : bool, optional
        Run the network on the photo and on its mirror image and average the two
        distributions (test-time flip averaging: the colour no longer depends on which way
        the photo faces); default: what the model file recommends (``test_time_flip``),
        else off. Twice the network time.
    """

    def __init__(self, model: ModelWeights, input_size: int | None = DEFAULT_INPUT_SIZE,
                 threads: int = 0, decoding: Decoding | None = None,
                 flip_average: bool | None = None) -> None:
        from algorithms.cnn.network import build_network

        if input_size is not None and (input_size < 8 or input_size % 8):
            raise BadInputError(f"network input size must be a multiple of 8, got {input_size}")
        self.model = model
        self.input_size = input_size
        self.decoding = decoding or Decoding.from_metadata(model.metadata)
        self.flip_average = (bool(model.metadata.get("test_time_flip", False))
                             if flip_average is None else flip_average)
        self.log_weights = prior_log_weights(model.metadata, model.bins)
        # Weights as graph constants, batch norm folded: built in about 0.13 s, not 1.3 s.
        self.network = build_network(model.architecture, model.weights, threads=threads,
                                     frozen=True)
        # The session's one-time set-up, on a small input while the caller reads its photo.
        self.network.warm_up(self.network.size_multiple, self.network.size_multiple)
        self._last: Prediction | None = None

    @property
    def forward_runs(self) -> int:
        """How many times the network has run (re-decoding does not run it)."""
        return self.network.forward_runs

    def predict_logits(self, lightness: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Logits for a full-size L (H, W) and the network input shape they belong to."""
        if self.input_size is not None:
            network_l = resize_lightness(lightness, self.input_size)
        else:
            import cv2

            height, width = lightness.shape
            multiple = self.network.size_multiple
            pad_y, pad_x = -height % multiple, -width % multiple
            # Mirror padding up to a multiple of 8 (32 for the EfficientNet model, its
            # coarsest stride); the padded border is cropped off later.
            border = cv2.BORDER_REFLECT_101 if min(height, width) > 1 else cv2.BORDER_REPLICATE
            network_l = cv2.copyMakeBorder(lightness, 0, pad_y, 0, pad_x, border)
        normalised = self.model.normalise_lightness(network_l)
        if not self.flip_average:
            return self.network.run(normalised), network_l.shape
        mirror = normalised[:, ::-1]
        if normalised.size <= FLIP_BATCH_PIXELS:
            # Photo and mirror in one batch: one session run, about 10 % less CPU time
            # than two, the same logits.
            logits, mirrored = self.network.run(np.stack([normalised, mirror]))
        else:  # one after the other: the peak memory stays that of one pass
            logits = self.network.run(normalised)
            mirrored = self.network.run(np.ascontiguousarray(mirror))
        return _mean_log_probabilities(logits, mirrored[:, ::-1]), network_l.shape

    def colorize(self, image: np.ndarray, temperature: float | None = None,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> np.ndarray:
        """Colorize a gray (H, W) or colour (H, W, 3) image in [0, 1].

        Returns an RGB (H, W, 3) float32 image in [0, 1] whose CIELAB L is the input's.
        ``temperature`` overrides the decoding's (lower: more vivid).
        """
        report = Reporter(progress, cancelled)
        report(0.0, "lightness")
        lightness = image_lightness(image)
        report(0.1, "network")
        logits, network_shape = self.predict_logits(lightness)
        self._last = Prediction(logits, lightness, network_shape, self.input_size is None,
                                self.model.bins, self.decoding, self.log_weights)
        report(0.9, "decoding")
        rgb = self.redecode(temperature)
        report(1.0, "done")
        return rgb

    @property
    def last_prediction(self) -> Prediction:
        """The network output of the last image colorized (raises BadInputError before one)."""
        if self._last is None:
            raise BadInputError("nothing to re-decode: colorize an image first")
        return self._last

    def redecode(self, temperature: float | None = None) -> np.ndarray:
        """The last image decoded at a new temperature, without running the network."""
        return self.last_prediction.decode(temperature)

    def ab_at(self, temperature: float | None = None) -> np.ndarray:
        """ab (H, W, 2) of the last image (at ``temperature``), at the image's full size."""
        return self.last_prediction.ab_at(temperature)

    def close(self) -> None:
        self.network.close()

    def __enter__(self) -> Colorizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
