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


def test_the_first_line_of_an_error():
    from algorithms.errors import first_line

    assert first_line(ValueError("bad header\nTraceback (most recent call last): ...")) == \
        "bad header"
    assert first_line(OSError("\n  disk full  \nmore")) == "disk full"
    assert first_line(MemoryError()) == "MemoryError"
    assert first_line(MemoryError(), "out of memory") == "out of memory"
    assert first_line(RuntimeError("x" * 300), limit=100) == "x" * 100
    assert first_line("already text\nsecond") == "already text"


def test_a_setting_error_names_the_setting_and_each_front_words_it():
    from algorithms.errors import BadInputError, SettingError
    from colorize_app.commands.arguments import option_name

    error = SettingError("checkpoint_minutes", "must be positive")
    assert isinstance(error, BadInputError)
    assert str(error) == "checkpoint minutes must be positive"
    assert error.worded(option_name) == "--checkpoint-minutes must be positive"
    both = SettingError("cache", words=lambda name: f"{name('cache')} needs {name('encoder')} "
                        "efficientnet-lite0")
    assert str(both) == "cache needs encoder efficientnet-lite0"
    assert both.worded(option_name) == "--cache needs --encoder efficientnet-lite0"
    assert both.worded(lambda name: name.title()) == "Cache needs Encoder efficientnet-lite0"


def test_a_model_errors_remedies_are_worded_by_each_front(capsys, monkeypatch):
    from colorize_app.io import model_registry as registry

    error = registry.ModelNotFoundError("no colorization model installed",
                                        (("download", "eccv16"), ("model_file", "")))
    assert str(error) == ("no colorization model installed; download eccv16 or choose a "
                          "model file")
    assert error.worded(cli.MODEL_REMEDIES) == (
        "no colorization model installed; run `colorize models download eccv16` or pass "
        "--model FILE")
    pytest.importorskip("PyQt5")
    from colorize_app.gui.model_picker import WINDOW_REMEDIES

    offline = registry.ModelDownloadError("cannot download eccv16: no connection",
                                          (("rerun", ""), ("fetch", "http://x/m.pth")))
    assert offline.worded(WINDOW_REMEDIES) == (
        "cannot download eccv16: no connection; try again later to resume or fetch "
        "http://x/m.pth elsewhere and choose it with 'Model file...'")
    # The command line says it in its words, whichever command meets it.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["models"])
    monkeypatch.setattr(registry, "download", lambda name, progress=None: (_ for _ in ()).throw(
        offline))
    assert cli.main(["models", "download", "eccv16"]) == 1
    assert capsys.readouterr().err == (
        "colorize: error: cannot download eccv16: no connection; rerun later to resume or "
        "fetch http://x/m.pth elsewhere and pass --model FILE\n")
