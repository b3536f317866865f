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
