"""The colour-transfer document: target and reference photos, swatch pairs, settings, result.

Shared by ``colorize transfer`` and the colour-transfer window. Every check of a transfer
project's content happens in :meth:`TransferSession.from_project`; the engine is
:func:`algorithms.transfer.transfer_colour`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback
from algorithms.regions import SwatchPair, check_inside, lies_inside, validate_regions
from algorithms.transfer import TransferResult, transfer_colour
from colorize_app.documents.swatches import SIDES, SwatchBoard, SwatchEntry
from colorize_app.io.project import Project
from colorize_app.io.project_images import ImageRef
from colorize_app.sessions.memory import check_photo_memory
from colorize_app.sessions.transfer_settings import TransferSettings

PROJECT_METHOD = "transfer"
#: ``task(progress, cancelled)``: one engine run on inputs captured beforehand.
TransferTask = Callable[[ProgressCallback | None, CancelCheck | None], TransferResult]


@dataclass
class Photo:
    """One input photo: (H, W) or (H, W, 3) float32 pixels in [0, 1], the file it came from
    ("" when none) and the project's reference to that file (None when unknown)."""

    pixels: np.ndarray
    path: str = ""
    ref: ImageRef | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pixels.shape[1], self.pixels.shape[0]


def check_swatches(entries: Sequence[SwatchEntry], sizes: Mapping[str, tuple[int, int]]) -> None:
    """Every drawn rectangle of ``entries`` lies inside its photo; ``sizes`` maps a side to
    its photo's (width, height), a side without a photo is absent. One-line BadInputError."""
    for number, entry in enumerate(entries, start=1):
        for side in SIDES:
            rect = entry.get(side)
            if rect is None:
                continue
            if side not in sizes:
                raise BadInputError(f"swatch pair {number} needs the {side} image")
            check_inside(rect, *sizes[side], side, f"swatch pair {number}")


def check_files_memory(target: str, reference: str) -> None:
    """Refuse (MemoryBudgetError, one line) a transfer between the image files ``target``
    and ``reference`` that would not fit in memory, from their headers alone."""
    from colorize_app.io import media

    reference_width, reference_height = media.image_size(reference)
    target_width, target_height = media.image_size(target)
    check_photo_memory("transfer", (target_height, target_width), target,
                       reference_shape=(reference_height, reference_width))


