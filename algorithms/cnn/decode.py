"""Annealed-mean decoding of the network's bin distribution into ab (pure numpy).

p = softmax(logits); f_T(p) = exp(log p / T) / sum exp(log p / T) = softmax(logits / T);
ab = sum_q f_T(p)_q bin_q (SPEC section 3). T = 1 is the plain mean, T -> 0 the mode;
the paper uses T = 0.38.
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError

#: The paper's temperature (the course code scaled the logits by 2.63 = 1 / 0.38).
DEFAULT_TEMPERATURE = 0.38


def check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float, or raise BadInputError unless 0 < T <= 10."""
    value = float(temperature)
    if not np.isfinite(value) or not 0.0 < value <= 10.0:
        raise BadInputError(f"temperature must be in (0, 10], got {temperature}")
    return value


def check_bins(bins: np.ndarray, count: int | None = None, name: str = "bins") -> np.ndarray:
    """Validate ab bin centres: (Q, 2) finite numbers, Q = ``count`` when given."""
    bins = np.asarray(bins)
    if bins.ndim != 2 or bins.shape[1] != 2 or (count is not None and bins.shape[0] != count):
        want = f"({count}, 2)" if count is not None else "(Q, 2)"
        raise BadInputError(f"{name} must have shape {want}, got {bins.shape}")
    if not np.issubdtype(bins.dtype, np.number) or np.iscomplexobj(bins):
        raise BadInputError(f"{name} must hold finite numbers")
    # Check after the cast: float64 values beyond float32's range would become infinite.
    with np.errstate(over="ignore", invalid="ignore"):
        single = bins.astype(np.float32)
    if not np.all(np.isfinite(single)):
        raise BadInputError(f"{name} must hold finite numbers")
    return single


def annealed_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """f_T(softmax(logits)) over the last axis, float32, computed stably.

    Parameters
    ----------
    logits : (..., Q) ndarray
        Network outputs before the softmax.
    temperature : float
        T in (0, 10]; T = 1 gives the softmax itself.
    """
    temperature = check_temperature(temperature)
    scaled = np.asarray(logits, dtype=np.float32) * np.float32(1.0 / temperature)
    scaled -= scaled.max(axis=-1, keepdims=True)
    np.exp(scaled, out=scaled)
    scaled /= scaled.sum(axis=-1, keepdims=True)
    return scaled


def annealed_mean(logits: np.ndarray, bins: np.ndarray, temperature: float = DEFAULT_TEMPERATURE
                  ) -> np.ndarray:
    """Decode logits into ab by the annealed mean.

    Parameters
    ----------
    logits : (H, W, Q) ndarray
        Network outputs before the softmax.
    bins : (Q, 2) ndarray
        ab centre of each bin.
    temperature : float
        T in (0, 10]; 0.38 in the paper, 1 for the plain mean.

    Returns
    -------
    ab : (H, W, 2) ndarray of float32
    """
    logits = np.asarray(logits)
    bins = check_bins(bins, logits.shape[-1])
    probabilities = annealed_probabilities(logits, temperature)
    return probabilities @ bins


def upsample_ab(ab: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of ab (h, w, 2) to ``shape`` (H, W), pixel centres aligned.

    OpenCV's linear interpolation uses half-pixel centres, as PyTorch's bilinear
    upsampling with ``align_corners=False``.
    """
    import cv2

    height, width = shape
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    if ab.shape[:2] == (height, width):
        return ab
    return cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)
