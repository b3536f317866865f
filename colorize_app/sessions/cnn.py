"""The automatic (CNN) method's document: its photos, model, decoding settings and results.

A CNN project holds the photos by role ``photo_0``, ``photo_1``... (path and checksum), the
settings ``photos`` (the roles in list order), ``current`` (the shown row), ``temperature``
and ``model`` (``path``, ``bins_path``, ``label``, or null), and a layer ``result_<i>`` for
each colorized photo (at the project's temperature, or as restored from a project). The
network's logits are not kept, so a restored result keeps its vividness until the photo is
colorized again.

``colorize cnn`` and the automatic window both hold a :class:`CnnSession`; the window binds
its photo list, model picker and vividness slider to it.

Every front loads models and builds colorizers here (:func:`load_colorizer`,
:func:`load_model`, :func:`decoding_for`), with one temperature rule: None is the model's
own decoding (its file's recommended ``decoding`` entry, else the calibrated default), a
given T overrides its temperature; :func:`check_temperature` is the one range check.
"""

from __future__ import annotations

import numbers
import os
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

import numpy as np

from algorithms.cnn import decode
from algorithms.errors import BadInputError, SettingError
from algorithms.progress import CancelCheck, ProgressCallback
from colorize_app.io import media
from colorize_app.io.project import Project
from colorize_app.io.project_images import ImageRef
from colorize_app.sessions.memory import check_photo_file_memory, check_photo_memory

if TYPE_CHECKING:
    from algorithms.cnn.colorizer import Colorizer, Prediction
    from algorithms.cnn.model_weights import ModelWeights

#: How predictions become colour: "calibrated", the model's own decoding (its file's
#: recommended one, else the calibrated default), or "paper", the paper's plain one.
DECODINGS = ("calibrated", "paper")
#: Side of the square the network sees by default (pixels); None runs at the photo's size.
DEFAULT_INPUT_SIZE = 256
METHOD = "cnn"


def check_temperature(value: object) -> float:
    """The annealed-mean temperature as a float; BadInputError unless a number in (0, 10].

    One rule for the command line, the window and projects: the engine's
    (:func:`algorithms.cnn.decode.check_temperature`), whose message every caller shows.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SettingError("temperature", f"must be in (0, 10], got {str(value)[:20]}")
    if isinstance(value, int) and not -10**6 < value < 10**6:  # float() would overflow
        raise SettingError("temperature", f"must be in (0, 10], got {str(value)[:20]}...")
    # The value as given (11, not 11.0), so that the message repeats what the user wrote.
    return decode.check_temperature(cast(float, value))


@dataclass(frozen=True)
class ModelChoice:
    """A model to load: its file (or TF checkpoint prefix) and, for a checkpoint, its bins."""

    path: str
    bins_path: str | None = None
    label: str = ""

    def record(self) -> dict:
        """The project's record of this model (JSON-ready)."""
        return {"path": self.path, "bins_path": self.bins_path, "label": self.label}

    @staticmethod
    def from_record(record: object) -> ModelChoice | None:
        """The model a project records; None when it records none.

        A record that names no file gives a choice with an empty path: the model is
        then "not here", as a file that has gone.
        """
        if record is None:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("path"), str):
            return ModelChoice("")
        bins = record.get("bins_path")
        label = record.get("label")
        return ModelChoice(record["path"], bins if isinstance(bins, str) else None,
                           label if isinstance(label, str) else "")


_CACHE_LOCK = threading.Lock()
#: The last model read in this process: (file identity, weights).
_CACHED: tuple[tuple, ModelWeights] | None = None


def resolve_choice(source: ModelChoice | str | os.PathLike[str] | None) -> ModelChoice:
    """The model file that ``source`` names: a choice as it is, a registry name or a file
    path resolved (:func:`colorize_app.io.model_registry.resolve_model`), None: the
    default model. Raises ModelNotFoundError (one line) when there is none."""
    if isinstance(source, ModelChoice):
        return source
    from colorize_app.io.model_registry import resolve_model

    return ModelChoice(str(resolve_model(None if source is None else os.fspath(source))))


