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
from colorize_app import media

FIXTURES = Path(__file__).parent / "fixtures"


def make_video(path: Path, colour: str, frames: int, audio: bool = False) -> Path:
    """A small H.264 clip of ``frames`` frames of one ``colour`` (10 fps), maybe with a tone."""
    from colorize_app.media_video_in import ffmpeg_exe

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
    frames = media.open_frames("concat:a.mp4|b.mp4")
    assert len(frames) == 4
    levels = [float(frames[index].mean()) for index in range(len(frames))]
    assert min(levels) > 0.9  # the white file, not the black a.mp4 + b.mp4 through concat
    with media.FrameWriter("out.mp4", fps=10, audio_from=str(named.name)) as writer:
        for index in range(len(frames)):
            writer.write(frames[index])
    assert media.probe_video("out.mp4").has_audio


def test_a_file_named_dash_is_a_file_not_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "-", "white", 3)
    frames = media.open_frames("-")
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

def laughs_pth(levels: int = 40) -> bytes:
    """A zip .pth (about 570 bytes) whose state dict holds a list that holds the list below
    it twice, ``levels`` deep: 2^40 entries as a tree."""
    import io
    import zipfile

    body = b"\x80\x02]q\x000"  # EMPTY_LIST, BINPUT 0, POP
    for level in range(1, levels + 1):  # [level-1, level-1], BINPUT level, POP
        body += (b"](h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"eq"
                 + bytes([level]) + b"0")
    body += b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00wh" + bytes([levels]) + b"u."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", body)
    return buffer.getvalue()


def test_a_pickle_sharing_lists_level_by_level_is_refused_quickly(tmp_path):
    import signal
    import time

    from algorithms.cnn.model_file import load_model

    path = tmp_path / "laughs.pth"
    path.write_bytes(laughs_pth())
    assert path.stat().st_size < 600

    def expired(*_):
        raise TimeoutError("still walking the pickle after 20 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        started = time.perf_counter()
        with pytest.raises(BadInputError, match=r"^laughs\.pth: the state dict holds over "
                                                r"1,000,000 entries"):
            load_model(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - started < 10


def test_a_checkpoint_whose_data_file_is_a_fifo_is_refused(tmp_path):
    import shutil
    import signal

    from algorithms.cnn.model_file import load_model
    from fuzz.targets import _checkpoint_files

    source = _checkpoint_files()["folder"]
    for name in os.listdir(source):
        if not name.startswith("model.ckpt.data-"):
            shutil.copy(os.path.join(source, name), tmp_path / name)
    data = next(n for n in os.listdir(source) if n.startswith("model.ckpt.data-"))
    os.mkfifo(tmp_path / data)

    def expired(*_):
        raise TimeoutError("TensorFlow is blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        with pytest.raises(BadInputError, match=r"model\.ckpt\.data-00000-of-00001 is not a "
                                                r"regular file \(a FIFO"):
            load_model(tmp_path / "model.ckpt")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- memory before decoding: video frames, batch workers, project layers ---------------------

def zeros_png(path: Path, width: int, height: int) -> Path:
    """A small 8-bit gray PNG of ``width`` x ``height`` zeros (deflated rows)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(bytes(width + 1)) for _ in range(height)) + rows.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def two_gib(monkeypatch):
    """The machine (and container) has 2 GiB left."""
    from colorize_app import media_files

    monkeypatch.setattr(media_files, "available_memory", lambda: 2 * 2**30)


def run_cli(capsys, *arguments: str) -> tuple[int, str]:
    from colorize_app import cli

    code = cli.main(list(arguments))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, lines[-1] if lines else ""


def test_colorize_video_checks_memory_from_the_probe(tmp_path, capsys, two_gib):
    from colorize_app.media_video_in import ffmpeg_exe

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
    from colorize_app import batch_tasks

    zeros_png(tmp_path / "big.png", 15000, 15000)
    settings = {"model": str(FIXTURES / "eccv16_tiny.pth"), "input_size": 256,
                "temperature": 0.38, "threads": 1, "out_dir": str(tmp_path / "out")}
    from colorize_app.model_registry import file_sha256

    settings["model_sha256"] = file_sha256(FIXTURES / "eccv16_tiny.pth")
    result = batch_tasks.colorize_photo(str(tmp_path / "big.png"),
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
