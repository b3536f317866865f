"""Project files (``.colorize``): a window's whole work in one file, with no Qt.

A project is a zip archive holding ``manifest.json`` and PNG layers::

    manifest.json        {"format": "colorize-project", "format_version": 1,
                          "method": "scribble", "images": {...}, "settings": {...},
                          "strokes": [...], "swatches": [...], "layers": {...}}
    layers/<name>.png    16-bit PNG for images (float in [0, 1]), 8-bit for masks (bool)
    images/<role><ext>   the input image's own bytes, only when embedded

Each input image is referenced by its absolute path, its path relative to the project file
and its SHA-256, so a moved image is found again beside the project or recognised when the
user points at it (``colorize_app.io.project_images``). Saving writes the whole archive in
memory, keeps the previous file as ``<name>.colorize.bak`` and moves the new one into
place atomically (``colorize_app.io.media``).
Everything a damaged or hostile file can cause is a BadInputError with a one-line message;
sizes are checked before anything is decompressed or decoded.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from algorithms.errors import BadInputError, first_line
from colorize_app import __version__
from colorize_app.documents.strokes import Stroke, stroke_to_data, strokes_from_data
from colorize_app.documents.swatches import SwatchEntry, entries_from_data, entries_to_data
from colorize_app.io import media, safe_files
from colorize_app.io.project_images import (
    ImageRef,
    MissingImageError,
    check_layer_memory,
    default_cache_folder,
    resolve_image,
)

PathLike = safe_files.PathLike

FORMAT_NAME = "colorize-project"
#: Version of the layout written; files of a newer version are refused with a clear message.
FORMAT_VERSION = 1
EXTENSION = ".colorize"
BACKUP_SUFFIX = ".bak"
MANIFEST = "manifest.json"
#: Methods a project can belong to (the window that opens it).
METHODS = ("scribble", "transfer", "cnn", "video")
#: Largest manifest, and largest archive content in all, read (uncompressed bytes).
MAX_MANIFEST_BYTES = 32 * 1024**2
MAX_CONTENT_BYTES = 1024**3
#: Largest embedded input image (its file's bytes), and largest file read as a project.
MAX_EMBEDDED_BYTES = 512 * 1024**2
MAX_PROJECT_FILE_BYTES = 2 * 1024**3
#: Most members an archive may hold (a zip with millions of entries is not ours).
MAX_MEMBERS = 1000
LAYER_KINDS = ("image", "mask")
_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass
class Project:
    """A window's work: inputs, strokes or swatches, settings and image layers.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`: the window that opens the project.
    images : dict of str to ImageRef
        Input images by role, e.g. ``"photo"`` or ``"target"`` and ``"reference"``.
    settings : dict
        JSON-ready options: model name, prior weight, temperature...
    strokes : list of Stroke
        Vector strokes in painting order (undo history is rebuilt from them).
    swatches : list of SwatchEntry
        Numbered swatch pairs, possibly missing a side.
    layers : dict of str to ndarray
        Named rasters: (H, W) or (H, W, 3) float in [0, 1] ("image"), or (H, W) bool
        ("mask"), e.g. ``"result"``, ``"hint_marked"``, ``"hint_mask"``.
    """

    method: str
    images: dict[str, ImageRef] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    strokes: list[Stroke] = field(default_factory=list)
    swatches: list[SwatchEntry] = field(default_factory=list)
    layers: dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Writing


def project_bytes(project: Project, project_path: PathLike = "") -> bytes:
    """The whole ``.colorize`` archive of ``project`` as bytes (see the module docstring)."""
    if project.method not in METHODS:
        raise BadInputError(f"unknown project method {project.method!r}")
    folder = os.path.dirname(os.path.abspath(os.fspath(project_path))) if project_path else ""
    members: dict[str, bytes] = {}
    images = {}
    for role, ref in project.images.items():
        _check_name(role, "image role")
        entry = {"path": ref.path, "sha256": ref.sha256, "size": list(ref.size),
                 "relative_path": _relative(ref.path, folder), "embedded": None}
        if ref.embedded is not None:
            extension = os.path.splitext(ref.path)[1].lower() or ".img"
            member = f"images/{role}{extension}"
            entry["embedded"] = member
            members[member] = ref.embedded
        images[role] = entry
    layers = {}
    for name, array in project.layers.items():
        _check_name(name, "layer name")
        array = np.asarray(array)
        kind = "mask" if array.dtype == bool else "image"
        levels = array.astype(np.float32) if kind == "mask" else array
        layers[name] = {"file": f"layers/{name}.png", "kind": kind}
        # Masks need 1 bit; 16-bit images keep float results to 1/65535.
        members[layers[name]["file"]] = media.encode_image(
            ".png", levels, 8 if kind == "mask" else 16, 95)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "saved_by": f"colorize-studio {__version__}",
        "method": project.method,
        "images": images,
        "settings": project.settings,
        "strokes": [stroke_to_data(stroke) for stroke in project.strokes],
        "swatches": entries_to_data(project.swatches),
        "layers": layers,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
        for name, data in members.items():
            # PNG data is compressed already: store it.
            archive.writestr(name, data, zipfile.ZIP_STORED)
    return buffer.getvalue()


def save_project(path: PathLike, project: Project, *, backup: bool = True,
                 inputs: tuple = ()) -> None:
    """Write ``project`` to ``path`` atomically; the previous file becomes ``path + .bak``.

    Either the old or the new file is at ``path`` at every moment (temporary file, fsync,
    rename); a failure leaves both the file and its backup as they were.
    """
    path = os.fspath(path)
    data = project_bytes(project, path)
    image_paths = tuple(ref.path for ref in project.images.values())
    if backup and os.path.isfile(path):
        with open(path, "rb") as file:
            previous = file.read()
        safe_files.atomic_write_bytes(path + BACKUP_SUFFIX, previous, inputs=image_paths + inputs)
    safe_files.atomic_write_bytes(path, data, inputs=image_paths + inputs)


def _relative(path: str, folder: str) -> str:
    if not folder:
        return ""
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive (Windows)
        return ""


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadInputError(f"bad {what} {str(name)[:40]!r} (letters, digits and _ only)")
    return name


# --------------------------------------------------------------------------------------------
# Reading


def load_project(path: PathLike) -> Project:
    """Read a ``.colorize`` file; images are referenced, not read (see :func:`resolve_image`).

    Raises
    ------
    BadInputError
        One line naming the file and the problem: not a project, damaged, or saved by a
        newer version of the application.
    """
    path = os.fspath(path)
    name = os.path.basename(path)
    status = safe_files.check_input_file(path, "a project file", missing="no such project file",
                                    allow_empty=True)  # zipfile names it "cut short"
    if status.st_size > MAX_PROJECT_FILE_BYTES:
        raise BadInputError(f"{name}: too large for a project file "
                            f"({status.st_size / 2**30:.1f} GiB)")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(archive)
    except BadInputError as error:
        raise BadInputError(f"{name}: {error}") from None
    except zipfile.BadZipFile:
        raise BadInputError(f"{name}: not a project file (not a zip archive, or cut short)")\
            from None
    except PermissionError:
        raise BadInputError(f"cannot read {path}: permission denied") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError,
            zlib.error) as error:
        # zipfile's own complaints: bad CRC, unknown compression, encrypted members...
        reason = first_line(error, limit=80)
        raise BadInputError(f"{name}: damaged project file ({reason})") from None


def _read_archive(archive: zipfile.ZipFile) -> Project:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BadInputError(f"too many entries ({len(infos)}) for a project file")
    # Declared sizes bound what zipfile will inflate, so checking them first stops zip bombs.
    if sum(info.file_size for info in infos) > MAX_CONTENT_BYTES:
        raise BadInputError("content too large for a project file")
    sizes = {info.filename: info.file_size for info in infos}
    if MANIFEST not in sizes:
        raise BadInputError(f"not a project file (no {MANIFEST})")
    if sizes[MANIFEST] > MAX_MANIFEST_BYTES:
        raise BadInputError(f"{MANIFEST} is too large")
    manifest = _parse_manifest(archive.read(MANIFEST))
    project = Project(method=manifest["method"])
    for role, entry in _mapping(manifest.get("images", {}), "images").items():
        project.images[_check_name(role, "image role")] = _image_from_entry(
            archive, sizes, role, entry)
    settings = manifest.get("settings", {})
    if not isinstance(settings, dict):
        raise BadInputError("settings must be an object")
    project.settings = settings
    project.strokes = strokes_from_data(manifest.get("strokes", []))
    project.swatches = entries_from_data(manifest.get("swatches", []))
    for layer, entry in _mapping(manifest.get("layers", {}), "layers").items():
        _check_name(layer, "layer name")
        entry = _mapping(entry, f"layer {layer}")
        kind, member = entry.get("kind"), entry.get("file")
        if kind not in LAYER_KINDS or not isinstance(member, str) or member not in sizes:
            raise BadInputError(f"layer {layer} is malformed or missing from the archive")
        project.layers[layer] = decode_layer(archive.read(member), kind, f"layer {layer}")
    return project


def _parse_manifest(raw: bytes) -> dict:
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInputError(f"{MANIFEST} is not UTF-8 text") from None
    except RecursionError:
        raise BadInputError(f"{MANIFEST} is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, or an integer past the digit limit
        raise BadInputError(f"{MANIFEST} is not valid JSON ({str(error)[:80]})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BadInputError("not a project file (unknown manifest format)")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BadInputError("the manifest has no valid format version")
    if version > FORMAT_VERSION:
        raise BadInputError(
            f"saved by a newer version of Colorize Studio (project format {version}; this "
            f"version reads format {FORMAT_VERSION}): update the application to open it"
        )
    if manifest.get("method") not in METHODS:
        raise BadInputError(f"unknown method {str(manifest.get('method'))[:40]!r}")
    return manifest


def _mapping(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise BadInputError(f"{what} must be an object")
    return value


def _image_from_entry(archive: zipfile.ZipFile, sizes: dict, role: str,
                      entry: object) -> ImageRef:
    entry = _mapping(entry, f"image {role}")
    path, digest = entry.get("path"), entry.get("sha256", "")
    relative, size = entry.get("relative_path", ""), entry.get("size", [0, 0])
    if not isinstance(path, str) or not path or "\0" in path:
        raise BadInputError(f"image {role} has no valid path")
    if not isinstance(digest, str) or not re.fullmatch(r"(|[0-9a-f]{64})", digest):
        raise BadInputError(f"image {role} has a malformed checksum")
    if not isinstance(relative, str) or "\0" in relative:
        raise BadInputError(f"image {role} has a malformed relative path")
    if not (isinstance(size, list) and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**6
                    for v in size)):
        raise BadInputError(f"image {role} has a malformed size")
    embedded = entry.get("embedded")
    data = None
    if embedded is not None:
        if not isinstance(embedded, str) or embedded not in sizes:
            raise BadInputError(f"image {role}: the embedded copy is missing from the archive")
        if sizes[embedded] > MAX_EMBEDDED_BYTES:
            raise BadInputError(f"image {role}: the embedded copy is too large "
                                f"({sizes[embedded] / 2**20:,.0f} MiB; the limit is "
                                f"{MAX_EMBEDDED_BYTES / 2**20:,.0f} MiB)")
        data = archive.read(embedded)
    return ImageRef(path=path, sha256=digest, size=(size[0], size[1]), relative_path=relative,
                    embedded=data)


def decode_layer(data: bytes, kind: str, what: str = "layer") -> np.ndarray:
    """A PNG layer's pixels: float32 in [0, 1] ((H, W) or (H, W, 3)), or (H, W) bool masks.

    The size in the PNG header is checked against ``media.MAX_PIXELS`` before decoding.
    """
    import cv2
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
            image_format = header.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise BadInputError(f"{what} is not a readable PNG image") from None
    except Image.DecompressionBombError:
        raise BadInputError(f"{what} is too large (over {media.MAX_PIXELS:,} pixels)") from None
    if image_format != "PNG":
        raise BadInputError(f"{what} is not a PNG image")
    if width * height > media.MAX_PIXELS:
        raise BadInputError(f"{what} is too large ({width} x {height} pixels)")
    if not media._png_chunks_fit(data):  # OpenCV would allocate a lying chunk length
        raise BadInputError(f"{what} is a damaged PNG image")
    check_layer_memory(what, width, height)  # before decoding: a 2.6 MB project took 6 GB
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or decoded.dtype not in (np.uint8, np.uint16) or decoded.size == 0:
        raise BadInputError(f"{what} is a damaged PNG image")
    if decoded.ndim == 3:
        decoded = decoded[..., 2::-1] if decoded.shape[2] >= 3 else decoded[..., 0]
    if kind == "mask":
        return (decoded if decoded.ndim == 2 else decoded[..., 0]) > 0
    pixels = decoded.astype(np.float32)
    pixels /= np.float32(65535 if decoded.dtype == np.uint16 else 255)  # checked above
    return np.ascontiguousarray(pixels)


def load_for_command(path: PathLike, method: str) -> Project:
    """The project at ``path`` for ``colorize METHOD --project``; another method's is refused."""
    project = load_project(path)
    if project.method != method:
        raise BadInputError(f"{path} is a {project.method} project, not a {method} one")
    return project


