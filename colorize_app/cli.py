"""The `colorize` command line: argparse subcommands over the engines.

Exit codes: 0 success, 1 a failure the user can fix (one-line message on
stderr, no traceback), 2 bad usage (argparse), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from algorithms.errors import CancelledError, ColorizeError
from colorize_app import __version__
from colorize_app.commands import COMMAND_MODULES

PROG = "colorize"


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with one subparser per module in ``COMMAND_MODULES``."""
    parser = argparse.ArgumentParser(
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
    """Print a one-line error on stderr and return the exit code."""
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    print(f"{PROG}: error: {first_line}", file=sys.stderr)
    return code


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `colorize` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CancelledError:
        return fail("cancelled", 130)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except ColorizeError as error:
        return fail(str(error))
    except MemoryError:
        return fail("out of memory: try a smaller image")
    except Exception as error:  # noqa: BLE001 - a bug must still not show a user a traceback
        if args.debug:
            raise
        return fail(f"internal error ({type(error).__name__}: {error}); rerun with --debug")


if __name__ == "__main__":
    sys.exit(main())
