"""Colour strokes of the scribble window as plain data, with rasterisation (no Qt).

A :class:`Strokes` object holds vector strokes (points, colour, width, kind) on top of an
optional loaded hint layer. :meth:`Strokes.rasterise` turns them into the marked image and
mask that ``algorithms.scribble.hints_from_marked`` reads; the window draws the very same
rasterisation on screen, so what is painted is what the engine gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from algorithms.errors import BadInputError

#: Stroke kinds: ``paint`` lays a colour, ``keep`` pins the photo's own colour (for
#: recolouring: this area must not change), ``erase`` removes hints under it.
KINDS = ("paint", "keep", "erase")
#: Widest brush a stroke read from a file may have, in pixels.
MAX_STROKE_WIDTH = 1000.0
#: Most points, and most brush area painted (points x width^2), in a file's strokes: bounds
#: the time that rasterising a crafted file can take (a real hour of painting is far below).
MAX_TOTAL_POINTS = 500_000
MAX_TOTAL_INK = 5e9
#: Farthest a stroke point read from a file may lie from the photo's origin, in pixels.
MAX_COORDINATE = 1e6
#: Most points in one stroke read from a file (a long mouse drag has a few thousand).
MAX_STROKE_POINTS = 100_000
#: Drawing all strokes may evaluate at most this many pixels per photo pixel (plus
#: RASTER_WORK_FLOOR), and cut segments into at most MAX_RASTER_PIECES pieces: a
#: crafted stroke zig-zagging across a large photo would otherwise take hours (about
#: 30 s at these limits for a 16-megapixel photo on one core).
RASTER_WORK_PER_PIXEL = 64
RASTER_WORK_FLOOR = 1e8
MAX_RASTER_PIECES = 1_000_000


@dataclass
class Stroke:
    """One stroke: a polyline in image pixels (x = column, y = row).

    Attributes
    ----------
    points : list of (float, float)
        At least one point; a single point is a dot.
    colour : (float, float, float)
        RGB in [0, 1]; ignored by ``keep`` and ``erase`` strokes.
    width : float
        Brush diameter in image pixels.
    kind : {"paint", "keep", "erase"}
    """

    points: list[tuple[float, float]]
    colour: tuple[float, float, float] = (1.0, 0.0, 0.0)
    width: float = 8.0
    kind: str = "paint"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"stroke kind must be one of {KINDS}, not {self.kind!r}")


def _pieces(shape: tuple[int, int], stroke: Stroke, start: int = 0
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Pieces of the stroke's segments that can touch the photo: (starts, ends, half width).

    Each segment is first clipped to the photo grown by the brush radius (points farther
    out cover no pixel), then cut into pieces no longer than the brush width (at least 8
    pixels), so that each piece's bounding box stays small: drawing costs about the area
    the brush covers, not the segment's whole bounding box. The pieces cover exactly the
    pixels the whole segments would.
    """
    height, width = shape
    points = np.asarray(stroke.points[max(start - 1, 0):], dtype=np.float64).reshape(-1, 2)
    half = max(float(stroke.width), 1.0) / 2.0
    if len(points) == 1:
        points = np.concatenate([points, points])
    first, second = points[:-1], points[1:]
    direction = second - first
    low = np.array([-half - 1.0, -half - 1.0])
    high = np.array([width + half, height + half])
    t0, t1 = np.zeros(len(first)), np.ones(len(first))
    for axis in (0, 1):
        d, p = direction[:, axis], first[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            enter = np.where(d > 0, (low[axis] - p) / d, (high[axis] - p) / d)
            leave = np.where(d > 0, (high[axis] - p) / d, (low[axis] - p) / d)
        still = d == 0
        inside = (p >= low[axis]) & (p <= high[axis])
        t0 = np.where(still, t0, np.maximum(t0, enter))
        t1 = np.where(still, np.where(inside, t1, -1.0), np.minimum(t1, leave))
    keep = t1 >= t0
    first, direction, t0, t1 = first[keep], direction[keep], t0[keep], t1[keep]
    clipped_start = first + t0[:, None] * direction
    clipped_end = first + t1[:, None] * direction
    length = np.hypot(*(clipped_end - clipped_start).T)
    step = max(2.0 * half, 8.0)
    counts = np.maximum(np.ceil(length / step), 1).astype(np.int64)
    if counts.sum() > MAX_RASTER_PIECES:
        # Signalled by a negative half width: the caller refuses the stroke.
        return np.empty((0, 2)), np.empty((0, 2)), -float(counts.sum())
    index = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(len(index)) - np.repeat(np.cumsum(counts) - counts, counts)
    fraction = np.stack([within, within + 1], axis=1) / counts[index, None]
    span = clipped_end[index] - clipped_start[index]
    starts = clipped_start[index] + fraction[:, :1] * span
    ends = clipped_start[index] + fraction[:, 1:] * span
    return starts, ends, half


def raster_work(shape: tuple[int, int], strokes: list[Stroke]) -> tuple[float, int]:
    """(pixels evaluated, pieces) that drawing ``strokes`` on an (H, W) photo takes."""
    height, width = shape
    work, pieces = 0.0, 0
    for stroke in strokes:
        starts, ends, half = _pieces(shape, stroke)
        if half < 0:  # too many pieces to even list
            return float("inf"), int(-half)
        box_w = np.minimum(np.abs(ends[:, 0] - starts[:, 0]) + 2 * half + 2, width)
        box_h = np.minimum(np.abs(ends[:, 1] - starts[:, 1]) + 2 * half + 2, height)
        work += float((box_w * box_h).sum())
        pieces += len(starts)
    return work, pieces


def check_raster_work(shape: tuple[int, int], strokes: list[Stroke]) -> None:
    """BadInputError (one line) when drawing ``strokes`` on the photo would take too long."""
    work, pieces = raster_work(shape, strokes)
    budget = RASTER_WORK_PER_PIXEL * shape[0] * shape[1] + RASTER_WORK_FLOOR
    if work > budget or pieces > MAX_RASTER_PIECES:
        detail = (f"{pieces:,} pieces of segments; the limit is {MAX_RASTER_PIECES:,}"
                  if pieces > MAX_RASTER_PIECES else
                  f"{work:.3g} pixel evaluations; the limit is {budget:.3g}")
        raise BadInputError(f"the strokes are too long or wide to draw on this "
                            f"{shape[1]} x {shape[0]} photo ({detail})")


def stroke_footprint(shape: tuple[int, int], stroke: Stroke, start: int = 0) -> np.ndarray:
    """Pixels covered by ``stroke`` (its segments from point ``start`` on): (H, W) bool.

    A pixel is covered when its centre (x = column, y = row) lies closer than width / 2 to
    the polyline, so a width-w brush covers w pixels across (odd w) and a width-1 brush one.
    """
    height, width = shape
    footprint = np.zeros(shape, dtype=bool)
    starts, ends, half = _pieces(shape, stroke, start)
    if half < 0:
        raise BadInputError(f"a stroke is too long to draw ({int(-half):,} pieces)")
    for first, second in zip(starts, ends):
        # Only the piece's bounding box, grown by the brush radius, can be covered.
        left = max(int(np.floor(min(first[0], second[0]) - half)), 0)
        right = min(int(np.ceil(max(first[0], second[0]) + half)) + 1, width)
        top = max(int(np.floor(min(first[1], second[1]) - half)), 0)
        bottom = min(int(np.ceil(max(first[1], second[1]) + half)) + 1, height)
        if left >= right or top >= bottom:
            continue
        ys, xs = np.mgrid[top:bottom, left:right]
        direction = second - first
        length_sq = float(direction @ direction)
        if length_sq > 0:
            along = ((xs - first[0]) * direction[0] + (ys - first[1]) * direction[1]) / length_sq
            along = np.clip(along, 0.0, 1.0)
        else:
            along = np.zeros(xs.shape)
        dx = xs - (first[0] + along * direction[0])
        dy = ys - (first[1] + along * direction[1])
        footprint[top:bottom, left:right] |= dx * dx + dy * dy < half * half
    return footprint


def apply_stroke(
    photo_rgb: np.ndarray,
    marked: np.ndarray,
    mask: np.ndarray,
    stroke: Stroke,
    start: int = 0,
) -> None:
    """Draw ``stroke`` (from point ``start`` on) into ``marked`` and ``mask`` in place.

    Parameters
    ----------
    photo_rgb : (H, W, 3) float32 in [0, 1]
        The photo (gray repeated to RGB).
    marked : (H, W, 3) float32, modified
        The photo with strokes painted on it.
    mask : (H, W) bool, modified
        True where a pixel is a hint.
    """
    covered = stroke_footprint(mask.shape, stroke, start)
    if stroke.kind == "paint":
        marked[covered] = np.asarray(stroke.colour, dtype=np.float32)
        mask[covered] = True
    elif stroke.kind == "keep":
        marked[covered] = photo_rgb[covered]
        mask[covered] = True
    else:  # erase
        marked[covered] = photo_rgb[covered]
        mask[covered] = False


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A gray (H, W) or RGB (H, W, 3) image as float32 RGB."""
    image = np.asarray(image, dtype=np.float32)
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


@dataclass
class Strokes:
    """The strokes painted on one photo, in order, plus an optional loaded hint layer.

    Attributes
    ----------
    shape : (int, int)
        (H, W) of the photo.
    strokes : list of Stroke
    base_marked, base_mask : ndarray or None
        A hint file loaded as a starting layer ((H, W, 3) float32, (H, W) bool).
    """

    shape: tuple[int, int]
    strokes: list[Stroke] = field(default_factory=list)
    base_marked: np.ndarray | None = None
    base_mask: np.ndarray | None = None

    def add(self, stroke: Stroke) -> None:
        """Append a stroke."""
        self.strokes.append(stroke)

    def pop(self) -> Stroke:
        """Remove and return the last stroke."""
        return self.strokes.pop()

    def snapshot(self) -> tuple:
        """Everything needed to restore this state (for undoing Clear)."""
        return list(self.strokes), self.base_marked, self.base_mask

    def restore(self, state: tuple) -> None:
        """Go back to a state from :meth:`snapshot`."""
        strokes, self.base_marked, self.base_mask = state
        self.strokes = list(strokes)

    def clear(self) -> None:
        """Remove every stroke and the loaded hint layer."""
        self.strokes = []
        self.base_marked = None
        self.base_mask = None

    def set_base(self, photo: np.ndarray, marked: np.ndarray, mask: np.ndarray) -> None:
        """Use a loaded hint file (marked image, hint mask) as the bottom layer."""
        marked = as_rgb(marked)
        if marked.shape[:2] != self.shape or mask.shape != self.shape:
            raise ValueError("hint layer and photo differ in size")
        base = as_rgb(photo).copy()
        base[mask] = marked[mask]
        self.base_marked, self.base_mask = base, mask.astype(bool)

    @property
    def empty(self) -> bool:
        """True when there is no hint at all."""
        return not self.strokes and (self.base_mask is None or not self.base_mask.any())

    def rasterise(self, photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The marked image and the hint mask of these strokes on ``photo``.

        Parameters
        ----------
        photo : (H, W) or (H, W, 3) ndarray, float in [0, 1]

        Returns
        -------
        marked : (H, W, 3) float32
            The photo with the strokes painted on it.
        mask : (H, W) bool
            True where a pixel is a hint (painted, kept, or from the loaded layer).
        """
        photo_rgb = as_rgb(photo)
        if photo_rgb.shape[:2] != tuple(self.shape):
            raise ValueError(f"photo is {photo_rgb.shape[:2]}, strokes are for {self.shape}")
        check_raster_work((self.shape[0], self.shape[1]), self.strokes)  # before any drawing
        if self.base_marked is not None and self.base_mask is not None:
            marked, mask = self.base_marked.copy(), self.base_mask.copy()
        else:
            marked, mask = photo_rgb.copy(), np.zeros(self.shape, dtype=bool)
        for stroke in self.strokes:
            apply_stroke(photo_rgb, marked, mask, stroke)
        return marked, mask


# --------------------------------------------------------------------------------------------
# Serialisation (project files): plain JSON-ready data, validated on the way back


def _number(value: object, where: str) -> float:
    # bool is an int subclass; true/false are not coordinates. A 400-digit integer must
    # be compared before any float conversion (which would overflow).
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (isinstance(value, int) and abs(value) > 10**15) \
            or (isinstance(value, float) and not np.isfinite(value)):
        raise BadInputError(f"{where} must be a finite number, got {str(value)[:40]}")
    return float(value)


def stroke_to_data(stroke: Stroke) -> dict:
    """A stroke as JSON-ready data (the inverse of :func:`stroke_from_data`)."""
    return {
        "kind": stroke.kind,
        "colour": [float(c) for c in stroke.colour],
        "width": float(stroke.width),
        "points": [[float(x), float(y)] for x, y in stroke.points],
    }


def stroke_from_data(data: object, where: str = "stroke") -> Stroke:
    """A stroke from :func:`stroke_to_data` output; BadInputError (one line) when malformed.

    Points may lie outside the photo (they are clipped when drawn); the width must lie in
    (0, MAX_STROKE_WIDTH] and colour channels in [0, 1].
    """
    if not isinstance(data, dict):
        raise BadInputError(f"{where} must be an object")
    kind = data.get("kind")
    if kind not in KINDS:
        raise BadInputError(f"{where}: kind must be one of {', '.join(KINDS)}")
    colour = data.get("colour")
    if not isinstance(colour, list) or len(colour) != 3:
        raise BadInputError(f"{where}: colour must be [r, g, b]")
    rgb = tuple(_number(c, f"{where}: colour") for c in colour)
    if not all(0.0 <= c <= 1.0 for c in rgb):
        raise BadInputError(f"{where}: colour values must lie in [0, 1]")
    width = _number(data.get("width"), f"{where}: width")
    if not 0.0 < width <= MAX_STROKE_WIDTH:
        raise BadInputError(f"{where}: width must lie in (0, {MAX_STROKE_WIDTH}]")
    points = data.get("points")
    if not isinstance(points, list) or not points:
        raise BadInputError(f"{where}: points must be a non-empty list of [x, y]")
    if len(points) > MAX_STROKE_POINTS:
        raise BadInputError(f"{where}: too many points ({len(points):,}; the limit is "
                            f"{MAX_STROKE_POINTS:,} per stroke)")
    parsed = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise BadInputError(f"{where}: each point must be [x, y]")
        x, y = (_number(v, f"{where}: point") for v in point)
        if abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE:
            raise BadInputError(f"{where}: point [{x:g}, {y:g}] is implausibly far out")
        parsed.append((x, y))
    return Stroke(parsed, rgb, width, kind)  # type: ignore[arg-type]


def strokes_to_data(strokes: Strokes) -> list:
    """The vector strokes of ``strokes`` as a JSON-ready list (the base layer is not in it)."""
    return [stroke_to_data(stroke) for stroke in strokes.strokes]


def strokes_from_data(data: object) -> list[Stroke]:
    """Strokes from :func:`strokes_to_data` output; BadInputError (one line) when malformed."""
    if not isinstance(data, list):
        raise BadInputError("strokes must be a list")
    strokes = [stroke_from_data(item, f"stroke {number}")
               for number, item in enumerate(data, start=1)]
    points = sum(len(stroke.points) for stroke in strokes)
    ink = sum(len(stroke.points) * (stroke.width + 1.0) ** 2 for stroke in strokes)
    if points > MAX_TOTAL_POINTS or ink > MAX_TOTAL_INK:
        raise BadInputError(
            f"too many strokes to draw ({len(strokes)} strokes, {points:,} points; "
            f"the limit is {MAX_TOTAL_POINTS:,} points)"
        )
    return strokes


def prior_weight_for_reach(reach: float, shape: tuple[int, ...]) -> float:
    """The prior weight lambda at which a stroke's colour reaches ``reach`` (a share of the
    longer side, > 0) of an image of ``shape`` (H, W[, C]) before the prior wins.

    Along smooth luminance a stroke's influence fades over about 1 / sqrt(lambda) pixels,
    so the weight is set per solve size: a small preview copy and the full-size result
    then spread a stroke equally far in the picture.
    """
    side = max(int(shape[0]), int(shape[1]), 1)
    return float(1.0 / (max(reach, 1e-6) * side) ** 2)
