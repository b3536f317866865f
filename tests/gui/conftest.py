"""Shared set-up of the desktop-application tests: private settings, recorded error dialogs."""

from __future__ import annotations

import pytest

from colorize_app.gui import autosave, base_window, jobs, settings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own settings file and autosave folder, so no test sees another's
    folders, brushes or sessions; closing with unsaved work discards it without asking."""
    monkeypatch.setattr(settings, "SETTINGS_FILE", str(tmp_path / "settings.ini"))
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", str(tmp_path / "autosave"))
    monkeypatch.setattr(base_window, "ask_save_changes", lambda window, action="": "discard")


@pytest.fixture
def errors(monkeypatch):
    """The error dialogs a test caused, as (title, message, details), none shown on screen."""
    shown = []
    monkeypatch.setattr(jobs, "show_error", lambda parent, title, message, details="":
                        shown.append((title, message, details)))
    return shown


def make_gray_clip(path, frames: int, width: int, height: int, fps: int):
    """A gray mp4 of ffmpeg's test pattern at ``path`` (``frames`` frames of width x height
    at ``fps``); returns ``path``."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         f"testsrc=size={width}x{height}:rate={fps}", "-frames:v", str(frames), "-vf",
         "hue=s=0", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def gray_clip(tmp_path_factory):
    """6 gray frames of 48 x 32 at 12 fps (the video tests' clip, without sound)."""
    return make_gray_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", 6, 48, 32, 12)
