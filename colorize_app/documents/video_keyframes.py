"""Keyframes of a video as the user gives them: a colour image, or strokes on the frame.

A :class:`KeyframeEdit` is what the video project keeps for one frame: its colour (a
colour photo, an already coloured frame, or the result of painting on it) and/or the
strokes painted on its gray frame with their stroke reach. :meth:`KeyframeEdit.keyframe`
turns it into the engine's :class:`deep_video_prior.keyframes.Keyframe` (strokes without a
colour are colorized there by Levin et al., over the frame's automatic colour when a
stroke reach is given). Also here: the project form of keyframes (settings entry
``keyframes`` + image layers ``keyframe_NNNNN``); :mod:`colorize_app.io.keyframe_files` reads
``--keyframes FILE_OR_DIR``.

Frame numbers count from 0, as the frames of a folder output are named (00000.png ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from algorithms.errors import BadInputError
from colorize_app.documents.strokes import Stroke, Strokes, stroke_to_data, strokes_from_data
from deep_video_prior.keyframes import Keyframe, keyframe_from_rgb

#: Stroke reach (share of the longer side) limits, as the scribble window's.
MIN_REACH, MAX_REACH = 0.01, 1.0


@dataclass(eq=False)
class KeyframeEdit:
    """One keyframe: ``frame`` (from 0); ``rgb`` (H, W, 3) float32 in [0, 1], the frame's
    colour (None: made from the strokes); ``strokes`` painted on the gray frame; over the
    automatic colour ``stroke_reach`` (a share of the longer side, as in the scribble
    window; None: the strokes alone colour the frame)."""

    frame: int
    rgb: np.ndarray | None = None
    strokes: list[Stroke] = field(default_factory=list)
    stroke_reach: float | None = None

    def keyframe(self, gray: np.ndarray, automatic: np.ndarray | None = None) -> Keyframe:
        """The engine's keyframe, given the gray frame (H, W[, 3]) and its automatic colour
        (H, W, 3; needed by strokes with a stroke reach)."""
        return keyframe_from_rgb(self.frame, self.colour(gray, automatic))

    def colour(self, gray: np.ndarray, automatic: np.ndarray | None = None) -> np.ndarray:
        """The keyframe's colour (H, W, 3): ``rgb``, or the strokes colorized (Levin)."""
        if self.rgb is not None:
            return self.rgb
        from algorithms.colorspace import rgb_to_yiq
        from algorithms.scribble import hints_from_marked
        from colorize_app.documents.strokes import prior_weight_for_reach
        from deep_video_prior.keyframes import keyframe_from_hints

        gray = np.asarray(gray, np.float32)
        shape = gray.shape[:2]
        marked, mask = Strokes(shape, list(self.strokes)).rasterise(gray)
        hint_chroma, hint_mask = hints_from_marked(gray, marked, mask)
        prior, weight = None, 0.0
        if self.stroke_reach is not None and automatic is not None:
            prior = rgb_to_yiq(np.asarray(automatic, np.float32))[..., 1:]
            weight = prior_weight_for_reach(self.stroke_reach, shape)
        _, rgb = keyframe_from_hints(self.frame, gray, hint_chroma, hint_mask,
                                     prior_chroma=prior, prior_weight=weight)
        return rgb


def check_edit(edit: KeyframeEdit, frame_count: int, size: tuple[int, int],
               name: str = "") -> KeyframeEdit:
    """``edit`` when it fits a video of ``frame_count`` frames of (H, W) ``size``, else a
    one-line BadInputError naming it (``name``: its file, else "keyframe N")."""
    name = name or f"keyframe {edit.frame}"
    if isinstance(edit.frame, bool) or not isinstance(edit.frame, int) \
            or not 0 <= edit.frame < frame_count:
        raise BadInputError(f"{name}: frame {edit.frame} is out of range (the video has "
                            f"frames 0 to {frame_count - 1})")
    if edit.rgb is None and not edit.strokes:
        raise BadInputError(f"{name} has neither a colour image nor strokes")
    if edit.rgb is not None:
        shape = np.asarray(edit.rgb).shape
        if len(shape) != 3 or shape[2] != 3:
            raise BadInputError(f"{name} is not a colour image")
        if shape[:2] != tuple(size):
            raise BadInputError(f"{name} is {shape[1]}x{shape[0]} but the video is "
                                f"{size[1]}x{size[0]}")
    if edit.stroke_reach is not None and not (
            isinstance(edit.stroke_reach, (int, float)) and not isinstance(
                edit.stroke_reach, bool) and math.isfinite(edit.stroke_reach)
            and MIN_REACH <= edit.stroke_reach <= MAX_REACH):
        raise BadInputError(f"{name}: stroke_reach must be a number in "
                            f"[{MIN_REACH:g}, {MAX_REACH:g}]")
    if edit.strokes:
        from colorize_app.documents.strokes import check_raster_work

        check_raster_work((int(size[0]), int(size[1])), edit.strokes)
    return edit


def check_edits(edits: list[KeyframeEdit], frame_count: int,
                size: tuple[int, int]) -> dict[int, KeyframeEdit]:
    """The edits by frame, each checked (:func:`check_edit`); one frame given twice is
    refused."""
    by_frame: dict[int, KeyframeEdit] = {}
    for edit in edits:
        check_edit(edit, frame_count, size)
        if edit.frame in by_frame:
            raise BadInputError(f"frame {edit.frame} has two keyframes")
        by_frame[edit.frame] = edit
    return by_frame


# --------------------------------------------------------------------------------------------
# Projects


def layer_name(frame: int) -> str:
    return f"keyframe_{frame:05d}"


def edits_to_project(edits: dict[int, KeyframeEdit]) -> tuple[list[dict], dict]:
    """(settings entry ``keyframes``, layers) of the edits, in frame order."""
    entries, layers = [], {}
    for frame in sorted(edits):
        edit = edits[frame]
        entry: dict = {"frame": frame, "layer": None,
                       "strokes": [stroke_to_data(stroke) for stroke in edit.strokes],
                       "stroke_reach": edit.stroke_reach}
        if edit.rgb is not None:
            entry["layer"] = layer_name(frame)
            layers[entry["layer"]] = np.asarray(edit.rgb, np.float32)
        entries.append(entry)
    return entries, layers


def edits_from_project(entries: object, layers: dict[str, np.ndarray], frame_count: int,
                       size: tuple[int, int]) -> dict[int, KeyframeEdit]:
    """The keyframes of a project (its settings' ``keyframes`` and its layers), checked
    against the video; BadInputError (one line) for anything malformed."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise BadInputError("keyframes must be a list")
    edits = []
    for number, entry in enumerate(entries, start=1):
        where = f"keyframe entry {number}"
        if not isinstance(entry, dict):
            raise BadInputError(f"{where} must be an object")
        frame, layer = entry.get("frame"), entry.get("layer")
        if isinstance(frame, bool) or not isinstance(frame, int):
            raise BadInputError(f"{where}: frame must be a whole number")
        rgb = None
        if layer is not None:
            if not isinstance(layer, str) or layer not in layers:
                raise BadInputError(f"{where}: its layer {str(layer)[:40]!r} is missing")
            rgb = layers[layer]
        try:
            strokes = strokes_from_data(entry.get("strokes", []))
        except BadInputError as error:
            raise BadInputError(f"{where}: {error}") from None
        reach = entry.get("stroke_reach")
        edits.append(KeyframeEdit(frame, rgb, strokes, reach))
    return check_edits(edits, frame_count, size)


# --------------------------------------------------------------------------------------------
# --keyframes FILE_OR_DIR
