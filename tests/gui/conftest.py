"""Shared set-up of the desktop-application tests: private settings, recorded error dialogs."""

from __future__ import annotations

import pytest

from colorize_app.gui import jobs, settings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own settings file, so no test sees another's folders or brushes."""
    monkeypatch.setattr(settings, "SETTINGS_FILE", str(tmp_path / "settings.ini"))


@pytest.fixture
def errors(monkeypatch):
    """The error dialogs a test caused, as (title, message, details), none shown on screen."""
    shown = []
    monkeypatch.setattr(jobs, "show_error", lambda parent, title, message, details="":
                        shown.append((title, message, details)))
    return shown
