"""Hostile content inside well-formed files: models, projects, strokes, regions, videos, options.

Each crafted file is small; the assertions are the one-line message, the exit code, that
nothing was written or cached, and a memory bound where a file could ask for gigabytes.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from algorithms.cnn.architecture import Architecture, random_weights
from algorithms.cnn.model_weights import ModelWeights
from algorithms.errors import BadInputError
from colorize_app import cli
from colorize_app.io import project, text_files, video_in, video_out
from colorize_app.io.model_files import load_model
from colorize_app.io.model_writer import save_model

FIXTURES = Path(__file__).parent / "fixtures"
TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def usage_error(capsys, arguments: list) -> str:
    """The last stderr line of a run that must end as bad usage (exit 2)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(arguments)
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


# --- M4: a .pth whose tensor view is far larger than its storage ------------------------------

def _pth_with_view(size: int, stride: int, count: int = 1) -> bytes:
    """A zip .pth: ``count`` tensors, each ``size`` elements at ``stride`` over one float."""
    def text(value: str) -> bytes:
        raw = value.encode()
        return b"X" + len(raw).to_bytes(4, "little") + raw

    def integer(value: int) -> bytes:
        return b"J" + value.to_bytes(4, "little", signed=True)

    tensor = (b"ctorch._utils\n_rebuild_tensor_v2\n("
              + b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text("0") + text("cpu")
              + integer(1) + b"tQ"  # persistent id -> the one-float storage
              + integer(0) + b"(" + integer(size) + b"t(" + integer(stride) + b"t\x89"
              + b"ccollections\nOrderedDict\n)RtR")
    items = b"".join(text(f"w{i}") + tensor for i in range(count))
    pickle = b"\x80\x02ccollections\nOrderedDict\n)R(" + items + b"u."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle)
        archive.writestr("archive/data/0", b"\x00\x00\x80\x3f")
    return buffer.getvalue()


def test_a_tiny_pth_whose_view_claims_5e8_elements_is_refused(tmp_path):
    from colorize_app.io.torch_pickle import load_torch_state_dict

    path = tmp_path / "view.pth"
    path.write_bytes(_pth_with_view(500_000_000, 0))
    assert len(path.read_bytes()) < 1000
    before = peak_kb()
    with pytest.raises(BadInputError) as error:
        load_torch_state_dict(path)
    assert str(error.value) == ("view.pth: a tensor record has 500,000,000 elements over a "
                                "storage of 1")
    assert peak_kb() - before < 50_000  # kB


def test_the_crafted_pth_is_read_when_its_view_fits(tmp_path):
    from colorize_app.io.torch_pickle import load_torch_state_dict

    path = tmp_path / "ok.pth"
    path.write_bytes(_pth_with_view(1, 1, count=3))
    state = load_torch_state_dict(path)
    assert list(state) == ["w0", "w1", "w2"] and state["w2"].tolist() == [1.0]


# --- M5: an .npz member that inflates to gigabytes ---------------------------------------------

def test_npz_members_declared_too_large_are_refused_before_inflating(tmp_path, monkeypatch):
    from colorize_app.io import model_files

    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, bins=np.zeros((313, 2)), metadata=np.array("{}"),
                        big=np.zeros(1_000_000))  # 8 MB that deflate to a few kB
    monkeypatch.setattr(model_files, "MAX_NPZ_BYTES", 4 * 1024**2)  # a small stand-in for 2 GiB
    with pytest.raises(BadInputError, match=r"^zeros\.npz: its members hold 0\.0 GiB "
                                            r"uncompressed, over the 0 GiB limit"):
        load_model(path)


# --- I3, A1, A2: model metadata and weights ----------------------------------------------------

@pytest.fixture
def tiny_npz(tmp_path) -> Path:
    path = tmp_path / "tiny.npz"
    bins = np.random.default_rng(0).uniform(-80, 80, (313, 2))
    save_model(path, ModelWeights(random_weights(TINY, seed=1), bins,
                                  {"input_offset": 50.0, "input_scale": 100.0}))
    return path


def _with(path: Path, change) -> Path:
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    change(arrays, metadata)
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("key, value, message", [
    ("input_offset", float("nan"), "metadata input_offset must be a finite number in "
                                   "[-1000, 1000], got nan"),
    ("input_offset", float("inf"), "metadata input_offset must be a finite number in "
                                   "[-1000, 1000], got inf"),
    ("input_scale", 0, "metadata input_scale must be a finite number in [1e-06, 1e+06], got 0"),
    ("input_scale", 10**400, "metadata input_scale must be a finite number in "
                             "[1e-06, 1e+06], got 1000000000000000000000000000000000000000"),
    ("input_scale", "100", "metadata input_scale must be a number, got str"),
    ("bn_epsilon", [1], "metadata bn_epsilon must be a number, got list"),
    ("padding", 5, "metadata padding must be text, got int"),
    ("source_names", {"a": 1}, "metadata source_names must map names to names"),
])
def test_model_metadata_of_the_wrong_type_or_range_is_refused(tiny_npz, key, value, message):
    _with(tiny_npz, lambda arrays, metadata: metadata.__setitem__(key, value))
    with pytest.raises(BadInputError) as error:
        load_model(tiny_npz)
    assert str(error.value) == f"tiny.npz: {message}"


