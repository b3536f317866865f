"""The scribble window's undo commands: they change the window's ScribbleSession.

Each command finds the session through its host (the window, seen only as
:class:`StrokeHost`, so this module never imports the window) and calls the host's
``strokes_changed`` afterwards, which redraws the strokes and shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from PyQt5.QtWidgets import QUndoCommand, QUndoStack

from colorize_app.documents.strokes import Stroke
from colorize_app.sessions.scribble import ScribbleSession


class StrokeHost(Protocol):
    """What the commands need of the window: its session and a change callback."""

    session: ScribbleSession | None

    def strokes_changed(self) -> None: ...

    def prior_changed(self) -> None: ...


class _SessionCommand(QUndoCommand):
    """An undo step that changes the host's session, then tells the host."""

    def __init__(self, host: StrokeHost, text: str) -> None:
        super().__init__(text)
        self.host = host

    def change(self, edit: Callable[[ScribbleSession], object]) -> None:
        if self.host.session is not None:  # none once the undo history is cleared
            edit(self.host.session)
            self.host.strokes_changed()


class AddStrokeCommand(_SessionCommand):
    """One painted stroke (undo takes it off again)."""

    def __init__(self, host: StrokeHost, stroke: Stroke) -> None:
        super().__init__(host, f"{stroke.kind} stroke")
        self.stroke = stroke

    def redo(self) -> None:
        self.change(lambda session: session.add_stroke(self.stroke))

    def undo(self) -> None:
        self.change(ScribbleSession.remove_last_stroke)


class SnapshotCommand(_SessionCommand):
    """Clear, or loading a hint file: swap whole stroke states (``Strokes.snapshot()``)."""

    def __init__(self, host: StrokeHost, text: str, before: tuple, after: tuple) -> None:
        super().__init__(host, text)
        self.before, self.after = before, after

    def redo(self) -> None:
        self.change(lambda session: session.restore_strokes(self.after))

    def undo(self) -> None:
        self.change(lambda session: session.restore_strokes(self.before))


class PriorCommand(QUndoCommand):
    """Start from automatic: the automatic colours become the prior and the result (undo
    goes back to the prior and result there were before)."""

    def __init__(self, host: StrokeHost, before: tuple, after: tuple) -> None:
        super().__init__("start from automatic")
        self.host = host
        self.before, self.after = before, after

    def _swap_in(self, state: tuple) -> None:
        if self.host.session is not None:
            self.host.session.restore_prior_state(state)
            self.host.prior_changed()

    def redo(self) -> None:
        self._swap_in(self.after)

    def undo(self) -> None:
        self._swap_in(self.before)


def replay(host: StrokeHost, stack: QUndoStack, strokes: list[Stroke],
           base_marked: np.ndarray | None, base_mask: np.ndarray | None) -> None:
    """Push a restored project's hint layer and strokes as undo commands, so each can be
    undone one by one, as if just painted."""
    if base_mask is not None:
        stack.push(SnapshotCommand(host, "load hints", ([], None, None),
                                   ([], base_marked, base_mask)))
    for stroke in strokes:
        stack.push(AddStrokeCommand(host, stroke))
