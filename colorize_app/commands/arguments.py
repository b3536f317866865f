"""Argument types shared by the subcommands: one rule for out-of-range options.

An option outside its range is bad usage, like an unknown option: argparse reports it
(``colorize CMD: error: argument --X: ...``) and the exit code is 2 in every command. Each
factory returns a callable for ``add_argument(type=...)``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Callable, Iterator


def whole_number(low: int, high: int | None = None, *, multiple_of: int = 1
                 ) -> Callable[[str], int]:
    """A type accepting whole numbers in [low, high] (and multiples of ``multiple_of``)."""

    def parse(text: str) -> int:
        # Compare the digits' count first: int() of a huge string is slow and pointless.
        stripped = text.strip().lstrip("+-")
        if not stripped.isdigit():
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        if len(stripped) > 19:
            raise argparse.ArgumentTypeError(f"{text[:24]}... is out of range")
        value = int(text)
        if value < low or (high is not None and value > high):
            bound = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value:,}")
        if value % multiple_of:
            raise argparse.ArgumentTypeError(f"must be a multiple of {multiple_of}, got {value}")
        return value

    return parse


def real_number(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """A type accepting finite numbers in [low, high] (or (low, high] with ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text}")
        return value

    return parse


def temperature(text: str) -> float:
    """The CNN's annealed-mean temperature, by the sessions' one rule
    (:func:`colorize_app.sessions.cnn.check_temperature`), worded for this option."""
    from algorithms.errors import SettingError
    from colorize_app.sessions.cnn import check_temperature

    try:
        # A whole number stays one, so that the message repeats what the user wrote.
        value: float = int(text) if text.strip().lstrip("+-").isdigit() \
            and len(text.strip()) < 8 else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    try:
        return check_temperature(value)
    except SettingError as error:
        raise argparse.ArgumentTypeError(error.problem) from None


def option_name(setting: str) -> str:
    """The option that sets a session's ``setting``: ``checkpoint_minutes`` is
    ``--checkpoint-minutes``."""
    return "--" + setting.replace("_", "-")


@contextlib.contextmanager
def settings_as_options() -> Iterator[None]:
    """A SettingError raised in the block comes out worded with the options' names
    (``--crop must be ...``), for a command whose settings are all its options."""
    from algorithms.errors import BadInputError, SettingError

    try:
        yield
    except SettingError as error:
        raise BadInputError(error.worded(option_name)) from None
