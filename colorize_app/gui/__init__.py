"""The desktop application (PyQt5): a main menu and one window per method.

Windows only show, collect input and call the engines in ``algorithms``; image
files go through ``colorize_app.media``. This package file imports no Qt, so
that ``resource_path`` can be used anywhere.
"""

from __future__ import annotations

import os
import sys

_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Where resources are looked for: the source tree (checkouts, editable installs), then the
#: data files of a regular install (``<prefix>/share/colorize``, see setup.py).
RESOURCE_FOLDERS = (
    os.path.join(_SOURCE_ROOT, "resources"),
    os.path.join(sys.prefix, "share", "colorize"),
)


def resource_path(name: str) -> str:
    """Absolute path of the shipped resource ``name`` (e.g. ``"icon.png"``).

    Raises FileNotFoundError when no resource folder holds it: a broken install, not a
    user error.
    """
    for folder in RESOURCE_FOLDERS:
        candidate = os.path.join(folder, name)
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"resource {name!r} not found in {', '.join(RESOURCE_FOLDERS)}")
