"""The one error type for everything a user can cause.

Engines raise these with a one-line message; the command line turns them into
exit code 1 and the desktop application into a dialog.
"""

from __future__ import annotations

import re


class ColorizeError(Exception):
    """A problem the user can fix: bad input, a missing model, too large a job."""


class BadInputError(ColorizeError):
    """An input file or array is missing, unreadable or of the wrong kind."""


class SettingError(BadInputError):
    """A setting's value cannot be used. The message names the setting, not how a front
    sets it: ``setting`` is its name in the sessions (``"temperature"``, ``"model"``),
    ``problem`` what is wrong (``"must be in (0, 10], got 11"``), and str() is the two
    together (``"temperature must be in (0, 10], got 11"``). Each front words it for its
    users from these: the command line as its option (``--temperature``), a window as
    its control."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting} {problem}")
        self.setting, self.problem = setting, problem


class MemoryBudgetError(ColorizeError):
    """The job would need more memory than the machine can give it."""


class CancelledError(ColorizeError):
    """The user cancelled a long job."""


#: Longest message shown to a user (characters), after :func:`one_line`.
MAX_MESSAGE = 300
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(message: object, limit: int = MAX_MESSAGE) -> str:
    """``message`` as one line of at most ``limit`` characters, for a user.

    Control characters (a newline in a file name, terminal escapes) are shown escaped
    (``\\n``, ``\\x1b``); when the line is too long, its longest words (a huge path or
    value) are cut in the middle first, then the line itself, keeping its end (the reason).
    """
    text = _CONTROL_CHARACTERS.sub(lambda found: repr(found.group())[1:-1],
                                   str(message).strip())
    if len(text) > 20 * limit:  # a megabyte of text: keep its two ends
        text = f"{text[:10 * limit]}...{text[-5 * limit:]}"
    words = text.split(" ")
    length = len(text)
    while length > limit:
        index = max(range(len(words)), key=lambda k: len(words[k]))
        word = words[index]
        if len(word) <= 40:
            break
        keep = max(37, len(word) - (length - limit) - 3)
        head = keep * 2 // 3
        words[index] = f"{word[:head]}...{word[len(word) - (keep - head):]}"
        length += len(words[index]) - len(word)
    text = " ".join(words)
    if len(text) > limit:
        tail = limit // 3
        text = f"{text[:limit - tail - 5]} ... {text[-tail:]}"
    return text


def first_line(error: BaseException | str, empty: str | None = None,
               limit: int | None = None) -> str:
    """The first line of an error's message, at most ``limit`` characters: what a user is
    shown of an error raised with more (a library's traceback-like text).

    ``empty`` stands in for a message with no text (default: the error's type name, e.g.
    ``MemoryError``).
    """
    text = str(error).strip()
    if not text:
        return empty if empty is not None else type(error).__name__
    line = text.splitlines()[0].strip()
    return line if limit is None else line[:limit]
