"""Decoding the network's distribution over ab bins into colour (pure numpy).

The paper's annealed mean: p = softmax(logits); f_T(p) = exp(log p / T) / sum exp(log p / T)
= softmax(logits / T); ab = sum_q f_T(p)_q bin_q. T = 1 is the plain mean, T -> 0 the mode;
the paper uses T = 0.38 (README, "How colour is decoded").

The calibrated decoding (:func:`calibrated_ab`, the default :class:`Decoding`) takes the
annealed mean only where the distribution is concentrated on one hue and mutes the colour
toward the plain mean where the network hesitates; the result is then brought to full size
along the photo's lightness edges (:mod:`algorithms.edge_aware`).

Two more factors scale the chroma (both off by default, set by a model's recommended
decoding): a neutral prior, (1 - p_neutral)^gamma, where p_neutral is the network's
probability of a neutral colour (:func:`neutral_probability`), so white, gray and metal stay
neutral unless the network is sure of a colour; and a gain that grows as the temperature
falls, (VIVIDNESS_REFERENCE / T)^k, so that the vividness control visibly changes the colour
(the annealed mean alone barely moves once the calibration has muted the unsure pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from algorithms.errors import BadInputError, SettingError

#: The paper's temperature (the course code scaled the logits by 2.63 = 1 / 0.38).
DEFAULT_TEMPERATURE = 0.38


def check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float, or raise SettingError unless 0 < T <= 10."""
    value = float(temperature)
    if not np.isfinite(value) or not 0.0 < value <= 10.0:
        raise SettingError("temperature", f"must be in (0, 10], got {temperature}")
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


# ---------------------------------------------------------------------------------------------
# Calibrated decoding: vivid where the network is sure, muted where it is not

#: ab spread (CIELAB units, the standard deviation of ab under the network's distribution)
#: at which the colour is halfway between the plain mean and the annealed mean.
DEFAULT_SPREAD_SCALE = 20.0
#: Strength of the class rebalancing applied at decoding time (see :class:`Decoding`).
DEFAULT_REBALANCE = 1.0
#: The paper's mix of the colour prior with a uniform one in the rebalancing weights.
REBALANCE_LAMBDA = 0.5
#: Gaussian smoothing of the colour prior over ab before rebalancing (ab units).
SMOOTHING_SIGMA = 5.0
#: Ways of bringing chroma to full size (:class:`Decoding`).
EDGE_FILTERS = ("global", "guided", "none")
#: Bins whose chroma is at most this (ab units) are the neutral colours: on the grid of 10,
#: the bin at (0, 0) and its eight neighbours (chroma 10 and 14.1). Chosen on wide/val
#: against 10.5 (the four nearest only): fewer photos above gray at the same colourfulness.
NEUTRAL_BIN_CHROMA = 15.0
#: The temperature at which the vividness gain is 1: the vividness slider's middle.
VIVIDNESS_REFERENCE = 0.52


