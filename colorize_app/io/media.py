"""Image files in and out: the one module that reads or writes the user's pictures.

Reading gives float32 pixels in [0, 1] whatever the file held (8 or 16 bits,
gray, palette, RGBA, CMYK), with EXIF orientation applied and anything lost
(an alpha channel, CMYK) named in ``notes``. Writing encodes the whole file in
memory, then moves it into place atomically, and never replaces an input.
Every problem a user can cause is a :class:`~algorithms.errors.BadInputError`
with a one-line message.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from algorithms.errors import BadInputError, first_line
from colorize_app.io.safe_files import (
    PathLike,
    atomic_write_bytes,
    check_input_file,
)
from colorize_app.io.tiff import is_tiff, read_tiff, tiff_size
from colorize_app.runtime.system import check_memory

#: Largest image (width x height) read; larger ones are refused from the header, before decoding.
MAX_PIXELS = 250_000_000
# Pillow's own bomb check would refuse smaller images than ours; ours runs first.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)

#: File extensions read_image accepts (lower case), used to pick images from a folder.
IMAGE_EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".ppm", ".pgm",
)
#: File extensions write_image can produce.
WRITE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
#: Of those, the ones that store 16 bits per channel.
SIXTEEN_BIT_EXTENSIONS = (".png", ".tif", ".tiff")

_EXIF_ORIENTATION = 0x0112
#: Peak bytes per pixel while decoding (Pillow's or OpenCV's levels, then float32 RGB).
DECODE_BYTES_PER_PIXEL = 32


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field by field is ambiguous
class LoadedImage:
    """An image read from a file.

    Attributes
    ----------
    pixels : (H, W) or (H, W, 3) ndarray, float32 in [0, 1]
        Gray files give (H, W); everything else gives RGB.
    bit_depth : int
        Bits per channel in the file: 8 or 16.
    notes : tuple of str
        What was lost or converted on the way, e.g. ``"alpha channel dropped"``.
    path : str
        The file read.
    """

    pixels: np.ndarray
    bit_depth: int
    notes: tuple[str, ...]
    path: str

    @property
    def is_gray(self) -> bool:
        """True when the file held a single (gray) channel."""
        return self.pixels.ndim == 2


# --------------------------------------------------------------------------------------------
# Reading


def read_image(path: PathLike) -> LoadedImage:
    """Read an image file into float32 pixels in [0, 1].

    Raises BadInputError (one line) for a missing, empty, truncated, unreadable or
    too large file, or a folder.
    """
    path = os.fspath(path)
    file_size = check_input_file(path).st_size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise BadInputError(
                        f"{path} is too large: {width} x {height} pixels "
                        f"(the limit is {MAX_PIXELS:,} pixels)"
                    )
                # Before anything is allocated: the header must fit the data, and the
                # decoded pixels must fit in memory.
                check_data_present(path, image, file_size)
                check_memory(width * height * DECODE_BYTES_PER_PIXEL,
                             f"decoding {path} ({width} x {height} pixels)")
                if image.format == "TIFF" and image.mode == "F":
                    # Pillow would clip floats to 8 bits: a [0, 1] image came out black.
                    pixels, bit_depth, notes = read_tiff(path, MAX_PIXELS,
                                                         DECODE_BYTES_PER_PIXEL)
                elif _pillow_reduces_depth(image):
                    pixels, bit_depth, notes = _decode_with_opencv(path, image)
                else:
                    image.load()
                    ImageOps.exif_transpose(image, in_place=True)
                    pixels, bit_depth, notes = _pixels_from_pillow(image, path)
    except UnidentifiedImageError:
        if not is_tiff(path):
            raise BadInputError(f"{path} is not an image file that can be read") from None
        # Floating-point RGB, 64- or 16-bit float TIFFs: Pillow cannot open them.
        pixels, bit_depth, notes = read_tiff(path, MAX_PIXELS, DECODE_BYTES_PER_PIXEL)
    except Image.DecompressionBombError:
        raise BadInputError(f"{path} is too large (over {MAX_PIXELS:,} pixels)") from None
    except PermissionError:
        raise BadInputError(f"cannot read {path}: permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        reason = first_line(error)
        if "truncated" in reason:
            raise BadInputError(f"{path} is truncated (incomplete file)") from None
        raise BadInputError(f"{path} is corrupt or not a supported image ({reason})") from None
    return LoadedImage(pixels=pixels, bit_depth=bit_depth, notes=tuple(notes), path=path)


def image_size(path: PathLike) -> tuple[int, int]:
    """(width, height) of an image file from its header, nothing decoded (one-line errors).

    A PNG or JPEG whose header declares more pixels than its bytes can hold is refused as
    truncated (:func:`check_data_present`). EXIF orientations that turn the picture swap
    the two, as :func:`read_image` does.
    """
    path = os.fspath(path)
    file_size = check_input_file(path).st_size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                check_data_present(path, image, file_size)  # a lying header is named first
                if image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
                    width, height = height, width
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        if is_tiff(path):  # floating-point TIFFs Pillow cannot open
            return tiff_size(path)
        read_image(path)  # gives this file's one-line error
        raise BadInputError(f"{path} is not an image file that can be read") from None
    return width, height


def check_data_present(path: str, image: Image.Image, file_size: int,
                       head: bytes | None = None) -> None:
    """Refuse a PNG or JPEG whose header declares more pixels than its bytes can hold.

    Some decoders fill what is missing with gray instead of failing, so a 335-byte JPEG
    claiming 15000 x 15000 pixels would be decoded as a valid 225-megapixel image. The
    bounds are loose on purpose: deflate shrinks data by at most 1032:1 (so a PNG holds
    at least one byte per 1100 of its 1-bit-per-pixel rows), and a Huffman-coded JPEG
    spends at least one bit per 8 x 8 block. ``head`` is the file's first 64 kB when it
    is not a file (an image embedded in a project; ``path`` then only names it).
    """
    width, height = image.size
    if image.format == "PNG":
        least = height * (1 + -(-width // 8)) // 1100
    elif image.format in ("JPEG", "MPO") and _jpeg_is_huffman(path, head):
        least = -(-width // 8) * -(-height // 8) // 8
    else:
        return
    if file_size < least:
        raise BadInputError(
            f"{path} is truncated: its header declares {width} x {height} pixels but the "
            f"file holds only {file_size:,} bytes"
        )


def _jpeg_is_huffman(path: str, head: bytes | None = None) -> bool:
    """True when the JPEG's frame header says Huffman coding (SOF0-3, 5-7)."""
    if head is None:
        with open(path, "rb") as file:
            head = file.read(1 << 16)
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return False
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker < 0xC8
        position += 2 + int.from_bytes(head[position + 2:position + 4], "big")
    return False


