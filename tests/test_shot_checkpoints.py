"""Finished shots kept on disk for `colorize video`/`refine` and the video window."""

from __future__ import annotations

import numpy as np

from colorize_app.io.shot_checkpoints import ShotCheckpoints, shot_checkpoints


def test_a_saved_shot_is_read_back_with_its_key_only(tmp_path):
    store = ShotCheckpoints(tmp_path / "job")
    assert store.load("shot0000_000000-000006", "abc") is None  # nothing yet, no folder made
    assert not (tmp_path / "job").exists()
    chroma = np.arange(6 * 4 * 8 * 2, dtype=np.float32).reshape(6, 4, 8, 2)
    store.save("shot0000_000000-000006", "abc", chroma, 1.25)
    saved = store.load("shot0000_000000-000006", "abc")
    assert saved is not None
    np.testing.assert_array_equal(saved[0], chroma)
    assert saved[1] == 1.25
    assert store.load("shot0000_000000-000006", "other settings") is None
    # Only the finished file is there: the atomic writer left no temporary behind.
    assert [path.name for path in (tmp_path / "job").iterdir()] == [
        "shot0000_000000-000006.npz"]


def test_an_unreadable_checkpoint_counts_as_absent(tmp_path):
    (tmp_path / "shot0000_000000-000006.npz").write_bytes(b"cut short")
    (tmp_path / "shot0001_000006-000012.npz").mkdir()
    store = ShotCheckpoints(tmp_path)
    assert store.load("shot0000_000000-000006", "abc") is None
    assert store.load("shot0001_000006-000012", "abc") is None


def test_no_folder_means_no_checkpoints(tmp_path):
    assert shot_checkpoints(None) is None
    assert shot_checkpoints(tmp_path).folder == tmp_path