def test_unknown_metadata_keys_are_left_alone(tiny_npz):
    _with(tiny_npz, lambda arrays, metadata: metadata.update(decode={"any": ["thing"]}))
    assert load_model(tiny_npz).metadata["decode"] == {"any": ["thing"]}


def test_complex_weights_are_refused_without_a_numpy_warning(tiny_npz, recwarn):
    def complexify(arrays, metadata):
        arrays["weights/conv1/biases"] = arrays["weights/conv1/biases"] + 1j

    _with(tiny_npz, complexify)
    with pytest.raises(BadInputError) as error:
        load_model(tiny_npz)
    assert str(error.value) == ("tiny.npz: variable conv1/biases holds complex64 values, "
                                "not real numbers")
    assert not [w for w in recwarn if "Complex" in str(w.message)]


# --- H3, H4, I4, M6: projects -------------------------------------------------------------------

def _project_file(path: Path, manifest_changes: dict, members: dict | None = None) -> Path:
    manifest = {"format": "colorize-project", "format_version": 1, "method": "scribble"}
    manifest.update(manifest_changes)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


def test_a_500000_point_stroke_is_refused_before_drawing(tmp_path):
    points = [[0, 0], [3999, 1]] * 250_000
    path = _project_file(tmp_path / "zigzag.colorize", {"strokes": [
        {"kind": "paint", "colour": [1, 0, 0], "width": 8, "points": points}]})
    assert path.stat().st_size < 100_000
    with pytest.raises(BadInputError) as error:
        project.load_project(path)
    assert str(error.value) == ("zigzag.colorize: stroke 1: too many points (500,000; "
                                "the limit is 100,000 per stroke)")


def test_strokes_too_long_for_the_photo_are_refused_before_drawing():
    from colorize_app.documents.strokes import Stroke, Strokes

    zigzag = Stroke([(0.0, i * 0.01) if i % 2 else (999.0, i * 0.01) for i in range(20_000)],
                    (1.0, 0.0, 0.0), 8.0, "paint")
    with pytest.raises(BadInputError, match=r"^the strokes are too long or wide to draw "
                                            r"on this 1000 x 1000 photo \(2,499,875 pieces "
                                            r"of segments; the limit is 1,000,000\)$"):
        Strokes((1000, 1000), [zigzag]).rasterise(np.zeros((1000, 1000), np.float32))


def test_a_400_digit_stroke_width_is_one_line(tmp_path):
    path = _project_file(tmp_path / "wide.colorize", {"strokes": [
        {"kind": "paint", "colour": [1, 0, 0], "width": 10**400, "points": [[1, 1]]}]})
    with pytest.raises(BadInputError) as error:
        project.load_project(path)
    assert str(error.value) == ("wide.colorize: stroke 1: width must be a finite number, got "
                                + "1" + "0" * 39)


def test_a_project_photo_at_proc_pagemap_is_not_read(tmp_path, capsys):
    path = _project_file(tmp_path / "proc.colorize", {"images": {"photo": {
        "path": "/proc/self/pagemap", "sha256": "ab" * 32, "size": [4, 4]}},
        "strokes": [{"kind": "paint", "colour": [1, 0, 0], "width": 2, "points": [[1, 1]]}]})
    code = cli.main(["levin", "--project", str(path), "-o", str(tmp_path / "out.png")])
    assert code == 1
    assert capsys.readouterr().err == (
        "colorize: error: the project's photo image /proc/self/pagemap is not a regular file "
        "(a FIFO, device or system file); give the photo as GRAY\n")


def test_a_huge_embedded_image_is_refused_and_nothing_is_cached(tmp_path, monkeypatch):
    from colorize_app.io import project_images

    cache = tmp_path / "cache"
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(cache))
    monkeypatch.setattr(project, "MAX_EMBEDDED_BYTES", 1024**2)  # stand-in for 512 MiB
    zeros = bytes(2 * 1024**2)
    path = _project_file(tmp_path / "big.colorize", {"images": {"photo": {
        "path": "/gone/photo.png", "sha256": "", "size": [4, 4],
        "embedded": "images/photo.png"}}}, {"images/photo.png": zeros})
    with pytest.raises(BadInputError, match=r"^big\.colorize: image photo: the embedded copy "
                                            r"is too large \(2 MiB; the limit is 1 MiB\)$"):
        project.load_project(path)
    # An embedded copy that is not an image never reaches the cache either.
    monkeypatch.setattr(project, "MAX_EMBEDDED_BYTES", 4 * 1024**2)
    loaded = project.load_project(path)
    with pytest.raises(BadInputError, match="embedded photo image is not a readable image"):
        project.command_image(loaded, "photo", path, "give GRAY")
    assert not cache.exists() or os.listdir(cache) == []


