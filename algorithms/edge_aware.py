"""Edge-aware filtering of chroma guided by lightness: colour follows the photo's edges.

The guided filter (He, Sun, Tang 2010; OpenCV's ``ximgproc.guidedFilter``) models the
output in every window of radius ``r`` as an affine function of the guide, so an edge in
the guide (lightness) stays an edge in the output (chroma), while chroma inside a flat
region is averaged. ``eps`` (in guide units squared) says which guide variations count as
edges: a window whose guide variance is well below ``eps`` is simply averaged.

The fast global smoother (Min et al. 2014, ``ximgproc.createFastGlobalSmootherFilter``)
solves a weighted least-squares problem along rows and columns: it spreads colour over a
whole region bounded by lightness edges, and keeps a step at an edge sharper than the
guided filter's windows can (a window that straddles the edge mixes both sides).

Joint bilateral upsampling (Kopf et al. 2007, :func:`joint_bilateral_upsample`) works from
the small colour and the small lightness: each full-size pixel takes a weighted mean of the
nearby small pixels' colours, weighted by distance and by how close each one's lightness is
to its own. A small pixel that straddles an edge has a lightness between the two sides' and
is mostly ignored by both, so a colour edge on a lightness edge comes back sharp (the video
refinement's upsampling).

For chroma predicted at a coarse resolution (the CNN's quarter grid, a video network's
working size) :func:`guided_upsample` brings it to the guide's full size; a per-pixel
``confidence`` turns the filter into a normalised (weighted) one, so that confident colour
spreads into uncertain pixels rather than the other way round.
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError

#: Default regularisation, in CIELAB L units squared: lightness steps of a few units are edges.
DEFAULT_EPS = 16.0
#: Confidence below this counts as none (keeps the normalisation's division finite).
_MIN_WEIGHT = 1e-4


def _check_guide(guide: np.ndarray) -> np.ndarray:
    guide = np.asarray(guide)
    if guide.ndim != 2 or min(guide.shape) < 1:
        raise BadInputError(f"the guide must be a 2-D image, got shape {guide.shape}")
    return np.ascontiguousarray(guide, dtype=np.float32)


class EdgeAwareFilter:
    """One guide's edge-aware filter, set up once and applied to any number of sources
    (the CNN's vividness slider filters a new chroma of the same photo at each step).

    Build it with :func:`guided_filter_for` or :func:`global_smoother_for`. With a
    ``confidence`` (H, W) in [0, 1] it is a normalised filter, filter(c * x) / filter(c),
    whose denominator is computed here, once.
    """

    def __init__(self, smoother, guide_shape: tuple[int, int],
                 confidence: np.ndarray | None = None) -> None:
        self._smoother = smoother
        self.shape = guide_shape
        self._weight = self._total = None
        if confidence is not None:
            weight = np.clip(np.asarray(confidence, dtype=np.float32), 0.0, 1.0)
            if weight.shape != guide_shape:
                raise BadInputError(f"confidence {weight.shape} does not match the guide")
            self._weight = np.ascontiguousarray(weight)
            self._total = np.maximum(smoother.filter(self._weight), np.float32(_MIN_WEIGHT))

    def __call__(self, source: np.ndarray) -> np.ndarray:
        """The filtered (H, W) or (H, W, C) ``source``, float32, channel by channel (OpenCV's
        filters take 1 or 3 channels, and 3 at once took longer than 3 one by one)."""
        source = np.asarray(source, dtype=np.float32)
        if source.shape[:2] != self.shape or source.ndim not in (2, 3):
            raise BadInputError(f"source {source.shape} does not match the guide {self.shape}")
        flat = source if source.ndim == 3 else source[..., None]
        result = np.empty(flat.shape, np.float32)
        for channel in range(flat.shape[2]):
            layer = np.ascontiguousarray(flat[..., channel])
            if self._weight is not None:
                layer = layer * self._weight
            filtered = self._smoother.filter(layer)
            if self._total is not None:
                filtered /= self._total
            result[..., channel] = filtered
        return result if source.ndim == 3 else result[..., 0]


def guided_filter_for(guide: np.ndarray, radius: int, eps: float = DEFAULT_EPS,
                      confidence: np.ndarray | None = None) -> EdgeAwareFilter:
    """The guided filter of ``guide`` (see :func:`guided_filter`), ready for many sources."""
    import cv2

    guide = _check_guide(guide)
    radius = int(radius)
    if radius < 1 or not eps > 0:
        raise BadInputError("the guided filter needs radius >= 1 and eps > 0")
    # One filter object: the guide's window statistics are computed once for all layers.
    return EdgeAwareFilter(cv2.ximgproc.createGuidedFilter(guide, radius, float(eps)),
                           guide.shape, confidence)


def global_smoother_for(guide: np.ndarray, strength: float, sigma_color: float = 4.0,
                        confidence: np.ndarray | None = None) -> EdgeAwareFilter:
    """The fast global smoother of ``guide`` (see :func:`global_smooth`), for many sources."""
    import cv2

    guide = _check_guide(guide)
    if not (strength > 0 and sigma_color > 0):
        raise BadInputError("the global smoother needs a positive strength and sigma")
    # The filter takes an 8-bit guide: L in [0, 100] -> 0..255.
    guide8 = np.round(np.clip(guide, 0.0, 100.0) * 2.55).astype(np.uint8)
    return EdgeAwareFilter(
        cv2.ximgproc.createFastGlobalSmootherFilter(guide8, float(strength), float(sigma_color)),
        guide.shape, confidence)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int,
                  eps: float = DEFAULT_EPS,
                  confidence: np.ndarray | None = None) -> np.ndarray:
    """Filter ``source`` edge-aware, following the edges of ``guide``.

    Parameters
    ----------
    guide : (H, W) ndarray
        The guide, e.g. CIELAB L in [0, 100].
    source : (H, W) or (H, W, C) ndarray
        What is filtered (e.g. ab, C = 2); same H, W as the guide.
    radius : int
        Window radius in pixels (>= 1).
    eps : float
        Regularisation in guide units squared (> 0).
    confidence : (H, W) ndarray, optional
        Per-pixel weight in [0, 1]: the result is filter(confidence * source) /
        filter(confidence), so low-confidence pixels take their colour from confident
        neighbours on their side of an edge.

    Returns
    -------
    (H, W) or (H, W, C) ndarray of float32
    """
    return guided_filter_for(guide, radius, eps, confidence)(source)


def global_smooth(guide: np.ndarray, source: np.ndarray, strength: float,
                  sigma_color: float = 4.0,
                  confidence: np.ndarray | None = None) -> np.ndarray:
    """Edge-aware global smoothing of ``source`` along the edges of ``guide`` (L in [0, 100]).

    Parameters
    ----------
    strength : float
        The smoother's lambda (> 0): how far colour spreads; grows with the square of the
        distance, so scale it with the upsampling factor squared.
    sigma_color : float
        Lightness difference (in 8-bit levels of L * 2.55) that counts as an edge.
    confidence : (H, W) ndarray, optional
        Per-pixel weight in [0, 1], as in :func:`guided_filter`.

    Returns the filtered (H, W) or (H, W, C) float32 array.
    """
    return global_smoother_for(guide, strength, sigma_color, confidence)(source)


def guided_upsample(chroma: np.ndarray, guide: np.ndarray, radius: int | None = None,
                    eps: float = DEFAULT_EPS,
                    confidence: np.ndarray | None = None) -> np.ndarray:
    """Bring coarse chroma (h, w, C) to the guide's size (H, W), following its edges.

    The chroma (and the confidence, at the chroma's size) is resized bilinearly and then
    guided-filtered at full size. ``radius`` defaults to the upsampling factor (at least 2),
    the scale at which bilinear resizing blurs colour across edges.
    """
    import cv2

    guide = _check_guide(guide)
    chroma = np.asarray(chroma, dtype=np.float32)
    if chroma.ndim != 3 or min(chroma.shape[:2]) < 1:
        raise BadInputError(f"chroma must be (h, w, C), got {chroma.shape}")
    height, width = guide.shape
    factor = max(height / chroma.shape[0], width / chroma.shape[1])
    if radius is None:
        radius = max(2, int(round(factor)))
    size = (width, height)
    full = cv2.resize(chroma, size, interpolation=cv2.INTER_LINEAR)
    full = full.reshape(height, width, chroma.shape[2])
    weight = None
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float32)
        if confidence.shape != chroma.shape[:2]:
            raise BadInputError(f"confidence {confidence.shape} does not match the chroma")
        weight = cv2.resize(confidence, size, interpolation=cv2.INTER_LINEAR)
    return guided_filter(guide, full, radius, eps, weight)


#: Lightness difference (CIELAB L units) at which a small pixel's weight falls to 1/e.
JOINT_BILATERAL_SIGMA = 6.0
#: Small pixels either side of the nearest one that contribute.
JOINT_BILATERAL_RADIUS = 1
#: Weight of every small pixel whatever its lightness: a pixel unlike all its neighbours
#: (a highlight) gets their distance-weighted mean rather than nothing.
_JOINT_BILATERAL_FLOOR = np.float32(1e-4)


#: Full-size rows worked on at a time: the arrays of one band stay in the CPU's cache (the
#: whole frame at once made every one of the many passes over it a trip to memory).
_BAND_ROWS = 16


def joint_bilateral_upsample(chroma: np.ndarray, small_lightness: np.ndarray,
                             lightness: np.ndarray,
                             sigma: float = JOINT_BILATERAL_SIGMA) -> np.ndarray:
    """Bring ``chroma`` (h, w, C) to the size of ``lightness`` (H, W), following its edges.

    ``small_lightness`` (h, w) is the lightness (CIELAB L, 0..100) at the small size, e.g.
    the area-downscaled gray frame's; ``lightness`` (H, W) the full-size one.
    Returns (H, W, C) float32.
    """
    chroma = np.asarray(chroma, np.float32)
    small_lightness = np.asarray(small_lightness, np.float32)
    lightness = np.asarray(lightness, np.float32)
    h, w = small_lightness.shape
    height, width = lightness.shape
    channels = chroma.shape[2]
    # Position of each full-size pixel centre in small-pixel units, and its nearest pixel.
    ys = (np.arange(height, dtype=np.float32) + 0.5) * (h / height) - 0.5
    xs = (np.arange(width, dtype=np.float32) + 0.5) * (w / width) - 0.5
    nearest_y, nearest_x = np.floor(ys + 0.5), np.floor(xs + 0.5)
    offsets = range(-JOINT_BILATERAL_RADIUS, JOINT_BILATERAL_RADIUS + 1)
    # The neighbours' rows and columns (edge pixels repeated outside) and spatial weights.
    rows = [np.clip(nearest_y + d, 0, h - 1).astype(np.intp) for d in offsets]
    spatial_y = [np.exp(-((nearest_y + d - ys) ** 2) / 2.0).astype(np.float32)
                 for d in offsets]
    spatial_x = [np.exp(-((nearest_x + d - xs) ** 2) / 2.0).astype(np.float32)
                 for d in offsets]
    # Lightness and chroma planes (1 + C, h, W), their columns gathered once per dx.
    planes = np.concatenate([small_lightness[None], np.moveaxis(chroma, 2, 0)])
    columns = [np.ascontiguousarray(planes[:, :, np.clip(nearest_x + d, 0, w - 1)
                                           .astype(np.intp)]) for d in offsets]
    scale = np.float32(-1.0 / sigma**2)
    result = np.empty((height, width, channels), np.float32)
    for start in range(0, height, _BAND_ROWS):
        band = slice(start, min(start + _BAND_ROWS, height))
        full = lightness[band]
        total = np.zeros((channels,) + full.shape, np.float32)
        weights = np.zeros(full.shape, np.float32)
        for row, weight_y in zip(rows, spatial_y):
            for column, weight_x in zip(columns, spatial_x):
                sample = column[:, row[band]]  # (1 + C, band rows, W)
                weight = sample[0] - full
                weight *= weight
                weight *= scale
                np.exp(weight, out=weight)
                weight += _JOINT_BILATERAL_FLOOR
                weight *= weight_y[band, None]
                weight *= weight_x
                weights += weight
                total += weight * sample[1:]
        result[band] = np.moveaxis(total / weights, 0, 2)
    return result