def neutral_probability(logits: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """The network's probability (...,) float32 of a neutral colour: softmax(logits) summed
    over the bins within :data:`NEUTRAL_BIN_CHROMA` of gray (0 if the bins have none)."""
    logits = np.asarray(logits)
    bins = check_bins(bins, logits.shape[-1])
    neutral = np.hypot(bins[:, 0], bins[:, 1]) <= NEUTRAL_BIN_CHROMA
    return annealed_probabilities(logits, 1.0)[..., neutral].sum(axis=-1, dtype=np.float32)


def chroma_factor(decoding: Decoding, logits: np.ndarray, bins: np.ndarray
                  ) -> np.ndarray | float:
    """The factor (...,) (or a scalar) that scales the decoded chroma: the neutral prior
    (1 - p_neutral)^neutral times gain (VIVIDNESS_REFERENCE / T)^k, with k = vividness
    below the reference temperature and twice that above it: the slider's T runs from 1 to
    0.05, 1.9 times the reference on the dull side and a tenth of it on the vivid side, so
    equal exponents would make the dull half of the slider nearly do nothing."""
    exponent = decoding.vividness * (2.0 if decoding.temperature > VIVIDNESS_REFERENCE else 1.0)
    factor: np.ndarray | float = decoding.gain * (
        VIVIDNESS_REFERENCE / decoding.temperature) ** exponent
    if decoding.neutral > 0:
        keep = np.clip(1.0 - neutral_probability(logits, bins), 0.0, 1.0)
        factor = (factor * keep**decoding.neutral).astype(np.float32)
    return factor


def ab_mean_and_spread(logits: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The expected ab (..., 2) and its spread (...,) under softmax(logits), float32.

    The spread is sqrt(E ||ab - E ab||^2): a few ab units where the distribution is
    concentrated on neighbouring bins (one hue), tens of units where it hesitates between
    hues. Unlike the entropy over bins, it does not count neighbouring bins as doubt.
    """
    logits = np.asarray(logits)
    bins = check_bins(bins, logits.shape[-1])
    probabilities = annealed_probabilities(logits, 1.0)
    mean = probabilities @ bins
    second_moment = probabilities @ (bins**2).sum(axis=1)
    spread = np.sqrt(np.maximum(second_moment - (mean**2).sum(axis=-1), 0.0))
    return mean.astype(np.float32), spread.astype(np.float32)


def spread_confidence(spread: np.ndarray, scale: float = DEFAULT_SPREAD_SCALE) -> np.ndarray:
    """Confidence in [0, 1] from the ab spread: 1 / (1 + (spread / scale)^2), float32."""
    if not scale > 0:
        raise BadInputError(f"the spread scale must be positive, got {scale}")
    return (1.0 / (1.0 + (np.asarray(spread, np.float32) / np.float32(scale)) ** 2)
            ).astype(np.float32)


def calibrated_ab(logits: np.ndarray, bins: np.ndarray,
                  temperature: float = DEFAULT_TEMPERATURE,
                  spread_scale: float = DEFAULT_SPREAD_SCALE,
                  vivid_logits: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Confidence-aware decoding: ab (..., 2) and the confidence (...,) it used, float32.

    ab = m + c (a_T - m), where m is the plain mean (the colour with the least expected
    squared error), a_T the annealed mean at ``temperature`` (vivid) and c the
    :func:`spread_confidence`. Where the network is sure (one hue), c is near 1 and the
    result is the vivid annealed mean; where it hesitates between hues it stays near the
    mean, a muted colour, instead of the mode's hue picked at random.
    """
    mean, spread = ab_mean_and_spread(logits, bins)
    confidence = spread_confidence(spread, spread_scale)
    # The vivid colour may come from rebalanced logits; mean and confidence never do.
    vivid = annealed_mean(logits if vivid_logits is None else vivid_logits, bins, temperature)
    return mean + confidence[..., None] * (vivid - mean), confidence


@dataclass(frozen=True)
class Decoding:
    """How a prediction becomes colour.

    temperature : float
        Annealed-mean temperature in (0, 10]; lower is more vivid (the vividness slider).
    spread_scale : float or None
        Calibrated decoding with this ab spread scale (:func:`spread_confidence`);
        ``None`` is the paper's plain annealed mean.
    rebalance : float
        Class rebalancing at decoding time, in [0, 2]: the vivid colour is taken from
        p_q w_q^rebalance, where w are the paper's rebalancing weights of the model's
        training colours (rare, saturated colours count more). A model trained without
        rebalancing predicts calibrated but cautious colours; 1 gives roughly what training
        with the paper's rebalancing would. Ignored for a model that carries no prior.
    edges : str
        How the chroma is brought to full size: ``"global"`` (edge-aware global smoothing
        along the lightness, weighted by the confidence), ``"guided"`` (guided filter, also
        weighted), or ``"none"`` (plain bilinear resizing, the paper's).
    neutral : float
        Strength gamma >= 0 of the neutral prior: the chroma is scaled by
        (1 - p_neutral)^gamma (:func:`neutral_probability`); 0 is off.
    gain : float
        Chroma gain (> 0) at the reference temperature.
    vividness : float
        Exponent k >= 0: the chroma is also scaled by (VIVIDNESS_REFERENCE / T)^k (2k for
        T above the reference), so the temperature (the vividness slider) moves the colour
        visibly; 0: T only anneals.
    """

    temperature: float = DEFAULT_TEMPERATURE
    spread_scale: float | None = DEFAULT_SPREAD_SCALE
    edges: str = "global"
    rebalance: float = DEFAULT_REBALANCE
    neutral: float = 0.0
    gain: float = 1.0
    vividness: float = 0.0

    def __post_init__(self) -> None:
        check_temperature(self.temperature)
        if not (math.isfinite(self.rebalance) and 0.0 <= self.rebalance <= 2.0):
            raise BadInputError(f"rebalance must be in [0, 2], got {self.rebalance}")
        if self.edges not in EDGE_FILTERS:
            raise BadInputError(f"edges must be one of {', '.join(EDGE_FILTERS)}, "
                                f"got {self.edges!r}")
        if self.spread_scale is not None and not (
                math.isfinite(self.spread_scale) and self.spread_scale > 0):
            raise BadInputError(f"the spread scale must be positive, got {self.spread_scale}")
        for name, low, high in (("neutral", 0.0, 10.0), ("gain", 0.01, 10.0),
                                ("vividness", 0.0, 2.0)):
            value = getattr(self, name)
            if not (math.isfinite(value) and low <= value <= high):
                raise BadInputError(f"{name} must be in [{low:g}, {high:g}], got {value}")

    @classmethod
    def paper(cls, temperature: float = DEFAULT_TEMPERATURE) -> Decoding:
        """The paper's decoding: annealed mean, bilinear upsampling."""
        return cls(temperature, None, "none", 0.0)

    def at_temperature(self, temperature: float) -> Decoding:
        return replace(self, temperature=check_temperature(temperature))

    def small_ab(self, logits: np.ndarray, bins: np.ndarray,
                 log_weights: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        """ab (h, w, 2) on the logits' grid and the confidence (h, w) (None: paper's).

        ``log_weights`` (Q,) are the model's class-rebalancing log-weights
        (:func:`prior_log_weights`); ``None`` (a model without its prior) skips rebalancing.
        """
        vivid = logits
        if log_weights is not None and self.rebalance > 0:
            vivid = np.asarray(logits, np.float32) + np.float32(self.rebalance) * log_weights
        confidence = None
        if self.spread_scale is None:
            ab = annealed_mean(vivid, bins, self.temperature)
        else:
            ab, confidence = calibrated_ab(logits, bins, self.temperature, self.spread_scale,
                                           vivid)
        factor = np.asarray(chroma_factor(self, logits, bins), np.float32)
        if factor.ndim or factor != 1.0:
            ab = (ab * factor[..., None]).astype(np.float32)
        return ab, confidence

    @classmethod
    def from_metadata(cls, metadata: dict) -> Decoding:
        """The decoding a model file recommends (its ``decoding`` entry), else the default."""
        entry = metadata.get("decoding")
        if not isinstance(entry, dict):
            return cls()
        try:
            scale = entry.get("spread_scale", DEFAULT_SPREAD_SCALE)
            return cls(float(entry.get("temperature", DEFAULT_TEMPERATURE)),
                       None if scale is None else float(scale),
                       str(entry.get("edges", "global")),
                       float(entry.get("rebalance", DEFAULT_REBALANCE)),
                       float(entry.get("neutral", 0.0)), float(entry.get("gain", 1.0)),
                       float(entry.get("vividness", 0.0)))
        except (TypeError, ValueError, OverflowError):
            raise BadInputError("the model's decoding settings are malformed") from None

    def to_metadata(self) -> dict:
        return {"temperature": self.temperature, "spread_scale": self.spread_scale,
                "edges": self.edges, "rebalance": self.rebalance, "neutral": self.neutral,
                "gain": self.gain, "vividness": self.vividness}


def rebalancing_weights(distribution: np.ndarray, bins: np.ndarray,
                        lam: float = REBALANCE_LAMBDA,
                        sigma: float = SMOOTHING_SIGMA) -> np.ndarray:
    """Class-rebalancing weights w (Q,) float64.

    See docs/methods.md, 'Training: soft-encoding and class rebalancing'.

    p~ is ``distribution`` smoothed over ab with a Gaussian of ``sigma``;
    w is proportional to ((1 - lam) p~ + lam / Q)^-1, scaled so that sum_q p~_q w_q = 1.
    """
    p = np.asarray(distribution, dtype=np.float64)
    bins = np.asarray(bins, dtype=np.float64)
    if p.shape != (len(bins),) or p.min() < 0 or not p.sum() > 0:
        raise BadInputError("the bin distribution must be (Q,) non-negative and not all zero")
    squared = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(axis=-1)
    kernel = np.exp(-squared / (2.0 * sigma**2))
    smoothed = kernel @ (p / p.sum())
    smoothed /= smoothed.sum()
    weights = 1.0 / ((1.0 - lam) * smoothed + lam / len(bins))
    return weights / np.sum(smoothed * weights)


def prior_log_weights(metadata: dict, bins: np.ndarray) -> np.ndarray | None:
    """Log class-rebalancing weights (Q,) float32 from a model's ``bin_prior``, else None.

    ``bin_prior`` is the training photos' distribution over the bins (Q numbers, sum 1).
    The weights are the paper's: w proportional to 1 / ((1 - lambda) p~ + lambda / Q) with
    p~ the prior smoothed over ab (Gaussian, sigma 5) and lambda 0.5, normalised so that
    sum_q p~_q w_q = 1.
    """
    prior = metadata.get("bin_prior")
    if prior is None:
        return None
    try:
        distribution = np.asarray(prior, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInputError("the model's bin prior is malformed") from None
    if distribution.shape != (len(bins),) or not np.all(np.isfinite(distribution)):
        raise BadInputError("the model's bin prior does not match its bins")
    weights = rebalancing_weights(distribution, bins, lam=REBALANCE_LAMBDA)
    return np.log(weights).astype(np.float32)
