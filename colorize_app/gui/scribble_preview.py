"""The scribble window's live preview: the session recolours a small copy of the photo
(:meth:`~colorize_app.sessions.scribble.ScribbleSession.preview_inputs`) in the background,
and its colours are shown on the full-size photo
(:meth:`~colorize_app.sessions.scribble.ScribbleSession.full_size_preview`)."""

from __future__ import annotations

import numpy as np

from algorithms.progress import CancelCheck, ProgressCallback
from colorize_app.gui.jobs import Task
from colorize_app.sessions.scribble import ScribbleSession


def preview_task(session: ScribbleSession) -> Task:
    """A job recolouring a small copy of the session's photo, its inputs taken now (on the
    UI thread), so that later painting cannot change them."""
    inputs = session.preview_inputs()

    def task(progress: ProgressCallback | None, cancelled: CancelCheck | None) -> np.ndarray:
        return inputs.colorize(progress=progress, cancelled=cancelled)

    return task
