"""The progress and cancel protocol shared by every long-running engine.

``progress(fraction, message)`` is called with ``fraction`` in [0, 1];
``cancelled()`` returns True once the user asked to stop, and the engine then
raises :class:`~algorithms.errors.CancelledError` at its next check.
"""

from __future__ import annotations

from collections.abc import Callable

from algorithms.errors import CancelledError

ProgressCallback = Callable[[float, str], None]
CancelCheck = Callable[[], bool]


def duration_text(seconds: float) -> str:
    """A duration for people: ``"1 min 5 s"``, ``"42 s"``."""
    seconds = int(round(max(seconds, 0.0)))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


class Reporter:
    """Forwards progress to an optional callback and checks for cancellation.

    ``span`` maps this stage's [0, 1] onto a sub-range of the caller's bar, so
    an engine built from stages can report one monotone progress.
    """

    def __init__(
        self,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
        span: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self._progress = progress
        self._cancelled = cancelled
        self._start, self._stop = span

    def __call__(self, fraction: float, message: str = "") -> None:
        """Report ``fraction`` of this stage done; raise CancelledError if cancelled."""
        if self._cancelled is not None and self._cancelled():
            raise CancelledError("cancelled")
        if self._progress is not None:
            clipped = min(max(fraction, 0.0), 1.0)
            self._progress(self._start + (self._stop - self._start) * clipped, message)

    def stage(self, start: float, stop: float) -> Reporter:
        """A reporter for the sub-range [start, stop] of this one."""
        width = self._stop - self._start
        return Reporter(
            self._progress,
            self._cancelled,
            (self._start + width * start, self._start + width * stop),
        )
