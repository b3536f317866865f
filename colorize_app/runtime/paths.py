"""Every folder the application keeps on the user's machine, under one application name.

The folders follow the platform's conventions (platformdirs: XDG folders on Linux,
``~/Library`` on macOS, ``%LOCALAPPDATA%`` on Windows), all named :data:`APP_NAME`:

- :func:`models_dir`: downloaded models (``COLORIZE_DATA_DIR`` names it instead);
- :func:`cache_dir`: what can be made again (``COLORIZE_CACHE_DIR`` names it instead), with
  :func:`embedded_images_dir` (images unpacked from projects) and
  :func:`video_checkpoints_dir` (finished shots of an interrupted video job);
- :func:`autosave_dir`: unsaved work, for crash recovery (the user's state folder);
- :func:`settings_file`: the preferences of the windows (an INI file in the config folder).

Nothing is created here: the writers make the folders they need.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The one folder name under the platform's data, cache, state and config folders.
APP_NAME = "colorize-studio"
#: Environment variable naming the folder of downloaded models (replaces :func:`models_dir`).
DATA_DIR_VARIABLE = "COLORIZE_DATA_DIR"
#: Environment variable naming the cache folder (replaces :func:`cache_dir`).
CACHE_DIR_VARIABLE = "COLORIZE_CACHE_DIR"
#: Where downloads went before the folders had one name (moved on first use).
_LEGACY_DATA_NAME = "colorize"


def _platformdirs():
    import platformdirs

    return platformdirs


def models_dir() -> Path:
    """The folder of downloaded models (``$COLORIZE_DATA_DIR`` when set).

    Models downloaded by earlier versions into ``<data>/colorize/models`` are moved here
    the first time, so a 130 MB download is not repeated.
    """
    override = os.environ.get(DATA_DIR_VARIABLE)
    if override:
        return Path(override)
    dirs = _platformdirs()
    folder = Path(dirs.user_data_dir(APP_NAME, appauthor=False)) / "models"
    legacy = Path(dirs.user_data_dir(_LEGACY_DATA_NAME, appauthor=False)) / "models"
    if not folder.exists() and legacy.is_dir():
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.replace(legacy, folder)
        except OSError:  # another drive, or no permission: the old folder is still used
            return legacy
    return folder


def cache_dir() -> Path:
    """The cache folder (``$COLORIZE_CACHE_DIR`` when set)."""
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return Path(override)
    return Path(_platformdirs().user_cache_dir(APP_NAME, appauthor=False))


def embedded_images_dir() -> Path:
    """Where images embedded in project files are unpacked to be read."""
    return cache_dir() / "embedded"


def video_checkpoints_dir() -> Path:
    """Where finished shots of video jobs are kept until the job completes."""
    return cache_dir() / "video-checkpoints"


def autosave_dir() -> Path:
    """Where the windows autosave unsaved work (the user's state folder)."""
    return Path(_platformdirs().user_state_dir(APP_NAME, appauthor=False)) / "autosave"


def settings_file() -> Path:
    """The INI file holding the windows' preferences (the user's config folder)."""
    return Path(_platformdirs().user_config_dir(APP_NAME, appauthor=False)) / "settings.ini"
