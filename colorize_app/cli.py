"""The `colorize` command line: argparse subcommands over the engines.

Exit codes: 0 success, 1 a failure the user can fix (one-line message on
stderr, no traceback), 2 bad usage (argparse, out-of-range options), 130 interrupted
(SIGINT), 143 terminated (SIGTERM), 129 hung up (SIGHUP). The two signals end a run like
Ctrl+C: every temporary output is removed and nothing is left half-written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import NoReturn

from algorithms.errors import CancelledError, ColorizeError, one_line
from colorize_app import __version__
from colorize_app.commands import COMMAND_MODULES
from colorize_app.runtime.tf_startup import configure_for_command

PROG = "colorize"


class Parser(argparse.ArgumentParser):
    """argparse's parser whose usage errors are one short line, whatever value they quote
    (a 100,000-character option value was echoed whole); subcommands' parsers are too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with one subparser per module in ``COMMAND_MODULES``."""
    parser = Parser(
        prog=PROG,
        description="Colorize gray photos and videos: scribbles, colour transfer, CNN, video.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show a full traceback on unexpected errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"colorize_app.commands.{name}").register(subparsers)
    return parser


def fail(message: str, code: int = 1) -> int:
    """Print a one-line error on stderr (:func:`one_line`) and return the exit code."""
    # One line, whatever it quotes: a file name holding a newline or a megabyte of text.
    print(f"{PROG}: error: {one_line(message) or 'failed'}", file=sys.stderr)
    return code


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is: cleans up exactly like Ctrl+C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_SIGNAL_NAMES = {"SIGTERM": "terminated", "SIGHUP": "hung up"}


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`Terminated` (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    for name in _SIGNAL_NAMES:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _os_error_message(error: OSError) -> str:
    """One sentence for an OSError a user can cause (disk full, permission, missing folder)."""
    reason = error.strerror or str(error) or type(error).__name__
    reason = reason[:1].lower() + reason[1:]
    if error.filename is not None:
        return f"{error.filename}: {reason}"
    return reason


#: How the command line words what a user can do about a model error (the actions of
#: :class:`colorize_app.io.model_registry.ModelError`).
MODEL_REMEDIES = {"download": "run `colorize models download {}`",
                  "model_file": "pass --model FILE", "rerun": "rerun later to resume",
                  "fetch": "fetch {} elsewhere and pass --model FILE"}


def _worded(error: ColorizeError) -> str:
    """An error's message in the command line's words."""
    from colorize_app.io.model_registry import ModelError

    return error.worded(MODEL_REMEDIES) if isinstance(error, ModelError) else str(error)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `colorize` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # TensorFlow reads its settings when imported: chosen here, per command, before any is.
    configure_for_command(args.command, getattr(args, "kind", None))
    try:
        with signals_as_exceptions():
            return int(args.func(args) or 0)
    except CancelledError:
        return fail("cancelled", 130)
    except Terminated as stop:
        return fail(_SIGNAL_NAMES.get(signal.Signals(stop.signum).name, "stopped"),
                    128 + stop.signum)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except ColorizeError as error:
        return fail(_worded(error))
    except MemoryError:
        return fail("out of memory: try a smaller image")
    except OSError as error:  # what escaped the readers and writers: still one sentence
        if args.debug:
            raise
        return fail(_os_error_message(error))
    except Exception as error:
        if args.debug:
            raise
        return fail(f"internal error ({type(error).__name__}: {error}); rerun with --debug")


if __name__ == "__main__":
    sys.exit(main())