def _file_identity(choice: ModelChoice) -> tuple | None:
    """(path, size, modification time) of every file the model is read from; None when one
    cannot be read (the loader then says why)."""
    from colorize_app.io.model_files import model_files

    try:
        files = model_files(choice.path, choice.bins_path)
        return tuple((os.path.abspath(name), status.st_size, status.st_mtime_ns)
                     for name in files for status in [os.stat(name)])
    except (OSError, ValueError):
        return None


def load_model(source: ModelChoice | str | os.PathLike[str] | None) -> ModelWeights:
    """The model's weights, validated; read once per process while its files are unchanged.

    The last model read is kept (keyed by its files' paths, sizes and modification times),
    so the app's preloaded model, a window's later colorizer and a batch worker's tasks
    share one read. The weights are shared: treat them as read-only. Raises BadInputError
    (one line) for a missing or malformed file.
    """
    global _CACHED
    from colorize_app.io.model_files import load_model as read_model_file

    choice = resolve_choice(source)
    with _CACHE_LOCK:  # a second thread asking for the same model waits for this read
        identity = _file_identity(choice)
        if identity is not None and _CACHED is not None and _CACHED[0] == identity:
            return _CACHED[1]
        model = read_model_file(choice.path, bins_path=choice.bins_path)
        if identity is not None:
            _CACHED = (identity, model)
        return model


def forget_models() -> None:
    """Drop the kept model (its memory goes once no colorizer holds it)."""
    global _CACHED
    with _CACHE_LOCK:
        _CACHED = None


def check_decoding(decoding: str) -> str:
    """``decoding`` when it is one of :data:`DECODINGS`, else BadInputError."""
    if decoding not in DECODINGS:
        raise BadInputError(f"decoding must be one of {', '.join(DECODINGS)}, "
                            f"got {decoding}")
    return decoding


