"""What every `colorize` subcommand shares: help, version, exit codes, light imports."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from algorithms.errors import BadInputError
from colorize_app import __version__, cli

# numpy too: `colorize --help` and a usage error should answer at once (0.2 s, not 0.4).
HEAVY_MODULES = ("tensorflow", "keras", "PyQt5", "torch", "numpy", "cv2", "scipy")
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*arguments, executable=(sys.executable, "-m", "colorize_app.cli")):
    return subprocess.run(
        [*executable, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPOSITORY,
    )


def test_help_exits_0_and_lists_usage():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: colorize")


def test_version_exits_0_and_prints_the_version():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"colorize {__version__}"


@pytest.mark.parametrize("arguments", [("no-such-command",), ()], ids=["unknown", "missing"])
def test_bad_subcommand_exits_2(arguments):
    result = run_cli(*arguments)
    assert result.returncode == 2
    assert "usage: colorize" in result.stderr


def test_installed_script_passes_the_exit_code_on():
    script = os.path.join(os.path.dirname(sys.executable), "colorize")
    if not os.path.exists(script):
        pytest.skip("the colorize script is not installed (pip install -e . makes it)")
    assert run_cli("no-such-command", executable=(script,)).returncode == 2


def test_building_the_parser_imports_no_heavy_library():
    probe = (
        "import sys\n"
        "from colorize_app.cli import build_parser\n"
        "build_parser()\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_MODULES!r})\n"
        "print(' '.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPOSITORY,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.fixture
def fake_command(monkeypatch):
    """A `colorize fake` subcommand whose run() raises whatever the test sets."""
    behaviour = {"raise": None}

    def run(args):
        if behaviour["raise"] is not None:
            raise behaviour["raise"]
        return 0

    def register(subparsers):
        subparsers.add_parser("fake").set_defaults(func=run)

    module = types.ModuleType("colorize_app.commands.fake")
    module.register = register
    monkeypatch.setitem(sys.modules, "colorize_app.commands.fake", module)
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["fake"])
    return behaviour


def test_success_exits_0(fake_command):
    assert cli.main(["fake"]) == 0


def test_user_error_exits_1_with_one_line(fake_command, capsys):
    fake_command["raise"] = BadInputError("no such file: a.png")
    assert cli.main(["fake"]) == 1
    assert capsys.readouterr().err == "colorize: error: no such file: a.png\n"


def test_unexpected_error_exits_1_without_traceback(fake_command, capsys):
    fake_command["raise"] = RuntimeError("bug")
    assert cli.main(["fake"]) == 1
    error = capsys.readouterr().err
    assert "internal error (RuntimeError: bug)" in error and "--debug" in error
    assert "Traceback" not in error and error.count("\n") == 1


def test_debug_shows_the_traceback(fake_command):
    fake_command["raise"] = RuntimeError("bug")
    with pytest.raises(RuntimeError, match="bug"):
        cli.main(["--debug", "fake"])


def test_interrupt_exits_130(fake_command, capsys):
    fake_command["raise"] = KeyboardInterrupt()
    assert cli.main(["fake"]) == 130
    assert capsys.readouterr().err == "colorize: error: interrupted\n"
