#!/bin/bash
# Double-click to start Colorize Studio on macOS. The first start creates .venv next to
# the project and installs it (a few minutes, needs Python 3.10+ and the internet);
# later starts open the application at once, like `make run`.
set -e
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/colorize-app ]; then
    PYTHON="$(command -v python3 || true)"
    if [ -z "$PYTHON" ]; then
        echo "Python 3.10 or newer is needed: install it from https://www.python.org" >&2
        read -r -p "Press Return to close." _
        exit 1
    fi
    echo "First start: setting up .venv (this takes a few minutes)..."
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --upgrade pip
    # pyproject.toml's markers pick TensorFlow's macOS build (tensorflow-cpu has no macOS wheel).
    .venv/bin/python -m pip install -e .
fi
exec .venv/bin/colorize-app "$@"