def _pillow_reduces_depth(image: ImageFile.ImageFile) -> bool:
    """True for 16-bit colour (or gray + alpha) files, which Pillow would decode to 8 bits."""
    if image.mode not in ("RGB", "RGBA", "LA") or not image.tile:
        return False
    args = image.tile[0][3]
    rawmode = args[0] if isinstance(args, tuple) else args
    return isinstance(rawmode, str) and ";16" in rawmode


def _unit_range(levels: object, top: float) -> np.ndarray:
    """Integer levels 0..top (an array or a Pillow image) as a new float32 array in [0, 1]."""
    pixels = np.array(levels, dtype=np.float32)
    pixels /= np.float32(top)
    return pixels


def _pixels_from_pillow(image: Image.Image, path: str) -> tuple[np.ndarray, int, list[str]]:
    notes: list[str] = []
    mode = image.mode
    if mode.startswith("I;16"):
        return _unit_range(image, 65535), 16, notes
    if mode == "I":  # 32-bit integers: accept the 16-bit range some encoders store this way
        values = np.asarray(image)
        if values.min(initial=0) < 0 or values.max(initial=0) > 65535:
            raise BadInputError(f"{path} has 32-bit integer pixels, not supported")
        return _unit_range(values, 65535), 16, notes
    if mode in ("1", "L"):
        return _unit_range(image.convert("L"), 255), 8, notes
    if mode in ("LA", "La"):
        notes.append("alpha channel dropped")
        return _unit_range(image.getchannel("L"), 255), 8, notes
    if mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in image.info):
        notes.append("alpha channel dropped")
    elif mode == "CMYK":
        notes.append("CMYK converted to RGB (no colour management)")
    elif mode not in ("RGB", "P"):
        notes.append(f"{mode} pixels converted to RGB")
    try:
        rgb = image.convert("RGB")
    except ValueError:
        raise BadInputError(f"{path} has {mode} pixels, not supported") from None
    return _unit_range(rgb, 255), 8, notes


def _decode_with_opencv(path: str, image: Image.Image) -> tuple[np.ndarray, int, list[str]]:
    """Decode a 16-bit colour file with OpenCV, which keeps all 16 bits."""
    import cv2

    # OpenCV's TIFF decoder applies the Orientation tag itself, even with IMREAD_UNCHANGED;
    # its other decoders leave EXIF orientation to us.
    orientation = 1 if image.format == "TIFF" else image.getexif().get(_EXIF_ORIENTATION, 1)
    with open(path, "rb") as file:
        raw = file.read()
    # OpenCV's PNG reader allocates each chunk's declared length before reading it: one
    # damaged length field (found by fuzzing) made it take 4 GB for a 382-byte file.
    if image.format == "PNG" and not _png_chunks_fit(raw):
        raise BadInputError(f"{path} is truncated or corrupt")
    decoded = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise BadInputError(f"{path} is truncated or corrupt")
    if decoded.dtype not in (np.uint8, np.uint16):
        raise BadInputError(f"{path} has {decoded.dtype} pixels, not supported")
    bit_depth = 16 if decoded.dtype == np.uint16 else 8
    notes: list[str] = []
    if decoded.ndim == 3 and decoded.shape[2] == 4:
        notes.append("alpha channel dropped")
    if image.mode == "LA" or decoded.ndim == 2:
        channels = decoded if decoded.ndim == 2 else decoded[..., 0]
    else:
        channels = decoded[..., 2::-1]  # BGR(A) -> RGB
    upright = apply_exif_orientation(channels, orientation)
    return _unit_range(upright, 2**bit_depth - 1), bit_depth, notes


