"""Named models: the shipped ones, the authors' download, and files in the user's data folder.

The project ships its own models in ``models/``, each named by its file's stem:
``effnet_lite0`` (the default, :data:`SHIPPED_NAME`) and ``zhang_small`` (from scratch).
``eccv16`` is the authors' PyTorch release, downloaded on request into
:func:`colorize_app.runtime.paths.models_dir` (``COLORIZE_DATA_DIR`` overrides it), resumably, and
checked against its SHA-256. The engines in ``algorithms.cnn`` load a model from the file
this module resolves; they never look for or download one themselves.

Its errors say what is wrong and, as data (:attr:`ModelError.remedies`), what the user can
do: each front words that for its users (the command line as `colorize models download`
and ``--model FILE``, the windows as their menu entries).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from algorithms.errors import ColorizeError, first_line
from algorithms.progress import ProgressCallback
from colorize_app.io.safe_files import file_sha256
from colorize_app.runtime import paths

#: Environment variable that overrides the folder holding downloaded models.
DATA_DIR_VARIABLE = paths.DATA_DIR_VARIABLE
#: The default model: of the models shipped in models/, the one that scored best on the dev
#: photos (raw AuC, colourfulness, the look of sky, foliage and skin; see the README).
#: The other shipped models stay selectable by their file's stem (e.g. "zhang_small").
SHIPPED_NAME = "effnet_lite0"
MODEL_SUFFIXES = (".npz", ".pth", ".pt")


#: What a user can do about a model error, in words of no particular front, by action
#: ("{}" is the action's detail: a registry name or a URL).
PLAIN_REMEDIES = {"download": "download {}", "model_file": "choose a model file",
                  "rerun": "try again later to resume",
                  "fetch": "fetch {} elsewhere and choose that file"}


class ModelError(ColorizeError):
    """A model that cannot be had: ``problem`` says why; ``remedies`` what the user can do,
    as (action, detail) pairs with the actions of :data:`PLAIN_REMEDIES`, which each front
    words for its users (:meth:`worded`). str() words them plainly."""

    def __init__(self, problem: str, remedies: tuple[tuple[str, str], ...] = ()) -> None:
        self.problem, self.remedies = problem, remedies
        super().__init__(self.worded(PLAIN_REMEDIES))

    def worded(self, words: Mapping[str, str]) -> str:
        """The message with the remedies in ``words`` (action -> text, "{}" the detail)."""
        if not self.remedies:
            return self.problem
        return f"{self.problem}; " + " or ".join(
            words[action].format(detail) for action, detail in self.remedies)


class ModelNotFoundError(ModelError):
    """No model of that name or path, or none installed."""


class ModelDownloadError(ModelError):
    """A model could not be downloaded or failed its checksum."""


@dataclass(frozen=True)
class RegistryEntry:
    """A downloadable model: where it comes from and what its bytes must hash to."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str


#: sha256 as published alongside the file by several independent users of it; the file
#: name carries its first 8 hex digits (PyTorch hub convention, checked by torch.hub).
REGISTRY: dict[str, RegistryEntry] = {
    "eccv16": RegistryEntry(
        name="eccv16",
        filename="colorization_release_v2-9b330a0b.pth",
        url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
        sha256="9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9",
        size=128_976_165,
        description="Zhang et al. ECCV 2016, the authors' ImageNet model (PyTorch release, BSD)",
    ),
}


@dataclass(frozen=True)
class InstalledModel:
    """A model file present on this machine."""

    name: str
    path: Path
    origin: str  # "shipped", "downloaded" or "user"

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        return file_sha256(self.path, "a model file")


def data_dir() -> Path:
    """The folder where downloaded models live (not created here)."""
    return paths.models_dir()


def shipped_model_path() -> Path:
    """Where the default shipped model file is (the other shipped models lie beside it)."""
    import models

    return Path(models.__file__).resolve().parent / f"{SHIPPED_NAME}.npz"


def installed_models() -> list[InstalledModel]:
    """Every model file present: the shipped one, downloads, and others in the data folder."""
    found = []
    shipped = shipped_model_path()
    if shipped.is_file():
        found.append(InstalledModel(SHIPPED_NAME, shipped, "shipped"))
    # Other models shipped beside it (the from-scratch one), selectable by their file's stem.
    for path in sorted(shipped.parent.glob("*.npz")):
        if path != shipped and not path.name.startswith("."):
            found.append(InstalledModel(path.stem, path, "shipped"))
    folder = data_dir()
    by_file = {entry.filename: entry.name for entry in REGISTRY.values()}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in MODEL_SUFFIXES and not path.name.startswith("."):
                name = by_file.get(path.name, path.stem)
                found.append(InstalledModel(name, path, "downloaded" if name in REGISTRY
                                            else "user"))
    return found


