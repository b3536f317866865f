"""TIFF files Pillow reads wrong or not at all: floating-point samples (32-bit gray, which
Pillow turned all black by clipping to 8 bits, and the RGB, 64- and 16-bit float files it
cannot open), read with tifffile and scaled to [0, 1] by their range.

Part of the media module (:func:`colorize_app.io.media.read_image` calls :func:`read_tiff`).
The size and the memory are checked from the TIFF's header before its pixels are read.
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError, first_line

#: TIFF's two byte orders' signatures (and BigTIFF's).
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def is_tiff(path: str) -> bool:
    """True when the file starts with a TIFF signature."""
    try:
        with open(path, "rb") as file:
            return file.read(4) in TIFF_SIGNATURES
    except OSError:
        return False


def tiff_size(path: str) -> tuple[int, int]:
    """(width, height) of the TIFF ``path``'s first image, from its header (one-line errors)."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages.first
            return int(page.imagewidth), int(page.imagelength)
    except Exception as error:  # noqa: BLE001 - tifffile raises many types for damaged files
        reason = first_line(error, limit=100)
        raise BadInputError(f"{path} is corrupt or not a supported TIFF ({reason})") from None


def read_tiff(path: str, max_pixels: int, decode_bytes_per_pixel: int
              ) -> tuple[np.ndarray, int, list[str]]:
    """(float32 pixels in [0, 1], bit depth, notes) of the TIFF ``path``'s first image.

    Floating-point samples in [0, 1] are kept as they are; otherwise, when they lie in
    [0, 255] or [0, 65535] (8- and 16-bit levels stored as floats), they are divided by
    that top, with a note; anything else (negative, not finite, larger) is refused with
    the range found, as are integer sample types other than 8 and 16 bits.
    """
    import tifffile

    from colorize_app.runtime.system import check_memory

    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages.first
            width, height = int(page.imagewidth), int(page.imagelength)
            if width * height > max_pixels:
                raise BadInputError(f"{path} is too large: {width} x {height} pixels "
                                    f"(the limit is {max_pixels:,} pixels)")
            samples = int(getattr(page, "samplesperpixel", 1) or 1)
            check_memory(width * height * (decode_bytes_per_pixel
                                           + samples * page.dtype.itemsize),
                         f"decoding {path} ({width} x {height} pixels)")
            data = page.asarray()
    except BadInputError:
        raise
    except Exception as error:  # noqa: BLE001 - tifffile raises many types for damaged files
        reason = first_line(error, limit=100)
        raise BadInputError(f"{path} is corrupt or not a supported TIFF ({reason})") from None
    data = np.squeeze(data)
    if data.ndim == 3 and data.shape[0] in (2, 3, 4) and data.shape[-1] not in (2, 3, 4):
        data = np.moveaxis(data, 0, -1)  # planar (one plane per sample) to interleaved
    notes: list[str] = []
    if data.ndim == 3 and data.shape[-1] in (2, 4):
        notes.append("alpha channel dropped")
        data = data[..., 0] if data.shape[-1] == 2 else data[..., :3]
    if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[-1] != 3):
        raise BadInputError(f"{path} has {data.shape} samples, not a gray or RGB image")
    if data.dtype == np.uint8:
        return _scaled(data, 255), 8, notes
    if data.dtype == np.uint16:
        return _scaled(data, 65535), 16, notes
    if data.dtype.kind != "f":
        raise BadInputError(f"{path} has {data.dtype} samples, not supported (8- or 16-bit "
                            "integers, or floating point, are)")
    low, high = float(np.min(data)), float(np.max(data))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise BadInputError(f"{path} has floating-point samples that are not finite numbers "
                            "(NaN or infinity)")
    if low < 0 or high > 65535:
        raise BadInputError(f"{path} has floating-point samples from {low:.4g} to {high:.4g}, "
                            "outside [0, 1]: save it scaled to [0, 1], or as 8 or 16 bits")
    top = 1.0 if high <= 1 else 255.0 if high <= 255 else 65535.0
    if top != 1.0:
        notes.append(f"floating-point samples up to {high:.4g} read as levels of 0 to "
                     f"{top:.0f}")
    return _scaled(data, top), 16, notes


def _scaled(data: np.ndarray, top: float) -> np.ndarray:
    pixels = np.array(data, dtype=np.float32)
    pixels /= np.float32(top)
    return np.clip(pixels, 0.0, 1.0, out=pixels)
