"""TensorFlow's environment: chosen by the entry points, never by importing an engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from colorize_app import cli
from colorize_app.runtime import tf_startup

VARIABLES = ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL")


def run_python(code: str) -> dict:
    """The JSON that ``code`` prints, run in a fresh interpreter without the variables."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in VARIABLES}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, check=True, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_engines_leaves_the_environment_unchanged():
    changed = run_python(
        "import json, os; before = dict(os.environ)\n"
        "import algorithms.cnn, algorithms.cnn.colorizer, algorithms.cnn.model_weights\n"
        "import deep_video_prior, deep_video_prior.settings\n"
        "after = dict(os.environ)\n"
        "print(json.dumps(sorted(k for k in set(before) | set(after)"
        " if before.get(k) != after.get(k))))")
    assert changed == []


def test_building_the_parser_imports_no_tensorflow():
    # Otherwise the per-command settings chosen after parsing would come too late.
    assert run_python("import json, sys\nfrom colorize_app import cli\ncli.build_parser()\n"
                      "print(json.dumps('tensorflow' in sys.modules))") is False


@pytest.mark.parametrize(("command", "kind", "onednn"), [
    ("cnn", None, "0"), ("train", None, "0"), ("models", None, "0"),
    ("video", None, "1"), ("refine", None, "1"),
    ("batch", "cnn", "0"), ("batch", "video", "1"),
    ("levin", None, None), ("transfer", None, None),
])
def test_each_command_gets_its_workloads_setting(monkeypatch, command, kind, onednn):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    tf_startup.configure_for_command(command, kind)
    assert os.environ.get("TF_ENABLE_ONEDNN_OPTS") == onednn
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"  # always quiet


def test_a_value_the_user_exported_is_kept(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    tf_startup.configure_tensorflow("cnn")
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_cli_main_configures_before_running_the_command(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    seen = {}

    def fake_run(args) -> int:
        seen.update({name: os.environ.get(name) for name in VARIABLES})
        return 0

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(func=fake_run)
    for action in parser._subparsers._group_actions[0].choices.values():  # every command
        action.set_defaults(func=fake_run)
    assert cli.main(["refine", "gray.mp4", "processed.mp4", "-o", "out.mp4"]) == 0
    assert seen == {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def _stderr_of(code: str, **variables: str) -> str:
    environment = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    environment.update(variables)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, check=True, timeout=120)
    return result.stderr


def test_start_up_notices_are_dropped_and_anything_else_still_shows():
    stderr = _stderr_of(
        "import os\nfrom colorize_app.runtime import tf_startup\n"
        "with tf_startup._start_up_notices_dropped():\n"
        "    os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on. You may\\n')\n"
        "    os.write(2, b'E0000 something really went wrong\\n')\n"
        "os.write(2, b'after\\n')\n")
    assert stderr.splitlines() == ["E0000 something really went wrong", "after"]


def test_tensorflow_with_onednn_on_starts_without_its_notices():
    # The oneDNN notice ignores TF_CPP_MIN_LOG_LEVEL: `colorize video` (oneDNN on) used to
    # start with three lines of it.
    stderr = _stderr_of(
        "from colorize_app.runtime import tf_startup\n"
        "tf_startup.configure_tensorflow('video')\n"
        "tf_startup.import_tensorflow()\n", TF_ENABLE_ONEDNN_OPTS="1")
    assert stderr == ""
