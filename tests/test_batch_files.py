"""Batch jobs without a cluster: finding inputs, output names, the manifest."""

from __future__ import annotations

import json
import os

import pytest

from algorithms.errors import BadInputError
from colorize_app.batch import runner
from colorize_app.io.batch_files import MANIFEST_NAME, Manifest, find_inputs, fingerprint

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


def test_settings_key_depends_on_every_setting():
    base = {"kind": "cnn", "temperature": 0.38, "input_size": 256}
    assert runner.settings_key(base) == runner.settings_key(dict(reversed(base.items())))
    assert runner.settings_key(base) != runner.settings_key(dict(base, temperature=0.3))
