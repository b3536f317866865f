"""Automatic colorization of whole photos with the Zhang et al. (2016) network.

A :class:`Colorizer` builds its graph once, loads a model's weights once, and then
colorizes any number of images. It keeps the logits of the last image (at a quarter of
the network's input size) and that image's full-resolution lightness, so that a new
temperature re-decodes without running the network again (the vividness slider).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from algorithms.cnn.decode import DEFAULT_TEMPERATURE, annealed_mean, upsample_ab
from algorithms.cnn.model_file import ModelWeights
from algorithms.colorspace import lab_lightness, lab_to_rgb_fast
from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter

#: Side of the square the network sees in the default mode (the authors' 256 x 256).
DEFAULT_INPUT_SIZE = 256


@dataclass
class _LastRun:
    """What re-decoding needs: logits, the full-size L and how ab maps back onto it."""

    logits: np.ndarray  # (h, w, Q) float32
    lightness: np.ndarray  # (H, W) float32, L in [0, 100]
    network_shape: tuple[int, int]  # the (possibly padded) network input size
    native: bool


def image_lightness(image: np.ndarray) -> np.ndarray:
    """CIELAB L (H, W) float32 of a gray (H, W) or RGB (H, W, 3) image in [0, 1]."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise BadInputError(f"image must be (H, W) gray or (H, W, 3) RGB, got {image.shape}")
    if min(image.shape[:2]) < 1 or not np.issubdtype(image.dtype, np.number):
        raise BadInputError("image is empty or not numeric")
    # A colour photo is re-coloured: only its own lightness is kept.
    return lab_lightness(np.clip(image.astype(np.float32), 0.0, 1.0)).astype(np.float32)


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
        From :func:`algorithms.cnn.model_file.load_model`.
    input_size : int or None
        The network sees L resized to ``input_size`` x ``input_size`` (default 256, a
        multiple of 8); ab is upsampled back. ``None`` runs at the image's native
        resolution (padded to a multiple of 8), as the course project did.
    threads : int
        TensorFlow threads per op (0: all cores).
    """

    def __init__(self, model: ModelWeights, input_size: Optional[int] = DEFAULT_INPUT_SIZE,
                 threads: int = 0) -> None:
        from algorithms.cnn.network import build_network

        if input_size is not None and (input_size < 8 or input_size % 8):
            raise BadInputError(f"network input size must be a multiple of 8, got {input_size}")
        self.model = model
        self.input_size = input_size
        self.network = build_network(model.architecture, model.weights, threads=threads)
        self._last: Optional[_LastRun] = None

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
            pad_y, pad_x = -height % 8, -width % 8
            # Mirror padding up to a multiple of 8; the padded border is cropped off later.
            border = cv2.BORDER_REFLECT_101 if min(height, width) > 1 else cv2.BORDER_REPLICATE
            network_l = cv2.copyMakeBorder(lightness, 0, pad_y, 0, pad_x, border)
        logits = self.network.run(self.model.normalise_lightness(network_l))
        return logits, network_l.shape

    def colorize(self, image: np.ndarray, temperature: float = DEFAULT_TEMPERATURE,
                 progress: Optional[ProgressCallback] = None,
                 cancelled: Optional[CancelCheck] = None) -> np.ndarray:
        """Colorize a gray (H, W) or colour (H, W, 3) image in [0, 1].

        Returns an RGB (H, W, 3) float32 image in [0, 1] whose CIELAB L is the input's.
        """
        report = Reporter(progress, cancelled)
        report(0.0, "lightness")
        lightness = image_lightness(image)
        report(0.1, "network")
        logits, network_shape = self.predict_logits(lightness)
        self._last = _LastRun(logits, lightness, network_shape, self.input_size is None)
        report(0.9, "decoding")
        rgb = self.redecode(temperature)
        report(1.0, "done")
        return rgb

    def redecode(self, temperature: float) -> np.ndarray:
        """The last image decoded at a new temperature, without running the network."""
        if self._last is None:
            raise BadInputError("nothing to re-decode: colorize an image first")
        last = self._last
        ab = self.ab_at(temperature)
        lab = np.empty(last.lightness.shape + (3,), dtype=np.float32)
        lab[..., 0] = last.lightness
        lab[..., 1:] = ab
        return lab_to_rgb_fast(lab)

    def ab_at(self, temperature: float) -> np.ndarray:
        """ab (H, W, 2) of the last image at ``temperature``, at the image's full size."""
        if self._last is None:
            raise BadInputError("nothing to decode: colorize an image first")
        last = self._last
        ab_small = annealed_mean(last.logits, self.model.bins, temperature)
        if last.native:
            # Upsample to the padded network input (x4), then crop the mirror padding.
            ab = upsample_ab(ab_small, last.network_shape)
            return ab[: last.lightness.shape[0], : last.lightness.shape[1]]
        return upsample_ab(ab_small, last.lightness.shape)

    def close(self) -> None:
        self.network.close()

    def __enter__(self) -> "Colorizer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
