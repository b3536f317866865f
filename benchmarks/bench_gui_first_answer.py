"""Time to the first automatic colorization in the desktop app, with and without preloading.

Starts the application's preload (as ``colorize-app`` does when its menu shows), waits
``--open`` seconds (default 20: a person opening the automatic window and a photo), then
opens the automatic window with one photo, clicks Colorize and measures until the result
is shown. ``--no-preload`` measures the old way (the job imports and builds itself).
Runs offscreen; use a fresh process per measurement:
``python benchmarks/bench_gui_first_answer.py [--no-preload] [--open 20] [PHOTO]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", nargs="?",
                        default=os.path.join(ROOT, "resources", "samples", "sky_rocket.jpg"))
    parser.add_argument("--open", type=float, default=20.0, help="seconds before the click")
    parser.add_argument("--no-preload", action="store_true")
    args = parser.parse_args()

    import tempfile

    from colorize_app.gui import autosave, preload, settings
    from colorize_app.gui.app import create_application

    scratch = tempfile.mkdtemp(prefix="bench-gui-")
    settings.SETTINGS_FILE = os.path.join(scratch, "settings.ini")
    autosave.AUTOSAVE_FOLDER = os.path.join(scratch, "autosave")
    app = create_application(["bench"])
    started = time.perf_counter()
    ready_at = []
    if not args.no_preload:
        loader = preload.preloader()
        loader.finished.connect(lambda error: ready_at.append(time.perf_counter() - started))
        loader.start()
    from colorize_app.gui.cnn_window import CnnWindow

    window = CnnWindow()
    window.show()
    window.add_photos([args.photo])
    while time.perf_counter() - started < args.open or window.jobs.busy:
        app.processEvents()
        time.sleep(0.01)
    click = time.perf_counter()
    done = []
    window.jobs.finished.connect(lambda outcome: done.append(time.perf_counter() - click))
    window.colorize_all()
    while not done:
        app.processEvents()
        time.sleep(0.005)
    preloaded = f"model ready {ready_at[0]:.1f} s after start; " if ready_at else ""
    print(f"{'no preload' if args.no_preload else 'preload'}: {preloaded}first result "
          f"shown {done[0]:.2f} s after the click (app open {args.open:.0f} s)")
    window.mark_unchanged()
    window.close()


if __name__ == "__main__":
    main()
