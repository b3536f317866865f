"""The colour-transfer window's undo command: one change of the swatch pairs.

It edits a :class:`~colorize_app.sessions.transfer.TransferSession` and tells the window
through a plain callback, so this module never imports the window.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtWidgets import QUndoCommand

from colorize_app.documents.swatches import SwatchEntry
from colorize_app.sessions.transfer import TransferSession


class BoardCommand(QUndoCommand):
    """Swatch entries ``before`` -> ``after`` on ``session.board``; ``changed()`` runs after
    each redo and undo (the window redraws and marks unsaved work)."""

    def __init__(self, session: TransferSession, text: str, before: list[SwatchEntry],
                 after: list[SwatchEntry], changed: Callable[[], None]) -> None:
        super().__init__(text)
        self.session, self.before, self.after, self.changed = session, before, after, changed

    def redo(self) -> None:
        self.session.board.restore(self.after)
        self.changed()

    def undo(self) -> None:
        self.session.board.restore(self.before)
        self.changed()
