"""Print the table of hand-made bad inputs and the message each gives (docs/robustness.md).

Run ``python fuzz/bad_inputs.py``; it works in a temporary folder, so the messages show
short file names. Each row is (format, what is wrong, the one-line message); a row whose
input is accepted, or refused with anything but the project's own error, says so loudly.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import struct
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

ROWS: list[tuple[str, str, str]] = []


def row(kind: str, what: str, call) -> None:
    try:
        call()
    except ColorizeError as error:
        ROWS.append((kind, what, str(error)))
    except Exception as error:  # noqa: BLE001 - reported as a failure in the table
        ROWS.append((kind, what, f"**NOT HANDLED: {type(error).__name__}: {error}**"))
    else:
        ROWS.append((kind, what, "(accepted)"))


def cli(*arguments: str):
    from colorize_app import cli as command_line

    def call() -> None:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = command_line.main(list(arguments))
        lines = [line for line in stderr.getvalue().splitlines() if line.strip()]
        raise ColorizeError(f"exit {code}: " + " / ".join(lines))

    return call


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def write(name: str, data: bytes) -> str:
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_bytes(data)
    return name


def zip_of(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def main() -> int:
    from colorize_app.io import media
    from colorize_app.io.model_files import load_bins, load_model
    from colorize_app.io.project import load_project

    os.chdir(tempfile.mkdtemp(prefix="colorize-bad-"))
    gray = targets._gray_photo()
    png = targets._png(gray)
    write("photo.png", png)
    write("colour.png", targets._png(targets._colour_photo()))

    # Images (every command reads them through media.read_image)
    row("image", "empty file", lambda: media.read_image(write("empty.png", b"")))
    row("image", "text named .png", lambda: media.read_image(write("text.png", b"hello")))
    row("image", "PNG cut in half", lambda: media.read_image(write("half.png",
                                                                   png[:len(png) // 2])))
    jpeg = targets._encoded(".jpg", targets._colour_photo())
    row("image", "JPEG cut in half", lambda: media.read_image(write("half.jpg",
                                                                    jpeg[:len(jpeg) // 2])))
    row("image", "PNG header claiming 20000 x 20000 (bomb)",
        lambda: media.read_image(write("bomb.png", png_header(20000, 20000))))
    sixteen = bytearray(targets._png(targets._colour_photo(), 16))
    at = sixteen.index(b"IDAT") - 4
    sixteen[at:at + 4] = (4_110_418_449).to_bytes(4, "big")
    row("image", "16-bit PNG whose data chunk claims 4 GB (OpenCV allocated it)",
        lambda: media.read_image(write("lying.png", bytes(sixteen))))
    row("image", "a folder", lambda: media.read_image("."))
    row("image", "missing file", lambda: media.read_image("nothing.png"))

    # Marked images and masks (colorize levin)
    write("small.png", targets._png(gray[:6, :8]))
    row("marked image", "another size than the photo",
        cli("levin", "photo.png", "small.png", "-o", "out.png"))
    row("marked image", "no stroke (identical to the photo)",
        cli("levin", "photo.png", "photo.png", "-o", "out.png"))
    row("mask", "another size than the photo",
        cli("levin", "photo.png", "colour.png", "--mask", "small.png", "-o", "out.png"))
    row("mask", "PNG cut in half", cli("levin", "photo.png", "colour.png", "--mask",
                                       "half.png", "-o", "out.png"))

    # Region JSON (colorize transfer --regions)
    region_cases = [
        ("not JSON", b"pairs: 1"),
        ("not UTF-8", b"\xff\xfe{}"),
        ("empty pair list", b'{"pairs": []}'),
        ("missing 'target'", b'{"pairs": [{"reference": [0, 0, 2, 2]}]}'),
        ("negative x", b'{"pairs": [{"reference": [-1, 0, 2, 2], "target": [0, 0, 2, 2]}]}'),
        ("400-digit number", b'{"pairs": [{"reference": [1' + b"0" * 400
         + b', 0, 2, 2], "target": [0, 0, 2, 2]}]}'),
        ("50,000 nested brackets", b"[" * 50_000),
        ("rectangle outside the photo",
         b'{"pairs": [{"reference": [0, 0, 2, 2], "target": [10, 10, 50, 50]}]}'),
    ]
    for what, data in region_cases:
        write("regions.json", data)
        row("region JSON", what, cli("transfer", "photo.png", "colour.png", "--regions",
                                     "regions.json", "-o", "out.png"))

    # Project files
    seed = targets._project_seed()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(seed)).read("manifest.json"))

    def project_with(change) -> bytes:
        data = json.loads(json.dumps(manifest))
        change(data)
        with zipfile.ZipFile(io.BytesIO(seed)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members["manifest.json"] = json.dumps(data).encode()
        return zip_of(members)

    project_cases = [
        ("empty file", b""),
        ("cut in half", seed[:len(seed) // 2]),
        ("a zip without manifest.json", zip_of({"a.txt": b"x"})),
        ("format version 9 (newer)",
         project_with(lambda m: m.update(format_version=9))),
        ("stroke of an unknown kind",
         project_with(lambda m: m["strokes"][0].update(kind="spray"))),
        ("stroke width 1e9", project_with(lambda m: m["strokes"][0].update(width=1e9))),
        ("layer listed but missing",
         project_with(lambda m: m["layers"]["result"].update(file="layers/gone.png"))),
        ("layer PNG claiming 20000 x 20000", zip_of({
            "manifest.json": json.dumps(dict(manifest, images={}, layers={
                "result": {"kind": "image", "file": "layers/result.png"}})).encode(),
            "layers/result.png": png_header(20000, 20000)})),
    ]
    for what, data in project_cases:
        row("project file", what, lambda d=data: load_project(write("work.colorize", d)))
    moved = project_with(lambda m: m["images"]["photo"].update(embedded=None))
    write("moved.colorize", moved)
    row("project file", "photo moved, not embedded (colorize levin --project)",
        cli("levin", "--project", "moved.colorize", "-o", "out.png"))
    row("project file", "a scribble project given to colorize transfer",
        cli("transfer", "--project", "moved.colorize", "-o", "out.png"))

    # Model files (colorize cnn --model, the CNN window)
    model = targets._model_seed()
    row("model .npz", "cut in half", lambda: load_model(write("m.npz", model[:len(model) // 2])))
    row("model .npz", "a zip of other arrays",
        lambda: load_model(write("other.npz", zip_of({"x.npy": targets._npy(np.zeros(3))}))))
    pth = (targets.FIXTURES / "eccv16_tiny.pth").read_bytes()
    row("model .pth", "cut in half", lambda: load_model(write("m.pth", pth[:len(pth) // 2])))
    evil = pickle.dumps(os.system)  # a pickle that would call os.system
    row("model .pth", "pickle calling os.system",
        lambda: load_model(write("evil.pth", zip_of({"archive/data.pkl": evil}))))
    memo = (pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.LONG_BINPUT
            + struct.pack("<I", 700_000_000) + pickle.STOP)
    row("model .pth", "memo index 700,000,000 (11 GB before the fix)",
        lambda: load_model(write("memo.pth", zip_of({"archive/data.pkl": memo}))))
    row("model .pth", "random bytes", lambda: load_model(write("r.pth", os.urandom(64))))
    row("bins .npy", "shape (313, 3)", lambda: load_bins(write("b.npy",
                                                              targets._npy(np.zeros((313, 3))))))
    row("bins .npy", "values of 1e300 (infinite as float32)",
        lambda: load_bins(write("b.npy", targets._npy(np.full((313, 2), 1e300)))))
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': ((313, 2), }"
    header += b" " * (107 - len(header)) + b"\n"
    row("bins .npy", "header with an unclosed parenthesis (TokenError before the fix)",
        lambda: load_bins(write("b.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                                + header + bytes(100))))
    pickled = io.BytesIO()
    np.save(pickled, np.array([{}, os.system], dtype=object), allow_pickle=True)
    row("bins .npy", "a pickled object array",
        lambda: load_bins(write("b.npy", pickled.getvalue())))
    try:
        files = targets._checkpoint_files()
        folder = files["folder"]
        row("TF checkpoint", "index cut in half", lambda: targets.tf_checkpoint_index(
            files["index"][:len(files["index"]) // 2]))
        row("TF checkpoint", "data cut in half", lambda: targets.tf_checkpoint_data(
            files["data"][:len(files["data"]) // 2]))
        os.remove(os.path.join(folder, "pts_in_hull.npy"))
        row("TF checkpoint", "no pts_in_hull.npy beside it",
            lambda: load_model(os.path.join(folder, "model.ckpt")))
    except ImportError:
        ROWS.append(("TF checkpoint", "(TensorFlow not installed)", ""))

    # Batch: a corrupt photo among good ones
    Path("batch").mkdir()
    write("batch/a.png", png)
    write("batch/b.png", png[:40])
    write("model.npz", model)
    row("batch (colorize cnn)", "folder with one photo cut short",
        cli("cnn", "batch", "-o", "batch_out", "--model", "model.npz", "--size", "16"))

    # Video and frame folders
    from colorize_app.io.video_in import open_frames

    video = targets._video_seed()
    row("video", "text named .mp4", lambda: open_frames(write("v.mp4", b"not a video")))
    row("video", "empty .mp4", lambda: open_frames(write("e.mp4", b"")))
    row("video", "cut at 200 bytes", lambda: open_frames(write("c.mp4", video[:200])))
    Path("frames").mkdir()
    write("frames/f1.png", png)
    write("frames/f2.png", targets._png(gray[:6, :8]))
    row("frame folder", "frames of different sizes", lambda: open_frames("frames"))
    write("frames/f2.png", png[:50])
    row("frame folder", "a frame cut short", lambda: [f for f in open_frames("frames")])

    print("| format | bad input | message |\n|---|---|---|")
    for kind, what, message in ROWS:
        print(f"| {kind} | {what} | {message.replace('|', '/')} |")
    return 1 if any("NOT HANDLED" in message or message == "(accepted)"
                    for _, _, message in ROWS) else 0


if __name__ == "__main__":
    sys.exit(main())
