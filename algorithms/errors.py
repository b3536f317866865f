"""The one error type for everything a user can cause.

Engines raise these with a one-line message; the command line turns them into
exit code 1 and the desktop application into a dialog.
"""

from __future__ import annotations

import re
from collections.abc import Callable


class ColorizeError(Exception):
    """A problem the user can fix: bad input, a missing model, too large a job."""


class BadInputError(ColorizeError):
    """An input file or array is missing, unreadable or of the wrong kind."""


class SettingError(BadInputError):
    """A setting's value cannot be used. The message names settings, not how a front sets
    them: ``setting`` is the setting's name in the sessions (``"temperature"``, ``"crop"``)
    and str() names each as the sessions do (``"temperature must be in (0, 10], got 11"``);
    each front words it for its users with :meth:`worded` (the command line as its options,
    ``--temperature``, a window as its controls).

    ``problem`` says what is wrong with ``setting`` (``"must be in (0, 10], got 11"``); a
    message naming other settings too is given as ``words``, which builds it from a
    function naming each setting (``lambda name: f"{name('cache')} needs {name('encoder')}
    efficientnet-lite0"``).
    """

    def __init__(self, setting: str, problem: str = "", *,
                 words: Callable[[Callable[[str], str]], str] | None = None) -> None:
        self.setting, self.problem, self._words = setting, problem, words
        super().__init__(self.worded(plain_name))

    def worded(self, name_of: Callable[[str], str]) -> str:
        """The message with every setting named by ``name_of`` (setting -> its name)."""
        if self._words is not None:
            return self._words(name_of)
        return f"{name_of(self.setting)} {self.problem}"


def plain_name(setting: str) -> str:
    """A setting as messages name it when no front words it: ``checkpoint_minutes`` is
    "checkpoint minutes"."""
    return setting.replace("_", " ")


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
