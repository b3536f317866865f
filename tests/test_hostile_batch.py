"""Hostile inputs around `colorize batch` (issue 27): no input overwritten, nothing written or
removed through a planted link, no endless glob, a manifest read within bounds.

Every refused case stops before a cluster starts (the checks run first), so these tests
need no Dask workers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError
from colorize_app import cli
from colorize_app.io import media
from colorize_app.io.batch_files import MANIFEST_NAME, Manifest, find_inputs
from colorize_app.io.batch_paths import check_outputs, remove_frame_folder
from tests.test_hostile_files import no_hang

FIXTURES = Path(__file__).parent / "fixtures"
MODEL = str(FIXTURES / "eccv16_tiny.pth")


def photo(path: Path, level: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    media.write_image(path, np.full((12, 16), level, np.float32))
    return path


def snapshot(folder: Path) -> dict:
    """Every path under ``folder`` (links not followed) with its bytes or link target."""
    found: dict[str, str | bytes] = {}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(root, name)
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = path.read_bytes()
    return found


def refused(capsys, *arguments: str) -> str:
    assert cli.main(list(arguments)) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert len(lines[0]) <= 330
    return lines[0]


def test_an_input_in_a_subfolder_is_not_overwritten_by_another_inputs_result(tmp_path, capsys):
    # P/scans/a.png -> P/a.png, but P/scans/scans/a.png -> P/scans/a.png: an input.
    photo(tmp_path / "scans" / "a.png", 0.2)
    photo(tmp_path / "scans" / "scans" / "a.png", 0.7)
    before = snapshot(tmp_path)
    line = refused(capsys, "batch", "cnn", str(tmp_path / "scans"), "-o", str(tmp_path),
                   "--model", MODEL)
    assert line.startswith(f"colorize: error: refusing to overwrite the input "
                           f"{tmp_path / 'scans' / 'a.png'}")
    assert snapshot(tmp_path) == before


def test_two_input_folders_one_inside_the_output(tmp_path, capsys):
    photo(tmp_path / "old" / "x" / "a.png", 0.2)
    photo(tmp_path / "out" / "x" / "a.png", 0.7)  # an input inside OUT_DIR
    before = snapshot(tmp_path)
    # old/x/a.png -> out/x/a.png, the second input folder's photo.
    line = refused(capsys, "batch", "cnn", str(tmp_path / "old"), str(tmp_path / "out" / "x"),
                   "-o", str(tmp_path / "out"), "--model", MODEL)
    assert "refusing to overwrite the input" in line
    assert snapshot(tmp_path) == before


def test_a_planted_parts_link_is_refused_and_nothing_outside_is_removed(tmp_path, capsys):
    keep = tmp_path / "keep" / "a.mp4"
    keep.mkdir(parents=True)
    (keep / "notes.txt").write_text("precious")
    (tmp_path / "films").mkdir()
    (tmp_path / "films" / "a.mp4").write_bytes(b"not decoded: refused before")
    (tmp_path / "out").mkdir()
    os.symlink("../keep", tmp_path / "out" / ".colorize-parts")
    before = snapshot(tmp_path)
    line = refused(capsys, "batch", "video", str(tmp_path / "films"), "-o",
                   str(tmp_path / "out"), "--model", MODEL)
    assert line == (f"colorize: error: {tmp_path / 'out' / '.colorize-parts'} is a symbolic "
                    "link: refusing to write through it (outputs stay inside OUT_DIR)")
    assert snapshot(tmp_path) == before


def test_a_planted_manifest_link_is_refused(tmp_path, capsys):
    photo(tmp_path / "in" / "a.png")
    (tmp_path / "other.txt").write_text("precious\n")
    (tmp_path / "out").mkdir()
    os.symlink("../other.txt", tmp_path / "out" / MANIFEST_NAME)
    before = snapshot(tmp_path)
    line = refused(capsys, "batch", "cnn", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                   "--model", MODEL)
    assert "colorize-batch.jsonl is a symbolic link: refusing to write through it" in line
    assert snapshot(tmp_path) == before
    # The manifest itself refuses a link too (checked again when it is opened).
    with pytest.raises(BadInputError, match="is a symbolic link: refusing to write the job"):
        Manifest(str(tmp_path / "out"))
    os.remove(tmp_path / "out" / MANIFEST_NAME)
    os.symlink("/dev/zero", tmp_path / "out" / MANIFEST_NAME)
    with pytest.raises(BadInputError, match="is a symbolic link"):
        Manifest(str(tmp_path / "out"))
    os.remove(tmp_path / "out" / MANIFEST_NAME)
    os.link(tmp_path / "other.txt", tmp_path / "out" / MANIFEST_NAME)
    with pytest.raises(BadInputError, match="is a hard link to another file: refusing"):
        Manifest(str(tmp_path / "out"))
    assert (tmp_path / "other.txt").read_text() == "precious\n"
    os.remove(tmp_path / "out" / MANIFEST_NAME)
    os.mkfifo(tmp_path / "out" / MANIFEST_NAME)
    with pytest.raises(BadInputError, match="is not a regular file: refusing"):
        Manifest(str(tmp_path / "out"))


def test_a_sub_folder_linked_out_of_the_output_is_refused(tmp_path, capsys):
    photo(tmp_path / "in" / "sub" / "a.png")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out").mkdir()
    os.symlink("../elsewhere", tmp_path / "out" / "sub")
    before = snapshot(tmp_path)
    line = refused(capsys, "batch", "cnn", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                   "--model", MODEL)
    assert line.startswith(f"colorize: error: {tmp_path / 'out' / 'sub'} is a symbolic link")
    assert snapshot(tmp_path) == before


def test_outputs_are_checked_for_hard_links_files_in_the_way_and_escapes(tmp_path):
    source = photo(tmp_path / "in" / "a.png")
    (tmp_path / "out").mkdir()
    os.link(source, tmp_path / "out" / "b.png")
    with pytest.raises(BadInputError, match=r"refusing to overwrite the input .*a\.png"):
        check_outputs(str(tmp_path / "out"), ["b.png"], [str(source)])
    (tmp_path / "out" / "f").write_text("a file")
    with pytest.raises(BadInputError, match="is a file where the job needs a folder"):
        check_outputs(str(tmp_path / "out"), ["f/c.png"], [str(source)])
    with pytest.raises(BadInputError, match="not a path inside OUT_DIR"):
        check_outputs(str(tmp_path / "out"), ["../c.png"], [str(source)])
    check_outputs(str(tmp_path / "out"), ["new/deeper/c.png", MANIFEST_NAME], [str(source)])


def test_a_pattern_run_twice_does_not_take_its_own_results(tmp_path):
    photo(tmp_path / "in" / "a.png")
    photo(tmp_path / "in" / "deep" / "b.png")
    photo(tmp_path / "in" / "out" / "a.png")  # the first run's results
    photo(tmp_path / "in" / "out" / "deep" / "b.png")
    found = find_inputs([str(tmp_path / "in" / "**" / "*.png")], (".png",),
                        str(tmp_path / "in" / "out"))
    assert [entry.relative for entry in found] == ["a.png", "deep/b.png"]
    with pytest.raises(BadInputError, match="^OUT_DIR is the folder of the pattern"):
        find_inputs([str(tmp_path / "in" / "*.png")], (".png",), str(tmp_path / "in"))


def test_a_glob_over_link_loops_ends(tmp_path):
    photo(tmp_path / "tree" / "a.png")
    photo(tmp_path / "tree" / "sub" / "b.png")
    os.symlink(".", tmp_path / "tree" / "l1")  # two links to "." made glob walk 2^40 paths
    os.symlink(".", tmp_path / "tree" / "l2")
    os.symlink("..", tmp_path / "tree" / "sub" / "up")

    with no_hang(20):
        started = time.perf_counter()
        found = find_inputs([str(tmp_path / "tree" / "**" / "*.png")], (".png",))
        seconds = time.perf_counter() - started
    assert [entry.relative for entry in found] == ["a.png", "sub/b.png"]
    assert seconds < 5


def test_the_manifest_skips_binary_nested_tampered_and_overlong_lines(tmp_path):
    good = {"output": "a.png", "status": "done", "settings": "k", "fingerprint": [1, 2]}
    lines = [json.dumps(good).encode(),
             b"\xff\xfe\x00binary",
             b"[" * 100_000 + b"]" * 100_000,  # nested too deeply for json
             json.dumps({"output": "b.png", "fingerprint": "tampered"}).encode(),
             json.dumps({"output": "c.png", "shots": [[0, "x"]]}).encode(),
             json.dumps({"output": "d.png", "error": "e" * 2_000_000}).encode(),  # over 1 MiB
             json.dumps({"output": "other.png", "status": "done"}).encode()]
    (tmp_path / MANIFEST_NAME).write_bytes(b"\n".join(lines) + b"\n")
    with Manifest(str(tmp_path), keep=lambda output: output != "other.png") as manifest:
        assert list(manifest.records) == ["a.png"]
        assert manifest.torn_lines == 5
        manifest.append({"output": "e.png", "status": "done"})
    text = (tmp_path / MANIFEST_NAME).read_bytes()
    assert text.endswith(b'"status": "done", "time": "' + text.rsplit(b'"time": "', 1)[1])
    with Manifest(str(tmp_path)) as manifest:
        assert sorted(manifest.records) == ["a.png", "e.png", "other.png"]


def test_clean_up_removes_only_frames(tmp_path):
    shot = tmp_path / "shot-0000"
    shot.mkdir()
    for name in ("00000.png", "00001.png"):
        (shot / name).write_bytes(b"frame")
    (shot / "notes.txt").write_text("the user's")
    remove_frame_folder(str(shot))
    assert sorted(os.listdir(shot)) == ["notes.txt"]
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "00000.png").write_bytes(b"not ours")
    os.symlink("keep", tmp_path / "shot-0001")
    remove_frame_folder(str(tmp_path / "shot-0001"))
    assert (tmp_path / "keep" / "00000.png").exists()


@pytest.fixture
def fake_scheduler():
    """A TCP server that accepts connections and then never answers, or answers nonsense."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, reply = [], []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)
            if reply:
                connection.sendall(reply[0])
                connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}", reply
    server.close()
    for connection in held:
        connection.close()