# --- H5: region files ---------------------------------------------------------------------

def test_too_many_region_pairs_are_refused(tmp_path):
    pair = {"reference": [0, 0, 2, 2], "target": [0, 0, 2, 2]}
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"pairs": [pair] * 1001}))
    with pytest.raises(BadInputError) as error:
        text_files.read_regions(path)
    assert str(error.value) == (f"bad region file {path}: regions: too many pairs (1,001; "
                                "the limit is 1,000)")


def test_a_region_file_over_4_mb_is_refused_unread(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(5 * 1024**2)
    with pytest.raises(BadInputError, match=r"is too large for a region file \(5,242,880 "
                                            r"bytes; the limit is 4,194,304\)$"):
        text_files.read_regions(path)


# --- I5, L2 and the exit-code rule: out-of-range options are bad usage (2) ---------------------

@pytest.mark.parametrize("arguments, message", [
    (["transfer", "a.png", "b.png", "-o", "c.png", "--seed", "-1"],
     "colorize transfer: error: argument --seed: must be between 0 and "
     "9,223,372,036,854,775,807, got -1"),
    (["transfer", "a.png", "b.png", "-o", "c.png", "--samples", "0"],
     "colorize transfer: error: argument --samples: must be between 1 and 100,000, got 0"),
    (["video", "a.mp4", "-o", "b.mp4", "--epochs", "99999999999999999999"],
     "colorize video: error: argument --epochs: 99999999999999999999... is out of range"),
    (["refine", "a", "b", "-o", "c.mp4", "--epochs", "0"],
     "colorize refine: error: argument --epochs: must be between 1 and 100,000, got 0"),
    (["video", "a.mp4", "-o", "b.mp4", "--temperature", "nan"],
     "colorize video: error: argument --temperature: must be in (0, 10], got nan"),
])
def test_out_of_range_options_exit_2_in_every_command(capsys, arguments, message):
    assert usage_error(capsys, arguments) == message


# --- G1, H6: autosave sessions -----------------------------------------------------------------

def test_an_autosave_whose_pid_now_belongs_to_another_process_is_offered(tmp_path,
                                                                         monkeypatch):
    pytest.importorskip("PyQt5")
    from colorize_app.gui import autosave
    from colorize_app.runtime import system

    if system.process_start_time(os.getpid()) is None:
        pytest.skip("process start times are read from /proc (Linux)")
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", str(tmp_path))
    start = system.process_start_time(os.getpid())
    # Our own PID with another start time: a crashed process whose PID was reused.
    project.save_project(tmp_path / f"{os.getpid()}-{start - 1}-aa.colorize",
                         project.Project("transfer"))
    project.save_project(tmp_path / f"{os.getpid()}-{start}-bb.colorize",  # this process
                         project.Project("scribble"))
    os.mkfifo(tmp_path / "999999999-0-cc.colorize")  # H6: would block the start-up
    sessions = autosave.orphaned_autosaves()
    assert [(Path(s.path).name, s.method) for s in sessions] == [
        (f"{os.getpid()}-{start - 1}-aa.colorize", "transfer")]


# --- I6 and the mixed-size message: videos ------------------------------------------------

@pytest.fixture(scope="module")
def ffmpeg():
    from colorize_app.io.video_in import ffmpeg_exe

    try:
        return ffmpeg_exe()
    except Exception:  # noqa: BLE001 - imageio-ffmpeg without its binary
        pytest.skip("no ffmpeg")


def test_a_video_name_that_looks_like_ffmpeg_output_is_not_parsed(tmp_path, ffmpeg):
    plain = tmp_path / "plain.mp4"
    with video_out.FrameWriter(plain, fps=10) as writer:
        for step in range(3):
            writer.write(np.full((12, 16, 3), step / 4))
    tricky = tmp_path / "x, 640x480 Stream #0:0: Video: h264, 9999x9999 ,.mp4"
    shutil.copy(plain, tricky)
    info = video_in.probe_video(tricky)
    assert (info.width, info.height, info.frame_count) == (16, 12, 3)


def test_a_video_whose_frame_size_changes_decodes_every_frame(tmp_path, ffmpeg):
    import subprocess

    parts = []
    for size in ("32x24", "48x32"):
        part = tmp_path / f"{size}.ts"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size={size}:rate=10", "-frames:v", "5", "-c:v", "libx264",
                        "-bf", "0", "-pix_fmt", "yuv420p", str(part)], check=True)
        parts.append(str(part))
    mixed = tmp_path / "mixed.mkv"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", "concat:" + "|".join(parts),
                    "-c", "copy", str(mixed)], check=True)
    frames = video_in.open_frames(mixed)
    shapes = {frames[index].shape for index in range(len(frames))}
    assert len(frames) == 10 and shapes == {(frames.height, frames.width, 3)}
