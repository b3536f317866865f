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
from colorize_app import media, paths
from colorize_app.media_files import file_sha256

PathLike = media.PathLike

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
        _check_embedded_image(ref.embedded, role)  # nothing unreadable goes to the cache
        digest = hashlib.sha256(ref.embedded).hexdigest()
        extension = os.path.splitext(ref.path)[1].lower()
        if extension not in media.IMAGE_EXTENSIONS:
            extension = ".png"
        os.makedirs(cache_folder, exist_ok=True)
        cached = os.path.join(os.fspath(cache_folder), digest + extension)
        if not os.path.isfile(cached) or file_sha256(cached) != digest:
            media.atomic_write_bytes(cached, ref.embedded)
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
        media.check_input_file(path)
    except BadInputError:
        return False
    return True


def _check_embedded_image(data: bytes, role: str) -> None:
    """Refuse an embedded copy that is not an image within the pixel limit (header only)."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Exception:  # noqa: BLE001 - Pillow raises many types for damaged headers
        raise BadInputError(f"the project's embedded {role} image is not a readable "
                            "image") from None
    if width * height > media.MAX_PIXELS:
        raise BadInputError(f"the project's embedded {role} image is too large "
                            f"({width} x {height} pixels)")
