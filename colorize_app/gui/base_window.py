"""What every method window shares: status bar, job runner, file dialogs, drag and drop,
and project files with autosave.

Projects and autosave: a plug-in contract
-----------------------------------------
A window takes part by setting ``project_method`` (one of ``colorize_app.io.project.METHODS``,
e.g. ``"cnn"``) and overriding two methods:

``project_state(self) -> Optional[Project]``
    The window's work as a Qt-free :class:`~colorize_app.io.project.Project` (input images as
    ``ImageRef`` by role, ``settings`` dict, ``strokes``, ``swatches``, named ``layers``),
    or None while there is nothing to keep. It runs on the UI thread and must be cheap:
    reference arrays that are replaced rather than changed in place, or copy them.
``restore_project_state(self, project, images) -> None``
    Show ``project``; ``images`` maps each role of ``project.images`` to the
    ``media.LoadedImage`` already found and read (a moved image was asked for).

and by calling ``self.mark_changed()`` after every change worth keeping (a stroke, a new
result, a setting) and ``self.mark_unchanged()`` when it loads fresh inputs. The base
class then provides Open/Save/Save As project (``add_project_actions``: Ctrl+O opens a
project or an image through ``open_path``, Ctrl+S, Ctrl+Shift+S), autosave a few seconds
after each change (``colorize_app.gui.autosave``), the "save changes?" question on close,
restoring after a crash (``restore_autosave``) and ``.colorize`` files dropped on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from algorithms.errors import ColorizeError
from colorize_app.gui import autosave, jobs, settings, window_tools
from colorize_app.gui.help_texts import ABOUT, WINDOW_HELP
from colorize_app.gui.image_view import ImageView
from colorize_app.gui.jobs import JobRunner
from colorize_app.gui.project_actions import (  # the filters are used by the windows too
    IMAGE_FILTER,
    PROJECT_FILTER,  # noqa: F401
    ProjectActions,
)
from colorize_app.gui.qt_objects import present
from colorize_app.io.media import IMAGE_EXTENSIONS
from colorize_app.io.project import EXTENSION, Project

SAVE_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff)"
REGION_FILTER = "Region files (*.json)"
OPEN_FILTER = "Projects and images (*{} {})".format(
    EXTENSION, " ".join(f"*{ext}" for ext in IMAGE_EXTENSIONS))


def ask_save_changes(window: QWidget, action: str = "closing") -> str:
    """Ask before ``action`` (e.g. "opening another photo") would lose unsaved work:
    "save", "discard" or "cancel"."""
    if window.project_path:
        question = f"Save the changes to the project {window.project_name()} before {action}?"
    else:  # "save the changes to goat.mp4" would sound like overwriting the video
        question = (f"Your work on {window.project_name()} is not saved. Save it as a "
                    f"project before {action}?")
    answer = QMessageBox.question(
        window, "Unsaved changes", question,
        QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
    return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")


def quit_application() -> bool:
    """Quit: ask about every window's unsaved work first, then close every window.

    A Cancel at any question closes nothing (Qt's closeAllWindows closes window after
    window, so a Cancel at the third question would find the first two gone). Returns True
    when everything was closed.
    """
    method_windows = [widget for widget in QApplication.topLevelWidgets()
                      if isinstance(widget, MethodWindow) and widget.isVisible()]
    for window in method_windows:
        if not window.confirm_discard("quitting"):
            return False
    for window in method_windows:
        window.discard_confirmed = True  # asked above: closing asks no more
    QApplication.closeAllWindows()
    remaining = [window for window in method_windows if window.isVisible()]
    for window in remaining:
        window.discard_confirmed = False
    return not remaining


class MethodWindow(ProjectActions, QMainWindow):
    """Base of the method windows (see the module docstring for the project contract)."""

    #: The project method of this window's files; "" leaves projects and autosave out.
    project_method = ""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base_title = title
        self.project_path = ""
        self.modified = False
        self.discard_confirmed = False  # Quit already asked about the unsaved work
        self.autosaver = autosave.Autosaver(self, self._autosave_state) \
            if self.project_method else None
        if self.autosaver is not None:
            self.autosaver.failed.connect(
                lambda reason: present(self.statusBar()).showMessage(
                    f"Autosave failed: {reason}", 8000))
        self.setWindowTitle(f"{title}[*]")  # the marker shows only when modified
        self.setAcceptDrops(True)
        self.jobs = JobRunner(self)
        self.size_label = QLabel("")
        self.cursor_label = QLabel("")
        bar = present(self.statusBar())
        bar.addPermanentWidget(self.size_label)
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.jobs.progress_bar)
        bar.addPermanentWidget(self.jobs.cancel_button)
        self.jobs.status.connect(lambda text: bar.showMessage(text, jobs.OUTCOME_MESSAGE_MS))
        self.jobs.progress_text.connect(bar.showMessage)
        self.toolbar = QToolBar("Tools")
        self.toolbar.setObjectName("tools")
        self.addToolBar(self.toolbar)
        menu_bar = present(self.menuBar())
        self.file_menu = present(menu_bar.addMenu("&File"))
        self.edit_menu = present(menu_bar.addMenu("&Edit"))
        self.view_menu = present(menu_bar.addMenu("&View"))
        window_menu = present(menu_bar.addMenu("&Window"))
        # Close and Quit stay last in the File menu: entries added later go above them.
        self._file_tail = present(self.file_menu.addSeparator())
        self.close_action = self.add_action("Close", self.close, "Ctrl+W", toolbar=False,
                                            tip="Close this window (Ctrl+W)")
        self.quit_action = self.add_action("Quit", quit_application, "Ctrl+Q",
                                           toolbar=False,
                                           tip="Close every window and quit (Ctrl+Q)")
        self.file_menu.addActions([self.close_action, self.quit_action])
        self.main_menu_action = self.add_action(
            "Main menu", window_tools.show_main_menu, "Ctrl+M", window_menu, toolbar=False,
            tip="Show the main menu, to open another method's window (Ctrl+M)")
        self.help_menu = present(menu_bar.addMenu("&Help"))
        self.help_action = self.add_action(
            "How to use this window", self.show_help, QKeySequence.HelpContents,
            self.help_menu, toolbar=False, tip="A few lines on this window's steps (F1)")
        self.add_action("About Colorize studio", self.show_about, None, self.help_menu,
                        toolbar=False)
        window_tools.place_window(self, self.geometry_key())

    # -- help -----------------------------------------------------------------------------

    def show_help(self) -> None:
        title, body = WINDOW_HELP.get(self.project_method, (self.base_title, ABOUT))
        QMessageBox.information(self, f"How to use: {title}", body)

    def show_about(self) -> None:
        QMessageBox.about(self, "About Colorize studio", ABOUT)

    # -- helpers --------------------------------------------------------------------------

    def add_action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: object | None = None,
        menu=None,
        toolbar: bool = True,
        tip: str = "",
    ) -> QAction:
        """An action in ``menu`` (and the toolbar) calling ``slot``."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)

        def run_slot(_checked: bool = False) -> None:  # the slot's result is not Qt's business
            slot()

        action.triggered.connect(run_slot)
        if menu is not None:
            self.add_to_menu(menu, action)
        if toolbar:
            self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def add_to_menu(self, menu, action: QAction) -> None:
        """Append ``action`` to ``menu``; in the File menu, above Close and Quit."""
        tail = getattr(self, "_file_tail", None)
        if menu is self.file_menu and tail is not None:
            menu.insertAction(tail, action)
        else:
            menu.addAction(action)

    def geometry_key(self) -> str:
        """The settings name under which this kind of window keeps its geometry."""
        return type(self).__name__

    def document_path(self) -> str:
        """The file of the shown input (the photo, the target, the video), or ""."""
        return ""

    def start_folder(self, kind: str) -> str:
        """Where a file dialog starts: the shown input's folder, else the last one used."""
        folder = os.path.dirname(os.path.abspath(self.document_path())) \
            if self.document_path() else ""
        return folder if folder and os.path.isdir(folder) else settings.last_folder(kind)

    def watch_view(self, view: ImageView) -> None:
        """Show the cursor position over ``view`` in the status bar."""
        view.cursor_moved.connect(
            lambda x, y: self.cursor_label.setText(f"x {x}, y {y}")
        )

    def set_size_text(self, width: int, height: int) -> None:
        self.size_label.setText(f"{width} x {height} px")

    def ask_open(self, title: str, kind: str, file_filter: str = IMAGE_FILTER) -> str | None:
        """A file to open (None when cancelled); remembers its folder."""
        path, _ = QFileDialog.getOpenFileName(self, title, self.start_folder(kind), file_filter)
        if path:
            settings.remember_folder(kind, path)
        return path or None

    def ask_save(self, title: str, kind: str, file_filter: str = SAVE_FILTER,
                 suggestion: str = "") -> str | None:
        """A file to write (None when cancelled); remembers its folder."""
        start = os.path.join(self.start_folder(kind), suggestion)
        path, _ = QFileDialog.getSaveFileName(self, title, start, file_filter)
        if path:
            settings.remember_folder(kind, path)
        return path or None

    def guarded(self, title: str, action: Callable[[], None]) -> bool:
        """Run ``action``; a user error becomes a dialog. Returns True on success."""
        try:
            action()
        except ColorizeError as error:
            jobs.show_error(self, title, str(error))
            return False
        return True

    # -- drag and drop --------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths and self.project_method and self.open_path(paths[0]):
            event.acceptProposedAction()
        elif paths:
            self.open_dropped(paths, event.pos())
            event.acceptProposedAction()

    def open_dropped(self, paths: list[str], position) -> None:
        """Open dropped files (overridden by windows)."""

    def has_unsaved_work(self) -> bool:
        """True when there is work that closing or opening something else would lose."""
        return self.modified and self.project_state() is not None

    def confirm_discard(self, action: str) -> bool:
        """Before ``action`` replaces the window's work: True when nothing unsaved would be
        lost, or the user saved it or chose to discard it; False when cancelled."""
        if not self.has_unsaved_work():
            return True
        answer = ask_save_changes(self, action)
        if answer == "save":
            return self.save_project()
        return answer == "discard"

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.discard_confirmed and not self.confirm_discard("closing"):
            event.ignore()
            return
        window_tools.remember_geometry(self, self.geometry_key())
        self.jobs.wait()
        if self.autosaver is not None:
            self.autosaver.discard()  # a clean close leaves no session to restore
        super().closeEvent(event)

    # -- projects (see the module docstring) ----------------------------------------------

    def project_state(self) -> Project | None:
        """The window's work as a Project, or None when there is nothing to keep."""
        return None

    def restore_project_state(self, project: Project, images: dict) -> None:
        """Show ``project``; ``images`` maps its image roles to media.LoadedImage."""
        raise NotImplementedError

    def project_name(self) -> str:
        """The project file's name, else the shown input's name, else "untitled"."""
        return os.path.basename(self.project_path or os.path.normpath(self.document_path())) \
            if self.project_path or self.document_path() else "untitled"

    def mark_changed(self) -> None:
        """Note unsaved work: the title shows it, an autosave follows a few seconds later."""
        self.modified = True
        self.setWindowModified(True)
        if self.autosaver is not None:
            self.autosaver.schedule()

    def mark_unchanged(self) -> None:
        """Nothing unsaved (fresh inputs, or just saved): no question on close, no autosave."""
        self.modified = False
        self.setWindowModified(False)
        if self.autosaver is not None:
            self.autosaver.discard()

    def set_title_detail(self, detail: str) -> None:
        """Title: ``<method> - <detail>`` with the modified marker."""
        self.setWindowTitle(f"{self.base_title} - {detail}[*]")