def command_image(project: Project, role: str, project_path: PathLike, remedy: str) -> str:
    """The path of the project's ``role`` image for a command, or a one-line error.

    ``remedy`` ends the message, telling the user which argument gives the image instead.
    """
    if role not in project.images:
        raise BadInputError(f"{project_path} names no {role} image; {remedy}")
    try:
        return resolve_image(project.images[role], role, project_path, default_cache_folder())
    except MissingImageError as error:
        raise BadInputError(f"{error}; {remedy}") from None


def peek_project(path: PathLike) -> tuple[str, list[str]]:
    """(method, image paths) of a project file, from its manifest alone (nothing decoded)."""
    path = os.fspath(path)
    safe_files.check_input_file(path, "a project file", missing="no such project file",
                           allow_empty=True)
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(MANIFEST)
            if info.file_size > MAX_MANIFEST_BYTES:
                raise BadInputError(f"{MANIFEST} is too large")
            manifest = _parse_manifest(archive.read(MANIFEST))
    except BadInputError as error:
        raise BadInputError(f"{os.path.basename(path)}: {error}") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError, zlib.error):
        raise BadInputError(f"{os.path.basename(path)}: not a readable project file") from None
    images = manifest.get("images")
    paths = [entry["path"] for entry in images.values()
             if isinstance(entry, dict) and isinstance(entry.get("path"), str)] \
        if isinstance(images, dict) else []
    return manifest["method"], paths


