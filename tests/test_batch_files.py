"""Batch jobs without a cluster: finding inputs, output names, the manifest."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from algorithms.errors import BadInputError
from colorize_app.batch import runner
from colorize_app.io.batch_files import MANIFEST_NAME, Manifest, find_inputs
from colorize_app.io.fingerprints import fingerprint

PHOTOS = (".png", ".jpg")


def touch(path, data=b"x") -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(data)
    return str(path)


def test_folders_are_walked_recursively_and_keep_their_layout(tmp_path):
    for name in ("scans/a.png", "scans/1950/b.jpg", "scans/1950/x/c.PNG", "scans/notes.txt",
                 "scans/.hidden.png", "scans/.git/d.png", "single/e.jpg"):
        touch(tmp_path / name)
    found = find_inputs([str(tmp_path / "scans"), str(tmp_path / "single" / "e.jpg")], PHOTOS)
    assert [entry.relative for entry in found] == ["a.png", "1950/b.jpg", "1950/x/c.PNG",
                                                   "e.jpg"]
    assert found[1].path == str(tmp_path / "scans" / "1950" / "b.jpg")


def test_glob_patterns_keep_the_path_below_their_fixed_part(tmp_path):
    for name in ("arch/box1/a.png", "arch/box2/deep/b.png", "arch/box2/c.jpg"):
        touch(tmp_path / name)
    found = find_inputs([str(tmp_path / "arch" / "**" / "*.png")], PHOTOS)
    assert [entry.relative for entry in found] == ["box1/a.png", "box2/deep/b.png"]
    with pytest.raises(BadInputError, match="^nothing matches .*nothing"):
        find_inputs([str(tmp_path / "nothing*" / "*.png")], PHOTOS)


def test_the_output_folder_inside_an_input_is_not_an_input(tmp_path):
    touch(tmp_path / "scans" / "a.png")
    touch(tmp_path / "scans" / "coloured" / "a.png")  # a previous run's result
    found = find_inputs([str(tmp_path / "scans")], PHOTOS, str(tmp_path / "scans" / "coloured"))
    assert [entry.relative for entry in found] == ["a.png"]


def test_the_input_folder_itself_is_refused_as_the_output_folder(tmp_path):
    touch(tmp_path / "scans" / "a.png")
    with pytest.raises(BadInputError, match="^OUT_DIR is the input folder .*scans: give"):
        find_inputs([str(tmp_path / "scans")], PHOTOS, str(tmp_path / "scans"))


def test_missing_inputs_and_empty_folders_are_one_line_errors(tmp_path):
    with pytest.raises(BadInputError, match="^no such file or folder: "):
        find_inputs([str(tmp_path / "missing.png")], PHOTOS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="^no png/jpg... files in folder "):
        find_inputs([str(tmp_path / "empty")], PHOTOS)


def test_the_same_file_through_two_inputs_is_done_once(tmp_path):
    path = touch(tmp_path / "scans" / "a.png")
    found = find_inputs([str(tmp_path / "scans"), path], PHOTOS)
    assert len(found) == 1


def test_two_inputs_writing_one_output_are_refused_before_any_work(tmp_path):
    touch(tmp_path / "scans" / "a.jpg")
    touch(tmp_path / "scans" / "a.png")
    found = find_inputs([str(tmp_path / "scans")], PHOTOS)
    with pytest.raises(BadInputError) as error:
        runner.plan_items(found, ".png")
    assert str(error.value) == (f"{tmp_path / 'scans' / 'a.png'} and "
                                f"{tmp_path / 'scans' / 'a.jpg'} would both be written to a.png")
    items = runner.plan_items(found[:1], ".png")
    assert items[0].output == "a.png" and items[0].fingerprint == fingerprint(found[0].path)


def test_a_torn_last_line_is_ignored_and_not_glued_to_the_next(tmp_path):
    done = {"output": "a.png", "status": "done", "settings": "k", "fingerprint": [1, 2]}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(done) + "\n" + '{"output": "b.png", "sta')
    touch(tmp_path / "a.png")
    with Manifest(str(tmp_path)) as manifest:
        assert manifest.torn_lines == 1
        assert manifest.is_done("a.png", "k", [1, 2])
        assert not manifest.is_done("b.png", "k", [1, 2])
        manifest.append({"output": "b.png", "status": "failed", "error": "bad"})
    with Manifest(str(tmp_path)) as manifest:
        assert manifest.torn_lines == 1
        assert manifest.records["b.png"]["error"] == "bad"


def test_done_means_same_settings_same_input_and_the_output_still_there(tmp_path):
    with Manifest(str(tmp_path)) as manifest:
        manifest.append({"output": "a.png", "status": "done", "settings": "k",
                         "fingerprint": [1, 2]})
        manifest.append({"output": "b.png", "status": "failed", "settings": "k",
                         "fingerprint": [1, 2]})
        touch(tmp_path / "b.png")
        assert not manifest.is_done("a.png", "k", [1, 2])  # the output was deleted
        touch(tmp_path / "a.png")
        assert manifest.is_done("a.png", "k", [1, 2])
        assert not manifest.is_done("a.png", "other settings", [1, 2])
        assert not manifest.is_done("a.png", "k", [1, 3])  # the scan changed
        assert not manifest.is_done("b.png", "k", [1, 2])  # failed: retried


def test_two_jobs_cannot_write_into_one_folder_at_once(tmp_path):
    with Manifest(str(tmp_path)):
        with pytest.raises(BadInputError, match="^another batch job is writing into this"):
            Manifest(str(tmp_path))
    Manifest(str(tmp_path)).close()  # free again once the first is closed


def test_settings_key_depends_on_every_setting_that_decides_the_pixels():
    from colorize_app.batch.job_settings import BatchSettings
    from colorize_app.io.fingerprints import settings_digest
    from deep_video_prior.settings import BALANCED

    base = BatchSettings("cnn", "eccv16", "ab12", temperature=0.38, format="png")
    assert base.identity() == {"kind": "cnn", "model_sha256": "ab12", "temperature": 0.38,
                               "input_size": 256, "refine": None, "format": "png"}
    assert base.key() == settings_digest(base.identity(), 16)
    # Where the model lies, where the results go and how many threads: not the pixels.
    assert base.key() == dataclasses.replace(base, model="/models/e.npz", out_dir="/o",
                                             threads=3).key()
    changed = [dataclasses.replace(base, **change) for change in (
        {"temperature": 0.3}, {"temperature": None}, {"input_size": None},
        {"model_sha256": "cd34"}, {"format": "jpg"}, {"kind": "video"},
        {"refine": BALANCED})]
    assert len({base.key()} | {settings.key() for settings in changed}) == 8
    video = dataclasses.replace(base, refine=BALANCED)
    assert video.key() == dataclasses.replace(
        base, refine=dataclasses.replace(BALANCED, threads=2)).key()


def test_one_fingerprint_of_files_and_folders(tmp_path):
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"12345")
    os.utime(scan, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_123))
    assert fingerprint(scan) == [5, 1_600_000_000_000_000_123]
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "b.png").write_bytes(b"xy")
    (tmp_path / "frames" / "a.png").write_bytes(b"x")
    (tmp_path / "frames" / "sub").mkdir()  # only files count
    for name in ("a.png", "b.png"):
        os.utime(tmp_path / "frames" / name, ns=(0, 42))
    assert fingerprint(tmp_path / "frames") == [["a.png", 1, 42], ["b.png", 2, 42]]
    assert fingerprint(tmp_path / "missing.png") == []


def test_one_settings_digest_with_known_answers():
    import hashlib

    import numpy as np

    from colorize_app.io.fingerprints import settings_digest

    expected = hashlib.sha256(b'{"a": [1, 2], "b": null}').hexdigest()
    assert settings_digest({"b": None, "a": (1, 2)}) == expected[:16]
    assert settings_digest({"a": [1, 2], "b": None}, 40) == expected[:40]
    levels = np.arange(6, dtype=np.uint16).reshape(2, 3)
    array_sha = hashlib.sha256(levels.tobytes()).hexdigest()
    assert settings_digest(levels) == hashlib.sha256(
        f'{{"dtype": "uint16", "sha256": "{array_sha}", "shape": [2, 3]}}'.encode()
    ).hexdigest()[:16]

    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        y: float

    assert settings_digest(Point(1, 0.5)) == hashlib.sha256(
        b'{"type": "Point", "x": 1, "y": 0.5}').hexdigest()[:16]
