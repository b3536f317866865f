"""Preferences kept between runs (QSettings): last folders, brush size, options.

They live in an INI file in the user's config folder
(:func:`colorize_app.runtime.paths.settings_file`).
"""

from __future__ import annotations

import os
from typing import Any

from PyQt5.QtCore import QSettings

from colorize_app.runtime import paths

#: Where earlier versions kept the preferences: the platform's own store under these names.
ORGANISATION = "Colorize"
APPLICATION = "Colorize Studio"

#: An INI file to use instead of the platform's store (tests point it at a temporary file).
SETTINGS_FILE: str | None = None


def open_settings() -> QSettings:
    """The application's QSettings."""
    if SETTINGS_FILE is not None:
        return QSettings(SETTINGS_FILE, QSettings.Format.IniFormat)
    path = paths.settings_file()
    fresh = not path.exists()
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    if fresh:
        _copy_legacy_settings(settings)
    return settings


def _copy_legacy_settings(settings: QSettings) -> None:
    """Carry the preferences of an earlier version over into the new file, once."""
    legacy = QSettings(ORGANISATION, APPLICATION)
    keys = legacy.allKeys()
    for key in keys:
        settings.setValue(key, legacy.value(key))
    if keys:
        settings.sync()


def value(key: str, default: Any, kind: type = str) -> Any:
    """The stored value of ``key`` as ``kind``, or ``default``."""
    stored = open_settings().value(key, default)
    try:
        if kind is bool and isinstance(stored, str):
            return stored.lower() in ("true", "1", "yes")
        return kind(stored)
    except (TypeError, ValueError):
        return default


def set_value(key: str, item: Any) -> None:
    """Store ``item`` under ``key``."""
    open_settings().setValue(key, item)


def last_folder(kind: str) -> str:
    """The folder a file dialog of ``kind`` (e.g. ``"open"``) last used, or the home folder."""
    folder = value(f"folders/{kind}", "")
    return folder if folder and os.path.isdir(folder) else os.path.expanduser("~")


def remember_folder(kind: str, path: str) -> None:
    """Remember the folder of ``path`` for the next dialog of ``kind``."""
    set_value(f"folders/{kind}", os.path.dirname(os.path.abspath(path)))
