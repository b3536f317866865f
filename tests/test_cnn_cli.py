"""`colorize cnn` and `colorize models`: files in and out, model choice, downloads."""

from __future__ import annotations

import hashlib
import http.server
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from algorithms.colorspace import lab_lightness, rgb_to_lab
from colorize_app import cli
from colorize_app.io import media
from colorize_app.io import model_registry as registry

FIXTURES = Path(__file__).parent / "fixtures"
REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Only our commands; an empty data folder; no shipped model unless a test adds one."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cnn", "models"])
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")


def write_gray(path: Path, height: int = 40, width: int = 56) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    gray = (0.5 + 0.4 * np.sin(8 * xx) * np.cos(5 * yy)).astype(np.float32)
    media.write_image(path, gray)
    return media.read_image(path).pixels


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err
    assert error.startswith("colorize: error: ") and error.count("\n") == 1, error
    return error


def test_one_input_writes_one_file(tmp_path, model_file, capsys):
    gray = write_gray(tmp_path / "photo.png")
    out = tmp_path / "colour.png"
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(out),
                     "--model", str(model_file), "--size", "64"]) == 0
    rgb = media.read_image(out).pixels
    assert rgb.shape == (40, 56, 3)
    lab = rgb_to_lab(rgb.astype(np.float64))
    assert np.median(np.abs(lab[..., 0] - lab_lightness(gray))) < 1.0
    assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 2
    assert "colorized 1 image" in capsys.readouterr().out


def test_several_inputs_write_a_folder_of_pngs(tmp_path, model_file):
    for name in ("a.png", "b.jpg"):
        write_gray(tmp_path / name, 32, 24)
    out = tmp_path / "results"
    assert cli.main(["cnn", str(tmp_path / "a.png"), str(tmp_path / "b.jpg"), "-o", str(out),
                     "--model", str(model_file), "--temperature", "0.5", "--size", "32"]) == 0
    assert sorted(os.listdir(out)) == ["a.png", "b.png"]
    assert media.read_image(out / "b.png").pixels.shape == (32, 24, 3)


def _mean_chroma(tmp_path, model_file, *options) -> float:
    out = tmp_path / ("_".join(options) + ".png")
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(out), "--model",
                     str(model_file), "--size", "64", *options]) == 0
    lab = rgb_to_lab(media.read_image(out).pixels.astype(np.float64))
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


@pytest.mark.parametrize("decoding", ["calibrated", "paper"])
def test_temperature_changes_the_colours(tmp_path, model_file, decoding):
    write_gray(tmp_path / "photo.png")
    vivid = _mean_chroma(tmp_path, model_file, "--decoding", decoding, "--temperature", "0.2")
    dull = _mean_chroma(tmp_path, model_file, "--decoding", decoding, "--temperature", "1.0")
    assert vivid > dull


def test_calibrated_decoding_mutes_the_hesitant_test_model(tmp_path, model_file):
    """The random test model hesitates everywhere: calibrated colour is the muted one."""
    write_gray(tmp_path / "photo.png")
    calibrated = _mean_chroma(tmp_path, model_file, "--temperature", "0.2")
    paper = _mean_chroma(tmp_path, model_file, "--decoding", "paper", "--temperature", "0.2")
    assert calibrated < 0.6 * paper


def test_release_pth_is_accepted_as_model(tmp_path):
    pytest.importorskip("tensorflow")
    write_gray(tmp_path / "photo.png", 16, 16)
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png"),
                     "--model", str(FIXTURES / "eccv16_tiny_legacy.pth"), "--native"]) == 0
    assert (tmp_path / "out.png").exists()


def test_without_any_model_says_how_to_get_one(tmp_path, capsys):
    write_gray(tmp_path / "photo.png", 16, 16)
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png")]) == 1
    error = one_line_error(capsys)
    assert "colorize models download eccv16" in error and "--model FILE" in error


def test_shipped_model_is_the_default_once_it_exists(tmp_path, model_file, monkeypatch):
    monkeypatch.setattr(registry, "shipped_model_path", lambda: model_file)
    write_gray(tmp_path / "photo.png", 16, 16)
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png"),
                     "--size", "16"]) == 0


def test_unsafe_pth_is_refused_and_nothing_is_written(tmp_path, capsys):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"model1.0.weight": Payload()}))
    write_gray(tmp_path / "photo.png", 16, 16)
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png"),
                     "--model", str(tmp_path / "evil.pth")]) == 1
    assert "refusing to load" in one_line_error(capsys)
    assert not marker.exists() and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--model", "nonexistent"], "unknown model"),
    (["--model", "eccv16"], "colorize models download eccv16"),
])
def test_bad_options_give_one_line_errors(tmp_path, capsys, arguments, message):
    write_gray(tmp_path / "photo.png", 16, 16)
    code = cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "o.png"),
                     *arguments])
    assert code == 1 and message in one_line_error(capsys)


def test_input_is_never_overwritten(tmp_path, model_file, capsys):
    write_gray(tmp_path / "photo.png", 16, 16)
    before = (tmp_path / "photo.png").read_bytes()
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "photo.png"),
                     "--model", str(model_file), "--size", "16"]) == 1
    assert "overwrite" in one_line_error(capsys)
    assert (tmp_path / "photo.png").read_bytes() == before


def test_one_input_needs_an_image_file_name(tmp_path, capsys):
    write_gray(tmp_path / "photo.png", 16, 16)
    assert cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out")]) == 1
    assert "OUT must be an image file name" in one_line_error(capsys)


