"""`colorize video --keyframes`: end to end on a tiny clip, a project's keyframes, and bad
keyframes refused in one line (exit 1, nothing written)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from colorize_app import cli
from colorize_app.io import media, video_out
from colorize_app.io import model_registry as registry
from colorize_app.io.project import save_project
from colorize_app.runtime import paths
from colorize_app.sessions.cnn import ModelChoice
from colorize_app.sessions.video import VideoSession
from deep_video_prior.temporal import join_chroma, rgb_to_ab

FRAMES, HEIGHT, WIDTH = 8, 48, 64
#: The keyframe's colours: a green background and a red disc (CIELAB a/b).
BACKGROUND_AB, DISC_AB = (-25.0, 20.0), (35.0, 20.0)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["video"])
    monkeypatch.setenv(paths.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")


def disc(index: int) -> np.ndarray:
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    return (rows - HEIGHT / 2) ** 2 + (columns - 14 - 3 * index) ** 2 < 8**2


def gray(index: int) -> np.ndarray:
    """A bright disc moving right over a textured gradient, (H, W) in [0, 1]."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    y = 0.25 + 0.3 * columns / WIDTH + 0.05 * np.sin(rows / 3.0) * np.cos(columns / 4.0)
    y[disc(index)] = 0.8
    return y.astype(np.float32)


@pytest.fixture
def clip(tmp_path) -> Path:
    """The gray clip as a folder of PNG frames (lossless)."""
    folder = tmp_path / "clip"
    with video_out.FrameWriter(folder, fps=12) as writer:
        for index in range(FRAMES):
            writer.write(np.repeat(gray(index)[..., None], 3, axis=2))
    return folder


def keyframe_rgb(index: int) -> np.ndarray:
    ab = np.empty((HEIGHT, WIDTH, 2), np.float32)
    ab[:] = BACKGROUND_AB
    ab[disc(index)] = DISC_AB
    return join_chroma(gray(index), ab)


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err
    assert error.startswith("colorize: error: ") and error.count("\n") == 1, error
    return error


def test_keyframes_colour_the_video_end_to_end(tmp_path, clip, model_file, capsys):
    folder = tmp_path / "keys"
    folder.mkdir()
    media.write_image(folder / "0000.png", keyframe_rgb(0))
    out = tmp_path / "out"
    assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_file),
                     "--preset", "fast", "--keyframes", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"colorized {FRAMES} frames from 1 keyframe ")
    frames = [media.read_image(out / f"{i:05d}.png").pixels for i in range(FRAMES)]
    # The disc's red as the keyframe gives it at the disc's lightness (in gamut).
    red = rgb_to_ab(keyframe_rgb(0))[disc(0)].mean(0)
    for index, frame in enumerate(frames):  # the keyframe's colours follow the disc
        ab = rgb_to_ab(frame)
        centre = disc(index) & (np.abs(np.mgrid[0:HEIGHT, 0:WIDTH][1] - 14 - 3 * index) < 4)
        assert np.linalg.norm(ab[centre].mean(0) - red) < 5, index
        assert np.linalg.norm(ab[:, 48:][~disc(index)[:, 48:]].mean(0) - BACKGROUND_AB) < 6
        # 8-bit frames both ways: the lightness is the input's to a level.
        assert np.abs(media.read_image(clip / f"{index:05d}.png").pixels[..., 0]
                      - (frame @ np.array([0.299, 0.587, 0.114]))).max() < 2.5 / 255


def test_strokes_keyframes_and_a_projects_keyframes(tmp_path, clip, model_file, capsys):
    folder = tmp_path / "keys"
    folder.mkdir()
    strokes = [{"kind": "paint", "colour": [0.1, 0.5, 0.9], "width": 5.0,
                "points": [[2.0, 4.0], [60.0, 4.0], [60.0, 44.0], [2.0, 44.0]]}]
    (folder / "3.json").write_text(json.dumps({"strokes": strokes}))
    out = tmp_path / "out"
    assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_file),
                     "--no-refine", "--keyframes", str(folder / "3.json")]) == 0
    assert "from 1 keyframe" in capsys.readouterr().out
    # Painted blue all round: the strokes alone (no reach) make the background blue.
    assert rgb_to_ab(media.read_image(out / "00003.png").pixels)[:10, :, 1].mean() < -15

    session = VideoSession()
    session.open(str(clip))
    session.set_model(ModelChoice(str(model_file), label="tiny"))
    session.set_keyframe(0, rgb=keyframe_rgb(0))
    save_project(tmp_path / "film.colorize", session.to_project())
    session.close()
    out = tmp_path / "from_project"
    assert cli.main(["video", "--project", str(tmp_path / "film.colorize"), "-o", str(out),
                     "--preset", "fast"]) == 0
    assert "from 1 keyframe" in capsys.readouterr().out
    ab = rgb_to_ab(media.read_image(out / "00004.png").pixels)
    assert np.linalg.norm(ab[:, 48:][~disc(4)[:, 48:]].mean(0) - BACKGROUND_AB) < 6


def write_bad(folder: Path, case: str) -> str:
    """Make keyframe folder ``folder`` hold one bad file; returns the expected message."""
    folder.mkdir()
    if case == "size":
        media.write_image(folder / "0003.png", keyframe_rgb(3)[:24, :32])
        return "keyframe 0003.png is 32x24 but the video is 64x48"
    if case == "range":
        media.write_image(folder / "0099.png", keyframe_rgb(0))
        return "keyframe 0099.png: frame 99 is out of range (the video has frames 0 to 7)"
    if case == "unreadable":
        (folder / "0001.png").write_bytes(b"not a png at all")
        return (f"cannot read keyframe 0001.png: {folder / '0001.png'} is not an image "
                "file that can be read")
    if case == "name":
        media.write_image(folder / "first.png", keyframe_rgb(0))
        return ("keyframe first.png: name a keyframe file by its frame number and type, "
                "e.g. 0045.png (colour) or 0045.json (strokes)")
    if case == "gray":
        media.write_image(folder / "0000.png", gray(0))
        return "keyframe 0000.png is gray: a keyframe gives the frame's colour"
    if case == "twice":
        media.write_image(folder / "0002.png", keyframe_rgb(2))
        media.write_image(folder / "2.png", keyframe_rgb(2))
        return "frame 2 has two keyframes: 0002.png and 2.png"
    (folder / "0001.json").write_text('[{"kind": "paint"}]')
    return "0001.json: stroke 1: colour must be [r, g, b]"


@pytest.mark.parametrize("case", ["size", "range", "unreadable", "name", "gray", "twice",
                                  "strokes"])
def test_bad_keyframes_are_refused_in_one_line(tmp_path, clip, model_file, capsys, case):
    message = write_bad(tmp_path / "keys", case)
    out = tmp_path / "out"
    assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_file),
                     "--keyframes", str(tmp_path / "keys")]) == 1
    assert one_line_error(capsys) == f"colorize: error: {message}\n"
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["clip", "keys"]


def test_a_missing_keyframe_file_is_refused(tmp_path, clip, model_file, capsys):
    assert cli.main(["video", str(clip), "-o", str(tmp_path / "out"), "--model",
                     str(model_file), "--keyframes", str(tmp_path / "0001.png")]) == 1
    assert "no such keyframe file" in one_line_error(capsys)