def check_input_size(size: object) -> int | None:
    """The network's input side (a multiple of 8, at least 8) or None (the photo's size)."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                             or size < 8 or size % 8):
        raise BadInputError(f"network input size must be a multiple of 8, got {size}")
    return size


def decoding_for(model: ModelWeights, *, temperature: float | None = None,
                 decoding: str = "calibrated") -> decode.Decoding:
    """How ``model``'s predictions become colour: ``decoding`` (one of :data:`DECODINGS`)
    at ``temperature`` (None: the decoding's own; for "calibrated", the model's tuned
    value)."""
    check_decoding(decoding)
    return _decoding(model, None if temperature is None else check_temperature(temperature),
                     decoding)


def _decoding(model: ModelWeights, temperature: float | None, decoding: str
              ) -> decode.Decoding:
    """:func:`decoding_for` with settings already checked."""
    chosen = decode.Decoding.paper() if decoding == "paper" else \
        decode.Decoding.from_metadata(model.metadata)
    return chosen if temperature is None else replace(chosen, temperature=temperature)


def load_colorizer(source: ModelChoice | str | os.PathLike[str] | ModelWeights | None, *,
                   temperature: float | None = None,
                   decoding: str = "calibrated", input_size: int | None = DEFAULT_INPUT_SIZE,
                   threads: int = 0) -> Colorizer:
    """A Colorizer for the model ``source`` names (see :func:`load_model`; loaded weights
    are used as they are) with :func:`decoding_for`'s decoding.

    ``input_size`` is the side of the square the network sees (None: the photo's size);
    ``threads`` caps TensorFlow's threads (0: its default). Imports TensorFlow the lighter
    way first. Slow (seconds: it builds the network); the caller closes it.
    """
    from algorithms.cnn.model_weights import ModelWeights

    check_decoding(decoding)  # the settings before the model: they are quick to check
    input_size = check_input_size(input_size)
    if temperature is not None:
        temperature = check_temperature(temperature)
    model = source if isinstance(source, ModelWeights) else load_model(source)
    from colorize_app.runtime.tf_startup import import_tensorflow

    import_tensorflow()  # before anything imports it the usual way: a third less import time
    from algorithms.cnn.colorizer import Colorizer

    return Colorizer(model, input_size=input_size, threads=threads,
                     decoding=_decoding(model, temperature, decoding))


@dataclass
class PhotoEntry:
    """A photo of the session; ``prediction`` is set once it has been colorized.

    ``width`` and ``height`` are in pixels (0 until known); ``ref`` is the project's
    reference to the file (path and checksum); ``saved_result`` a result restored from a
    project ((H, W, 3) float32 in [0, 1]), kept until the photo is colorized again;
    ``decoded`` the last decoding of ``prediction`` as (temperature, result), so that
    asking again at the same temperature (thumbnails, autosave) does not decode again.
    """

    path: str
    width: int = 0
    height: int = 0
    is_colour: bool = False
    prediction: Prediction | None = None
    ref: ImageRef | None = None
    saved_result: np.ndarray | None = None
    decoded: tuple[float | None, np.ndarray] | None = field(default=None, repr=False,
                                                           compare=False)

    def set_prediction(self, prediction: Prediction,
                       decoded: tuple[float | None, np.ndarray] | None = None) -> None:
        """A new colorization (and, if at hand, its decoding as (temperature, result));
        a restored result and older decodings go."""
        self.prediction, self.saved_result, self.decoded = prediction, None, decoded

    @property
    def colorized(self) -> bool:
        return self.prediction is not None or self.saved_result is not None

    def result(self, temperature: float | None) -> np.ndarray | None:
        """The colorization at ``temperature`` (a restored result as it was), or None.

        Decoded once per temperature: the same array comes back until it changes.
        """
        if self.prediction is None:
            return self.saved_result
        decoded = self.decoded  # one read: a worker thread may decode meanwhile
        if decoded is not None and decoded[0] == temperature:
            return decoded[1]
        rgb = self.prediction.decode(temperature)
        self.decoded = (temperature, rgb)
        return rgb


@dataclass
class CnnSession:
    """Photos, model and decoding settings of automatic colorization, and the results.

    Attributes
    ----------
    photos : list of PhotoEntry
        In list order; each keeps its own prediction or restored result.
    current : int
        The shown photo's index.
    temperature : float or None
        Annealed-mean temperature in (0, 10] (lower: more vivid); None: the decoding's own.
    decoding : str
        One of :data:`DECODINGS`.
    model : ModelChoice or None
        The chosen model; None: the default one.
    input_size : int or None
        Side of the square the network sees (a multiple of 8); None: the photo's size.
    result : (H, W, 3) float32 ndarray or None
        The shown photo's colorization at ``temperature``, once decoded.
    """

    photos: list[PhotoEntry] = field(default_factory=list)
    current: int = 0
    temperature: float | None = None
    decoding: str = "calibrated"
    model: ModelChoice | None = None
    input_size: int | None = DEFAULT_INPUT_SIZE
    result: np.ndarray | None = None

    # -- projects ---------------------------------------------------------------------------

    @classmethod
    def from_project(cls, project: Project, images: dict) -> CnnSession:
        """The session a CNN project holds; ``images`` maps role -> LoadedImage.

        Raises BadInputError (one line) for a photo list naming photos the project lacks,
        a result whose size is not its photo's, or a temperature outside (0, 10].
        """
        if project.method != METHOD:
            raise BadInputError(f"a {project.method} project is not a {METHOD} one")
        settings = project.settings
        roles = settings.get("photos", list(images))
        if not isinstance(roles, list) or any(
                not isinstance(role, str) or role not in images for role in roles):
            raise BadInputError("the project's photo list names photos it does not hold")
        photos = []
        for index, role in enumerate(roles):
            pixels = images[role].pixels
            height, width = pixels.shape[:2]
            entry = PhotoEntry(images[role].path, width, height, pixels.ndim == 3,
                               ref=project.images.get(role))
            result = project.layers.get(f"result_{index}")
            if result is not None:
                if result.shape != (height, width, 3):
                    raise BadInputError(f"the result of {os.path.basename(entry.path)} "
                                        "does not match its photo's size")
                entry.saved_result = result
            photos.append(entry)
        temperature = check_temperature(settings.get("temperature"))
        current = settings.get("current", 0)
        if not isinstance(current, int) or not 0 <= current < len(roles):
            current = 0  # only which photo is shown: not worth refusing the project
        return cls(photos=photos, current=current, temperature=temperature,
                   model=ModelChoice.from_record(settings.get("model")))

    def to_project(self) -> Project:
        """The session as a CNN project, with every colorized photo's result: decoded at
        :attr:`temperature` where not already (about 0.15 s a megapixel), restored ones as
        they are."""
        images, layers = {}, {}
        for index, entry in enumerate(self.photos):
            role = f"photo_{index}"
            images[role] = entry.ref or ImageRef(entry.path, size=(entry.width, entry.height))
            shown = index == self.current and self.result is not None
            result = self.result if shown else entry.result(self.temperature)
            if result is not None:
                layers[f"result_{index}"] = result
        settings = {"photos": list(images), "current": self.current,
                    "temperature": (decode.DEFAULT_TEMPERATURE if self.temperature is None
                                    else self.temperature),
                    "model": None if self.model is None else self.model.record()}
        return Project(METHOD, images=images, settings=settings, layers=layers)

    # -- settings ---------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse settings the engine cannot use (BadInputError, one line)."""
        if self.temperature is not None:
            self.temperature = check_temperature(self.temperature)
        check_decoding(self.decoding)
        check_input_size(self.input_size)

    # -- the engine -------------------------------------------------------------------------

    def load_colorizer(self, model: ModelWeights | None = None) -> Colorizer:
        """A Colorizer for ``model`` (default: :attr:`model`'s file, see :func:`load_model`)
        with these settings. Slow (seconds: it builds the network); the caller closes it."""
        if model is None and self.model is None:
            raise BadInputError("no model chosen")
        return load_colorizer(self.model if model is None else model,
                              temperature=self.temperature, decoding=self.decoding,
                              input_size=self.input_size)

    def colorize(self, colorizer: Colorizer, pixels: np.ndarray,
                 progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None, *, path: str = "") -> np.ndarray:
        """Colorize a gray (H, W) or colour (H, W, 3) photo in [0, 1] at this temperature.

        Returns RGB (H, W, 3) float32 in [0, 1] with the photo's own CIELAB lightness;
        ``colorizer.last_prediction`` then re-decodes it at any temperature. A photo too
        large for the memory available is refused first (MemoryBudgetError naming
        ``path``, the photo's file).
        """
        check_photo_memory(METHOD, pixels.shape[:2], path or "(no file)",
                           native=self.input_size is None)
        return colorizer.colorize(pixels, temperature=self.temperature, progress=progress,
                                  cancelled=cancelled)

    def colorize_entry(self, colorizer: Colorizer, entry: PhotoEntry,
                       progress: ProgressCallback | None = None,
                       cancelled: CancelCheck | None = None
                       ) -> tuple[Prediction, tuple[float | None, np.ndarray]]:
        """Run the network on ``entry``'s photo (read from its file): its Prediction and
        its decoding as (temperature, RGB (H, W, 3) float32 in [0, 1]), the arguments of
        :meth:`PhotoEntry.set_prediction`.

        The entry is left as it is: a window stores the prediction on its own thread. A
        photo too large for the memory available is refused from its header first.
        """
        check_photo_file_memory(METHOD, entry.path, native=self.input_size is None)
        pixels = media.read_image(entry.path).pixels
        temperature = self.temperature
        rgb = colorizer.colorize(pixels, temperature=temperature, progress=progress,
                                 cancelled=cancelled)
        return colorizer.last_prediction, (temperature, rgb)

    def current_entry(self) -> PhotoEntry | None:
        """The shown photo, None when there is none."""
        return self.photos[self.current] if 0 <= self.current < len(self.photos) else None

    def decode_current(self) -> np.ndarray | None:
        """Decode the shown photo at :attr:`temperature` (no network run) into ``result``."""
        entry = self.current_entry()
        self.result = None if entry is None else entry.result(self.temperature)
        return self.result
