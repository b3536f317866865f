"""The one error type for everything a user can cause.

Engines raise these with a one-line message; the command line turns them into
exit code 1 and the desktop application into a dialog.
"""

from __future__ import annotations


class ColorizeError(Exception):
    """A problem the user can fix: bad input, a missing model, too large a job."""


class BadInputError(ColorizeError):
    """An input file or array is missing, unreadable or of the wrong kind."""


class MemoryBudgetError(ColorizeError):
    """The job would need more memory than the machine can give it."""


class CancelledError(ColorizeError):
    """The user cancelled a long job."""
