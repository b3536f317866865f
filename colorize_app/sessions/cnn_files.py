"""Colorize photo files automatically: the run policy of ``colorize cnn``.

:func:`prepare` does every check that can fail before the work, in the order a user should
hear of it: the settings, the project (its photos and model), the output names, the model
file (loaded, with its colorizer); then :meth:`FilesRun.run` colorizes each photo, refusing
a photo too large for the memory available from its header first. In a batch a bad photo
is skipped (reported through ``skipped``) and the others written; a single photo's error
is raised.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from algorithms.errors import BadInputError, CancelledError, ColorizeError, first_line
from algorithms.progress import ProgressCallback
from colorize_app.io import media, safe_files
from colorize_app.io.project import command_image, load_for_command
from colorize_app.sessions.cnn import (
    DEFAULT_INPUT_SIZE,
    CnnSession,
    ModelChoice,
    PhotoEntry,
    resolve_choice,
)

if TYPE_CHECKING:
    from algorithms.cnn.colorizer import Colorizer

def plan_outputs(inputs: list[str], output: str) -> list[tuple[str, str]]:
    """(input file, output file) pairs; refuses clashing names before any work is done.

    One input file: ``output`` is the image to write. Several (or a folder): ``output`` is
    a folder, and each result is written there under the input's name with ``.png``.
    """
    files: list[str] = []
    any_folder = False
    for name in inputs:
        if os.path.isdir(name):
            any_folder = True
            found = media.list_images(name)
            if not found:
                raise BadInputError(f"no images in folder {name}")
            files.extend(found)
        else:
            files.append(name)
    if len(files) == 1 and not any_folder:
        extension = os.path.splitext(output)[1].lower()
        if os.path.isdir(output) or extension not in media.WRITE_EXTENSIONS:
            kinds = ", ".join(media.WRITE_EXTENSIONS)
            raise BadInputError(
                f"with one input, OUT must be an image file name ({kinds}), got {output}"
            )
        safe_files.check_not_input(output, files)
        return [(files[0], output)]
    if os.path.exists(output) and not os.path.isdir(output):
        raise BadInputError(f"with several inputs, OUT must be a folder; {output} is a file")
    pairs: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for path in files:
        target = os.path.join(output, os.path.splitext(os.path.basename(path))[0] + ".png")
        if target in seen:
            raise BadInputError(f"{path} and {seen[target]} would both be written to {target}")
        seen[target] = path
        safe_files.check_not_input(target, files)  # e.g. -o the input folder itself
        pairs.append((path, target))
    return pairs


def session_from_project(path: str, photo_remedy: str) -> CnnSession:
    """The CnnSession a project file holds, its photos found as the window finds them.

    Only the photos' sizes and colour are read here; each photo is read again when it is
    colorized, so a large album never holds every photo's pixels at once. Errors name the
    project file; a photo not found ends with ``photo_remedy``, the front's words for how
    to give the photos otherwise.
    """
    project = load_for_command(path, "cnn")
    images = {}
    for role in project.images:
        image = media.read_image(command_image(project, role, path, photo_remedy))
        images[role] = dataclasses.replace(
            image, pixels=np.broadcast_to(np.float32(0), image.pixels.shape))
    try:
        return CnnSession.from_project(project, images)
    except BadInputError as error:
        raise BadInputError(f"{path}: {error}") from None


def project_model(session: CnnSession, project: str, model: str | None,
                  bins: str | None) -> ModelChoice:
    """The model of a project's run: ``model`` when given, else the project's (refused when
    its file has gone), else the default one."""
    recorded = session.model
    if model or recorded is None:
        return dataclasses.replace(resolve_choice(model), bins_path=bins)
    if not recorded.path or not os.path.exists(recorded.path):
        from colorize_app.io.model_registry import ModelNotFoundError

        raise ModelNotFoundError(f"{project}: the project's model "
                                 f"{recorded.label or recorded.path} is not here",
                                 (("model_file", ""),))
    return ModelChoice(recorded.path, bins or recorded.bins_path)


@dataclass
class FilesRun:
    """A checked run: the session (photos, model, settings), the (input, output) pairs and
    the colorizer; :meth:`run` does the work and closes the colorizer."""

    session: CnnSession
    pairs: list[tuple[str, str]]
    output: str  # the output file (one photo) or folder (several)
    colorizer: Colorizer
    model_description: str  # e.g. "eccv16: width x1, 313 bins, ..."
    inputs: list[str]  # the photos and project, none of which may be written over
    failed: list[str] = field(default_factory=list)

    @property
    def destination(self) -> str:
        """The output file (one photo) or folder (several)."""
        return self.pairs[0][1] if len(self.pairs) == 1 else self.output

    def run(self, progress: ProgressCallback,
            skipped: Callable[[str, str], None] = lambda path, reason: None) -> int:
        """Colorize and write every photo; returns how many were written.

        A photo of a batch that fails (bad file, too large) is reported as ``skipped(path,
        reason)`` and listed in :attr:`failed`; a single photo's error is raised, as is a
        cancel. The colorizer is closed at the end.
        """
        session, pairs = self.session, self.pairs
        try:
            if len(pairs) > 1:
                os.makedirs(self.output, exist_ok=True)
            for index, (entry, (source, target)) in enumerate(zip(session.photos, pairs)):
                try:
                    _, (_, rgb) = session.colorize_entry(self.colorizer, entry)
                    media.write_image(target, rgb, inputs=self.inputs)
                except CancelledError:
                    raise
                except (ColorizeError, MemoryError) as error:
                    if len(pairs) == 1:
                        raise
                    self.failed.append(source)
                    skipped(source, first_line(error, "out of memory"))
                progress((index + 1) / len(pairs), os.path.basename(source))
        finally:
            self.colorizer.close()
        return len(pairs) - len(self.failed)

    def check_all_written(self) -> None:
        """BadInputError (one line) when a photo was skipped."""
        if self.failed:
            raise BadInputError(f"{len(self.failed)} of {len(self.pairs)} inputs could not be "
                                f"colorized (first: {self.failed[0]}); the others were written")


def prepare(inputs: list[str], output: str, *, project: str | None = None,
            model: str | None = None, bins: str | None = None,
            temperature: float | None = None, decoding: str = "calibrated",
            input_size: int | None = DEFAULT_INPUT_SIZE, photo_remedy: str = "") -> FilesRun:
    """Check everything and load the model for colorizing ``inputs`` (files or folders), or
    a project's photos, into ``output``; see :func:`plan_outputs` for the names.

    ``model`` is a registry name or a file (None: the project's, else the default);
    ``bins`` a TF checkpoint's ab bins; ``temperature`` None keeps the project's, else the
    model's own decoding (see :func:`colorize_app.sessions.cnn.decoding_for`);
    ``photo_remedy`` ends the error for a project's photo that is not here. Raises
    BadInputError (one line) for anything wrong, before any file is written.
    """
    from colorize_app.io.model_files import model_files

    session = CnnSession() if project is None else session_from_project(project,
                                                                          photo_remedy)
    if temperature is not None:
        session.temperature = temperature
    session.decoding, session.input_size = decoding, input_size
    session.check()
    named = inputs if project is None else [entry.path for entry in session.photos]
    pairs = plan_outputs(named, output)
    if project is None:
        session.photos = [PhotoEntry(source) for source, _ in pairs]
        session.model = dataclasses.replace(resolve_choice(model), bins_path=bins)
    else:
        session.model = project_model(session, project, model, bins)
    own = [project] if project else []
    for _, target in pairs:  # nor over the model, its bins or the project
        safe_files.check_not_input(
            target, model_files(session.model.path, session.model.bins_path) + own)
    colorizer = session.load_colorizer()
    return FilesRun(session, pairs, output, colorizer, colorizer.model.describe(),
                    [source for source, _ in pairs] + own)
