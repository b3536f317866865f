"""Start the desktop application: ``colorize-app`` (or ``python -m colorize_app.gui.app``)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import QApplication, QMessageBox

from algorithms.errors import ColorizeError
from colorize_app import __version__
from colorize_app.gui import autosave, preload, resource_path, window_tools
from colorize_app.gui.main_menu import MainMenu
from colorize_app.gui.qt_objects import present
from colorize_app.runtime.tf_startup import configure_tensorflow

APPLICATION_NAME = "Colorize Studio"
ORGANISATION_NAME = "Colorize"  # with the name above, where QSettings keeps preferences


def show_uncaught_error(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Show an error that escaped a window as a dialog instead of letting Qt abort."""
    if issubclass(kind, KeyboardInterrupt):
        QApplication.quit()
        return
    if isinstance(error, ColorizeError):
        QMessageBox.warning(None, APPLICATION_NAME, str(error))
        return
    traceback.print_exception(kind, error, trace)
    QMessageBox.critical(
        None,
        APPLICATION_NAME,
        f"Something went wrong inside the application ({kind.__name__}: {error}).\n"
        "Details are printed on the terminal.",
    )


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with its names, version and icon set."""
    # The windows draw without OpenGL. Loading the GL driver (Mesa links its own LLVM) into
    # the process that imports TensorFlow (with another LLVM) crashes it under X11.
    os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_EnableHighDpiScaling, True)
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_UseHighDpiPixmaps, True)
    app = QApplication(list(sys.argv if argv is None else argv))
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName(ORGANISATION_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(resource_path("icon.png")))
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``colorize-app`` script; returns Qt's exit code (1, with the
    missing libraries named, when Qt's X11 plugin cannot load)."""
    from colorize_app.gui import qt_check

    # One TensorFlow for every window, imported later by the preload: the CNN's settings,
    # since the automatic model is what the application loads first and uses most.
    configure_tensorflow("cnn")
    problem = qt_check.problem()
    if problem:  # Qt itself would abort with a core dump
        print(problem, file=sys.stderr)
        return 1
    app = create_application(argv)
    sys.excepthook = show_uncaught_error
    window_tools.set_main_menu_factory(MainMenu)
    menu = window_tools.show_main_menu()
    assert isinstance(menu, MainMenu)  # made by the factory set just above
    paths = [arg for arg in (sys.argv if argv is None else argv)[1:] if not arg.startswith("-")]
    QTimer.singleShot(0, lambda: open_paths(menu, paths))

    def offer_restore() -> None:  # a timer slot returns nothing; the windows are not needed
        autosave.offer_restore(menu)

    # Once the menu is on screen: offer the work of sessions that crashed or were killed,
    # and start loading the automatic colorization model for a fast first answer.
    QTimer.singleShot(0, offer_restore)
    QTimer.singleShot(0, lambda: start_preload(menu))
    code = app.exec_()
    loader = preload.preloader()
    if loader.started and not loader.ready:
        # Quitting while TensorFlow still loads in its thread: tearing the interpreter down
        # under it can crash, and there is nothing left to save.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def window_key_for(path: str) -> str:
    """Which window opens ``path``: a project's own, video for videos and frame folders,
    scribble for photos (the window a gray photo is usually started in)."""
    from colorize_app.io.project import EXTENSION, peek_project
    from colorize_app.io.video_in import VIDEO_EXTENSIONS

    extension = os.path.splitext(path)[1].lower()
    if extension == EXTENSION:
        return peek_project(path)[0]
    if extension in VIDEO_EXTENSIONS or os.path.isdir(path):
        return "video"
    return "scribble"


def open_paths(menu: MainMenu, paths: Sequence[str]) -> None:
    """Open files named on the command line (or by the desktop's "Open with"), each in the
    window that suits it; a file that cannot be opened is said in a dialog."""
    for path in paths:
        try:
            key = window_key_for(path)
        except ColorizeError as error:
            QMessageBox.warning(menu, APPLICATION_NAME, str(error))
            continue
        window = menu.open_entry(key)
        if window is None:
            continue
        opener = {"scribble": "load_photo", "video": "load"}.get(key, "open_path")
        getattr(window, opener)(path)
        window.raise_()  # the file's window in front of the menu, ready for work
        window.activateWindow()


def start_preload(menu: MainMenu) -> None:
    """Preload the default CNN model, its progress in the main menu's status line."""
    loader = preload.start()
    if loader is None:
        return
    bar = present(menu.statusBar())
    loader.progress.connect(lambda fraction, message: bar.showMessage(
        f"Automatic colorization model: {message} ({fraction:.0%})"))
    loader.finished.connect(lambda error: bar.showMessage(
        "Automatic colorization model ready" if not error
        else f"Automatic colorization model not preloaded: {error}", 10000))


if __name__ == "__main__":
    sys.exit(main())
