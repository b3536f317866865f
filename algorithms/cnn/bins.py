"""The ab colour bins and the soft-encoded training targets over them (pure numpy).

The network predicts a distribution over Q bins of the ab plane, on a grid four times
coarser than the photo. Training needs: the bins the photos use (:func:`derive_bins`),
their empirical distribution (:func:`bin_distribution`, the prior that class rebalancing
smooths), the ab averaged to the network's grid (:func:`quarter_ab`) and each target
pixel spread over its nearest bins with a Gaussian kernel (:func:`soft_encode`), as in
Zhang et al. (2016). The method: docs/methods.md, 'Training: soft-encoding and class
rebalancing'.
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError

#: Soft encoding (paper): the 5 nearest bins, Gaussian kernel of sigma 5 ab units.
NEIGHBOURS = 5
SIGMA = 5.0


def derive_bins(ab_samples: np.ndarray, grid: float = 10.0, min_count: int = 1) -> np.ndarray:
    """The ab bins the samples use: centres of an ab grid of ``grid`` with >= ``min_count`` hits.

    Parameters
    ----------
    ab_samples : (..., 2) ndarray
        ab values of training pixels (CIELAB units).

    Returns
    -------
    bins : (Q, 2) ndarray of float32, sorted by a then b.
    """
    ab = np.asarray(ab_samples, dtype=np.float64).reshape(-1, 2)
    if ab.shape[0] == 0 or not np.all(np.isfinite(ab)):
        raise BadInputError("no finite ab samples to derive bins from")
    cells = np.round(ab / grid).astype(np.int64)
    unique, counts = np.unique(cells, axis=0, return_counts=True)
    used = unique[counts >= min_count]
    if len(used) < 2:
        raise BadInputError("the training photos use fewer than 2 ab bins: not enough colour")
    return (used * grid).astype(np.float32)


def _tree(bins: np.ndarray):
    from scipy.spatial import cKDTree

    return cKDTree(np.asarray(bins, dtype=np.float64))


def nearest_bins(ab: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Index (...,) int32 of the nearest bin of each ab (..., 2)."""
    ab = np.asarray(ab, dtype=np.float64)
    _, index = _tree(bins).query(ab.reshape(-1, 2), k=1)
    return index.astype(np.int32).reshape(ab.shape[:-1])


def soft_encode(ab: np.ndarray, bins: np.ndarray, neighbours: int = NEIGHBOURS,
                sigma: float = SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Soft-encode ab over its nearest bins with a Gaussian kernel (weights sum to 1).

    Returns ``(index, weight)``, both (..., neighbours): int32 bin indices, nearest
    first, and float32 weights exp(-d^2 / 2 sigma^2), normalised per pixel.
    """
    ab = np.asarray(ab, dtype=np.float64)
    neighbours = min(neighbours, len(bins))
    distance, index = _tree(bins).query(ab.reshape(-1, 2), k=neighbours)
    distance, index = distance.reshape(-1, neighbours), index.reshape(-1, neighbours)
    # Subtracting the nearest distance first keeps far-off pixels from underflowing to 0/0.
    logits = -(distance**2 - distance[:, :1] ** 2) / (2.0 * sigma**2)
    weight = np.exp(logits)
    weight /= weight.sum(axis=1, keepdims=True)
    shape = ab.shape[:-1] + (neighbours,)
    return index.astype(np.int32).reshape(shape), weight.astype(np.float32).reshape(shape)


def bin_distribution(ab_samples: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Empirical distribution (Q,) of the samples' nearest bins (sums to 1)."""
    index = nearest_bins(np.asarray(ab_samples).reshape(-1, 2), bins)
    counts = np.bincount(index.ravel(), minlength=len(bins)).astype(np.float64)
    return counts / counts.sum()


def quarter_ab(ab: np.ndarray) -> np.ndarray:
    """Mean of each 4 x 4 block: ab (N, H, W, 2) -> (N, H/4, W/4, 2), the network's grid."""
    n, height, width, _ = ab.shape
    return ab.reshape(n, height // 4, 4, width // 4, 4, 2).mean(axis=(2, 4))
