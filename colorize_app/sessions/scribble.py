"""The scribble method's document: a photo, colour strokes on it, an automatic prior, a result.

:class:`ScribbleSession` is shared by ``colorize levin --project`` and the scribble window.
Its strokes live in a :class:`~colorize_app.documents.strokes.Strokes` object; their rasterisation
(the marked image and hint mask, what ``algorithms.scribble.hints_from_marked`` reads) is
kept here and rebuilt when the strokes change. Over an automatic colorization (the prior)
the stroke reach says how far a stroke's colour spreads before the prior wins.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import cv2
import numpy as np

from algorithms.colorspace import join_luminance_chroma, luminance, rgb_to_yiq
from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback
from algorithms.scribble import MAX_SOLVE_PIXELS, colorize_scribbles, hints_from_marked
from colorize_app.documents.strokes import Stroke, Strokes, prior_weight_for_reach
from colorize_app.io import media
from colorize_app.io.project import Project
from colorize_app.io.project_images import ImageRef
from colorize_app.sessions.memory import check_photo_file_memory, check_photo_memory

#: Default stroke reach over an automatic colorization (a share of the photo's longer side).
DEFAULT_REACH = 0.10
#: Smallest and largest stroke reach (the window's 1 % to 100 %).
MIN_REACH, MAX_REACH = 0.01, 1.0
#: Largest prior weight lambda a project may give.
MAX_PRIOR_WEIGHT = 10.0
#: The layers of a hint file loaded under the strokes (marked image, hint mask).
HINT_LAYERS = ("hint_marked", "hint_mask")
#: Longest side of the copy that the live preview recolours (pixels).
PREVIEW_SIDE = 192


def _number(value: object) -> float | None:
    """``value`` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # a 400-digit integer from a JSON file
        return None
    return number if math.isfinite(number) else None


def stroke_reach_of(settings: dict, shape: tuple[int, int]) -> float | None:
    """A project's stroke reach (MIN_REACH to MAX_REACH): its own ``stroke_reach``, else the
    one its ``prior_weight`` lambda gives on a photo of ``shape`` (older projects); None
    when it has neither."""
    reach = _number(settings.get("stroke_reach"))
    if reach is None:
        weight = _number(settings.get("prior_weight"))
        if weight is None or weight <= 0:
            return None
        reach = 1.0 / (np.sqrt(weight) * max(shape))  # inverts prior_weight_for_reach
    return float(min(max(reach, MIN_REACH), MAX_REACH))


