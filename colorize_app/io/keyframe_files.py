"""Keyframe files: ``--keyframes FILE_OR_DIR``, colour images and strokes files named by
their frame number (``0045.png``, ``0045.json``, frames from 0), read into
:class:`~colorize_app.documents.video_keyframes.KeyframeEdit` objects.
"""

from __future__ import annotations

import os
import re

import numpy as np

from algorithms.errors import BadInputError
from colorize_app.documents.video_keyframes import KeyframeEdit, check_edit
from colorize_app.io import media, safe_files

#: A keyframe file is named by its frame number: ``45.png``, ``0045.png``, ``0045.json``.
_FRAME_NAME = re.compile(r"^(\d{1,9})\.([A-Za-z]+)$")
#: Extensions of strokes files (a scribble project, or its strokes as JSON).
STROKE_EXTENSIONS = (".colorize", ".json")


def frame_of(path: str) -> int | None:
    """The frame number a keyframe file's name gives (``0045.png`` -> 45), else None."""
    match = _FRAME_NAME.match(os.path.basename(path))
    return int(match.group(1)) if match else None


def read_keyframes(path: str, frame_count: int, size: tuple[int, int],
                   frames: range | None = None) -> list[KeyframeEdit]:
    """The keyframes of a file or folder: colour images and strokes files (a scribble
    ``.colorize`` project or its strokes as ``.json``) named by frame number (``0045.png``,
    frames from 0). BadInputError (one line naming the file) for a file that is not one, out
    of range, of another size, gray, unreadable, or a frame given twice. With ``frames``,
    only the files of those frames are read (every name is still checked)."""
    if os.path.isdir(path):
        names = sorted(name for name in os.listdir(path) if not name.startswith("."))
        files = [os.path.join(path, name) for name in names
                 if os.path.isfile(os.path.join(path, name))]
        if not files:
            raise BadInputError(f"no keyframe files in {path}")
    else:
        safe_files.check_input_file(path, "a keyframe file", missing="no such keyframe file")
        files = [path]
    edits: dict[int, tuple[str, KeyframeEdit]] = {}
    for file in files:
        name = os.path.basename(file)
        extension = os.path.splitext(name)[1].lower()
        frame = frame_of(file)
        if frame is None or extension not in media.IMAGE_EXTENSIONS + STROKE_EXTENSIONS:
            raise BadInputError(f"keyframe {name}: name a keyframe file by its frame number "
                                f"and type, e.g. 0045.png (colour) or 0045.json (strokes)")
        if frames is not None and frame not in frames:
            continue
        edit = _read_one(file, frame, extension)
        check_edit(edit, frame_count, size, f"keyframe {name}")
        if frame in edits:
            raise BadInputError(f"frame {frame} has two keyframes: {edits[frame][0]} and "
                                f"{name}")
        edits[frame] = (name, edit)
    return [edits[frame][1] for frame in sorted(edits)]


def _read_one(file: str, frame: int, extension: str) -> KeyframeEdit:
    name = os.path.basename(file)
    if extension in STROKE_EXTENSIONS:
        from colorize_app.io.project import load_strokes_file

        strokes, settings = load_strokes_file(file)
        if not strokes:
            raise BadInputError(f"keyframe {name} holds no strokes")
        reach = settings.get("stroke_reach")
        return KeyframeEdit(frame, None, strokes, reach)
    try:
        loaded = media.read_image(file)
    except BadInputError as error:
        raise BadInputError(f"cannot read keyframe {name}: {error}") from None
    from algorithms.colorspace import is_gray

    if loaded.is_gray or is_gray(loaded.pixels):
        raise BadInputError(f"keyframe {name} is gray: a keyframe gives the frame's colour")
    return KeyframeEdit(frame, loaded.pixels.astype(np.float32))