def test_a_scheduler_that_never_answers_is_given_up_in_bounded_time(fake_scheduler,
                                                                    monkeypatch):
    from colorize_app.batch import runner

    address, _ = fake_scheduler
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 2)
    started = time.perf_counter()
    with pytest.raises(BadInputError, match=f"^the Dask scheduler at {address} did not answer "
                                            "within 22 s"):
        with runner.connect(None, address):
            pass
    assert time.perf_counter() - started < 30


def test_bogus_scheduler_replies_and_schemes_are_one_line(fake_scheduler, monkeypatch):
    from colorize_app.batch import runner

    address, reply = fake_scheduler
    reply.append(b"HTTP/1.1 200 OK\r\n\r\n")
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(BadInputError, match=f"^cannot reach the Dask scheduler at {address}: "):
        with runner.connect(None, address):
            pass
    with pytest.raises(BadInputError, match="^cannot reach the Dask scheduler at foo://x:1: "
                                            "unknown address scheme 'foo'"):
        with runner.connect(None, "foo://x:1"):
            pass


def test_a_dashboard_link_is_given_only_where_a_page_answers(tmp_path):
    """Issue 28 item 7: a scheduler started with --no-dashboard still names a dashboard
    port, but its page is not found there: no link is printed for it."""
    import http.server
    import threading

    from colorize_app.batch import runner

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/status" else 404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert runner.serves_dashboard(f"{base}/status")
        assert not runner.serves_dashboard(f"{base}/missing")  # --no-dashboard's 404
    finally:
        server.shutdown()
        server.server_close()
    assert not runner.serves_dashboard(f"{base}/status", timeout=2)  # nobody listens
    assert not runner.serves_dashboard("not a link")