# --- colorize models ------------------------------------------------------------------------

def test_models_list_shows_installed_files_with_size_and_checksum(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    payload = b"not really a model, but listed by name" * 10
    (data / "colorization_release_v2-9b330a0b.pth").write_bytes(payload)
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("eccv16"))
    assert "downloaded" in line and hashlib.sha256(payload).hexdigest() in line
    shipped = next(row for row in out.splitlines() if row.startswith(registry.SHIPPED_NAME))
    assert "not shipped yet" in shipped


def test_download_offline_gives_one_line(monkeypatch, capsys):
    entry = registry.REGISTRY["eccv16"]
    monkeypatch.setitem(registry.REGISTRY, "eccv16", registry.RegistryEntry(
        entry.name, entry.filename, "http://127.0.0.1:9/model.pth", entry.sha256, entry.size,
        entry.description))
    assert cli.main(["models", "download", "eccv16"]) == 1
    error = one_line_error(capsys)
    assert "cannot download eccv16" in error and "--model FILE" in error


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``payload`` with HTTP Range support and records the ranges asked for."""

    payload = b""
    ranges: list = []

    def do_GET(self):
        start = 0
        header = self.headers.get("Range")
        self.ranges.append(header)
        if header:
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range",
                             f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload) - start))
        self.end_headers()
        self.wfile.write(self.payload[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    payload = np.random.default_rng(0).bytes(300_000)
    handler = type("Handler", (_RangeHandler,), {"payload": payload, "ranges": []})
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()


def _serve_as_eccv16(monkeypatch, httpd, sha256):
    entry = registry.REGISTRY["eccv16"]
    url = f"http://127.0.0.1:{httpd.server_address[1]}/{entry.filename}"
    monkeypatch.setitem(registry.REGISTRY, "eccv16", registry.RegistryEntry(
        entry.name, entry.filename, url, sha256, 300_000, entry.description))
    return entry.filename


def test_download_resumes_a_partial_file_and_checks_the_hash(monkeypatch, tmp_path, server):
    httpd, handler = server
    filename = _serve_as_eccv16(monkeypatch, httpd, hashlib.sha256(handler.payload).hexdigest())
    data = tmp_path / "data"
    data.mkdir()
    (data / f".{filename}.part").write_bytes(handler.payload[:120_000])  # an interrupted run
    assert cli.main(["models", "download", "eccv16"]) == 0
    assert handler.ranges == ["bytes=120000-"]
    assert (data / filename).read_bytes() == handler.payload
    assert not (data / f".{filename}.part").exists()
    assert registry.resolve_model("eccv16") == data / filename


def test_download_with_a_wrong_hash_keeps_nothing(monkeypatch, tmp_path, server, capsys):
    httpd, _ = server
    filename = _serve_as_eccv16(monkeypatch, httpd, "0" * 64)
    assert cli.main(["models", "download", "eccv16"]) == 1
    assert "SHA-256" in one_line_error(capsys)
    assert not (tmp_path / "data" / filename).exists()
    assert [p.name for p in (tmp_path / "data").iterdir() if not p.name.startswith(".")] == []


def test_models_list_and_cnn_help_import_no_tensorflow():
    probe = (
        "import sys\n"
        "from colorize_app import cli\n"
        "cli.COMMAND_MODULES[:] = ['cnn', 'models']\n"
        "cli.main(['models', 'list', '--no-checksums'])\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=False, cwd=REPOSITORY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_output_folder_that_would_overwrite_an_input_is_refused_up_front(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        write_gray(folder / name, 16, 16)
    before = (folder / "a.png").read_bytes()
    assert cli.main(["cnn", str(folder), "-o", str(folder)]) == 1
    assert "overwrite" in one_line_error(capsys)
    assert (folder / "a.png").read_bytes() == before


@pytest.mark.parametrize("option, value, message", [
    ("--size", "100", "argument --size: must be a multiple of 8, got 100"),
    ("--temperature", "0", "argument --temperature: must be in (0, 10], got 0"),
])
def test_out_of_range_options_are_bad_usage(tmp_path, capsys, option, value, message):
    # Exit 2, as an out-of-range option of any other command.
    write_gray(tmp_path / "photo.png", 16, 16)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["cnn", str(tmp_path / "photo.png"), "-o", str(tmp_path / "o.png"),
                  option, value])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"colorize cnn: error: {message}"


def test_models_convert_writes_an_npz_that_loads_the_same(tmp_path, capsys):
    from colorize_app.io.model_files import load_model

    out = tmp_path / "release.npz"
    assert cli.main(["models", "convert", str(FIXTURES / "eccv16_tiny.pth"), str(out)]) == 0
    converted, original = load_model(out), load_model(FIXTURES / "eccv16_tiny.pth")
    assert converted.architecture == original.architecture
    assert converted.metadata["converted_from"] == "eccv16_tiny.pth"
    np.testing.assert_array_equal(converted.bins, original.bins)


def test_a_checkpoint_without_its_bins_is_asked_for_them_as_the_option(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    (tmp_path / "model.ckpt.index").write_bytes(b"")  # refused before it is read
    assert cli.main(["models", "convert", str(tmp_path / "model.ckpt.index"),
                     str(tmp_path / "out.npz")]) == 1
    assert one_line_error(capsys).endswith(
        "model.ckpt: a TF checkpoint needs its ab bins: give a bins .npy file "
        "(--bins pts_in_hull.npy) or put pts_in_hull.npy beside it\n")
    assert not (tmp_path / "out.npz").exists()