def _png_chunks_fit(data: bytes) -> bool:
    """True when every chunk of PNG ``data`` lies within the file (lengths are not lies)."""
    position = 8  # after the signature
    while position + 8 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        if position + 12 + length > len(data):
            return False
        if data[position + 4:position + 8] == b"IEND":
            break
        position += 12 + length
    return True


def apply_exif_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an array stored with EXIF ``orientation`` (1-8) upright, as ImageOps.exif_transpose.

    Returns a view of ``pixels`` (H, W[, C]); unknown orientations leave it as is.
    """
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels


def list_images(folder: PathLike) -> list[str]:
    """Paths of the image files (by extension) directly in ``folder``, sorted by name.

    Hidden files (names starting with a dot, such as unfinished atomic writes) are skipped.
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise BadInputError(f"no such folder: {folder}")
    names = sorted(
        name
        for name in os.listdir(folder)
        if not name.startswith(".")
        and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
        and os.path.isfile(os.path.join(folder, name))
    )
    return [os.path.join(folder, name) for name in names]


# --------------------------------------------------------------------------------------------
# Writing


def write_image(
    path: PathLike,
    image: np.ndarray,
    *,
    inputs: Iterable[PathLike] = (),
    bit_depth: int = 8,
    quality: int = 95,
) -> None:
    """Write ``image`` to ``path`` atomically; the format comes from the extension.

    Parameters
    ----------
    path : str or path-like
        Output file: .png, .jpg/.jpeg, .tif/.tiff, .bmp or .webp.
    image : (H, W) or (H, W, 3) ndarray, float in [0, 1]
        Values outside [0, 1] are clipped, then rounded to the nearest level.
    inputs : iterable of paths
        Files this output was made from; writing over any of them is refused.
    bit_depth : {8, 16}
        Bits per channel; 16 only for PNG and TIFF.
    quality : int in [1, 100]
        JPEG and WebP quality.
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in WRITE_EXTENSIONS:
        raise BadInputError(
            f"cannot write {path}: unknown image type '{extension or '(no extension)'}'; "
            f"use one of {', '.join(WRITE_EXTENSIONS)}"
        )
    if bit_depth not in (8, 16):
        raise BadInputError(f"bit depth must be 8 or 16, not {bit_depth}")
    if bit_depth == 16 and extension not in SIXTEEN_BIT_EXTENSIONS:
        raise BadInputError(
            f"{extension} files hold 8 bits per channel only; use .png or .tif for 16-bit output"
        )
    if not 1 <= quality <= 100:
        raise BadInputError(f"quality must be between 1 and 100, not {quality}")
    atomic_write_bytes(path, encode_image(extension, image, bit_depth, quality), inputs=inputs)


def encode_image(extension: str, image: np.ndarray, bit_depth: int, quality: int) -> bytes:
    """The bytes of ``image`` ((H, W) or (H, W, 3) float in [0, 1]) as an ``extension`` file.

    ``bit_depth`` is 8 or 16 (16 for .png/.tif only; not checked here), ``quality`` 1-100
    for JPEG. BadInputError for a non-numeric, empty or non-finite image.
    """
    import cv2

    image = np.asarray(image)
    if image.dtype.kind not in "fiu" or not (
        image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)
    ):
        raise BadInputError(
            f"an image to write must be numeric of shape (H, W) or (H, W, 3), "
            f"got {image.dtype} {image.shape}"
        )
    if image.size == 0:
        raise BadInputError(f"cannot write an empty image of shape {image.shape}")
    if not np.isfinite(image).all():
        raise BadInputError("cannot write an image containing NaN or infinite values")
    dtype = np.uint16 if bit_depth == 16 else np.uint8
    levels = np.rint(np.clip(image, 0.0, 1.0) * np.iinfo(dtype).max).astype(dtype)
    if levels.ndim == 3:
        levels = np.ascontiguousarray(levels[..., ::-1])  # OpenCV expects BGR
    params: list[int] = []
    if extension in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif extension == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, encoded = cv2.imencode(extension, levels, params)
    if not ok:  # pragma: no cover - OpenCV encodes every type listed in WRITE_EXTENSIONS
        raise BadInputError(f"could not encode the image as {extension}")
    return encoded.tobytes()
