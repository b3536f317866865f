"""Before Qt starts on Linux: can its X11 (xcb) platform plugin load?

Without a few X libraries that minimal desktop installs lack (``libxcb-icccm4`` and
friends), Qt aborts with "Could not load the Qt platform plugin xcb" and a core dump. This
check runs ``ldd`` on the plugin first and names the missing libraries and the one
``apt-get install`` line that adds them. It imports only QtCore (which needs none of them).

Run it alone with ``python -m colorize_app.gui.qt_check`` (``make run`` does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping

#: Libraries whose Debian/Ubuntu package name does not follow from the file name.
PACKAGE_OF = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXext.so.6": "libxext6",
    "libXrender.so.1": "libxrender1",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxcb-util.so.1": "libxcb-util1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def xcb_plugin_path() -> str:
    """The path of PyQt5's ``libqxcb.so`` (it may not exist on a broken install)."""
    from PyQt5.QtCore import QLibraryInfo

    plugins = QLibraryInfo.location(QLibraryInfo.PluginsPath)
    return os.path.join(plugins, "platforms", "libqxcb.so")


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reports as "not found", each once, in order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def package_for(library: str) -> str:
    """The Debian/Ubuntu package that ships ``library`` (e.g. ``libxcb-icccm.so.4`` ->
    ``libxcb-icccm4``): from the table, else by the naming rule (name + soname version,
    with a dash when the name ends in a digit), lower case."""
    if library in PACKAGE_OF:
        return PACKAGE_OF[library]
    match = re.match(r"^(lib.+?)\.so\.(\d+)", library)
    if match is None:
        return library
    name, version = match.groups()
    return f"{name}{'-' if name[-1].isdigit() else ''}{version}".lower()


def run_ldd(path: str) -> str:
    """``ldd path`` output ("" when ldd is not there: nothing can be said)."""
    if shutil.which("ldd") is None:
        return ""
    done = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def problem(plugin: str | None = None, ldd: Callable[[str], str] = run_ldd,
            environment: Mapping[str, str] | None = None) -> str:
    """What keeps Qt's xcb plugin from loading, as a message for the terminal; "" when
    nothing does (or when another platform plugin was asked for, or not on Linux)."""
    environment = os.environ if environment is None else environment
    platform = environment.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return ""
    plugin = plugin or xcb_plugin_path()
    if not os.path.exists(plugin):
        return f"Qt's X11 platform plugin is missing ({plugin}): reinstall PyQt5."
    missing = missing_libraries(ldd(plugin))
    if missing:
        packages = " ".join(dict.fromkeys(package_for(name) for name in missing))
        return ("Qt cannot open windows: its X11 plugin needs libraries this system lacks:\n"
                f"  {', '.join(missing)}\n"
                "Install them once (Debian/Ubuntu), then run again:\n"
                f"  sudo apt-get install {packages}")
    if not environment.get("DISPLAY") and not environment.get("WAYLAND_DISPLAY"):
        return ("No display: run the application in a desktop session (or under "
                "xvfb-run), or set QT_QPA_PLATFORM=offscreen for tests.")
    return ""


def main() -> int:
    """Print the problem and return 1, or return 0 when Qt can start."""
    message = problem()
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
