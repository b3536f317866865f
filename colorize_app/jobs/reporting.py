"""How a job reports: its notes, progress and failures come back as data through one
:class:`JobReporter`; only the fronts word them (``commands/`` prints, ``gui/`` draws).

The video job's progress is a fraction and a message (:data:`algorithms.progress.
ProgressCallback`); a batch job counts inputs (:class:`TaskProgress`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskProgress:
    """Where one stage of a batch job stands: of ``total`` inputs (``stage`` names what is
    counted: "photos", "shots"...), ``done`` finished and ``failed`` skipped so far."""

    stage: str
    total: int
    done: int = 0
    failed: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed


def _ignore(*_args: object) -> None:
    """What a reporter does with what nobody asked to see."""


@dataclass(frozen=True)
class JobReporter:
    """Callbacks that receive a job's notes (one line each), its progress and each input
    that failed (the input and a one-line reason); by default nothing is reported."""

    note: Callable[[str], None] = _ignore
    progress: Callable[[TaskProgress], None] = _ignore
    failure: Callable[[str, str], None] = _ignore
