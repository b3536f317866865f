"""Every user folder under one application name, and the overrides that move them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from colorize_app.runtime import paths

posix_only = pytest.mark.skipif(sys.platform in ("win32", "darwin"),
                                reason="XDG folders are the Linux convention")


@pytest.fixture
def home(monkeypatch, tmp_path) -> Path:
    """A fresh home folder with the XDG variables pointing inside it, no overrides."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, folder in (("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                         ("XDG_STATE_HOME", "state"), ("XDG_CONFIG_HOME", "config")):
        monkeypatch.setenv(name, str(tmp_path / folder))
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.delenv(paths.CACHE_DIR_VARIABLE, raising=False)
    return tmp_path


def all_folders() -> dict[str, Path]:
    return {"models": paths.models_dir(), "cache": paths.cache_dir(),
            "embedded": paths.embedded_images_dir(),
            "checkpoints": paths.video_checkpoints_dir(), "autosave": paths.autosave_dir(),
            "settings": paths.settings_file()}


@posix_only
def test_every_folder_is_under_the_one_application_name(home):
    folders = all_folders()
    assert folders == {
        "models": home / "data" / "colorize-studio" / "models",
        "cache": home / "cache" / "colorize-studio",
        "embedded": home / "cache" / "colorize-studio" / "embedded",
        "checkpoints": home / "cache" / "colorize-studio" / "video-checkpoints",
        "autosave": home / "state" / "colorize-studio" / "autosave",
        "settings": home / "config" / "colorize-studio" / "settings.ini",
    }
    assert not any(folder.exists() for folder in folders.values())  # nothing made here


def test_every_folder_carries_the_application_name(home):
    for folder in all_folders().values():
        assert paths.APP_NAME in folder.parts


def test_the_environment_overrides_move_models_and_cache(home, monkeypatch, tmp_path):
    monkeypatch.setenv("COLORIZE_DATA_DIR", str(tmp_path / "my-models"))
    monkeypatch.setenv("COLORIZE_CACHE_DIR", str(tmp_path / "my-cache"))
    assert paths.models_dir() == tmp_path / "my-models"
    assert paths.cache_dir() == tmp_path / "my-cache"
    assert paths.embedded_images_dir() == tmp_path / "my-cache" / "embedded"
    assert paths.video_checkpoints_dir() == tmp_path / "my-cache" / "video-checkpoints"


@posix_only
def test_models_of_an_earlier_version_are_moved_once(home):
    legacy = home / "data" / "colorize" / "models"
    legacy.mkdir(parents=True)
    (legacy / "model.pth").write_bytes(b"weights")
    folder = paths.models_dir()
    assert folder == home / "data" / "colorize-studio" / "models"
    assert (folder / "model.pth").read_bytes() == b"weights"
    assert not legacy.exists()
    assert paths.models_dir() == folder  # the second call finds it in place


def test_callers_use_the_paths_module(home, monkeypatch):
    from colorize_app.gui import autosave
    from colorize_app.io import project_images
    from colorize_app.sessions.video_run import RunKey

    monkeypatch.setattr(project_images, "CACHE_FOLDER", None)
    monkeypatch.setattr(autosave, "AUTOSAVE_FOLDER", None)
    assert project_images.default_cache_folder() == str(paths.embedded_images_dir())
    assert RunKey("video", ()).folder().path.parent == paths.video_checkpoints_dir()
    assert autosave.autosave_folder() == str(paths.autosave_dir())  # made on demand
    assert paths.autosave_dir().is_dir()


def test_window_preferences_live_in_the_settings_file(home, monkeypatch):
    pytest.importorskip("PyQt5")
    from colorize_app.gui import settings

    monkeypatch.setattr(settings, "SETTINGS_FILE", None)
    monkeypatch.setattr(settings, "_copy_legacy_settings", lambda new: None)  # not the user's
    settings.set_value("brush/size", 12)
    settings.open_settings().sync()
    assert paths.settings_file().is_file()
    assert settings.value("brush/size", 0, int) == 12


def test_a_killed_process_not_yet_reaped_counts_as_dead():
    """A zombie (killed, its parent has not waited for it yet) is no longer running: the
    restore offer of its autosave must not wait for the parent."""
    import signal
    import subprocess
    import sys
    import time

    from colorize_app.runtime.system import process_alive, process_start_time

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = process_start_time(child.pid)
        assert process_alive(child.pid, started)
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process_alive(child.pid, started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(child.pid, started)  # still a zombie: not reaped yet
        assert child.poll() is not None
    finally:
        child.kill()
        child.wait()
