"""Fuzz targets: every parser of user files, fed raw bytes.

Each target takes the bytes of one file, writes them where the parser expects a file and
calls the parser. The contract (:func:`check`) is that it returns, or raises the project's
own ``ColorizeError`` with a one-line message; any other exception is a bug. Seeds are
small valid files made in memory, which the fuzzers (atheris in ``fuzz/run.py``,
hypothesis in ``tests/test_fuzz_parsers.py``) truncate and mutate.

Images are decoded under a lower pixel limit here (FUZZ_MAX_PIXELS) so that a mutated
header cannot make each case allocate hundreds of megabytes; the limit check itself is
the same code as in normal use.
"""

from __future__ import annotations

import functools
import io
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from algorithms.errors import ColorizeError

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY / "tests" / "fixtures"
#: Pixel limit while fuzzing image decoders (see the module docstring).
FUZZ_MAX_PIXELS = 4_000_000
#: Longest message accepted as "one line" for a user.
MAX_MESSAGE = 600

_WORK = tempfile.mkdtemp(prefix="colorize-fuzz-")
# Decoders complain on stderr about every damaged file; the fuzzers' output is what counts.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")


def check(target: Callable[[bytes], object], data: bytes) -> str:
    """Run ``target`` on ``data``: "" when accepted, the message when refused.

    Raises AssertionError when the refusal is not a one-line ColorizeError message;
    lets any other exception through (a bug, reported by the fuzzer).
    """
    try:
        with warnings.catch_warnings():  # Pillow warns about damaged EXIF, TIFF tags...
            warnings.simplefilter("ignore")
            target(data)
    except ColorizeError as error:
        message = str(error)
        assert message and "\n" not in message and len(message) <= MAX_MESSAGE, repr(message)
        return message
    return ""


def _file(name: str, data: bytes) -> str:
    path = os.path.join(_WORK, name)
    with open(path, "wb") as file:
        file.write(data)
    return path


def _limited_pixels():
    from colorize_app.io import media

    media.MAX_PIXELS = min(media.MAX_PIXELS, FUZZ_MAX_PIXELS)


# --------------------------------------------------------------------------------------------
# Targets


def region_json(data: bytes) -> None:
    from colorize_app.io import text_files

    text_files.read_regions(_file("regions.json", data))


def project_file(data: bytes) -> None:
    from colorize_app.io.project import load_project

    _limited_pixels()
    load_project(_file("work.colorize", data))


def project_strokes(data: bytes) -> None:
    """A project's strokes drawn on a 160 x 120 photo (``colorize levin --project``).

    The drawing budget is lowered here as the pixel limit is, so that a mutated stroke
    cannot make one case take seconds; the check is the same code.
    """
    from colorize_app.documents import strokes
    from colorize_app.io.project import load_project

    _limited_pixels()
    strokes.RASTER_WORK_FLOOR = min(strokes.RASTER_WORK_FLOOR, 2e6)
    loaded = load_project(_file("strokes.colorize", data))
    strokes.Strokes((120, 160), list(loaded.strokes)).rasterise(np.zeros((120, 160), np.float32))


def image(data: bytes) -> None:
    from colorize_app.io import media

    _limited_pixels()
    media.read_image(_file("image.img", data))


def marked_image(data: bytes) -> None:
    """A marked image for a fixed 16 x 12 gray photo (what ``colorize levin`` reads)."""
    from algorithms.scribble import hints_from_marked
    from colorize_app.io import media

    _limited_pixels()
    marked = media.read_image(_file("marked.png", data)).pixels
    hints_from_marked(_gray_photo(), marked, None)


def hint_mask(data: bytes) -> None:
    """A mask image beside a valid marked image (``colorize levin --mask``)."""
    from algorithms.scribble import hints_from_marked
    from colorize_app.io import media

    _limited_pixels()
    mask = media.read_image(_file("mask.png", data)).pixels
    photo = _gray_photo()
    hints_from_marked(photo, np.repeat(photo[..., None], 3, axis=2), mask)


def model_npz(data: bytes) -> None:
    from colorize_app.io.model_files import load_model

    load_model(_file("model.npz", data))


def model_pth(data: bytes) -> None:
    from colorize_app.io.model_files import load_model

    load_model(_file("model.pth", data))