def check_prior_weight(settings: dict) -> None:
    """BadInputError unless a project's ``prior_weight`` is absent or a number in [0, 10]."""
    if "prior_weight" not in settings:
        return
    weight = settings["prior_weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
            or not 0.0 <= weight <= MAX_PRIOR_WEIGHT:
        raise BadInputError(f"prior_weight must be a number in [0, {MAX_PRIOR_WEIGHT:g}]")


def check_photo_file(path: str, *, radius: int = 1,
                     max_solve_pixels: float = MAX_SOLVE_PIXELS) -> tuple[int, int]:
    """Refuse (MemoryBudgetError, one line) the image file ``path`` when its solve would not
    fit in the memory available, from its header alone (nothing decoded); its (height,
    width) otherwise. ``radius`` and ``max_solve_pixels`` are the solve's."""
    return check_photo_file_memory("scribble", path, radius=radius,
                                   max_solve_pixels=max_solve_pixels)


@dataclass(frozen=True)
class ScribbleInputs:
    """What one solve reads, copied out of a session (safe to use on another thread).

    photo (H, W) or (H, W, 3) float32 in [0, 1]; hint_chroma (H, W, 2) YIQ chroma; hint_mask
    (H, W) bool; prior_chroma (H, W, 2) or None; prior_weight lambda >= 0 (0 without prior);
    photo_path the photo's file, as memory errors name it ("" when it has none).
    """

    photo: np.ndarray
    hint_chroma: np.ndarray
    hint_mask: np.ndarray
    prior_chroma: np.ndarray | None
    prior_weight: float
    photo_path: str = ""

    def check_memory(self, *, radius: int = 1,
                     max_solve_pixels: float = MAX_SOLVE_PIXELS) -> None:
        """Refuse (MemoryBudgetError, one line) a solve that would not fit in the memory
        available (machine or container): the rule and words of
        :func:`colorize_app.sessions.memory.check_photo_memory`."""
        check_photo_memory("scribble", self.photo.shape[:2], self.photo_path or "(no file)",
                           radius=radius, max_solve_pixels=max_solve_pixels)

    def colorize(self, *, radius: int = 1, solver: str = "multigrid",
                 max_solve_pixels: float = MAX_SOLVE_PIXELS,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> np.ndarray:
        """The colorized photo, (H, W, 3) float32 in [0, 1] (``algorithms.scribble``),
        after :meth:`check_memory`."""
        self.check_memory(radius=radius, max_solve_pixels=max_solve_pixels)
        return colorize_scribbles(
            self.photo, self.hint_chroma, self.hint_mask,
            prior_chroma=self.prior_chroma, prior_weight=self.prior_weight,
            radius=radius, solver=solver, max_solve_pixels=max_solve_pixels,
            progress=progress, cancelled=cancelled,
        )


@dataclass(eq=False)
class ScribbleSession:
    """One photo being colorized from strokes.

    Attributes
    ----------
    photo : (H, W) or (H, W, 3) ndarray, float32 in [0, 1]
    photo_path : str
        The photo's file ("" when it has none: no project can then be saved).
    photo_ref : ImageRef or None
        The photo as a project names it.
    strokes : Strokes
        Vector strokes over an optional loaded hint layer.
    stroke_reach : float
        Over a prior: how far a stroke's colour reaches, a share of the longer side.
    prior_rgb, prior_chroma : (H, W, 3) RGB and its (H, W, 2) YIQ chroma, or None
        The automatic colorization that strokes correct (set with :meth:`set_prior`).
    prior_model : str
        The model file name the prior came from ("" when unknown).
    result : (H, W, 3) float32 or None
    result_is_stale : bool
        True once the strokes changed after ``result`` was made.
    """

    photo: np.ndarray
    photo_path: str = ""
    photo_ref: ImageRef | None = None
    strokes: Strokes = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    stroke_reach: float = DEFAULT_REACH
    result: np.ndarray | None = None
    result_is_stale: bool = False
    prior_rgb: np.ndarray | None = field(default=None, init=False)
    prior_chroma: np.ndarray | None = field(default=None, init=False)
    prior_model: str = field(default="", init=False)
    _raster: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False,
                                                              repr=False)

    def __post_init__(self) -> None:
        self.photo = np.asarray(self.photo, dtype=np.float32)
        if self.strokes is None:
            self.strokes = Strokes(self.shape)

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the photo."""
        return int(self.photo.shape[0]), int(self.photo.shape[1])

    # -- strokes --------------------------------------------------------------------------

    def add_stroke(self, stroke: Stroke) -> None:
        """Paint one more stroke on top."""
        self.strokes.add(stroke)
        self._strokes_changed()

    def remove_last_stroke(self) -> Stroke:
        """Take the top stroke off (undo of :meth:`add_stroke`)."""
        stroke = self.strokes.pop()
        self._strokes_changed()
        return stroke

    def restore_strokes(self, state: tuple) -> None:
        """Go back to a ``strokes.snapshot()`` (clear, loading a hint file, and their undo)."""
        self.strokes.restore(state)
        self._strokes_changed()

    def _strokes_changed(self) -> None:
        self._raster = None
        self.result_is_stale = self.result is not None

    def rasterise(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw the strokes afresh: (marked (H, W, 3) float32, mask (H, W) bool)."""
        self._raster = self.strokes.rasterise(self.photo)
        return self._raster

    @property
    def marked(self) -> np.ndarray:
        """The photo with the strokes painted on it, (H, W, 3) float32 (the window paints a
        stroke being drawn into it in place; :meth:`rasterise` redraws it)."""
        return (self._raster or self.rasterise())[0]

    @property
    def mask(self) -> np.ndarray:
        """(H, W) bool, True where a pixel is a hint."""
        return (self._raster or self.rasterise())[1]

    @property
    def has_hints(self) -> bool:
        """True when there is something to colorize from: a stroke, a hint or a prior."""
        return not self.strokes.empty or self.prior_chroma is not None

    def hint_file_state(self, marked: np.ndarray, mask: np.ndarray | None = None) -> tuple:
        """A ``strokes.snapshot()`` state holding only a hint file as the bottom layer.

        ``marked`` is the photo with strokes painted on it ((H, W[, 3]) in [0, 1]) and
        ``mask`` (H, W), nonzero at hints, optional: read as ``colorize levin`` reads them.
        """
        _, hint_mask = hints_from_marked(self.photo, marked, mask)
        layer = Strokes(self.shape)
        layer.set_base(self.photo, marked, hint_mask)
        return layer.snapshot()

    def write_strokes(self, path: str) -> tuple[str, str]:
        """Write the strokes as a marked image (``path``, ".png" added when it has no
        extension) and a mask beside it (``<name>_mask.png``); returns both paths."""
        root, extension = os.path.splitext(path)
        if not extension:
            path += ".png"
        mask_path = f"{root}_mask.png"
        inputs = [self.photo_path] if self.photo_path else []
        media.write_image(path, self.marked, inputs=inputs)
        media.write_image(mask_path, self.mask.astype(np.float32), inputs=inputs)
        return path, mask_path

    def write_result(self, path: str) -> None:
        """Write the result (there must be one) to the image file ``path``."""
        if self.result is None:
            raise BadInputError("there is no result to save yet")
        media.write_image(path, self.result, inputs=[self.photo_path] if self.photo_path else [])

    # -- prior and result -----------------------------------------------------------------

    def set_prior(self, rgb: np.ndarray, model: str = "") -> None:
        """Use ``rgb`` ((H, W, 3) in [0, 1], an automatic colorization) as the prior."""
        self.prior_rgb = np.asarray(rgb, dtype=np.float32)
        self.prior_chroma = rgb_to_yiq(self.prior_rgb)[..., 1:].astype(np.float32)
        self.prior_model = model

    def prior_state(self) -> tuple:
        """(prior_rgb, prior_model, result, result_is_stale): what starting from automatic
        replaces, for :meth:`restore_prior_state` (undo)."""
        return self.prior_rgb, self.prior_model, self.result, self.result_is_stale

    def restore_prior_state(self, state: tuple) -> None:
        """Go back to a :meth:`prior_state` (the arrays are shared, never changed in place)."""
        prior_rgb, model, self.result, self.result_is_stale = state
        if prior_rgb is None:
            self.prior_rgb = self.prior_chroma = None
            self.prior_model = ""
        else:
            self.set_prior(prior_rgb, model)

    def set_result(self, rgb: np.ndarray) -> None:
        """A fresh full-resolution result, (H, W, 3) float32 in [0, 1]."""
        self.result = rgb
        self.result_is_stale = False

    def prior_weight(self) -> float:
        """The prior weight lambda of the full-size solve (see prior_weight_for_reach)."""
        return prior_weight_for_reach(self.stroke_reach, self.shape)

    # -- engine ---------------------------------------------------------------------------

    def engine_inputs(self) -> ScribbleInputs:
        """The solve's inputs as the strokes stand now; BadInputError when there is no
        stroke, hint or prior to colorize from."""
        if not self.has_hints:
            raise BadInputError("no strokes to colorize from")
        hint_chroma, hint_mask = hints_from_marked(self.photo, self.marked, self.mask)
        prior = self.prior_chroma
        return ScribbleInputs(self.photo, hint_chroma, hint_mask, prior,
                              self.prior_weight() if prior is not None else 0.0,
                              self.photo_path)

    def preview_inputs(self, side: int = PREVIEW_SIDE) -> ScribbleInputs:
        """The solve's inputs on a copy of the photo at most ``side`` pixels long, for the
        live preview, with the stroke reach over the prior kept (the prior weight of the
        small size: :func:`prior_weight_for_reach`). Copied now: later painting cannot
        change them. Strokes are not required (a preview of none is the photo)."""
        photo, prior = self.photo, self.prior_chroma
        height, width = photo.shape[:2]
        scale = min(1.0, side / max(height, width))
        size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
        small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        small_marked = cv2.resize(self.marked, size, interpolation=cv2.INTER_NEAREST)
        small_mask = cv2.resize(self.mask.astype(np.uint8), size,
                                interpolation=cv2.INTER_NEAREST)
        hint_chroma, hint_mask = hints_from_marked(small, small_marked, small_mask)
        if prior is not None:
            prior = cv2.resize(prior, size, interpolation=cv2.INTER_AREA)
        weight = prior_weight_for_reach(self.stroke_reach, (size[1], size[0])) \
            if prior is not None else 0.0
        return ScribbleInputs(small, hint_chroma, hint_mask, prior, weight, self.photo_path)

    def full_size_preview(self, small_rgb: np.ndarray) -> np.ndarray:
        """A preview's colours (its chroma, resized) on the photo's own full-resolution
        luminance: (H, W, 3) float32 in [0, 1]."""
        height, width = self.photo.shape[:2]
        preview = cv2.resize(small_rgb, (width, height), interpolation=cv2.INTER_LINEAR)
        yiq = rgb_to_yiq(preview)
        return np.clip(join_luminance_chroma(luminance(self.photo), yiq[..., 1:]), 0, 1)

    def colorize(self, *, radius: int = 1, solver: str = "multigrid",
                 max_solve_pixels: float = MAX_SOLVE_PIXELS,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> np.ndarray:
        """Colorize at full resolution, keep it as the result and return it (H, W, 3)."""
        rgb = self.engine_inputs().colorize(radius=radius, solver=solver,
                                            max_solve_pixels=max_solve_pixels,
                                            progress=progress, cancelled=cancelled)
        self.set_result(rgb)
        return rgb

    # -- projects -------------------------------------------------------------------------

    @classmethod
    def from_project(cls, project: Project, images: dict,
                     default_reach: float = DEFAULT_REACH) -> ScribbleSession:
        """A scribble project and its photo (``images["photo"]``, a media.LoadedImage) as a
        session; BadInputError (one line) when the project does not fit the photo.

        Layers: ``hint_marked`` / ``hint_mask`` (a loaded hint file under the strokes),
        ``prior`` (the automatic colours), ``result``; ``marked`` and ``mask`` are redrawn
        from the strokes. ``default_reach`` is used when the project gives no stroke reach
        and no prior weight.
        """
        if "photo" not in images:
            raise BadInputError("the project has no photo")
        photo = np.asarray(images["photo"].pixels, dtype=np.float32)
        height, width = photo.shape[:2]
        layers = project.layers
        for name, array in layers.items():
            if array.shape[:2] != (height, width):
                raise BadInputError(f"layer {name} is {array.shape[1]} x {array.shape[0]} "
                                    f"pixels, the photo {width} x {height}")
        if "hint_mask" in layers and layers["hint_mask"].dtype != bool:
            raise BadInputError("layer hint_mask must be a mask")
        check_prior_weight(project.settings)
        ref = project.images.get("photo")
        reach = stroke_reach_of(project.settings, (height, width))
        session = cls(photo, ref.path if ref else images["photo"].path, ref,
                      Strokes((height, width), list(project.strokes)),
                      default_reach if reach is None else reach)
        if all(name in layers for name in HINT_LAYERS):
            session.strokes.set_base(photo, layers["hint_marked"], layers["hint_mask"])
        if "prior" in layers and layers["prior"].ndim == 3:
            model = project.settings.get("model")
            session.set_prior(layers["prior"], model if isinstance(model, str) else "")
        if "result" in layers and layers["result"].ndim == 3:
            session.result = layers["result"]
            session.result_is_stale = project.settings.get("result_is_stale") is True
        return session

    def to_project(self) -> Project:
        """The session as a scribble Project (cheap: layers that change in place are copied).

        Layers: ``marked`` and ``mask`` (the rasterised hints), ``hint_marked`` /
        ``hint_mask``, ``result`` and ``prior``; ``prior_weight`` is the full-size lambda.
        """
        layers = {"marked": self.marked.copy(), "mask": self.mask.copy()}  # painted in place
        if self.strokes.base_marked is not None and self.strokes.base_mask is not None:
            layers["hint_marked"] = self.strokes.base_marked
            layers["hint_mask"] = self.strokes.base_mask
        if self.result is not None:
            layers["result"] = self.result
        if self.prior_rgb is not None:
            layers["prior"] = self.prior_rgb
        settings: dict[str, object] = {
            "prior_weight": self.prior_weight(), "stroke_reach": self.stroke_reach,
            "result_is_stale": bool(self.result_is_stale)}
        if self.prior_model:
            settings["model"] = self.prior_model
        images = {"photo": self.photo_ref} if self.photo_ref is not None else {}
        return Project("scribble", images=images, settings=settings,
                       strokes=list(self.strokes.strokes), layers=layers)
