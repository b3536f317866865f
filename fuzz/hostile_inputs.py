"""Print the table of hostile and faulty inputs (issues 17 and 27) and what each gives now.

Run ``python fuzz/hostile_inputs.py``; it works in a temporary folder. Each row is (case,
input, what happens, how it is stopped); a case that is accepted, hangs (an alarm stops it
after 60 s) or ends in anything but the project's own one-line error says so loudly, and
the exit code is then 1. The regression tests are ``tests/test_hostile_files.py`` and
``tests/test_hostile_parsers.py`` (round two, ``fuzz/hostile_inputs_round2.py``:
``tests/test_hostile_batch.py`` and ``tests/test_hostile_round2.py``); docs/robustness.md
shows this table.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from algorithms.errors import ColorizeError  # noqa: E402
from fuzz import targets  # noqa: E402

ROWS: list[tuple[str, str, str, str]] = []
TINY_PTH = targets.FIXTURES / "eccv16_tiny.pth"


def row(case: str, what: str, how: str, call) -> None:
    """Run ``call`` (under a 60 s alarm) and record its outcome with the peak memory."""
    def expired(*_):
        raise TimeoutError("still running after 60 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    try:
        call()
    except ColorizeError as error:
        outcome = str(error)
    except Exception as error:  # noqa: BLE001 - reported in the table
        outcome = f"**NOT HANDLED: {type(error).__name__}: {error}**"
    else:
        outcome = "(accepted)"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    ROWS.append((case, what, outcome, how))


def cli(*arguments: str):
    from colorize_app import cli as command_line

    def call() -> None:
        stderr = io.StringIO()
        code: object  # main's return code, or what SystemExit carried
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = command_line.main(list(arguments))
            except SystemExit as stop:
                code = stop.code
        lines = [line for line in stderr.getvalue().splitlines() if line.strip()]
        raise ColorizeError(f"exit {code}: {lines[-1] if lines else ''}")

    return call


def write(name: str, data: bytes) -> str:
    Path(name).write_bytes(data)
    return name


def chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def pth_with_view(size: int, stride: int) -> bytes:
    """A zip .pth holding one tensor of ``size`` elements at ``stride`` over one float."""
    def text(value: str) -> bytes:
        return b"X" + len(value).to_bytes(4, "little") + value.encode()

    def integer(value: int) -> bytes:
        return b"J" + value.to_bytes(4, "little", signed=True)

    pickle = (b"\x80\x02ccollections\nOrderedDict\n)R(" + text("w")
              + b"ctorch._utils\n_rebuild_tensor_v2\n((" + text("storage")
              + b"ctorch\nFloatStorage\n" + text("0") + text("cpu") + integer(1) + b"tQ"
              + integer(0) + b"(" + integer(size) + b"t(" + integer(stride) + b"t\x89"
              + b"ccollections\nOrderedDict\n)RtRu.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle)
        archive.writestr("archive/data/0", b"\x00\x00\x80\x3f")
    return buffer.getvalue()


def project_file(name: str, changes: dict, members: dict | None = None) -> str:
    manifest = {"format": "colorize-project", "format_version": 1, "method": "scribble"}
    manifest.update(changes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for member, data in (members or {}).items():
            archive.writestr(member, data)
    return write(name, buffer.getvalue())


def npz_model(name: str, change) -> str:
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_writer import save_model

    save_model(name, load_model(TINY_PTH))
    with np.load(name) as archive:
        arrays = {key: archive[key] for key in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    change(arrays, metadata)
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(name, **arrays)
    return name


def main() -> int:
    from colorize_app.gui import autosave
    from colorize_app.io import media
    from colorize_app.io.model_files import load_bins, load_model
    from colorize_app.io.project import load_project
    from colorize_app.runtime import system

    os.chdir(tempfile.mkdtemp(prefix="colorize-hostile-"))
    gray = targets._gray_photo()
    write("gray.png", targets._png(gray))
    write("colour.png", targets._png(targets._colour_photo()))
    regions = b'{"pairs": [{"reference": [0, 0, 4, 4], "target": [0, 0, 4, 4]}]}'

    # S1, S2: outputs
    write("victim.txt", b"precious")
    os.symlink("victim.txt", ".out.npz.partial.tmp")

    def convert_past_a_planted_link() -> None:
        cli("models", "convert", str(TINY_PTH), "out.npz")()

    row("S1", "`models convert` with a symlink planted at `.out.npz.partial.tmp`",
        "random exclusive temporary (O_CREAT, O_EXCL, O_NOFOLLOW), fsync, rename",
        lambda: _after(convert_past_a_planted_link,
                       lambda: Path("victim.txt").read_bytes() == b"precious"))
    write("swatch.png", regions)
    row("S2", "`transfer --regions swatch.png -o swatch.png`",
        "output compared with every input (models, regions, bins, projects, masks), "
        "symbolic and hard links included",
        cli("transfer", "gray.png", "colour.png", "--regions", "swatch.png", "-o", "swatch.png"))
    shutil.copy(TINY_PTH, "model.png")
    row("S2", "`cnn --model ./model.png -o model.png`", "the same guard",
        cli("cnn", "gray.png", "--model", "./model.png", "-o", "model.png"))
    os.link("model.png", "hard.png")
    row("S2", "`cnn --model model.png -o hard.png` (a hard link to the model)", "the same guard",
        cli("cnn", "gray.png", "--model", "model.png", "-o", "hard.png"))

    # H1-H6: hangs and unbounded work
    os.mkfifo("pipe.json")
    row("H1", "a FIFO as `--regions`", "regular files only (stat, then a non-blocking open)",
        cli("transfer", "gray.png", "colour.png", "--regions", "pipe.json", "-o", "o.png"))
    os.mkfifo("pipe.npy")
    row("H2", "a FIFO as `--bins`", "regular files only", lambda: load_bins("pipe.npy"))
    zigzag = [[0, 0], [3999, 1]] * 250_000
    row("H3", "a 60 kB project: one 500,000-point stroke zig-zagging over 4000 x 4000",
        "100,000 points per stroke; drawing bounded to 64 evaluations per photo pixel "
        "(+1e8) and 1,000,000 pieces, checked before drawing",
        lambda: load_project(project_file("zigzag.colorize", {"strokes": [
            {"kind": "paint", "colour": [1, 0, 0], "width": 8, "points": zigzag}]})))
    proc = project_file("proc.colorize", {"images": {"photo": {
        "path": "/proc/self/pagemap", "sha256": "ab" * 32, "size": [4, 4]}},
        "strokes": [{"kind": "paint", "colour": [1, 0, 0], "width": 2, "points": [[1, 1]]}]})
    row("H4", "a project whose photo is `/proc/self/pagemap`",
        "/proc and /sys files are not data; checksums read at most the file's size",
        cli("levin", "--project", proc, "-o", "o.png"))
    pair = {"reference": [0, 0, 2, 2], "target": [0, 0, 2, 2]}
    write("many.json", json.dumps({"pairs": [pair] * 1001}).encode())
    row("H5", "a region file with 1,001 pairs (2,000,000 took 80 min)",
        "at most 1,000 pairs and 4 MB per region file",
        cli("transfer", "gray.png", "colour.png", "--regions", "many.json", "-o", "o.png"))
    os.makedirs("autosave")
    os.mkfifo("autosave/999999999-0-aa.colorize")
    autosave.AUTOSAVE_FOLDER = "autosave"

    def no_session_offered() -> None:
        raise ColorizeError(f"{len(autosave.orphaned_autosaves())} sessions offered")

    row("H6", "a FIFO in the autosave folder at start-up", "non-regular files skipped",
        no_session_offered)

    # M1-M6: memory
    import cv2

    encoded = bytearray(cv2.imencode(".jpg", np.full((8, 8), 128, np.uint8))[1].tobytes())
    sof = encoded.index(b"\xff\xc0")
    encoded[sof + 5:sof + 9] = struct.pack(">HH", 15000, 15000)
    write("bomb.jpg", bytes(encoded))
    row("M1", f"a {len(encoded)}-byte JPEG whose SOF claims 15000 x 15000",
        "declared size checked against the bytes present (a Huffman JPEG spends at least "
        "one bit per 8 x 8 block; deflate shrinks at most 1032:1)",
        cli("cnn", "bomb.jpg", "--model", str(TINY_PTH), "-o", "o.png"))
    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(bytes(15001)) for _ in range(15000)) + rows.flush()
    write("zeros.png", b"\x89PNG\r\n\x1a\n"
          + chunk(b"IHDR", struct.pack(">IIBBBBB", 15000, 15000, 8, 0, 0, 0, 0))
          + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    os.makedirs("cgroup")
    write("cgroup/memory.max", b"2147483648\n")
    write("cgroup/memory.current", b"0\n")
    system.CGROUP_ROOT = os.path.abspath("cgroup")
    for command, arguments in (("transfer", ["zeros.png", "colour.png"]),
                               ("levin", ["zeros.png", "zeros.png"])):
        row("M2/M3", f"`{command}` on a {len(body) // 1000} kB PNG of 15000 x 15000 zero rows, "
            "in a container limited to 2 GiB",
            "memory estimated from the header before decoding, against /proc/meminfo and "
            "the cgroup's memory.max - memory.current",
            cli(command, *arguments, "-o", "o.png"))
    system.CGROUP_ROOT = "/sys/fs/cgroup"
    write("view.pth", pth_with_view(500_000_000, 0))
    row("M4", f"a {Path('view.pth').stat().st_size}-byte `.pth`: a 5e8-element view over a "
        "4-byte storage", "a view may not hold more elements than its storage; all tensors "
        "together at most 2 GiB", lambda: load_model("view.pth"))
    np.savez_compressed("zeros.npz", huge=np.zeros(1, np.uint8))
    row("M5", "an `.npz` member of 4 GiB deflated zeros (shown: the bound on the directory)",
        "members' declared sizes summed before inflating: at most 2 GiB, 4096 members",
        lambda: _npz_over_limit())
    row("M6", "a project embedding 3.5 GiB of zeros (shown: 2 MiB over a 1 MiB stand-in)",
        "embedded images at most 512 MiB, 1 GiB in all, checked on the zip directory; an "
        "embedded copy must be an image within the pixel limit before it is cached",
        lambda: _embedded_over_limit())

    # I1-I6: tracebacks that were "internal error"
    row("I1", "`models convert` into a missing folder", "checked before writing",
        cli("models", "convert", str(TINY_PTH), "nowhere/m.npz"))
    row("I2", "disk full while writing (a 4 kB tmpfs; see tests/test_hostile_files.py)",
        "every OSError in the writer becomes `cannot write PATH: REASON`",
        lambda: _disk_full())
    row("I3", "model metadata `padding: 5`", "known metadata keys checked by type and range",
        lambda: load_model(npz_model("m3.npz", lambda a, m: m.update(padding=5))))
    row("I4", "a 400-digit stroke width", "integers compared before any float conversion",
        lambda: load_project(project_file("wide.colorize", {"strokes": [
            {"kind": "paint", "colour": [1, 0, 0], "width": 10**400, "points": [[1, 1]]}]})))
    row("I5", "`transfer --seed -1`", "argument types with ranges: bad usage, exit 2",
        cli("transfer", "gray.png", "colour.png", "-o", "o.png", "--seed", "-1"))
    write("x, 640x480 Stream #0:0: Video: h264, 9999x9999 ,.mp4", targets._video_seed())
    row("I6", "a video named `x, 640x480 Stream #0:0: Video: h264, 9999x9999 ,.mp4`",
        "the name is taken out of ffmpeg's log before parsing; inputs passed as `file:`",
        lambda: _probe("x, 640x480 Stream #0:0: Video: h264, 9999x9999 ,.mp4"))

    # A1, A2: wrong results
    for label, change in (("`input_offset` NaN", {"input_offset": float("nan")}),
                          ("`input_scale` 0", {"input_scale": 0})):
        row("A1", f"model metadata {label}", "finite ranges for the known numbers",
            lambda c=change: load_model(npz_model("a1.npz", lambda a, m: m.update(c))))

    def complex_weights(arrays, metadata) -> None:
        arrays["weights/conv1/biases"] = arrays["weights/conv1/biases"] + 1j

    row("A2", "complex weights", "real numbers only",
        lambda: load_model(npz_model("a2.npz", complex_weights)))

    # L1, L2, G1
    row("L1", "SIGTERM / SIGHUP while a video is written",
        "both end like Ctrl+C (exit 143 / 129): temporaries removed; a killed run's are "
        "removed by the next write of the same output", lambda: _signalled())
    row("L2", "`--epochs 99999999999999999999`", "bad usage, exit 2",
        cli("refine", "a", "b", "-o", "c.mp4", "--epochs", "99999999999999999999"))
    row("G1", "an autosave whose PID now belongs to a live process",
        "sessions named by PID and process start time", lambda: _pid_reused())

    # Messages that misled
    row("msg", "a FIFO as an image (was: empty, 0 bytes)", "file type named",
        lambda: media.read_image(_fifo("pipe.png")))
    os.symlink("loop_b.png", "loop_a.png")
    os.symlink("loop_a.png", "loop_b.png")
    row("msg", "a symbolic-link loop (was: no such file)", "ELOOP named",
        lambda: media.read_image("loop_a.png"))
    row("msg", "range errors: `cnn --temperature 0` (was exit 1; transfer's exit 2)",
        "one rule: exit 2", cli("cnn", "gray.png", "-o", "o.png", "--temperature", "0"))

    # Round two (issue 27): batches, video, model files, projects, messages
    from fuzz import hostile_inputs_round2

    hostile_inputs_round2.cases(row, cli)

    print("| case | input | now | how it is stopped |\n|---|---|---|---|")
    for case, what, outcome, how in ROWS:
        print(f"| {case} | {what} | {outcome.replace('|', '/')} | {how} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"\npeak memory of the whole run: {peak} MB", file=sys.stderr)
    return 1 if any("NOT HANDLED" in outcome or outcome == "(accepted)"
                    for _, _, outcome, _ in ROWS) else 0


def _after(call, check) -> None:
    try:
        call()
    except ColorizeError as error:
        intact = "victim intact" if check() else "VICTIM CHANGED"
        raise ColorizeError(f"{error}; {intact}, output written: {os.path.exists('out.npz')}")\
            from None


def _npz_over_limit() -> None:
    from colorize_app.io import model_files

    limit = model_files.MAX_NPZ_BYTES
    model_files.MAX_NPZ_BYTES = 0  # the 1-byte member stands for 4 GiB
    try:
        model_files.load_model("zeros.npz")
    finally:
        model_files.MAX_NPZ_BYTES = limit


def _embedded_over_limit() -> None:
    from colorize_app.io import project

    limit = project.MAX_EMBEDDED_BYTES
    project.MAX_EMBEDDED_BYTES = 1024**2
    try:
        project.load_project(project_file("big.colorize", {"images": {"photo": {
            "path": "/gone/p.png", "sha256": "", "size": [4, 4],
            "embedded": "images/photo.png"}}}, {"images/photo.png": bytes(2 * 1024**2)}))
    finally:
        project.MAX_EMBEDDED_BYTES = limit


def _disk_full() -> None:
    from colorize_app.io import media

    noise = np.random.default_rng(0).random((64, 64)).astype(np.float32)  # 12 kB as PNG
    marked = np.repeat(noise[..., None], 3, axis=2)
    marked[4:8, 4:8] = (1.0, 0.0, 0.0)
    media.write_image("noise.png", noise)
    media.write_image("noise_marked.png", marked)
    os.makedirs("full", exist_ok=True)
    script = (f"mount -t tmpfs -o size=4k tmpfs full && exec {sys.executable} -m "
              "colorize_app.cli levin noise.png noise_marked.png -o full/out.png")
    try:
        result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                                text=True, timeout=120,
                                env=dict(os.environ, PYTHONPATH=str(REPOSITORY)))
    except OSError:
        raise ColorizeError("(no unshare here: see the tests)") from None
    raise ColorizeError(f"exit {result.returncode}: {result.stderr.strip().splitlines()[-1]}")


def _probe(name: str) -> None:
    from colorize_app.io import video_in

    info = video_in.probe_video(name)
    raise ColorizeError(f"(read as {info.width} x {info.height}, {info.frame_count} frames: "
                        "right)")


def _signalled() -> None:
    code = ("import time, numpy as np\nfrom colorize_app import cli\n"
            "from colorize_app.io import video_out\n"
            "from colorize_app.commands import levin\n"
            "def slow(args):\n"
            "    with video_out.FrameWriter(args.output, fps=10) as w:\n"
            "        w.write(np.zeros((12, 16, 3))); print('writing', flush=True); "
            "time.sleep(60)\n"
            "levin.run = slow\n"
            "raise SystemExit(cli.main(['levin', 'a', 'b', '-o', 'sig/v.mp4']))\n")
    os.makedirs("sig", exist_ok=True)
    results = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True,
                                   env=dict(os.environ, PYTHONPATH=str(REPOSITORY)))
        assert process.stdout is not None and process.stderr is not None  # both are pipes
        process.stdout.readline()
        process.send_signal(signum)
        results.append(f"exit {process.wait(60)}: "
                       f"{process.stderr.read().strip().splitlines()[-1]}")
    raise ColorizeError(" / ".join(results) + f"; files left: {os.listdir('sig')}")


def _pid_reused() -> None:
    from colorize_app.gui import autosave
    from colorize_app.io import project
    from colorize_app.runtime import system

    start = system.process_start_time(os.getpid())
    if start is None:
        raise ColorizeError("(process start times need Linux's /proc)")
    os.makedirs("reuse", exist_ok=True)
    project.save_project(f"reuse/{os.getpid()}-{start - 1}-aa.colorize",
                         project.Project("transfer"))
    autosave.AUTOSAVE_FOLDER = "reuse"
    raise ColorizeError(f"offered: {[Path(s.path).name for s in autosave.orphaned_autosaves()]}")


def _fifo(name: str) -> str:
    os.mkfifo(name)
    return name


if __name__ == "__main__":
    sys.exit(main())
