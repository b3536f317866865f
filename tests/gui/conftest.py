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
