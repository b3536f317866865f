"""GUI smoke test on a real X display: every window opens, fits the screen, and shows its
progress bar and Cancel; a screenshot of each goes to the output folder.

    python tools/gui_smoke.py                  # own Xvfb at 1024x700 (+ openbox if there)
    python tools/gui_smoke.py --size 1366x768 --out build/gui-smoke
    python tools/gui_smoke.py --display        # use the current $DISPLAY instead

Needs Xvfb (``apt-get install xvfb``; openbox for real title bars) and Qt's xcb plugin
libraries (see ``python -m colorize_app.gui.qt_check``). Exit status 1 when a window does
not fit or a check fails, with one line per problem. Settings and autosaves go to a
temporary folder, not the user's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow


def start_display(size: str) -> tuple[str, list[subprocess.Popen]]:
    """Start Xvfb (and openbox when installed); returns (DISPLAY, processes to stop)."""
    if shutil.which("Xvfb") is None:
        sys.exit("gui_smoke: Xvfb is not installed (apt-get install xvfb), or pass --display")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        sys.exit("gui_smoke: Xvfb did not start")
    display = f":{number}"
    processes = [xvfb]
    if shutil.which("openbox"):
        processes.append(subprocess.Popen(["openbox"], env=dict(os.environ, DISPLAY=display),
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # let it take over the screen before windows map
    return display, processes


def settle(app, seconds: float = 0.8) -> None:
    """Process events for ``seconds`` (window manager round trips, layouts)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def check_window(app, window, name: str, out: str) -> list[str]:
    """Problems of one shown window (empty when it fits); saves ``<name>.png``."""
    from PyQt5.QtCore import QPoint, QRect

    problems = []
    screen = window.screen() or app.primaryScreen()
    area = screen.availableGeometry()
    frame = window.frameGeometry()
    if not area.contains(frame):
        problems.append(f"{name}: window {frame.width()}x{frame.height()} at "
                        f"({frame.x()}, {frame.y()}) is not inside the screen's "
                        f"{area.width()}x{area.height()}")
    jobs = getattr(window, "jobs", None)
    if jobs is not None:
        jobs._show_widgets(True)  # as while a job runs
        settle(app, 0.3)
        for widget in (jobs.progress_bar, jobs.cancel_button):
            rect = QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())
            if not widget.isVisible() or not area.contains(rect):
                problems.append(f"{name}: {type(widget).__name__} is off-screen ({rect})")
    screen.grabWindow(0).save(os.path.join(out, f"{name}.png"), "PNG")
    if jobs is not None:
        jobs._show_widgets(False)
    return problems


def run_windows(out: str) -> list[str]:
    """Open the main menu and every method window; returns the problems found."""
    from colorize_app.gui import autosave, settings
    from colorize_app.gui.app import create_application

    scratch = tempfile.mkdtemp(prefix="gui-smoke-")
    settings.SETTINGS_FILE = os.path.join(scratch, "settings.ini")
    autosave.AUTOSAVE_FOLDER = os.path.join(scratch, "autosave")
    app = create_application(["gui_smoke"])
    from colorize_app.gui.main_menu import ENTRIES, MainMenu
    from colorize_app.io import media

    menu = MainMenu()
    menu.show()
    settle(app)
    problems = check_window(app, menu, "main_menu", out)
    samples = media.list_images(os.path.join(ROOT, "resources", "samples"))
    for entry in ENTRIES:
        window = menu.open_entry(entry.key)
        if window is None:
            problems.append(f"{entry.key}: the window did not open")
            continue
        if entry.key == "scribble" and samples:
            window.load_photo(samples[0])
        elif entry.key == "transfer" and len(samples) > 1:
            window.load_image("target", samples[0])
            window.load_image("reference", samples[1])
        elif entry.key == "cnn" and samples:
            window.add_photos(samples)
        settle(app, 1.5)
        problems += check_window(app, window, entry.key, out)
        window.jobs.wait()
        window.mark_unchanged()  # nothing to ask about
        window.close()
        settle(app, 0.3)
    menu.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1024x700", help="screen size (default 1024x700)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "gui-smoke"),
                        help="folder for the screenshots")
    parser.add_argument("--display", action="store_true",
                        help="use the current $DISPLAY instead of starting Xvfb")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.child or args.display:
        os.environ.pop("QT_QPA_PLATFORM", None)
        os.environ.setdefault("COLORIZE_NO_PRELOAD", "1")  # no model load needed here
        from colorize_app.gui import qt_check

        problem = qt_check.problem()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        problems = run_windows(args.out)
        for line in problems:
            print(f"gui_smoke: {line}", file=sys.stderr)
        print(f"gui_smoke: {'FAILED' if problems else 'ok'}; screenshots in {args.out}")
        return 1 if problems else 0
    display, processes = start_display(args.size)
    try:
        env = dict(os.environ, DISPLAY=display)
        env.pop("QT_QPA_PLATFORM", None)
        return subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                               "--out", args.out], env=env, check=False).returncode
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
