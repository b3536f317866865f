"""The desktop application (PyQt5): a main menu and one window per method.

Windows only show, collect input and call the engines in ``algorithms``; image
files go through ``colorize_app.io.media``. This package file imports no Qt, so
that ``resource_path`` can be used anywhere.
"""

from __future__ import annotations

from importlib.resources import files


def resource_path(name: str) -> str:
    """Absolute path of the shipped resource ``name`` (e.g. ``"icon.png"``).

    Read from the ``resources`` package's data (a checkout, an editable or a regular
    install alike). Raises FileNotFoundError when it is missing: a broken install, not a
    user error.
    """
    resource = files("resources").joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"resource {name!r} not found in {resource}")
    # Packages install as folders (never zipped), so the resource is a real file path.
    return str(resource)
