"""Hostile and faulty files around the commands: nothing overwritten, no hang, memory bounded.

Each case asserts the exit code or error, the one-line message, and that no file changed
and nothing was left behind. Hangs are caught by an alarm (a FIFO would block forever),
memory by the process's peak RSS growth.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError, MemoryBudgetError
from colorize_app import cli
from colorize_app.io import media, safe_files
from colorize_app.runtime import system

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@contextlib.contextmanager
def no_hang(seconds: int = 30):
    """Fail (instead of blocking the test run forever) when the block does not return."""
    def expired(*_):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_fifo()
                                         else None)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def photos(tmp_path):
    y, x = np.mgrid[0:12, 0:16] / 16.0
    gray = (0.3 + 0.4 * x * y).astype(np.float32)
    media.write_image(tmp_path / "gray.png", gray)
    media.write_image(tmp_path / "colour.png", np.stack([gray, gray[::-1], 1 - gray], 2))
    return tmp_path


# --- S1, S2: outputs never overwrite an input or follow a planted link ------------------------

def test_convert_ignores_a_link_planted_at_the_old_fixed_temporary_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / ".out.npz.partial.tmp")
    source = tmp_path / ".out.npz.partial.tmp.pth"  # a source named like a temporary
    source.write_bytes((FIXTURES / "eccv16_tiny.pth").read_bytes())
    assert cli.main(["models", "convert", str(source), str(tmp_path / "out.npz")]) == 0
    assert victim.read_text() == "precious" and source.exists()
    assert sorted(os.listdir(tmp_path)) == [".out.npz.partial.tmp", source.name, "out.npz",
                                           "victim.txt"]


def test_the_temporary_is_never_opened_through_a_link(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    monkeypatch.setattr(safe_files.secrets, "token_hex", lambda n: "abcdef12")
    os.symlink(victim, safe_files.partial_path(tmp_path / "out.png", ".png"))
    with pytest.raises(BadInputError, match=r"^cannot write to .*: file exists$"):
        media.write_image(tmp_path / "out.png", np.zeros((2, 2)))
    assert victim.read_text() == "precious" and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_transfer_never_writes_over_its_region_file(photos, capsys, link):
    regions = photos / "swatch.png"  # a region file (JSON) given an image name
    regions.write_text('{"pairs": [{"reference": [0, 0, 4, 4], "target": [0, 0, 4, 4]}]}')
    output = {"same": regions, "symlink": photos / "sym.png", "hardlink": photos / "hard.png"}
    if link == "symlink":
        os.symlink(regions, output[link])
    elif link == "hardlink":
        os.link(regions, output[link])
    before = snapshot(photos)
    code = cli.main(["transfer", str(photos / "gray.png"), str(photos / "colour.png"),
                     "--regions", str(regions), "-o", str(output[link])])
    assert code == 1
    assert one_line(capsys) == f"colorize: error: refusing to overwrite the input {output[link]}"
    assert snapshot(photos) == before


def test_cnn_never_writes_over_its_model_file(photos, capsys, monkeypatch):
    monkeypatch.chdir(photos)
    model = photos / "model.png"
    model.write_bytes((FIXTURES / "eccv16_tiny.pth").read_bytes())
    before = snapshot(photos)
    code = cli.main(["cnn", str(photos / "gray.png"), "--model", "./model.png",
                     "-o", "model.png"])
    assert code == 1 and "refusing to overwrite the input" in one_line(capsys)
    assert snapshot(photos) == before


def test_an_output_that_is_a_device_is_refused(photos):
    with pytest.raises(BadInputError, match="is a device; refusing to replace it"):
        safe_files.atomic_write_bytes("/dev/null", b"x")


# --- H1, H2 and misleading messages: FIFOs, devices, /proc, link loops ------------------------

@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def test_a_fifo_as_region_file_is_refused_without_blocking(photos, fifo, capsys):
    with no_hang():
        code = cli.main(["transfer", str(photos / "gray.png"), str(photos / "colour.png"),
                         "--regions", str(fifo), "-o", str(photos / "out.png")])
    assert code == 1
    assert one_line(capsys) == (f"colorize: error: {fifo} is a FIFO (named pipe), "
                                "not a region file")
    assert not (photos / "out.png").exists()


def test_a_fifo_as_bins_is_refused_without_blocking(fifo):
    from colorize_app.io.model_files import load_bins

    with no_hang(), pytest.raises(BadInputError, match="is not a regular file"):
        load_bins(fifo)


@pytest.mark.parametrize("path, message", [
    ("fifo", "{path} is a FIFO (named pipe), not an image file"),
    ("/dev/zero", "{path} is a device, not an image file"),
    ("/proc/self/status", "{path} is a system file (/proc, /sys), not an image file"),
    ("loop", "{path}: too many levels of symbolic links (a link loop)"),
    ("dangling", "{path} is a symbolic link to a missing file"),
])
def test_image_readers_name_what_a_non_file_is(tmp_path, fifo, path, message):
    if path == "fifo":
        path = str(fifo)
    elif path == "loop":
        os.symlink(tmp_path / "b", tmp_path / "a")
        os.symlink(tmp_path / "a", tmp_path / "b")
        path = str(tmp_path / "a")
    elif path == "dangling":
        os.symlink(tmp_path / "gone.png", tmp_path / "dangling.png")
        path = str(tmp_path / "dangling.png")
    with no_hang(), pytest.raises(BadInputError) as error:
        media.read_image(path)
    assert str(error.value) == message.format(path=path)


# --- M1, M2/M3: declared sizes against the data, memory before decoding -----------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def test_a_tiny_jpeg_claiming_15000_squared_is_truncated(tmp_path):
    import cv2

    ok, encoded = cv2.imencode(".jpg", np.full((8, 8), 128, np.uint8))
    data = bytearray(encoded.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 15000, 15000)
    path = tmp_path / "bomb.jpg"
    path.write_bytes(bytes(data))
    before = peak_kb()
    with pytest.raises(BadInputError) as error:
        media.read_image(path)
    assert str(error.value) == (f"{path} is truncated: its header declares 15000 x 15000 "
                                f"pixels but the file holds only {len(data):,} bytes")
    assert peak_kb() - before < 100_000  # kB: nothing was decoded


@pytest.fixture
def container_limit(tmp_path, monkeypatch):
    """A container (cgroup v2) limited to 1 GiB, with far more free memory on the machine."""
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "memory.max").write_text(f"{2**30}\n")
    (root / "memory.current").write_text("0\n")
    monkeypatch.setattr(system, "CGROUP_ROOT", str(root))
    return root


def test_available_memory_respects_the_container_limit(container_limit):
    assert system.cgroup_memory_left() == 2**30
    assert system.available_memory() <= 2**30


@pytest.fixture(scope="module")
def zero_rows_png(tmp_path_factory):
    """A valid 15000 x 15000 8-bit gray PNG of zero rows (about 220 kB)."""
    path = tmp_path_factory.mktemp("bomb") / "zeros.png"
    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(bytes(15001)) for _ in range(15000)) + rows.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + _chunk(b"IHDR", struct.pack(">IIBBBBB", 15000, 15000, 8, 0, 0, 0, 0))
                     + _chunk(b"IDAT", body) + _chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("command", ["levin", "transfer", "cnn"])
def test_a_huge_valid_photo_is_refused_from_its_header(zero_rows_png, photos, command,
                                                       container_limit, capsys):
    if command == "cnn":
        pytest.importorskip("tensorflow")
        import tensorflow  # noqa: F401 - its own memory is not the photo's
    arguments = {"levin": [str(zero_rows_png), str(zero_rows_png)],
                 "transfer": [str(zero_rows_png), str(photos / "colour.png")],
                 "cnn": [str(zero_rows_png), "--model", str(FIXTURES / "eccv16_tiny.pth")]}
    before = peak_kb()
    code = cli.main([command, *arguments[command], "-o", str(photos / "out.png")])
    assert code == 1
    message = one_line(capsys)
    assert "15000 x 15000" in message and "but only 1.0 GB is available" in message
    assert peak_kb() - before < 300_000  # kB: refused before decoding 225 megapixels
    assert not (photos / "out.png").exists()


def test_reading_a_huge_photo_checks_memory_before_decoding(zero_rows_png, container_limit):
    with pytest.raises(MemoryBudgetError, match="decoding .* needs about 6.7 GB"):
        media.read_image(zero_rows_png)


# --- I1, I2: folders that cannot be written, a full disk --------------------------------------

def test_a_missing_output_folder_is_one_sentence(tmp_path, capsys):
    code = cli.main(["models", "convert", str(FIXTURES / "eccv16_tiny.pth"),
                     str(tmp_path / "nowhere" / "m.npz")])
    assert code == 1
    assert one_line(capsys) == f"colorize: error: output folder does not exist: " \
                               f"{tmp_path / 'nowhere'}"


def _namespace_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


FULL_DISK = textwrap.dedent("""
    import contextlib, io, json, sys
    from colorize_app import cli
    results = []
    for arguments in json.loads(sys.argv[1]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(arguments)
        results.append([code, err.getvalue()])
    print(json.dumps(results))
""")


def run_on_small_mount(folder: Path, commands: list, options: str) -> list:
    """Run ``colorize`` commands in one process with a tiny tmpfs mounted on ``folder``."""
    import json

    if not _namespace_works():
        pytest.skip("no user namespaces here to mount a small file system")
    script = (f"mount -t tmpfs -o {options} tmpfs {folder} && "
              f"exec {sys.executable} -c \"$0\" \"$1\"")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script, FULL_DISK,
                             json.dumps(commands)], capture_output=True, text=True,
                            timeout=600, cwd=REPOSITORY,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_full_disk_and_a_read_only_folder_are_one_sentence_each(tmp_path):
    from fuzz.targets import _gray_photo

    big = np.random.default_rng(1).random((64, 64)).astype(np.float32)  # about 12 kB as PNG
    media.write_image(tmp_path / "gray.png", big)
    marked = np.repeat(big[..., None], 3, 2)
    marked[5:9, 5:9] = (1, 0, 0)
    media.write_image(tmp_path / "marked.png", marked)
    media.write_image(tmp_path / "colour.png", np.stack([_gray_photo()] * 3, 2))
    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(2):
        media.write_image(frames / f"{index}.png", np.roll(big, index, axis=1))
    full = tmp_path / "full"
    full.mkdir()
    commands = [
        ["levin", str(tmp_path / "gray.png"), str(tmp_path / "marked.png"),
         "-o", str(full / "l.png")],
        ["transfer", str(tmp_path / "gray.png"), str(tmp_path / "colour.png"),
         "-o", str(full / "t.png")],
        ["cnn", str(tmp_path / "gray.png"), "--model", str(FIXTURES / "eccv16_tiny.pth"),
         "-o", str(full / "c.png")],
        ["video", str(frames), "--model", str(FIXTURES / "eccv16_tiny.pth"), "--no-refine",
         "-o", str(full / "frames")],
        ["models", "convert", str(FIXTURES / "eccv16_tiny.pth"), str(full / "m.npz")],
    ]
    results = run_on_small_mount(full, commands, "size=4k")
    for (code, err), arguments in zip(results, commands):
        output = arguments[-1] + ("/00000.png" if arguments[0] == "video" else "")
        assert code == 1, err
        assert err.splitlines()[-1] == \
            f"colorize: error: cannot write {output}: no space left on device"
    read_only = run_on_small_mount(full, commands[-1:], "ro")
    assert read_only == [[1, f"colorize: error: cannot write to {full}: "
                             "read-only file system\n"]]


# --- L1: SIGTERM and SIGHUP end like Ctrl+C, and leftovers are cleaned later ------------------

SIGNALLED = textwrap.dedent("""
    import sys, time
    import numpy as np
    from colorize_app import cli
    from colorize_app.io import video_out
    from colorize_app.commands import levin

    def slow(args):
        with video_out.FrameWriter(args.output, fps=10) as writer:
            writer.write(np.zeros((12, 16, 3)))
            print("writing", flush=True)
            time.sleep(60)
        return 0

    levin.run = slow
    sys.exit(cli.main(["levin", "a.png", "b.png", "-o", sys.argv[1]]))
""")


@pytest.mark.parametrize("signum, code, word", [(signal.SIGTERM, 143, "terminated"),
                                                 (signal.SIGHUP, 129, "hung up")])
def test_a_signal_during_a_video_ends_like_ctrl_c(tmp_path, signum, code, word):
    output = tmp_path / "v.mp4"
    process = subprocess.Popen([sys.executable, "-c", SIGNALLED, str(output)], cwd=REPOSITORY,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        process.send_signal(signum)
        assert process.wait(60) == code
    finally:
        process.kill()
    assert process.stderr.read().strip().splitlines()[-1] == f"colorize: error: {word}"
    assert os.listdir(tmp_path) == []  # no hidden .v.mp4...partial.mp4


def test_a_killed_run_s_temporaries_are_removed_by_the_next_write(tmp_path):
    dead = tmp_path / ".v.mp4.p999999999-abcdef12.partial.mp4"  # no such process
    dead.write_bytes(b"half a video")
    live = tmp_path / f".v.mp4.p{os.getpid()}-abcdef12.partial.mp4"  # a writer still running
    live.write_bytes(b"being written")
    other = tmp_path / ".w.mp4.p999999999-abcdef12.partial.mp4"  # another output's
    other.write_bytes(b"not ours")
    safe_files.atomic_write_bytes(tmp_path / "v.mp4", b"complete")
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name, "v.mp4"])