def bins_npy(data: bytes) -> None:
    from colorize_app.io.model_files import load_bins

    load_bins(_file("bins.npy", data))


def tf_checkpoint_index(data: bytes) -> None:
    """A damaged ``.index`` beside an intact ``.data`` file and bins."""
    from colorize_app.io.model_files import load_model

    folder = _checkpoint_folder()
    with open(os.path.join(folder, "model.ckpt.index"), "wb") as file:
        file.write(data)
    load_model(os.path.join(folder, "model.ckpt"))


def tf_checkpoint_data(data: bytes) -> None:
    """A damaged ``.data`` file beside an intact ``.index`` and bins."""
    from colorize_app.io.model_files import load_model

    folder = _checkpoint_folder()
    name = next(n for n in os.listdir(folder) if n.startswith("model.ckpt.data-"))
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)
    with open(os.path.join(folder, "model.ckpt.index"), "wb") as file:
        file.write(_checkpoint_files()["index"])
    load_model(os.path.join(folder, "model.ckpt"))


def frame_folder(data: bytes) -> None:
    """A folder of two frames, the second one damaged (``colorize video`` on a folder)."""
    from colorize_app.io import video_in

    open_frames = video_in.open_frames  # looked up on use, so tests can patch it
    _limited_pixels()
    folder = os.path.join(_WORK, "frames")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "frame1.png"), "wb") as file:
        file.write(_png(_gray_photo()))
    with open(os.path.join(folder, "frame2.png"), "wb") as file:
        file.write(data)
    frames = open_frames(folder)
    for index in range(len(frames)):
        frames[index]


def video_file(data: bytes) -> None:
    """A video file read through ffmpeg (probe, then every frame)."""
    from colorize_app.io import video_in

    _limited_pixels()
    frames = video_in.open_frames(_file("video.mp4", data))
    for index in range(min(len(frames), 30)):
        frames[index]


# --------------------------------------------------------------------------------------------
# Seeds: small valid files


def _gray_photo() -> np.ndarray:
    yy, xx = np.mgrid[0:12, 0:16] / 16.0
    return (0.3 + 0.4 * xx * yy).astype(np.float32)


def _png(pixels: np.ndarray, bit_depth: int = 8) -> bytes:
    from colorize_app.io import media

    return media.encode_image(".png", pixels, bit_depth, 95)


def _encoded(extension: str, pixels: np.ndarray, bit_depth: int = 8) -> bytes:
    from colorize_app.io import media

    return media.encode_image(extension, pixels, bit_depth, 90)


def _colour_photo() -> np.ndarray:
    photo = _gray_photo()
    return np.stack([photo, photo[::-1], 1 - photo], axis=2)


def _marked() -> np.ndarray:
    marked = np.repeat(_gray_photo()[..., None], 3, axis=2)
    marked[2:5, 3:9] = (0.9, 0.1, 0.1)
    return marked


@functools.cache
def _project_seed() -> bytes:
    from algorithms.regions import Rect
    from colorize_app.documents.strokes import Stroke
    from colorize_app.documents.swatches import SwatchEntry
    from colorize_app.io.project import ImageRef, Project, project_bytes

    project = Project(
        "scribble",
        images={"photo": ImageRef("/photos/old.png", "ab" * 32, (16, 12), "old.png",
                                  _png(_gray_photo()))},
        settings={"prior_weight": 0.05, "model": "eccv16"},
        strokes=[Stroke([(2.0, 3.0), (9.0, 4.0)], (0.9, 0.1, 0.1), 3.0, "paint"),
                 Stroke([(12.0, 8.0)], (0.0, 0.0, 0.0), 5.0, "erase")],
        swatches=[SwatchEntry(Rect(1, 1, 4, 4), None)],
        layers={"result": _colour_photo(), "mask": _gray_photo() > 0.4},
    )
    return project_bytes(project)