@dataclass
class TransferSession:
    """The colour-transfer document.

    Attributes
    ----------
    photos : dict of str to Photo or None
        ``"target"`` (the photo to colour) and ``"reference"`` (where colours come from).
    board : SwatchBoard
        The numbered swatch pairs, a side possibly still missing.
    settings : TransferSettings
    result : (H, W, 3) ndarray, float32 in [0, 1], or None
        The coloured target, the target's size.
    warnings : tuple of str
        The engine's notes on the last result.
    """

    photos: dict[str, Photo | None] = field(
        default_factory=lambda: {side: None for side in SIDES})
    board: SwatchBoard = field(default_factory=SwatchBoard)
    settings: TransferSettings = field(default_factory=TransferSettings)
    result: np.ndarray | None = None
    warnings: tuple[str, ...] = ()

    # -- editing ------------------------------------------------------------------------

    def pixels(self, side: str) -> np.ndarray | None:
        photo = self.photos[side]
        return None if photo is None else photo.pixels

    @property
    def ready(self) -> bool:
        """Both photos are there: a transfer can run."""
        return all(photo is not None for photo in self.photos.values())

    def set_photo(self, side: str, pixels: np.ndarray, path: str = "",
                  ref: ImageRef | None = None) -> bool:
        """Make ``pixels`` the ``side`` photo; rectangles that no longer fit it are dropped
        (a pair left with neither side goes), a new target drops the result.

        Returns True when swatch pairs remain (the document has work in it).
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        photo = Photo(np.asarray(pixels, dtype=np.float32), path, ref)
        self.photos[side] = photo
        for entry in self.board.entries:
            rect = entry.get(side)
            if rect is not None and not lies_inside(rect, *photo.size):
                entry.set(side, None)
        self.board.entries = [e for e in self.board.entries if e.target or e.reference]
        if side == "target":
            self.result, self.warnings = None, ()
        return bool(self.board.entries)

    def check_photo_file(self, side: str, path: str) -> None:
        """Refuse (MemoryBudgetError, one line) the image file ``path`` as the ``side``
        photo when a transfer with the other photo (if any) would not fit in memory: from
        its header alone, before it is decoded."""
        from colorize_app.io import media

        width, height = media.image_size(path)
        target = self.photos["target"]
        if side == "target":
            reference = self.pixels("reference")
            check_photo_memory("transfer", (height, width), path, reference_shape=(
                None if reference is None else reference.shape[:2]))
        elif target is None:
            check_photo_memory("transfer", (height, width), path, as_reference=True)
        else:
            check_photo_memory("transfer", target.pixels.shape[:2], target.path or "target",
                               reference_shape=(height, width))

    def load_regions(self, pairs: Sequence[SwatchPair]) -> None:
        """Replace the swatches by a region file's ``pairs``, checked against both photos
        when both are there (BadInputError, nothing changed, when one lies outside)."""
        target, reference = self.pixels("target"), self.pixels("reference")
        if target is not None and reference is not None:
            validate_regions(pairs, target.shape, reference.shape)
        self.board.load(pairs)

    def pairs(self) -> list[SwatchPair] | None:
        """The complete swatch pairs for the engine; None (whole-image mode) when none."""
        return self.board.pairs() or None

    # -- projects -----------------------------------------------------------------------

    @classmethod
    def from_project(cls, project: Project, images: Mapping[str, Any]) -> TransferSession:
        """A transfer project as a session.

        ``images`` maps a role (``"target"``, ``"reference"``) to its loaded image (an
        object with ``pixels`` and ``path``, e.g. ``media.LoadedImage``); a role may be
        missing. A photo's path is the one its project reference names, where there is
        one. A result layer that does not fit the target is left out. BadInputError (one
        line) for another method's project, bad settings, or a swatch that lies outside
        its photo or lacks it.
        """
        if project.method != PROJECT_METHOD:
            raise BadInputError(f"a {project.method} project, not a {PROJECT_METHOD} one")
        session = cls(settings=TransferSettings.from_data(project.settings))
        for side in SIDES:
            image, ref = images.get(side), project.images.get(side)
            if image is not None:
                # The file the project names, even when the pixels came from its embedded copy.
                session.photos[side] = Photo(np.asarray(image.pixels, dtype=np.float32),
                                             image.path if ref is None else ref.path, ref)
        check_swatches(project.swatches, {side: photo.size for side, photo
                                          in session.photos.items() if photo is not None})
        session.board.restore(project.swatches)
        result, target = project.layers.get("result"), session.pixels("target")
        if result is not None and target is not None and result.ndim == 3 \
                and result.shape[:2] == target.shape[:2]:
            session.result = result
        return session

    def to_project(self) -> Project:
        """The session as a Project: images by role (those with a file reference), the
        swatch pairs, the settings and the ``result`` layer."""
        images = {side: photo.ref for side, photo in self.photos.items()
                  if photo is not None and photo.ref is not None}
        layers = {} if self.result is None else {"result": self.result}
        return Project(PROJECT_METHOD, images=images, settings=self.settings.to_data(),
                       swatches=self.board.snapshot(), layers=layers)

    # -- the engine ---------------------------------------------------------------------

    def transfer_task(self) -> TransferTask:
        """The engine call on the photos, pairs and settings as they are now.

        What it captures stays put while the session is edited, so the task may run in
        another thread; :meth:`set_result` takes its outcome. BadInputError when a photo
        is missing or a setting is bad.
        """
        target_photo, reference_photo = self.photos["target"], self.photos["reference"]
        if target_photo is None or reference_photo is None:
            raise BadInputError("colour transfer needs both a target and a reference photo")
        target, reference = target_photo.pixels, reference_photo.pixels
        settings, pairs = self.settings.check(), self.pairs()
        # The same rule and words as for files: the windows refuse what the command refuses.
        check_photo_memory("transfer", target.shape[:2], target_photo.path or "target",
                           reference_shape=reference.shape[:2])

        def task(progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> TransferResult:
            return transfer_colour(
                target, reference, samples=settings.samples,
                neighbourhood=settings.neighbourhood, pairs=pairs, method=settings.method,
                seed=settings.seed, progress=progress, cancelled=cancelled)

        return task

    def set_result(self, outcome: TransferResult) -> None:
        self.result, self.warnings = outcome.rgb, tuple(outcome.warnings)

    def transfer(self, progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> TransferResult:
        """Run the engine now (see :meth:`transfer_task`) and keep its result."""
        outcome = self.transfer_task()(progress, cancelled)
        self.set_result(outcome)
        return outcome

    def with_settings(self, **changes: Any) -> TransferSettings:
        """The settings with ``changes`` (None values ignored), checked, made current."""
        self.settings = replace(self.settings, **{key: value for key, value in changes.items()
                                                  if value is not None}).check()
        return self.settings
