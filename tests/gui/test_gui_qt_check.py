"""The start-up check of Qt's X11 plugin: missing libraries named, with the apt-get line."""

from __future__ import annotations

import sys

import pytest

from colorize_app.gui import qt_check

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt5XcbQpa.so.5 => /venv/PyQt5/Qt5/lib/libQt5XcbQpa.so.5 (0x00007f1)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f2)
\tlibxcb-xinerama.so.0 => not found
\tlibX11-xcb.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux check")


def test_missing_libraries_are_read_from_ldd_once_each():
    assert qt_check.missing_libraries(LDD) == [
        "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0", "libX11-xcb.so.1"]


@pytest.mark.parametrize("library, package", [
    ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libglib-2.0.so.0", "libglib2.0-0"), ("libxcb-cursor.so.0", "libxcb-cursor0"),
])
def test_package_names_follow_debian(library, package):
    assert qt_check.package_for(library) == package


@linux_only
def test_problem_names_the_libraries_and_one_install_line(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    message = qt_check.problem(str(plugin), ldd=lambda path: LDD, environment={"DISPLAY": ":0"})
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libxcb-xinerama.so.0, libX11-xcb.so.1" \
        in message
    assert message.splitlines()[-1].strip() == (
        "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libx11-xcb1")


@linux_only
def test_no_problem_when_everything_loads_or_another_platform_is_used(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    fine = "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n"
    assert qt_check.problem(str(plugin), ldd=lambda path: fine,
                            environment={"DISPLAY": ":0"}) == ""
    assert qt_check.problem(str(plugin), ldd=lambda path: LDD,
                            environment={"QT_QPA_PLATFORM": "offscreen"}) == ""
    assert "No display" in qt_check.problem(str(plugin), ldd=lambda path: fine,
                                            environment={})
    assert "reinstall PyQt5" in qt_check.problem(str(tmp_path / "gone.so"),
                                                 environment={"DISPLAY": ":0"})