def _looks_like_path(spec: str) -> bool:
    return (os.sep in spec or Path(spec).suffix in MODEL_SUFFIXES + (".index", ".npy")
            or Path(spec).exists() or Path(spec + ".index").exists())


def resolve_model(spec: str | None = None) -> Path:
    """The file for a model name or path; ``None`` gives the default model.

    Raises ModelNotFoundError with what to do when nothing matches.
    """
    if spec is None:
        installed = {model.name: model.path for model in installed_models()}
        for name in (SHIPPED_NAME, *REGISTRY):
            if name in installed:
                return installed[name]
        raise ModelNotFoundError("no colorization model installed",
                                 (("download", "eccv16"), ("model_file", "")))
    if _looks_like_path(spec):
        path = Path(spec).expanduser()
        if not (path.exists() or Path(str(path) + ".index").exists()):
            raise ModelNotFoundError(f"no such model file: {spec}")
        return path
    for model in installed_models():
        if model.name == spec:
            return model.path
    if spec in REGISTRY:
        raise ModelNotFoundError(f"model {spec} is not installed", (("download", spec),))
    known = ", ".join(sorted({SHIPPED_NAME, *REGISTRY}))
    raise ModelNotFoundError(f"unknown model {spec!r}: not a file, and not one of {known}")


class ResumableDownloader:
    """A pooch downloader that keeps a ``.part`` file and resumes it with an HTTP Range.

    The ``.part`` file is not a temporary of the atomic writer: it must outlive an
    interrupted run so that the next one resumes. pooch gives each download its own
    temporary ``output_file``, checks its hash and only then moves it into place.
    """

    def __init__(self, partial: Path, size: int, progress: ProgressCallback | None) -> None:
        self.partial, self.size, self.progress = partial, size, progress

    def __call__(self, url: str, output_file: str, pooch: object, check_only: bool = False
                 ) -> None:
        import requests

        done = self.partial.stat().st_size if self.partial.exists() else 0
        headers = {"Range": f"bytes={done}-"} if done else {}
        with requests.get(url, headers=headers, stream=True, timeout=(10, 60)) as response:
            if response.status_code == 416 and done >= self.size:
                pass  # the partial file already holds everything
            else:
                response.raise_for_status()
                if response.status_code != 206:
                    done = 0  # the server ignored the range: start again
                total = done + int(response.headers.get("Content-Length", self.size - done))
                with open(self.partial, "ab" if done else "wb") as handle:
                    for chunk in response.iter_content(chunk_size=1 << 16):
                        handle.write(chunk)
                        done += len(chunk)
                        if self.progress is not None:
                            self.progress(done / max(total, 1),
                                          f"{done / 1e6:.1f} / {total / 1e6:.1f} MB")
        os.replace(self.partial, output_file)


def download(name: str, progress: ProgressCallback | None = None) -> Path:
    """Download a registry model into :func:`data_dir` (resumable, SHA-256 checked).

    Returns the file's path. Raises ModelDownloadError with one line when offline, when
    the server fails, or when the bytes do not match the published checksum.
    """
    import pooch
    import requests

    if name not in REGISTRY:
        raise ModelNotFoundError(
            f"unknown model {name!r}; downloadable: {', '.join(sorted(REGISTRY))}"
        )
    entry = REGISTRY[name]
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{entry.filename}.part"
    downloader = ResumableDownloader(partial, entry.size, progress)
    host = urlparse(entry.url).netloc
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch announces downloads at INFO level on stderr
    try:
        path = pooch.retrieve(entry.url, known_hash=f"sha256:{entry.sha256}",
                              fname=entry.filename, path=folder, downloader=downloader)
    except requests.exceptions.ConnectionError:
        raise ModelDownloadError(f"cannot download {name}: no connection to {host} (offline?)",
                                 (("rerun", ""), ("fetch", entry.url))) from None
    except requests.exceptions.RequestException as error:
        reason = first_line(error, limit=160)
        raise ModelDownloadError(f"cannot download {name} from {host}: {reason}") from None
    except ValueError as error:
        if "hash" in str(error).lower():
            raise ModelDownloadError(
                f"downloaded {entry.filename} does not match its published SHA-256; "
                "the corrupt file was deleted, run the command again"
            ) from None
        raise
    finally:
        logger.setLevel(level)
    return Path(path)
