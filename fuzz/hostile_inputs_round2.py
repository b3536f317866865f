"""The second attack run's cases (issue 27): archive batches, video, model files, projects.

Called by ``fuzz/hostile_inputs.py`` (its :func:`row` records each case in the same table),
in the same temporary folder. Regression tests: ``tests/test_hostile_batch.py`` and
``tests/test_hostile_round2.py``. Cases marked "stand-in" lower a limit (a 2 GiB
container, a 2 s connection limit) so that they stay small and quick; the check is the
same code.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from algorithms.errors import ColorizeError

MODEL = str(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "eccv16_tiny.pth")


def zeros_png(path: str, width: int, height: int) -> str:
    """A small 8-bit gray PNG of zeros (a 15000 x 15000 one is about 218 kB)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(bytes(width + 1)) for _ in range(height)) + rows.flush()
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n"
                           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                        0, 0))
                           + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def photo(path: str, level: float = 0.5) -> str:
    from colorize_app.io import media

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    media.write_image(path, np.full((12, 16), level, np.float32))
    return path


def snapshot(folder: str) -> dict:
    found = {}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(root, name)
            found[path] = ("-> " + os.readlink(path)) if os.path.islink(path) else \
                (Path(path).read_bytes() if os.path.isfile(path) else None)
    return found


def untouched(call, folder: str):
    """``call``, then whether every file under ``folder`` is as it was."""
    def checked() -> None:
        before = snapshot(folder)
        try:
            call()
        except ColorizeError as error:
            same = "nothing changed" if snapshot(folder) == before else "FILES CHANGED"
            raise ColorizeError(f"{error}; {same}") from None
        raise ColorizeError("(accepted)" if snapshot(folder) == before else
                            "**(accepted) and FILES CHANGED**")
    return checked


def laughs_pth(levels: int = 40) -> bytes:
    body = b"\x80\x02]q\x000"
    for level in range(1, levels + 1):
        body += (b"](h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"eq"
                 + bytes([level]) + b"0")
    body += b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00wh" + bytes([levels]) + b"u."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", body)
    return buffer.getvalue()


def project(path: str, manifest: dict, members: dict | None = None) -> str:
    full = {"format": "colorize-project", "format_version": 1, "method": "cnn"}
    full.update(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(full))
        for member, data in (members or {}).items():
            archive.writestr(member, data)
    Path(path).write_bytes(buffer.getvalue())
    return path


def ffmpeg(*arguments: str) -> None:
    from colorize_app.io.video_in import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *arguments],
                   check=True)


def timed(call):
    """Run ``call`` and add its seconds to the outcome."""
    def run() -> None:
        started = time.perf_counter()
        try:
            call()
        except ColorizeError as error:
            raise ColorizeError(f"{error} ({time.perf_counter() - started:.1f} s)") from None
    return run


def two_gib_container(call):
    """``call`` with the cgroup reader pointed at a 2 GiB container (stand-in)."""
    def run() -> None:
        from colorize_app.runtime import system

        os.makedirs("cgroup2", exist_ok=True)
        Path("cgroup2/memory.max").write_text("2147483648\n")
        Path("cgroup2/memory.current").write_text("0\n")
        saved = system.CGROUP_ROOT
        system.CGROUP_ROOT = os.path.abspath("cgroup2")
        try:
            call()
        finally:
            system.CGROUP_ROOT = saved
    return run


