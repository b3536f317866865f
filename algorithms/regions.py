"""Swatch pairs for colour transfer: parse, validate and serialise region JSON.

A region file pairs rectangles of the reference photo with rectangles of the
target photo, in pixels (x = column of the left edge, y = row of the top edge)::

    {"pairs": [{"reference": [x, y, w, h], "target": [x, y, w, h]}]}

This module only turns text into :class:`SwatchPair` objects and back; reading
and writing the files is the media module's job (``colorize_app.io.media``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from algorithms.errors import BadInputError

RECT_KEYS = ("reference", "target")
#: Largest coordinate or size accepted, in pixels (far beyond any real photo).
MAX_COORDINATE = 10**9
#: Most swatch pairs accepted: each pair is matched separately, so the work grows with their
#: number (2,000,000 pairs took 80 min and 1.4 GB); a real photo needs a handful.
MAX_PAIRS = 1000


class Rect(NamedTuple):
    """An axis-aligned rectangle in pixels: left column, top row, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """(rows, columns) slices selecting the rectangle in an (H, W, ...) array."""
        return slice(self.y, self.y + self.height), slice(self.x, self.x + self.width)

    def as_list(self) -> list[int]:
        """The rectangle as ``[x, y, w, h]``, the region-file form."""
        return [self.x, self.y, self.width, self.height]


@dataclass(frozen=True)
class SwatchPair:
    """A reference swatch and the target swatch that takes its colours."""

    reference: Rect
    target: Rect


def _short_json(value: Any) -> str:
    """``value`` as JSON, cut to a readable length for a one-line message."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def rect_from_data(value: Any, where: str) -> Rect:
    """A rectangle from decoded JSON ``[x, y, w, h]``; ``where`` starts any error message."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise BadInputError(f"{where} must be [x, y, w, h] (4 numbers), got {_short_json(value)}")
    numbers = []
    for name, item in zip("xywh", value, strict=True):
        # bool is an int subclass in Python; true/false are not coordinates.
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise BadInputError(f"{where}: {name} must be a number, got {_short_json(item)}")
        # Compare before any float conversion: a 400-digit int overflows math.isfinite.
        if isinstance(item, float) and not math.isfinite(item) or abs(item) > MAX_COORDINATE:
            raise BadInputError(
                f"{where}: {name} must be a finite number of at most {MAX_COORDINATE:,}, "
                f"got {_short_json(item)}"
            )
        numbers.append(round(item))
    rect = Rect(*numbers)
    if rect.width <= 0 or rect.height <= 0:
        raise BadInputError(
            f"{where} is empty (width {rect.width}, height {rect.height}): "
            "width and height must be at least 1 pixel"
        )
    if rect.x < 0 or rect.y < 0:
        raise BadInputError(f"{where} {rect.as_list()} has a negative x or y")
    return rect


def pairs_from_data(data: Any) -> list[SwatchPair]:
    """Swatch pairs from decoded JSON data (a dict with a non-empty ``"pairs"`` list).

    Raises
    ------
    BadInputError
        With a one-line message naming the first problem: a missing key, a
        non-number, an empty rectangle, or no pairs at all.
    """
    if not isinstance(data, dict):
        raise BadInputError('regions must be a JSON object like {"pairs": [...]}')
    if "pairs" not in data:
        raise BadInputError("regions: missing key 'pairs'")
    raw_pairs = data["pairs"]
    if not isinstance(raw_pairs, list):
        raise BadInputError("regions: 'pairs' must be a list of reference/target objects")
    if not raw_pairs:
        raise BadInputError("regions: no pairs (the 'pairs' list is empty)")
    if len(raw_pairs) > MAX_PAIRS:
        raise BadInputError(f"regions: too many pairs ({len(raw_pairs):,}; the limit is "
                            f"{MAX_PAIRS:,})")
    pairs = []
    for number, raw in enumerate(raw_pairs, start=1):
        if not isinstance(raw, dict):
            raise BadInputError(
                f"regions: pair {number} must be an object with 'reference' and 'target'"
            )
        for key in RECT_KEYS:
            if key not in raw:
                raise BadInputError(f"regions: pair {number}: missing key '{key}'")
        reference = rect_from_data(raw["reference"], f"regions: pair {number}: reference")
        target = rect_from_data(raw["target"], f"regions: pair {number}: target")
        pairs.append(SwatchPair(reference=reference, target=target))
    return pairs


def parse_regions(text: str) -> list[SwatchPair]:
    """Swatch pairs from region-file text (JSON); see the module docstring for the format.

    Raises
    ------
    BadInputError
        When the text is not JSON or does not describe at least one valid pair.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInputError(
            f"regions are not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise BadInputError("regions are nested too deeply to be a region file") from None
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise BadInputError(f"regions are not valid JSON ({str(error)[:80]})") from None
    return pairs_from_data(data)


def regions_to_data(pairs: Sequence[SwatchPair]) -> dict:
    """The JSON-ready dict for ``pairs`` (the inverse of :func:`pairs_from_data`)."""
    return {
        "pairs": [
            {"reference": pair.reference.as_list(), "target": pair.target.as_list()}
            for pair in pairs
        ]
    }


def regions_to_json(pairs: Sequence[SwatchPair]) -> str:
    """Region-file text for ``pairs``: indented JSON ending with a newline."""
    if not pairs:
        raise BadInputError("regions: no pairs to save")
    return json.dumps(regions_to_data(pairs), indent=2) + "\n"


def lies_inside(rect: Rect, width: int, height: int) -> bool:
    """True when ``rect`` lies inside a ``width`` x ``height`` image (pixels)."""
    return rect.x >= 0 and rect.y >= 0 and rect.x + rect.width <= width \
        and rect.y + rect.height <= height


def check_inside(rect: Rect, width: int, height: int, side: str, name: str) -> None:
    """The one check that a swatch lies inside its photo: BadInputError (one line,
    ``"{name}: {side} [x, y, w, h] lies outside the {side} image (WxH pixels)"``) unless
    ``rect`` lies inside the ``width`` x ``height`` ``side`` ("target" or "reference") photo;
    ``name`` says which swatch (e.g. "swatch pair 2")."""
    if not lies_inside(rect, width, height):
        raise BadInputError(f"{name}: {side} {rect.as_list()} lies outside the {side} image "
                            f"({width}x{height} pixels)")


def validate_regions(
    pairs: Sequence[SwatchPair],
    target_shape: Sequence[int],
    reference_shape: Sequence[int],
) -> None:
    """Check that every rectangle lies inside its image.

    Parameters
    ----------
    pairs : sequence of SwatchPair
        At least one pair.
    target_shape, reference_shape : sequence of int
        Image shapes, (H, W) or (H, W, C).

    Raises
    ------
    BadInputError
        When there are no pairs or a rectangle reaches outside its image.
    """
    if not pairs:
        raise BadInputError("regions: no pairs")
    if len(pairs) > MAX_PAIRS:
        raise BadInputError(f"regions: too many pairs ({len(pairs):,}; the limit is "
                            f"{MAX_PAIRS:,})")
    for number, pair in enumerate(pairs, start=1):
        for key, shape in (("reference", reference_shape), ("target", target_shape)):
            rect: Rect = getattr(pair, key)
            height, width = int(shape[0]), int(shape[1])
            if rect.width <= 0 or rect.height <= 0:
                raise BadInputError(f"regions: pair {number}: {key} {rect.as_list()} is empty")
            check_inside(rect, width, height, key, f"regions: pair {number}")
