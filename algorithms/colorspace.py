"""Colour conversions, all in one place.

RGB images are float arrays in [0, 1] of shape (H, W, 3). YIQ is the NTSC
transform used by Levin et al. (MATLAB's ``rgb2ntsc``); CIELAB comes from
scikit-image (L in [0, 100], a and b roughly in [-128, 127]).
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError

#: RGB -> YIQ matrix (rows give Y, I, Q), MATLAB's rgb2ntsc (docs/methods.md, 'Colour spaces').
RGB_TO_YIQ = np.array(
    [
        [0.299, 0.587, 0.114],
        [0.596, -0.274, -0.322],
        [0.211, -0.523, 0.312],
    ]
)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)

#: Weights giving luminance (the Y of YIQ, ITU-R BT.601) from RGB.
LUMA_WEIGHTS = RGB_TO_YIQ[0]


def _as_rgb(image: np.ndarray, name: str = "image") -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise BadInputError(f"{name} must be an RGB image of shape (H, W, 3), got {image.shape}")
    return image


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    """Convert RGB (H, W, 3) in [0, 1] to YIQ (H, W, 3); Y in [0, 1]."""
    rgb = _as_rgb(rgb, "RGB image")
    return rgb @ RGB_TO_YIQ.T.astype(rgb.dtype, copy=False)


def yiq_to_rgb(yiq: np.ndarray, clip: bool = True) -> np.ndarray:
    """Convert YIQ (H, W, 3) to RGB (H, W, 3), clipped to [0, 1] unless ``clip=False``."""
    yiq = _as_rgb(yiq, "YIQ image")
    rgb = yiq @ YIQ_TO_RGB.T.astype(yiq.dtype, copy=False)
    return np.clip(rgb, 0.0, 1.0) if clip else rgb


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB (H, W, 3) in [0, 1] to CIELAB (D65); L in [0, 100]."""
    from skimage.color import rgb2lab

    return rgb2lab(_as_rgb(rgb, "RGB image"))


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Convert CIELAB (H, W, 3) to sRGB (H, W, 3) in [0, 1] (out-of-gamut values clipped)."""
    import warnings

    from skimage.color import lab2rgb

    with warnings.catch_warnings():
        # Out-of-gamut colours are clipped on purpose; the warning would only be noise.
        warnings.simplefilter("ignore", UserWarning)
        return np.clip(lab2rgb(_as_rgb(lab, "Lab image")), 0.0, 1.0)


def rgb_to_lab_fast(rgb: np.ndarray) -> np.ndarray:
    """:func:`rgb_to_lab` in float32 through OpenCV, for video frames: CIELAB (H, W, 3).

    Within 0.5 L or ab units of :func:`rgb_to_lab` (OpenCV rounds its constants differently).

    The input is clipped to [0, 1] first (OpenCV's float conversion expects that range).
    """
    import cv2

    rgb = np.clip(np.asarray(_as_rgb(rgb, "RGB image"), dtype=np.float32), 0.0, 1.0)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def lab_to_rgb_fast(lab: np.ndarray) -> np.ndarray:
    """:func:`lab_to_rgb` in float32 through OpenCV: about 20x faster, equal within 1e-3.

    Returns sRGB (H, W, 3) float32 in [0, 1]. For interactive re-decoding (the CNN's
    vividness slider) of megapixel photos. b is first limited as scikit-image limits
    it (its z-clipping: f(z) = (L + 16) / 116 - b / 200 >= 0), so out-of-gamut colours
    clip the same way.
    """
    import cv2

    lab = np.array(_as_rgb(lab, "Lab image"), dtype=np.float32)
    np.minimum(lab[..., 2], (lab[..., 0] + 16.0) * (200.0 / 116.0), out=lab[..., 2])
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def luminance(image: np.ndarray) -> np.ndarray:
    """Luminance Y in [0, 1] of a gray (H, W) or RGB (H, W, 3) image in [0, 1]."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image
    _as_rgb(image)
    return image @ LUMA_WEIGHTS.astype(image.dtype, copy=False)


#: The relative luminance Y of linear sRGB (D65), as scikit-image's RGB -> XYZ matrix
#: has it; the weights add up to 1, so a neutral colour's Y is its linear value.
_LINEAR_RGB_TO_Y = np.array([0.212671, 0.715160, 0.072169])


def _lightness_of_luminance(y: np.ndarray) -> np.ndarray:
    """CIELAB L from relative luminance Y (white = 1): the CIE's cube root with its linear
    part near black, in Y's precision."""
    one = y.dtype.type
    f = np.where(y > one(0.008856), np.cbrt(y), one(7.787) * y + one(16.0 / 116.0))
    return one(116.0) * f - one(16.0)


def lab_lightness(image: np.ndarray) -> np.ndarray:
    """CIELAB lightness L in [0, 100] of a gray (H, W) or RGB (H, W, 3) image in [0, 1].

    A gray image is read as R = G = B, so its L is that of the neutral colour. Computed
    from the luminance alone, in the image's precision (float32 stays float32), as
    :func:`rgb_to_lab` computes its L, without a whole colour conversion or importing
    scikit-image.
    """
    image = np.asarray(image)
    dtype = np.float32 if image.dtype == np.float32 else np.float64
    image = image.astype(dtype, copy=False)
    if image.ndim == 3:
        image = _as_rgb(image)
    one = dtype
    # sRGB decoding; the power only of values above the linear part (no NaN from below 0).
    curved = ((np.maximum(image, one(0.04045)) + one(0.055)) / one(1.055)) ** one(2.4)
    linear = np.where(image > one(0.04045), curved, image / one(12.92))
    y = linear if linear.ndim == 2 else linear @ _LINEAR_RGB_TO_Y.astype(dtype)
    return _lightness_of_luminance(y)


#: Steps of the gray-to-lightness table: neighbouring entries differ by under 0.002 L.
_NEUTRAL_STEPS = 65536
_neutral_table: np.ndarray | None = None


def neutral_lightness(gray: np.ndarray) -> np.ndarray:
    """CIELAB L (H, W) float32 in [0, 100] of a gray image (H, W) in [0, 1] (R = G = B).

    :func:`lab_lightness` of the same gray, within 0.002 L, looked up in a table of the
    neutral colours' L: about fifty times faster than a colour conversion of the frame.
    """
    global _neutral_table
    if _neutral_table is None:  # made on first use: importing this module stays light
        _neutral_table = lab_lightness(np.linspace(0.0, 1.0, _NEUTRAL_STEPS)[None, :])[0] \
            .astype(np.float32)
    index = np.asarray(gray, np.float32) * np.float32(_NEUTRAL_STEPS - 1)
    np.fmax(index, 0.0, out=index)  # fmax/fmin, unlike clip, also send NaN in range
    np.fmin(index, _NEUTRAL_STEPS - 1, out=index)
    index += np.float32(0.5)
    return _neutral_table[index.astype(np.intp)]


def join_luminance_chroma(y: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """RGB image in [0, 1] from luminance Y (H, W) and YIQ chroma I, Q (H, W, 2)."""
    yiq = np.concatenate([y[..., None], chroma], axis=2)
    return yiq_to_rgb(yiq)


def join_luminance_chroma_in_gamut(y: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Like :func:`join_luminance_chroma`, but keeping the luminance Y exactly.

    Where Y with chroma I, Q (H, W, 2) falls outside the RGB cube, the chroma is scaled
    towards gray (at constant Y) just enough to fit, instead of clipping each channel
    (which would change Y). Returns RGB (H, W, 3) in [0, 1] of ``y``'s float dtype.
    """
    y = np.asarray(y)
    dtype = y.dtype if np.issubdtype(y.dtype, np.floating) else np.float64
    y = y.astype(dtype, copy=False)
    chroma = np.asarray(chroma, dtype)
    # Gray + chroma: the first column of YIQ -> RGB is (1, 1, 1), so chroma moves RGB
    # along directions of zero luminance. Channel by channel (2-D arrays): several times
    # faster than (H, W, 3) products and broadcasts.
    columns = YIQ_TO_RGB[:, 1:].astype(dtype)
    offsets = [chroma[..., 0] * columns[c, 0] + chroma[..., 1] * columns[c, 1]
               for c in range(3)]
    # The largest scale of the chroma that keeps every channel in [0, 1]: the room to 1
    # (a rising channel) or to 0 (a falling one) over the channel's offset, at most 1.
    scale = np.ones_like(y)
    for offset in offsets:
        room = np.full_like(y, np.inf)
        np.divide((offset > 0).astype(dtype) - y, offset, out=room, where=offset != 0)
        np.fmin(scale, room, out=scale)
    np.maximum(scale, 0.0, out=scale)
    rgb = np.empty(y.shape + (3,), dtype)
    for c, offset in enumerate(offsets):
        rgb[..., c] = y + scale * offset
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def is_gray(rgb: np.ndarray, tolerance: float = 1.0 / 255.0) -> bool:
    """True when an RGB image in [0, 1] carries no colour (all channels equal within tolerance)."""
    rgb = np.asarray(rgb)
    if rgb.ndim == 2:
        return True
    # Pairwise channel differences: the same test as np.ptp over channels, several times faster.
    return all(
        np.abs(rgb[..., first] - rgb[..., second]).max(initial=0.0) <= tolerance
        for first, second in ((0, 1), (1, 2), (0, 2))
    )


def _lab_to_linear_rgb(lab: np.ndarray) -> np.ndarray:
    """Linear (not gamma-encoded) sRGB of CIELAB (..., 3), unclipped; D65, 2-degree observer."""
    from skimage.color import xyz_tristimulus_values
    from skimage.color.colorconv import rgb_from_xyz

    def f_inverse(f: np.ndarray) -> np.ndarray:
        # The CIE inverse of f: a cube above 6/29, a line below (as scikit-image's lab2xyz).
        return np.where(f > 6.0 / 29.0, f * f * f, (f - 16.0 / 116.0) * (3.0 * (6.0 / 29.0) ** 2))

    white = xyz_tristimulus_values(illuminant="D65", observer="2")
    fy = (lab[..., 0] + 16.0) / 116.0
    xyz = (
        white[0] * f_inverse(fy + lab[..., 1] / 500.0),
        white[1] * f_inverse(fy),
        white[2] * f_inverse(fy - lab[..., 2] / 200.0),
    )
    # Channel by channel: a (N, 3) @ (3, 3) product can be many times slower than this.
    channels = [row[0] * xyz[0] + row[1] * xyz[1] + row[2] * xyz[2] for row in rgb_from_xyz]
    return np.stack(channels, axis=-1).astype(lab.dtype, copy=False)


def lab_to_rgb_keep_lightness(lab: np.ndarray, iterations: int = 10) -> np.ndarray:
    """Convert CIELAB (H, W, 3) to sRGB (H, W, 3) in [0, 1], keeping L exactly.

    Out-of-gamut colours are not clipped channel by channel (which changes their
    lightness) but brought into the gamut by shrinking their chroma (a, b) towards
    gray at constant L, by bisection to within ``2 ** -iterations`` of the border.
    L must lie in [0, 100]. float32 input gives float32 output.
    """
    lab = np.asarray(_as_rgb(lab, "Lab image"))
    if lab.dtype != np.float32:
        lab = lab.astype(np.float64, copy=False)
    linear = _lab_to_linear_rgb(lab)
    # A small tolerance keeps rounding (float32) from sending in-gamut colours to bisection.
    tolerance = 1e-4
    beyond = (linear < -tolerance) | (linear > 1.0 + tolerance)
    outside = np.flatnonzero(beyond.any(axis=-1).ravel())
    if outside.size:
        flat_lab = lab.reshape(-1, 3)[outside]
        lightness, chroma = flat_lab[:, :1], flat_lab[:, 1:]
        inside_scale = np.zeros((outside.size, 1), lab.dtype)  # scale 0 (gray) is in gamut
        outside_scale = np.ones((outside.size, 1), lab.dtype)
        for _ in range(iterations):
            middle = 0.5 * (inside_scale + outside_scale)
            trial = _lab_to_linear_rgb(np.concatenate([lightness, chroma * middle], axis=1))
            fits = ((trial >= 0.0) & (trial <= 1.0)).all(axis=1, keepdims=True)
            inside_scale = np.where(fits, middle, inside_scale)
            outside_scale = np.where(fits, outside_scale, middle)
        fitted = np.concatenate([lightness, chroma * inside_scale], axis=1)
        linear.reshape(-1, 3)[outside] = _lab_to_linear_rgb(fitted)
    linear = np.clip(linear, 0.0, 1.0)  # only rounding is left to clip
    encoded = np.where(
        linear > 0.0031308, 1.055 * np.power(linear, 1.0 / 2.4) - 0.055, 12.92 * linear
    )
    return np.clip(encoded, 0.0, 1.0)