def cases(row, cli) -> None:
    """Add every round-two case to the table through ``row`` (see hostile_inputs.row)."""
    from colorize_app.batch import runner
    from colorize_app.io import media, video_in
    from colorize_app.io.batch_files import Manifest, find_inputs

    os.makedirs("r2", exist_ok=True)
    os.chdir("r2")

    # P: paths proven safe before work starts
    photo("P/scans/a.png", 0.2)
    photo("P/scans/scans/a.png", 0.7)
    row("P1", "`batch cnn P/scans -o P` with `P/scans/a.png` and `P/scans/scans/a.png`",
        "every planned output's real path and file identity compared with every input's, "
        "before any work", untouched(cli("batch", "cnn", "P/scans", "-o", "P", "--model",
                                         MODEL), "P"))
    os.makedirs("V/keep/a.mp4")
    Path("V/keep/a.mp4/notes.txt").write_text("precious")
    os.makedirs("V/films")
    Path("V/films/a.mp4").write_bytes(b"never decoded")
    os.makedirs("V/out")
    os.symlink("../keep", "V/out/.colorize-parts")
    row("P2", "`batch video` with `out/.colorize-parts` a link to `../keep`",
        "no output path through a link (checked component by component); clean-up removes "
        "only the frames the job wrote, never through a link",
        untouched(cli("batch", "video", "V/films", "-o", "V/out", "--model", MODEL), "V"))
    photo("M/in/a.png")
    Path("M/other.txt").write_text("precious\n")
    os.makedirs("M/out")
    os.symlink("../other.txt", "M/out/colorize-batch.jsonl")
    row("P3", "`out/colorize-batch.jsonl` a link to another file",
        "the manifest is checked as an output, then opened with O_NOFOLLOW and must be a "
        "regular file", untouched(cli("batch", "cnn", "M/in", "-o", "M/out", "--model",
                                      MODEL), "M"))
    photo("S/in/sub/a.png")
    os.makedirs("S/elsewhere")
    os.makedirs("S/out")
    os.symlink("../elsewhere", "S/out/sub")
    row("P4", "`out/sub` a link out of OUT_DIR", "the same check; workers make folders "
        "with mkdir one level at a time and refuse a link appearing meanwhile",
        untouched(cli("batch", "cnn", "S/in", "-o", "S/out", "--model", MODEL), "S"))
    photo("G/in/a.png")
    photo("G/in/out/a.png")  # the first run's result

    def pattern_twice() -> None:
        found = find_inputs(["G/in/**/*.png"], media.IMAGE_EXTENSIONS, "G/in/out")
        raise ColorizeError(f"(inputs: {[entry.relative for entry in found]}: OUT_DIR's "
                            "results left out)")

    row("P5", "a pattern run twice (`'in/**/*.png' -o in/out`)",
        "OUT_DIR inside a pattern's fixed folder is excluded, as for folders", pattern_twice)

    # U: nothing unbounded
    photo("L/tree/a.png")
    photo("L/tree/sub/b.png")
    os.symlink(".", "L/tree/l1")
    os.symlink(".", "L/tree/l2")

    def looping_glob() -> None:
        found = find_inputs(["L/tree/**/*.png"], media.IMAGE_EXTENSIONS)
        raise ColorizeError(f"(found {[entry.relative for entry in found]})")

    row("U1", "a pattern over a tree with two links to `.` (2^40 paths)",
        "our own glob: each real folder entered once per `**`, at most 10,000,000 names",
        timed(looping_glob))
    Path("laughs.pth").write_bytes(laughs_pth())
    row("U2", f"a {Path('laughs.pth').stat().st_size}-byte `.pth` whose lists share the one "
        "below twice, 40 deep", "the state dict walked as a graph: every reference followed "
        "counts, at most 1,000,000",
        timed(cli("models", "convert", "laughs.pth", "laughs.npz")))

    def silent_scheduler() -> None:
        import socket

        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        saved = runner.CONNECT_TIMEOUT_S
        runner.CONNECT_TIMEOUT_S = 2
        try:
            with runner.connect(None, f"tcp://127.0.0.1:{server.getsockname()[1]}"):
                pass
        finally:
            runner.CONNECT_TIMEOUT_S = saved
            server.close()

    row("U3", "a `--scheduler` that accepts and never answers (stand-in: 2 s limit)",
        "the whole connection (client, worker wait, cluster info) in a thread with a "
        "deadline of the limit (30 s) plus 20 s", timed(silent_scheduler))
    from fuzz.targets import _checkpoint_files

    source = _checkpoint_files()["folder"]
    os.makedirs("ckpt")
    for name in os.listdir(source):
        if name.startswith("model.ckpt.data-"):
            os.mkfifo(os.path.join("ckpt", name))
        else:
            Path("ckpt", name).write_bytes(Path(source, name).read_bytes())
    row("U4", "a TF checkpoint whose `.data` file is a FIFO",
        "every checkpoint part checked as a regular file before TensorFlow opens it",
        timed(cli("models", "convert", "ckpt/model.ckpt", "ck.npz")))
    os.makedirs("big_manifest")
    with open("big_manifest/colorize-batch.jsonl", "w") as file:
        for index in range(200_000):
            file.write(json.dumps({"output": f"{index:07d}.png", "status": "done",
                                   "settings": "k", "fingerprint": [1, 2]}) + "\n")
        file.write("\xff" * 10 + "\n" + "[" * 100_000 + "\n")

    def streamed_manifest() -> None:
        import resource

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Manifest("big_manifest", keep={"0000001.png"}.__contains__) as manifest:
            held, torn = len(manifest.records), manifest.torn_lines
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
        raise ColorizeError(f"({held} record held of 200,000, {torn} bad lines skipped, "
                            f"peak grew {grown} MB)")

    row("U5", "a manifest of 200,000 records plus a binary and a 100,000-deep line "
        "(stand-in for 2 million: 63 s and 4.3 GB before, 18 s and 17 MB now)",
        "read a line at a time (1 MiB per line), records checked by type, only this job's "
        "outputs held; a link (to /dev/zero) refused", timed(streamed_manifest))

    def many_workers() -> None:
        notes: list[str] = []  # the job layer reports its note; the command prints it
        count = runner.capped_workers(200, notes.append)
        raise ColorizeError(f"({count} workers) "
                            + " ".join(f"colorize: note: {note}" for note in notes))

    row("U6", "`--workers 200`", "capped by memory (1.5 GB a worker) and cores, with a note",
        many_workers)

    # M: memory checked before decoding
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=12000x12000:r=5:d=0.4", "-c:v", "mjpeg",
           "-q:v", "31", "big.avi")
    row("M7", f"`colorize video` on a {os.path.getsize('big.avi') / 1e6:.1f} MB MJPEG of "
        "12000 x 12000 frames", "frames' size from the probe against the memory available "
        "(400 bytes a pixel for the CNN, 200 for refining)",
        timed(cli("video", "big.avi", "-o", "big.mp4", "--model", MODEL)))
    os.makedirs("frames")
    zeros_png("frames/0001.png", 15000, 15000)
    row("M8", "`colorize video` on a folder holding a 218 kB PNG of 15000 x 15000",
        "the same check, from the first frame's header",
        timed(cli("video", "frames", "-o", "frames.mp4", "--model", MODEL)))

    def batch_worker() -> None:
        from colorize_app.batch import worker_tasks
        from colorize_app.batch.job_settings import BatchSettings
        from colorize_app.io.safe_files import file_sha256

        result = worker_tasks.colorize_photo(
            os.path.abspath("frames/0001.png"), os.path.abspath("bw/out.png"),
            BatchSettings("cnn", MODEL, file_sha256(MODEL), temperature=0.38, threads=1,
                          out_dir=os.path.abspath("bw")))
        raise ColorizeError(f"{result['status']}: {result.get('error')}")

    row("M9", "a batch worker given that PNG as a photo",
        "`colorize cnn`'s per-pixel rule, from the header, in the worker",
        two_gib_container(batch_worker))
    layer = Path(zeros_png("layer.png", 15000, 15000)).read_bytes()
    project("layers.colorize", {"layers": {name: {"file": f"layers/{name}.png",
                                                  "kind": "image"}
                                           for name in ("result", "prior", "extra")}},
            {f"layers/{name}.png": layer for name in ("result", "prior", "extra")})
    from colorize_app.io.project import load_project

    row("M10", f"a {os.path.getsize('layers.colorize') / 1e3:.0f} kB project of three "
        "15000 x 15000 layers (stand-in: 2 GiB container)",
        "each layer's header against the memory available before it is decoded",
        two_gib_container(lambda: load_project("layers.colorize")))
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (100000, 100000)})
    member.write(bytes(64))
    with zipfile.ZipFile("huge.npz", "w") as archive:
        archive.writestr("weights/conv1/kernel.npy", member.getvalue())
        archive.writestr("bins.npy", member.getvalue())
    row("M11", "an `.npz` member whose header declares 100000 x 100000 floats (was: out of "
        "memory: try a smaller image)", "each .npy header compared with its member's size "
        "before numpy allocates", cli("models", "convert", "huge.npz", "h.npz"))

    # N: names are names
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=32x24:r=10:d=0.3", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "file:a.mp4")
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=32x24:r=10:d=0.4", "-f", "lavfi", "-i",
           "sine=duration=0.4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-shortest", "-f", "mp4", "file:concat:a.mp4|a.mp4")
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=32x24:r=10:d=0.3", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-f", "mp4", "file:-")

    def read_named(name: str):
        def run() -> None:
            frames = video_in.open_frames(name)
            levels = [round(float(frames[index].mean()), 2) for index in range(len(frames))]
            raise ColorizeError(f"({len(frames)} frames read from the file itself, levels "
                                f"{levels})")
        return run

    row("N1", "`colorize video 'concat:a.mp4\\|a.mp4'` (a white clip with that name)",
        "probe, decode and audio all given `file:` + the absolute path",
        read_named("concat:a.mp4|a.mp4"))
    row("N2", "a video file named `-`", "the same: a file, never stdin", read_named("-"))

    # F: formats
    import tifffile

    tifffile.imwrite("float.tif", np.linspace(0, 1, 192, dtype=np.float32).reshape(12, 16))

    def float_tiff() -> None:
        pixels = media.read_image("float.tif").pixels
        raise ColorizeError(f"(read: {pixels.min():.2f} to {pixels.max():.2f})")

    row("F1", "a 32-bit float TIFF in [0, 1] (was all black, exit 0)",
        "float TIFFs read with tifffile: [0, 1] kept, 0-255 / 0-65535 levels scaled, "
        "anything else refused with its range", float_tiff)

    # G, E: the windows' start-up, messages
    Path("autosave_file").write_text("a file")

    def occupied_autosave() -> None:
        from colorize_app.gui import autosave

        saved = autosave.AUTOSAVE_FOLDER
        autosave.AUTOSAVE_FOLDER = "autosave_file"
        try:
            offered = len(autosave.orphaned_autosaves())
            autosave.autosave_folder()
        except ColorizeError as error:
            raise ColorizeError(f"{offered} sessions offered; saving says: {error}") from None
        finally:
            autosave.AUTOSAVE_FOLDER = saved

    row("G2", "the autosave folder occupied by a regular file (was a traceback dialog at "
        "every start)", "nothing offered; the autosaver reports why it cannot save",
        occupied_autosave)
    project("hot.colorize", {"images": {"photo": {"path": os.path.abspath("P/scans/a.png"),
                                                  "sha256": "", "size": [16, 12]}},
                             "settings": {"photos": ["photo"], "temperature": 10**400}})
    row("E1", "a 400-digit temperature in a project (was internal error)",
        "integers bounded before float()",
        cli("cnn", "--project", "hot.colorize", "-o", "hot.png", "--model", MODEL))
    row("E2", "a 1,000,000-character path (was echoed whole)",
        "every message through one_line(): control characters escaped, longest words cut "
        "in the middle, at most 300 characters",
        cli("cnn", "/" + "d" * 1_000_000 + ".png", "-o", "x.png", "--model", MODEL))
    row("E3", "a file name holding a newline and a terminal escape (was cut at the newline)",
        "the same", cli("cnn", "evil\nname\x1b[31m.png", "-o", "x.png", "--model", MODEL))
    row("E4", "an unknown scheduler scheme (was internal error)",
        "every failure to connect is one line", cli("batch", "cnn", "P/scans/scans", "-o",
                                                    "E4", "--scheduler", "foo://x:1",
                                                    "--model", MODEL))
    lying = bytearray(Path(zeros_png("small.png", 16, 12)).read_bytes())
    lying[16:24] = (15000).to_bytes(4, "big") * 2
    lying[29:33] = zlib.crc32(bytes(lying[12:29])).to_bytes(4, "big")
    project("lying.colorize", {"images": {"photo": {
        "path": "/gone/p.png", "sha256": "", "size": [16, 12],
        "embedded": "images/photo.png"}}}, {"images/photo.png": bytes(lying)})
    row("E5", "an embedded image whose header claims 15000 x 15000 (was named by its cache "
        "path)", "header against data checked on the embedded bytes, named by the project",
        cli("cnn", "--project", "lying.colorize", "-o", "l.png", "--model", MODEL))
    Path("cache_file").write_text("a file")

    def cache_is_a_file() -> None:
        saved = os.environ.get("COLORIZE_CACHE_DIR")
        os.environ["COLORIZE_CACHE_DIR"] = os.path.abspath("cache_file")
        lying_free = project("fine.colorize", {"images": {"photo": {
            "path": "/gone/p.png", "sha256": "", "size": [16, 12],
            "embedded": "images/photo.png"}}}, {"images/photo.png": Path("small.png")
                                                .read_bytes()})
        try:
            cli("cnn", "--project", lying_free, "-o", "c.png", "--model", MODEL)()
        finally:
            if saved is None:
                os.environ.pop("COLORIZE_CACHE_DIR", None)
            else:
                os.environ["COLORIZE_CACHE_DIR"] = saved

    row("E6", "`COLORIZE_CACHE_DIR` naming a file (was blamed on the output)",
        "the cache folder named, with the variable", cache_is_a_file)

    def refine_quiet() -> None:
        ffmpeg("-f", "lavfi", "-i", "color=c=orange:s=32x24:r=10:d=0.3", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", "file:c.mp4")
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("TF_")}
        result = subprocess.run([sys.executable, "-m", "colorize_app.cli", "refine", "a.mp4",
                                 "c.mp4", "-o", "r.mp4"], capture_output=True, text=True,
                                env=environment, timeout=300)
        lines = [line for line in result.stderr.splitlines()
                 if "absl" in line or "oneDNN" in line or "cpu_feature" in line]
        raise ColorizeError(f"exit {result.returncode}; TensorFlow start-up lines: "
                            f"{len(lines)}")

    row("E7", "`colorize refine` (printed TensorFlow's start-up lines)",
        "TensorFlow imported the quiet way first, as `colorize video` does", refine_quiet)
    os.chdir("..")