def test_workers_are_capped_by_memory_and_cores(monkeypatch, capsys):
    from colorize_app.batch import runner
    from colorize_app.runtime import system

    monkeypatch.setattr(system, "available_memory", lambda: 4 * 10**9)
    monkeypatch.setattr(runner, "usable_cores", lambda: 16)
    notes: list[str] = []
    assert runner.capped_workers(200, notes.append) == 2  # 4 GB hold two 1.5 GB workers
    assert notes == ["--workers 200 lowered to 2: 3.7 GB of memory and 16 cores hold 2 "
                     "(each worker needs about 1.5 GB)"]
    assert capsys.readouterr().err == ""  # the job layer reports; the command prints
    monkeypatch.setattr(system, "available_memory", lambda: 400 * 10**9)
    assert runner.capped_workers(200) == 16
    assert runner.capped_workers(3) == 3
    assert runner.capped_workers(None) == 16


def test_a_tree_thousands_of_folders_deep_is_walked_without_recursion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("tree")
    os.chdir("tree")
    for _ in range(1500):  # the path passes Python's recursion limit, not PATH_MAX
        os.mkdir("a")
        os.chdir("a")
    photo(Path("x.png"))
    os.chdir(tmp_path)
    started = time.perf_counter()
    try:
        for name in ("tree", "tree/**/*.png"):  # os.walk and glob raised RecursionError
            found = find_inputs([name], (".png",))
            assert [entry.relative.count("a/") for entry in found] == [1500]
        assert time.perf_counter() - started < 20
    finally:
        remove_deep_chain(tmp_path / "tree", depth=1500)


def remove_deep_chain(top: Path, depth: int) -> None:
    """Remove ``top``/a/a/.../a (``depth`` levels) from the bottom up without recursion:
    pytest's own clean-up of its temporary folders (shutil.rmtree) recurses and would
    raise RecursionError at the end of the run."""
    os.chdir(top)
    for _ in range(depth):
        os.chdir("a")
    for name in os.listdir("."):
        os.remove(name)
    for _ in range(depth):
        os.chdir("..")
        os.rmdir("a")
    os.chdir(top.parent)
    os.rmdir(top)


def test_keyframes_that_are_not_a_folder_are_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "films").mkdir()
    (tmp_path / "films" / "a.mp4").write_bytes(b"not decoded: refused before")
    (tmp_path / "keys.png").write_bytes(b"a file, not a folder")
    line = refused(capsys, "batch", "video", str(tmp_path / "films"), "-o",
                   str(tmp_path / "out"), "--model", MODEL, "--keyframes",
                   str(tmp_path / "keys.png"))
    assert line == f"colorize: error: --keyframes: {tmp_path / 'keys.png'} is not a folder"
    assert not (tmp_path / "out").exists()
