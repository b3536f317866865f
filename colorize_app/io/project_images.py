"""The input images of project files: references by path and checksum, found again later.

A project names each input image by its absolute path, its path relative to the project
file and its SHA-256 (or carries the file's bytes). :func:`resolve_image` finds the image
again when the project is opened, whether it stayed, moved along with the project, or
only survives as the embedded copy.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from algorithms.errors import BadInputError
from colorize_app.io import media, safe_files
from colorize_app.io.safe_files import file_sha256
from colorize_app.runtime import paths, system

PathLike = safe_files.PathLike

#: Where embedded images are unpacked for reading; None: ``paths.embedded_images_dir()``.
CACHE_FOLDER: str | None = None


class MissingImageError(BadInputError):
    """A project's input image is neither where it was nor embedded; ``role`` names it."""

    def __init__(self, message: str, role: str = "") -> None:
        super().__init__(message)
        self.role = role


@dataclass
class ImageRef:
    """One input image of a project.

    Attributes
    ----------
    path : str
        Absolute path when the project was saved.
    sha256 : str
        Hex digest of the file's bytes ("" when unknown).
    size : (int, int)
        (width, height) of the decoded pixels, (0, 0) when unknown.
    relative_path : str
        ``path`` relative to the project file's folder ("" when on another drive).
    embedded : bytes or None
        The file's own bytes, when the project carries the image.
    """

    path: str
    sha256: str = ""
    size: tuple[int, int] = (0, 0)
    relative_path: str = ""
    embedded: bytes | None = None


def image_ref(path: PathLike, size: tuple[int, int] = (0, 0), embed: bool = False) -> ImageRef:
    """An ImageRef for the image file ``path``; ``embed`` keeps its bytes in the project."""
    path = os.path.abspath(os.fspath(path))
    embedded = None
    if embed:
        try:
            with open(path, "rb") as file:
                embedded = file.read()
        except OSError as error:
            raise BadInputError(f"cannot read {path}: {error.strerror or error}") from None
    return ImageRef(path=path, sha256=file_sha256(path, "an image file"),
                    size=(int(size[0]), int(size[1])),
                    embedded=embedded)


def default_cache_folder() -> str:
    """The folder where images embedded in projects are unpacked to be read."""
    if CACHE_FOLDER is not None:
        return CACHE_FOLDER
    return str(paths.embedded_images_dir())


def resolve_image(ref: ImageRef, role: str, project_path: PathLike = "",
                  cache_folder: PathLike | None = None) -> str:
    """The path to read a project's image from.

    Tried in order: the saved path, the same relative place beside the project file, and
    the embedded copy (written once into ``cache_folder``, by checksum). A file that exists
    but whose checksum differs is not taken for the image.

    Raises
    ------
    MissingImageError
        When none of them holds the image (the window then asks the user for it).
    """
    candidates = [ref.path]
    if ref.relative_path and project_path:
        folder = os.path.dirname(os.path.abspath(os.fspath(project_path)))
        candidates.append(os.path.normpath(os.path.join(folder, ref.relative_path)))
    for candidate in candidates:
        if candidate and _regular_file(candidate) and (
                not ref.sha256 or file_sha256(candidate) == ref.sha256):
            return candidate
    if ref.embedded is not None and cache_folder is not None:
        # Nothing unreadable, lying or too large for memory goes to the cache; the message
        # names the project, not the cached copy.
        _check_embedded_image(ref.embedded, role, os.path.basename(os.fspath(project_path))
                              or "the project")
        digest = hashlib.sha256(ref.embedded).hexdigest()
        extension = os.path.splitext(ref.path)[1].lower()
        if extension not in media.IMAGE_EXTENSIONS:
            extension = ".png"
        cached = os.path.join(os.fspath(cache_folder), digest + extension)
        try:
            os.makedirs(cache_folder, exist_ok=True)
            if not os.path.isfile(cached) or file_sha256(cached) != digest:
                safe_files.atomic_write_bytes(cached, ref.embedded)
        except (OSError, BadInputError) as error:
            reason = safe_files.reason(error) if isinstance(error, OSError) else str(error)
            raise BadInputError(f"cannot unpack the project's embedded {role} image into the "
                                f"cache folder {os.fspath(cache_folder)} (set "
                                f"{paths.CACHE_DIR_VARIABLE} to a folder): {reason}") from None
        return cached
    if _regular_file(ref.path):
        state = "has changed since the project was saved"
    elif os.path.lexists(ref.path):  # a FIFO, device, /proc file...: never read
        state = "is not a regular file (a FIFO, device or system file)"
    else:
        state = "is missing (moved?)"
    raise MissingImageError(f"the project's {role} image {ref.path} {state}", role)


def _regular_file(path: str) -> bool:
    """True for a non-empty regular data file (not a FIFO, device or /proc file)."""
    try:
        safe_files.check_input_file(path)
    except BadInputError:
        return False
    return True


def check_layer_memory(what: str, width: int, height: int) -> None:
    """Refuse (one line, before decoding) a project layer of ``width`` x ``height`` pixels
    that would not fit in the memory available (decoding takes what a photo's does)."""
    from algorithms.errors import MemoryBudgetError

    try:
        system.check_memory(int(width) * int(height) * media.DECODE_BYTES_PER_PIXEL,
                                 f"decoding {what} ({width} x {height} pixels)")
    except MemoryBudgetError as error:  # named with the project file by load_project
        raise BadInputError(str(error)) from None


def _check_embedded_image(data: bytes, role: str, project: str = "the project") -> None:
    """Refuse an embedded copy that is not an image within the pixel limit, whose header
    declares more pixels than its bytes hold, or that would not fit in memory once decoded
    (header only; ``project`` names the project file in the message)."""
    import io
    import warnings

    from PIL import Image

    what = f"{project}: the embedded {role} image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                media.check_data_present(what, image, len(data), head=data[:1 << 16])
    except BadInputError:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many types for damaged headers
        raise BadInputError(f"{what} is not a readable image") from None
    if width * height > media.MAX_PIXELS:
        raise BadInputError(f"{what} is too large ({width} x {height} pixels)")
    system.check_memory(width * height * media.DECODE_BYTES_PER_PIXEL,
                             f"decoding {what} ({width} x {height} pixels)")
