# make run / make test need only Python 3.10+: they create .venv and install into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; reinstall only when pyproject.toml is newer.
STAMP := $(VENV)/.installed

.PHONY: run test lint bench desktop fuzz journey clean

# The check names the X libraries Qt's xcb plugin lacks (and the apt-get line) instead of
# Qt's abort; it needs no root.
run: $(STAMP)
	@$(BIN)/python -m colorize_app.gui.qt_check
	$(BIN)/colorize-app

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests

# ruff, then mypy over the whole tree (what it checks: [tool.mypy] in pyproject.toml); CI runs it.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# A person's journey on a real X display (Xvfb + xdotool): paint at two zooms, save, play a
# clip; every saved stroke point is checked against where the pointer was meant to be.
# Run it before every change to colorize_app/gui/ (needs xvfb xdotool imagemagick).
journey: $(STAMP)
	$(BIN)/python tools/journey_check.py --size 1024x700 --out build/journey
	$(BIN)/python tools/journey_check.py --size 1920x1080 --out build/journey-large

# Fuzz every file parser for FUZZ_SECONDS each (coverage-guided atheris; not part of `test`).
# Crashing inputs and logs go to build/fuzz/; see docs/robustness.md.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install atheris \
		|| echo "atheris did not install: fuzz/run.py uses its random-mutation loop"
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS)

bench: $(STAMP)
	@set -e; for script in benchmarks/*.py; do \
		[ -e "$$script" ] || { echo "no benchmark scripts in benchmarks/"; break; }; \
		echo "== $$script"; $(BIN)/python "$$script"; \
	done

# A launcher in the desktop's application menu, pointing at this checkout.
desktop: $(STAMP)
	mkdir -p "$(HOME)/.local/share/applications"
	sed -e 's|^Exec=.*|Exec="$(CURDIR)/$(BIN)/colorize-app" %F|' \
	    -e 's|^Icon=.*|Icon=$(CURDIR)/resources/icon.png|' \
	    resources/colorize.desktop > "$(HOME)/.local/share/applications/colorize.desktop"

# An existing .venv (made by hand) is reused: only the install step runs.
# A fresh venv's pip may predate editable installs of pyproject projects: upgrade it once.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	@# OpenCV now comes as opencv-contrib-python-headless (ximgproc). An older venv may also hold
	@# opencv-python-headless, which shares its files: remove it, then restore the contrib files.
	@if $(BIN)/python -m pip show -q opencv-python-headless >/dev/null 2>&1; then \
		$(BIN)/python -m pip uninstall -y -q opencv-python-headless && \
		$(BIN)/python -m pip install -q --force-reinstall --no-deps \
			'opencv-contrib-python-headless>=4.8,<5'; fi
	touch $(STAMP)

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