#: Largest strokes file (``.json``) read as a keyframe, in bytes.
MAX_STROKES_FILE_BYTES = 32 * 1024**2


def load_strokes_file(path: PathLike) -> tuple[list[Stroke], dict]:
    """Strokes and settings of a strokes file: a scribble project (``.colorize``: its
    strokes and settings), or ``.json`` holding the strokes as a project stores them (a list,
    or ``{"strokes": [...], ...}`` whose other keys are its settings, e.g. ``stroke_reach``).
    BadInputError (one line naming the file) when it is neither."""
    path = os.fspath(path)
    name = os.path.basename(path)
    if path.lower().endswith(EXTENSION):
        project = load_project(path)
        if project.method != "scribble":
            raise BadInputError(f"{name} is a {project.method} project, not a scribble one")
        return list(project.strokes), dict(project.settings)
    raw = safe_files.read_input_bytes(path, "a strokes file", MAX_STROKES_FILE_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise BadInputError(f"{name}: not a strokes file (not JSON text)") from None
    settings = {}
    if isinstance(data, dict):
        settings = {key: value for key, value in data.items() if key != "strokes"}
        data = data.get("strokes")
    try:
        return strokes_from_data(data), settings
    except BadInputError as error:
        raise BadInputError(f"{name}: {error}") from None