@functools.cache
def _model_seed() -> bytes:
    from algorithms.cnn.architecture import Architecture, random_weights
    from algorithms.cnn.model_weights import ModelWeights
    from colorize_app.io.model_writer import save_model

    arch = Architecture(widths=(2, 2, 2, 4, 4, 4, 4, 2))
    bins = np.random.default_rng(3).uniform(-80, 80, (313, 2))
    path = os.path.join(_WORK, "seed_model.npz")
    save_model(path, ModelWeights(random_weights(arch, seed=1), bins,
                                  {"input_offset": 50.0, "input_scale": 100.0}))
    return Path(path).read_bytes()


@functools.cache
def _checkpoint_files() -> dict:
    """A tiny colorization-tf checkpoint: {"index": bytes, "data": bytes, "folder": str}."""
    from algorithms.cnn.architecture import Architecture, random_weights
    from algorithms.cnn.network import build_network

    folder = os.path.join(_WORK, "checkpoint")
    os.makedirs(folder, exist_ok=True)
    arch = Architecture(widths=(2, 2, 2, 4, 4, 4, 4, 2))
    with build_network(arch, random_weights(arch, seed=2)) as network:
        prefix = network.save_checkpoint(os.path.join(folder, "model.ckpt"))
    np.save(os.path.join(folder, "pts_in_hull.npy"),
            np.random.default_rng(0).uniform(-100, 100, (313, 2)))
    data_name = next(n for n in os.listdir(folder) if n.startswith("model.ckpt.data-"))
    return {"index": Path(prefix + ".index").read_bytes(),
            "data": Path(folder, data_name).read_bytes(), "folder": folder}


def _checkpoint_folder() -> str:
    return _checkpoint_files()["folder"]


@functools.cache
def _video_seed() -> bytes:
    """Four 16 x 12 frames as H.264 in an .mp4 (written through ffmpeg)."""
    from colorize_app.io import video_out

    path = os.path.join(_WORK, "seed_video.mp4")
    with video_out.FrameWriter(path, fps=10.0) as writer:
        for step in range(4):
            writer.write(np.roll(_colour_photo(), step, axis=1))
    return Path(path).read_bytes()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _regions_seed() -> bytes:
    return json.dumps({"pairs": [{"reference": [1, 2, 5, 5], "target": [0, 0, 4, 3]},
                                 {"reference": [0, 0, 2, 2], "target": [3, 3, 2, 2]}]}).encode()


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def seeds(name: str) -> list[bytes]:
    """Valid (and a few nearly valid) inputs for target ``name``."""
    gray, colour = _gray_photo(), _colour_photo()
    images = [_png(gray), _png(colour, 16), _encoded(".jpg", colour),
              _encoded(".tif", colour, 16), _encoded(".bmp", gray), _encoded(".webp", colour)]
    table = {
        "region_json": lambda: [_regions_seed(), b'{"pairs": []}'],
        "project_file": lambda: [_project_seed(), _zip({"manifest.json": b"{}"})],
        "project_strokes": lambda: [_project_seed()],
        "image": lambda: images,
        "marked_image": lambda: [_png(_marked()), _png(_marked(), 16)],
        "hint_mask": lambda: [_png((gray > 0.4).astype(np.float32)), _png(gray)],
        "model_npz": lambda: [_model_seed()],
        "model_pth": lambda: [(FIXTURES / "eccv16_tiny.pth").read_bytes(),
                              (FIXTURES / "eccv16_tiny_legacy.pth").read_bytes()],
        "bins_npy": lambda: [_npy(np.zeros((313, 2))), _npy(np.arange(626.0).reshape(313, 2))],
        "tf_checkpoint_index": lambda: [_checkpoint_files()["index"]],
        "tf_checkpoint_data": lambda: [_checkpoint_files()["data"]],
        "frame_folder": lambda: [_png(gray), _png(colour)],
        "video_file": lambda: [_video_seed()],
    }
    return table[name]()


TARGETS: dict[str, Callable[[bytes], None]] = {
    "region_json": region_json,
    "project_file": project_file,
    "project_strokes": project_strokes,
    "image": image,
    "marked_image": marked_image,
    "hint_mask": hint_mask,
    "model_npz": model_npz,
    "model_pth": model_pth,
    "bins_npy": bins_npy,
    "tf_checkpoint_index": tf_checkpoint_index,
    "tf_checkpoint_data": tf_checkpoint_data,
    "frame_folder": frame_folder,
    "video_file": video_file,
}
