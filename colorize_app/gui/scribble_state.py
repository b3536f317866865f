"""The scribble window's undo commands: they change the window's ScribbleSession.

Each command finds the session through its host (the window, seen only as
:class:`StrokeHost`, so this module never imports the window) and calls the host's
``strokes_changed`` afterwards, which redraws the strokes and shows them.
"""

from __future__ import annotations

from typing import Optional, Protocol

import numpy as np
from PyQt5.QtWidgets import QUndoCommand, QUndoStack

from colorize_app.sessions.scribble import ScribbleSession
from colorize_app.strokes import Stroke


class StrokeHost(Protocol):
    """What the commands need of the window: its session and a change callback."""

    session: Optional[ScribbleSession]

    def strokes_changed(self) -> None: ...


class AddStrokeCommand(QUndoCommand):
    """One painted stroke (undo takes it off again)."""

    def __init__(self, host: StrokeHost, stroke: Stroke) -> None:
        super().__init__(f"{stroke.kind} stroke")
        self.host, self.stroke = host, stroke

    def redo(self) -> None:
        if self.host.session is not None:
            self.host.session.add_stroke(self.stroke)
            self.host.strokes_changed()

    def undo(self) -> None:
        if self.host.session is not None:
            self.host.session.remove_last_stroke()
            self.host.strokes_changed()


class SnapshotCommand(QUndoCommand):
    """Clear, or loading a hint file: swap whole stroke states (``Strokes.snapshot()``)."""

    def __init__(self, host: StrokeHost, text: str, before: tuple, after: tuple) -> None:
        super().__init__(text)
        self.host, self.before, self.after = host, before, after

    def redo(self) -> None:
        if self.host.session is not None:
            self.host.session.restore_strokes(self.after)
            self.host.strokes_changed()

    def undo(self) -> None:
        if self.host.session is not None:
            self.host.session.restore_strokes(self.before)
            self.host.strokes_changed()


def replay(host: StrokeHost, stack: QUndoStack, strokes: list[Stroke],
           base_marked: Optional[np.ndarray], base_mask: Optional[np.ndarray]) -> None:
    """Push a restored project's hint layer and strokes as undo commands, so each can be
    undone one by one, as if just painted."""
    if base_mask is not None:
        stack.push(SnapshotCommand(host, "load hints", ([], None, None),
                                   ([], base_marked, base_mask)))
    for stroke in strokes:
        stack.push(AddStrokeCommand(host, stroke))
