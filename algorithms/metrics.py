"""Quality metrics of SPEC section 5, on RGB images in [0, 1]."""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError


def _as_8bit(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0)


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of an RGB result against the true colour photo, both quantised to 8 bits.

    Both images are float in [0, 1] of the same shape; identical images give ``inf``.
    """
    result, truth = np.asarray(result), np.asarray(truth)
    if result.shape != truth.shape:
        raise BadInputError(f"cannot compare images of shapes {result.shape} and {truth.shape}")
    mse = np.mean((_as_8bit(result) - _as_8bit(truth)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness M of an (H, W, 3) RGB image in [0, 1].

    rg = R - G, yb = (R + G) / 2 - B with R, G, B in 0..255;
    M = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). Gray gives 0.
    """
    rgb = np.asarray(rgb, dtype=np.float64) * 255.0
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise BadInputError(f"colourfulness needs an RGB image, got shape {rgb.shape}")
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    offset = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(spread + 0.3 * offset)


def raw_auc(ab_pred: np.ndarray, ab_true: np.ndarray, max_threshold: int = 150) -> float:
    """Raw accuracy AuC of Zhang et al. (2016), in [0, 1] (SPEC section 5).

    For thresholds t = 0, 1, ..., ``max_threshold``, the fraction of pixels whose ab
    (..., 2) lies within L2 distance t of the truth; the AuC is their mean.
    """
    ab_pred, ab_true = np.asarray(ab_pred, np.float64), np.asarray(ab_true, np.float64)
    if ab_pred.shape != ab_true.shape or ab_pred.shape[-1:] != (2,):
        raise BadInputError(f"raw AuC needs two ab arrays (..., 2) of the same shape, got "
                            f"{ab_pred.shape} and {ab_true.shape}")
    distance = np.sqrt(((ab_pred - ab_true) ** 2).sum(axis=-1)).ravel()
    thresholds = np.arange(max_threshold + 1)
    # Pixels within t: a sorted search counts them for every threshold at once.
    within = np.searchsorted(np.sort(distance), thresholds, side="right")
    return float(np.mean(within / distance.size))
