"""Swatch rectangles of the colour-transfer window as plain data (no Qt).

Rectangles are drawn one side at a time; a :class:`SwatchBoard` pairs them in order: a new
rectangle completes the last pair that lacks its side, or starts a new pair. Only complete
pairs reach the engine (``algorithms.regions.SwatchPair``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from algorithms.errors import BadInputError
from algorithms.regions import MAX_PAIRS, Rect, SwatchPair, rect_from_data

SIDES = ("target", "reference")
#: Colours (RGB 0..255) that number the pairs on screen, cycled.
PALETTE = (
    (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
    (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128),
)


def pair_colour(index: int) -> tuple[int, int, int]:
    """The display colour of pair ``index`` (0-based)."""
    return PALETTE[index % len(PALETTE)]


def rect_from_corners(
    x0: float, y0: float, x1: float, y1: float, width: int, height: int
) -> Rect | None:
    """The rectangle covering the pixels under two points, both included.

    Points are image coordinates where pixel (c, r) covers [c, c+1) x [r, r+1), so a drag
    from one pixel to another covers both whatever the zoom. The result is clipped to a
    width x height image; None when nothing of it lies inside.
    """
    columns = sorted((int(np.floor(x0)), int(np.floor(x1))))
    rows = sorted((int(np.floor(y0)), int(np.floor(y1))))
    left, top = max(columns[0], 0), max(rows[0], 0)
    right, bottom = min(columns[1] + 1, width), min(rows[1] + 1, height)
    if right <= left or bottom <= top:
        return None
    return Rect(left, top, right - left, bottom - top)


def moved(rect: Rect, dx: int, dy: int, width: int, height: int) -> Rect:
    """``rect`` shifted by (dx, dy) pixels, kept inside a width x height image."""
    x = min(max(rect.x + dx, 0), max(width - rect.width, 0))
    y = min(max(rect.y + dy, 0), max(height - rect.height, 0))
    return Rect(x, y, rect.width, rect.height)


def corner_hit(entries: Sequence[SwatchEntry], side: str, x: float, y: float, grab: float,
               first: int | None = None) -> int | None:
    """The pair whose ``side`` rectangle has its bottom-right corner within ``grab`` image
    pixels of (x, y), pair ``first`` (the selected one) tried first; None when none has."""
    order = list(range(len(entries)))
    if first is not None and first < len(order):
        order.insert(0, order.pop(first))
    for index in order:
        rect = entries[index].get(side)
        if rect is None:
            continue
        # Inside the rectangle at most 40% of its size, so a small one can still move.
        inside_x, inside_y = min(grab, 0.4 * rect.width), min(grab, 0.4 * rect.height)
        dx, dy = rect.x + rect.width - x, rect.y + rect.height - y
        if -grab <= dx <= inside_x and -grab <= dy <= inside_y:
            return index
    return None


@dataclass
class SwatchEntry:
    """One numbered pair; a side is None until its rectangle is drawn."""

    target: Rect | None = None
    reference: Rect | None = None

    def get(self, side: str) -> Rect | None:
        return getattr(self, side)

    def set(self, side: str, rect: Rect | None) -> None:
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        setattr(self, side, rect)

    @property
    def complete(self) -> bool:
        return self.target is not None and self.reference is not None


class SwatchBoard:
    """The numbered swatch pairs of one target/reference couple."""

    def __init__(self) -> None:
        self.entries: list[SwatchEntry] = []

    def add(self, side: str, rect: Rect) -> int:
        """Add a rectangle on ``side``; returns the index of the pair it belongs to."""
        for index, entry in enumerate(self.entries):
            if entry.get(side) is None:
                entry.set(side, rect)
                return index
        entry = SwatchEntry()
        entry.set(side, rect)
        self.entries.append(entry)
        return len(self.entries) - 1

    def remove(self, index: int) -> None:
        """Delete pair ``index`` (both rectangles); later pairs are renumbered."""
        del self.entries[index]

    def hit(self, side: str, x: float, y: float) -> int | None:
        """Index of the topmost (latest) pair whose ``side`` rectangle holds (x, y)."""
        for index in range(len(self.entries) - 1, -1, -1):
            rect = self.entries[index].get(side)
            if rect is not None and rect.x <= x < rect.x + rect.width \
                    and rect.y <= y < rect.y + rect.height:
                return index
        return None

    def pairs(self) -> list[SwatchPair]:
        """The complete pairs, in order, as the engine takes them."""
        return [SwatchPair(reference=entry.reference, target=entry.target)
                for entry in self.entries
                if entry.reference is not None and entry.target is not None]  # complete

    def load(self, pairs: Sequence[SwatchPair]) -> None:
        """Replace every entry by ``pairs``."""
        self.entries = [SwatchEntry(target=pair.target, reference=pair.reference)
                        for pair in pairs]

    def snapshot(self) -> list[SwatchEntry]:
        """A copy of the entries (for undo)."""
        return copy.deepcopy(self.entries)

    def restore(self, entries: list[SwatchEntry]) -> None:
        self.entries = copy.deepcopy(entries)

    def describe(self, index: int) -> str:
        """One line for the list of pairs, e.g. ``1: target [x, y, w, h] <- reference ...``."""
        entry = self.entries[index]

        def text(rect: Rect | None) -> str:
            return "(draw it)" if rect is None else str(rect.as_list())

        return f"{index + 1}: target {text(entry.target)}  <-  reference {text(entry.reference)}"


# --------------------------------------------------------------------------------------------
# Serialisation (project files): unlike region files, pairs may still lack a side


def entries_to_data(entries: Sequence[SwatchEntry]) -> list:
    """Board entries as JSON-ready data: ``[{"target": [x, y, w, h] | null, ...}]``."""
    def as_data(rect: Rect | None) -> list[int] | None:
        return None if rect is None else rect.as_list()

    return [{side: as_data(entry.get(side)) for side in SIDES} for entry in entries]


def entries_from_data(data: object) -> list[SwatchEntry]:
    """Board entries from :func:`entries_to_data` output; BadInputError (one line) if bad."""
    if not isinstance(data, list):
        raise BadInputError("swatches must be a list of pairs")
    if len(data) > MAX_PAIRS:
        raise BadInputError(f"too many swatch pairs ({len(data):,}; the limit is {MAX_PAIRS:,})")
    entries = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not all(side in item for side in SIDES):
            raise BadInputError(f"swatch pair {number} must have 'target' and 'reference'")
        entry = SwatchEntry()
        for side in SIDES:
            if item[side] is not None:
                entry.set(side, rect_from_data(item[side], f"swatch pair {number}: {side}"))
        if entry.target is None and entry.reference is None:
            raise BadInputError(f"swatch pair {number} has neither side")
        entries.append(entry)
    return entries
