"""Hostile inputs, round two (issue 27), outside the batch command: names given to ffmpeg,
model files, memory before decoding, formats, messages.

Batch cases are in tests/test_hostile_batch.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError
from colorize_app.io import media, video_in, video_out
from fuzz.hostile_inputs_round2 import laughs_pth, zeros_png  # the fuzz run's cases
from fuzz.hostile_inputs_round2 import project as project_file
from tests.test_hostile_files import no_hang

FIXTURES = Path(__file__).parent / "fixtures"


def make_video(path: Path, colour: str, frames: int, audio: bool = False) -> Path:
    """A small H.264 clip of ``frames`` frames of one ``colour`` (10 fps), maybe with a tone."""
    from colorize_app.io.video_in import ffmpeg_exe

    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
               "-i", f"color=c={colour}:s=32x24:r=10:d={frames / 10}"]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={frames / 10}",
                    "-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-frames:v", str(frames), "-f", "mp4",
                "file:" + str(path)]
    subprocess.run(command, check=True)
    return path


# --- names are names: what ffmpeg is given is the file, for probe, decode and audio ---------

def test_a_video_named_like_an_ffmpeg_protocol_is_decoded_from_that_file(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "a.mp4", "black", 3)
    make_video(tmp_path / "b.mp4", "black", 5)
    named = make_video(tmp_path / "concat:a.mp4|b.mp4", "white", 4, audio=True)
    frames = video_in.open_frames("concat:a.mp4|b.mp4")
    assert len(frames) == 4
    levels = [float(frames[index].mean()) for index in range(len(frames))]
    assert min(levels) > 0.9  # the white file, not the black a.mp4 + b.mp4 through concat
    with video_out.FrameWriter("out.mp4", fps=10, audio_from=str(named.name)) as writer:
        for index in range(len(frames)):
            writer.write(frames[index])
    assert video_in.probe_video("out.mp4").has_audio


def test_a_file_named_dash_is_a_file_not_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "-", "white", 3)
    frames = video_in.open_frames("-")
    read, write = os.pipe()  # stdin that would block: the decoder must not read it
    saved = os.dup(0)
    os.dup2(read, 0)
    try:
        assert float(frames[2].mean()) > 0.9
    finally:
        os.dup2(saved, 0)
        for descriptor in (saved, read, write):
            os.close(descriptor)


# --- model files: a pickle graph walked with a budget, checkpoint parts checked -------------

def test_a_pickle_sharing_lists_level_by_level_is_refused_quickly(tmp_path):
    import time

    from colorize_app.io.model_files import load_model

    path = tmp_path / "laughs.pth"
    path.write_bytes(laughs_pth())
    assert path.stat().st_size < 600

    with no_hang(20):
        started = time.perf_counter()
        with pytest.raises(BadInputError, match=r"^laughs\.pth: the state dict holds over "
                                                r"1,000,000 entries"):
            load_model(path)
    assert time.perf_counter() - started < 10


def test_a_checkpoint_whose_data_file_is_a_fifo_is_refused(tmp_path):
    import shutil

    from colorize_app.io.model_files import load_model
    from fuzz.targets import _checkpoint_files

    source = _checkpoint_files()["folder"]
    for name in os.listdir(source):
        if not name.startswith("model.ckpt.data-"):
            shutil.copy(os.path.join(source, name), tmp_path / name)
    data = next(n for n in os.listdir(source) if n.startswith("model.ckpt.data-"))
    os.mkfifo(tmp_path / data)

    with no_hang(30), pytest.raises(
            BadInputError, match=r"model\.ckpt\.data-00000-of-00001 is not a regular file "
                                 r"\(a FIFO"):
        load_model(tmp_path / "model.ckpt")


# --- memory before decoding: video frames, batch workers, project layers ---------------------

@pytest.fixture
def two_gib(monkeypatch):
    """The machine (and container) has 2 GiB left."""
    from colorize_app.runtime import system

    monkeypatch.setattr(system, "available_memory", lambda: 2 * 2**30)


def run_cli(capsys, *arguments: str) -> tuple[int, str]:
    from colorize_app import cli

    code = cli.main(list(arguments))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, lines[-1] if lines else ""


def test_colorize_video_checks_memory_from_the_probe(tmp_path, capsys, two_gib):
    from colorize_app.io.video_in import ffmpeg_exe

    clip = tmp_path / "big.avi"  # MJPEG of 4000 x 3000 frames: 7.2 GB of work
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=4000x3000:r=5:d=0.4", "-c:v", "mjpeg", str(clip)],
                   check=True)
    code, line = run_cli(capsys, "video", str(clip), "-o", str(tmp_path / "out.mp4"),
                         "--model", str(FIXTURES / "eccv16_tiny.pth"))
    assert (code, line) == (1, f"colorize: error: colorizing the 4000 x 3000 frames of {clip} "
                               "needs about 6.7 GB of memory but only 2.0 GB is available "
                               "(machine or container limit); use a video of smaller frames")
    assert sorted(os.listdir(tmp_path)) == ["big.avi"]


def test_a_frame_folder_of_one_huge_png_is_refused_before_decoding(tmp_path, capsys, two_gib):
    (tmp_path / "frames").mkdir()
    zeros_png(tmp_path / "frames" / "0001.png", 15000, 15000)  # about 218 kB
    code, line = run_cli(capsys, "video", str(tmp_path / "frames"), "-o",
                         str(tmp_path / "out.mp4"), "--model",
                         str(FIXTURES / "eccv16_tiny.pth"), "--no-refine")
    assert code == 1
    assert line.startswith("colorize: error: colorizing the 15000 x 15000 frames of ")
    code, line = run_cli(capsys, "refine", str(tmp_path / "frames"), str(tmp_path / "frames"),
                         "-o", str(tmp_path / "out.mp4"))
    assert code == 1
    assert line.startswith("colorize: error: refining the 15000 x 15000 frames of ")


def test_batch_workers_check_a_photo_s_memory_before_decoding(tmp_path, two_gib):
    from colorize_app.batch import worker_tasks

    zeros_png(tmp_path / "big.png", 15000, 15000)
    from colorize_app.batch.job_settings import BatchSettings
    from colorize_app.io.safe_files import file_sha256

    settings = BatchSettings("cnn", str(FIXTURES / "eccv16_tiny.pth"),
                             file_sha256(FIXTURES / "eccv16_tiny.pth"), temperature=0.38,
                             threads=1, out_dir=str(tmp_path / "out"))
    result = worker_tasks.colorize_photo(str(tmp_path / "big.png"),
                                        str(tmp_path / "out" / "big.png"), settings)
    assert result["status"] == "failed"
    assert result["error"] == (f"colorizing the 15000 x 15000 photo {tmp_path / 'big.png'} "
                               "needs about 83.8 GB of memory but only 2.0 GB is available "
                               "(machine or container limit); use a smaller image")


def test_colorize_refine_is_quiet_about_tensorflow_s_start_up(tmp_path):
    import sys

    make_video(tmp_path / "gray.mp4", "gray", 4)
    make_video(tmp_path / "colour.mp4", "orange", 4)
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("TF_")}
    result = subprocess.run(
        [sys.executable, "-m", "colorize_app.cli", "refine", str(tmp_path / "gray.mp4"),
         str(tmp_path / "colour.mp4"), "-o", str(tmp_path / "out.mp4")],
        capture_output=True, text=True, timeout=600, env=environment,
        cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    for notice in ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard"):
        assert notice not in result.stderr


# --- formats: float and 16-bit TIFFs read by their range, or refused with it ---------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("colour", [False, True])
def test_float_tiffs_in_0_1_are_read_as_they_are(tmp_path, dtype, colour):
    import tifffile

    ramp = np.linspace(0, 1, 12 * 16).reshape(12, 16)
    pixels = np.stack([ramp, ramp * 0.5, ramp * 0.25], 2) if colour else ramp
    tifffile.imwrite(tmp_path / "f.tif", pixels.astype(dtype),
                     photometric="rgb" if colour else "minisblack")
    image = media.read_image(tmp_path / "f.tif")
    np.testing.assert_allclose(image.pixels, pixels, atol=1e-3)  # was all black (or refused)
    assert media.image_size(tmp_path / "f.tif") == (16, 12)


def test_float_tiffs_of_levels_are_scaled_and_others_refused_with_their_range(tmp_path):
    import tifffile

    ramp = np.linspace(0, 1, 12 * 16).reshape(12, 16)
    tifffile.imwrite(tmp_path / "levels.tif", (ramp * 65535).astype(np.float32))
    image = media.read_image(tmp_path / "levels.tif")
    np.testing.assert_allclose(image.pixels, ramp, atol=1e-6)
    assert image.notes == ("floating-point samples up to 6.554e+04 read as levels of 0 to "
                           "65535",)
    tifffile.imwrite(tmp_path / "negative.tif", (ramp - 0.5).astype(np.float32))
    with pytest.raises(BadInputError, match=r"negative\.tif has floating-point samples from "
                                            r"-0\.5 to 0\.5, outside \[0, 1\]: save it"):
        media.read_image(tmp_path / "negative.tif")
    tifffile.imwrite(tmp_path / "nan.tif", np.full((4, 4), np.nan, np.float32))
    with pytest.raises(BadInputError, match="not finite numbers"):
        media.read_image(tmp_path / "nan.tif")
    tifffile.imwrite(tmp_path / "sixteen.tif", (np.stack([ramp] * 3, 2) * 65535)
                     .astype(np.uint16), photometric="rgb")
    image = media.read_image(tmp_path / "sixteen.tif")
    assert image.bit_depth == 16
    np.testing.assert_allclose(image.pixels[..., 0], ramp, atol=1e-4)


def test_an_autosave_folder_occupied_by_a_file_offers_nothing_and_says_why(tmp_path,
                                                                          monkeypatch):
    pytest.importorskip("PyQt5")
    from colorize_app.gui import autosave

    (tmp_path / "autosave").write_text("a file where the folder should be")
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", str(tmp_path / "autosave"))
    assert autosave.orphaned_autosaves() == []  # was FileExistsError: a traceback dialog
    with pytest.raises(BadInputError, match=r"^cannot use the autosave folder .*autosave: a "
                                            r"file has its name$"):
        autosave.autosave_folder()


# --- projects: layers and embedded images checked before decoding, named by the project ----

def test_project_layers_are_checked_for_memory_before_decoding(tmp_path, two_gib):
    from colorize_app.io.project import load_project

    layer = zeros_png(tmp_path / "layer.png", 15000, 15000).read_bytes()
    path = project_file(tmp_path / "work.colorize", {"layers": {
        "result": {"file": "layers/result.png", "kind": "image"}}},
        {"layers/result.png": layer})
    assert path.stat().st_size < 3_000_000
    with pytest.raises(BadInputError) as caught:
        load_project(path)
    assert str(caught.value) == (
        "work.colorize: decoding layer result (15000 x 15000 pixels) needs about 6.7 GB of "
        "memory but only 2.0 GB is available (machine or container limit); use a smaller image")


def test_a_lying_embedded_image_is_named_by_the_project(tmp_path, monkeypatch):
    from colorize_app.io import project, project_images

    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "cache"))
    lying = zeros_png(tmp_path / "x.png", 16, 12).read_bytes()
    lying = lying[:16] + (15000).to_bytes(4, "big") * 2 + lying[24:]  # IHDR: 15000 x 15000
    import zlib

    lying = lying[:29] + zlib.crc32(lying[12:29]).to_bytes(4, "big") + lying[33:]
    path = project_file(tmp_path / "work.colorize", {"images": {"photo": {
        "path": "/gone/p.png", "sha256": "", "size": [16, 12], "embedded": "images/photo.png"}}},
        {"images/photo.png": lying})
    loaded = project.load_project(path)
    with pytest.raises(BadInputError, match=r"^work\.colorize: the embedded photo image is "
                                            r"truncated: its header declares 15000 x 15000"):
        project.command_image(loaded, "photo", str(path), "give the photo")
    assert not (tmp_path / "cache").exists() or os.listdir(tmp_path / "cache") == []


def test_a_cache_folder_that_is_a_file_is_named_as_the_cache(tmp_path, monkeypatch):
    from colorize_app.io import project, project_images

    (tmp_path / "cache").write_text("a file")
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "cache"))
    photo = zeros_png(tmp_path / "x.png", 16, 12).read_bytes()
    path = project_file(tmp_path / "work.colorize", {"images": {"photo": {
        "path": "/gone/p.png", "sha256": "", "size": [16, 12], "embedded": "images/photo.png"}}},
        {"images/photo.png": photo})
    with pytest.raises(BadInputError, match=r"^cannot unpack the project's embedded photo image "
                                            r"into the cache folder .*cache \(set "
                                            r"COLORIZE_CACHE_DIR to a folder\): "):
        project.command_image(project.load_project(path), "photo", str(path), "give it")


def test_a_400_digit_temperature_in_a_project_is_one_line(tmp_path, capsys):
    media.write_image(tmp_path / "gray.png", np.full((12, 16), 0.5, np.float32))
    path = project_file(tmp_path / "p.colorize", {
        "images": {"photo": {"path": str(tmp_path / "gray.png"), "sha256": "", "size": [16, 12]}},
        "settings": {"photos": ["photo"], "temperature": 10**400}})
    code, line = run_cli(capsys, "cnn", "--project", str(path), "-o", str(tmp_path / "o.png"),
                         "--model", str(FIXTURES / "eccv16_tiny.pth"))
    assert code == 1
    assert line.startswith(f"colorize: error: {path}: temperature must be in (0, 10], got 1000")


def test_a_huge_npy_shape_in_a_model_is_named_not_out_of_memory(tmp_path, capsys):
    import io
    import json
    import zipfile

    from numpy.lib import format as npy

    member = io.BytesIO()
    npy.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                        "shape": (100000, 100000)})
    member.write(bytes(64))
    metadata = io.BytesIO()
    np.save(metadata, np.array(json.dumps({})))
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("weights/conv1/kernel.npy", member.getvalue())
        archive.writestr("bins.npy", member.getvalue())
        archive.writestr("metadata.npy", metadata.getvalue())
    code, line = run_cli(capsys, "models", "convert", str(tmp_path / "huge.npz"),
                         str(tmp_path / "out.npz"))
    assert (code, line) == (1, "colorize: error: huge.npz: weights/conv1/kernel.npy declares "
                               "(100000, 100000) float32 values (40,000,000,000 bytes) but "
                               "holds 192 bytes (truncated or tampered)")


# --- messages: one line, shortened, control characters escaped ------------------------------

def test_messages_are_one_short_line_whatever_they_quote(tmp_path, capsys):
    from algorithms.errors import one_line

    named = tmp_path / "evil\nname\x1b[31m.png"
    code, line = run_cli(capsys, "cnn", str(named), "-o", str(tmp_path / "o.png"),
                         "--model", str(FIXTURES / "eccv16_tiny.pth"))
    assert code == 1
    assert line == f"colorize: error: no such file: {tmp_path}/evil\\nname\\x1b[31m.png"
    huge = "/" + "d" * 200_000 + "/a.png"
    code, line = run_cli(capsys, "cnn", huge, "-o", str(tmp_path / "o.png"),
                         "--model", str(FIXTURES / "eccv16_tiny.pth"))
    assert code == 1 and len(line) <= 320
    assert line.startswith("colorize: error: cannot read /ddd")
    assert line.endswith("d/a.png: file name too long")
    assert one_line("short: kept") == "short: kept"
    assert len(one_line("x " * 500_000)) <= 300


def test_the_autosaver_reports_an_occupied_folder_instead_of_raising(tmp_path, monkeypatch):
    pytest.importorskip("PyQt5")
    from PyQt5.QtWidgets import QApplication, QWidget

    from colorize_app.gui import autosave
    from colorize_app.io.project import Project

    application = QApplication.instance() or QApplication([])
    (tmp_path / "autosave").write_text("a file where the folder should be")
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", str(tmp_path / "autosave"))
    window = QWidget()
    saver = autosave.Autosaver(window, lambda: Project("cnn"))
    reasons: list[str] = []
    saver.failed.connect(reasons.append)
    saver.save_now()  # raised FileExistsError on the UI thread: a traceback dialog
    application.processEvents()
    assert reasons == [f"cannot use the autosave folder {tmp_path / 'autosave'}: a file has "
                       "its name"]
    window.deleteLater()


def test_usage_errors_quote_a_huge_value_shortened(capsys):
    from colorize_app import cli

    with pytest.raises(SystemExit) as stop:
        cli.main(["batch", "cnn", "x", "-o", "y", "--format", "Q" * 100_000])
    assert stop.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("colorize batch cnn: error: argument --format: invalid choice: 'QQQ")
    assert len(last) <= 330 and "..." in last
