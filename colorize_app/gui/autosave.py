"""Autosave and crash recovery for the method windows.

Each window owns an :class:`Autosaver`: a few seconds after the last change it asks the
window for its state (a :class:`~colorize_app.io.project.Project`, cheap to build on the UI
thread) and writes it as a project file in a background thread, so painting never waits
for PNG encoding or the disk. Files live in :func:`colorize_app.runtime.paths.autosave_dir`, named
``<pid>-<start>-<session>.colorize``: the process id and its start time (Linux; a PID can be
reused by a later process, the pair cannot). A clean close deletes the window's file; a file
whose process is gone was left by a crash, and :func:`offer_restore` proposes it at the next
start. Anything in the folder that is not a regular file (a FIFO...) is ignored.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PyQt5.QtCore import QObject, QTimer, pyqtSignal
from PyQt5.QtWidgets import QMessageBox, QWidget

from algorithms.errors import BadInputError, ColorizeError
from colorize_app.io import safe_files
from colorize_app.io.project import Project, peek_project, save_project
from colorize_app.runtime import paths, system

#: Where autosaves go; None means the platform's user state folder (tests set a temp one).
AUTOSAVE_FOLDER: str | None = None
#: Quiet time after the last change before the state is written, in milliseconds.
DELAY_MS = 3000
#: The project settings key that remembers which project file a session belonged to.
PROJECT_FILE_KEY = "project_file"


def autosave_folder() -> str:
    """The folder holding autosaves (created on demand)."""
    folder = AUTOSAVE_FOLDER if AUTOSAVE_FOLDER is not None else str(paths.autosave_dir())
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:  # e.g. a regular file has that name: autosaves are off
        reason = "a file has its name" if os.path.lexists(folder) and \
            not os.path.isdir(folder) else safe_files.reason(error)
        raise BadInputError(f"cannot use the autosave folder {folder}: {reason}") from None
    return folder


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True when process ``pid`` runs and, given ``start_time``, is the one that started then.

    POSIX signal 0; elsewhere assume it does.
    """
    return system.process_alive(pid, start_time)


def autosave_owner(path: str) -> tuple[int, int | None] | None:
    """(pid, start time or None) from an autosave file's name, None when not one of ours."""
    parts = os.path.basename(path).split("-")
    if not parts[0].isdigit() or len(parts) not in (2, 3):
        return None
    start = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
    return int(parts[0]), start


@dataclass(frozen=True)
class OrphanedAutosave:
    """An autosave left by a process that is no longer running."""

    path: str
    method: str
    images: tuple[str, ...]
    saved_at: float

    def describe(self) -> str:
        """One line for the restore question, e.g. ``scribble colorization work on a.png, ...``."""
        names = ", ".join(os.path.basename(image) for image in self.images) or "no image"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        what = METHOD_NAMES.get(self.method, self.method)
        return f"{what} work on {names}, autosaved {when}"


#: The windows' method keys as a user reads them (the restore question).
METHOD_NAMES = {"scribble": "scribble colorization", "transfer": "colour transfer",
                "cnn": "automatic colorization", "video": "video colorization"}


def orphaned_autosaves() -> list[OrphanedAutosave]:
    """Autosaves whose process is gone (crashed or killed), oldest first.

    Unreadable leftovers (a file cut short by the crash itself) are skipped and kept.
    """
    found = []
    try:
        folder = autosave_folder()
    except ColorizeError:  # no folder, no autosave to offer (saving says why)
        return []
    for path in glob.glob(os.path.join(glob.escape(folder), "*.colorize")):
        owner = autosave_owner(path)
        if owner is None or process_alive(*owner):
            continue
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):  # a FIFO would block the start-up
                continue
            method, images = peek_project(path)
            saved_at = os.path.getmtime(path)
        except (ColorizeError, OSError):
            continue
        found.append(OrphanedAutosave(path, method, tuple(images), saved_at))
    return sorted(found, key=lambda autosave: autosave.saved_at)


class Autosaver(QObject):
    """Writes a window's state to its autosave file a while after each change.

    Parameters
    ----------
    parent : QWidget
        The window.
    state : callable
        Returns the window's current Project, or None when there is nothing to keep.
        Called on the UI thread; it must copy whatever the UI may change in place later.
    """

    saved = pyqtSignal(str)  # the autosave file
    failed = pyqtSignal(str)  # a one-line reason
    _finished = pyqtSignal()  # from the writer thread, queued to the UI thread

    def __init__(self, parent: QWidget, state: Callable[[], Project | None]) -> None:
        super().__init__(parent)
        self._state = state
        start = system.process_start_time(os.getpid())
        self._name = (f"{os.getpid()}-{'' if start is None else f'{start}-'}"
                      f"{uuid.uuid4().hex}.colorize")
        self._path: str | None = None  # the folder is made on the first save only
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        self._writer: threading.Thread | None = None
        self._again = False
        self._discarded = False
        self._error = ""
        self._finished.connect(self._writer_done)

    @property
    def path(self) -> str:
        """This window's autosave file."""
        if self._path is None:
            self._path = os.path.join(autosave_folder(), self._name)
        return self._path

    @property
    def pending(self) -> bool:
        """True while a change waits to be written or a write runs."""
        return self._timer.isActive() or self._writer is not None

    def schedule(self) -> None:
        """Note a change: write DELAY_MS after the last one."""
        self._discarded = False
        self._timer.start(DELAY_MS)

    def save_now(self) -> None:
        """Write the current state in the background (after the running write, if any)."""
        self._timer.stop()
        if self._writer is not None:
            self._again = True
            return
        project = self._state()
        if project is None:
            return
        try:
            path = self.path
        except ColorizeError as error:  # the autosave folder cannot be made: say why
            self.failed.emit(str(error))
            return
        self._writer = threading.Thread(target=self._write, args=(path, project),
                                        name="autosave", daemon=True)
        self._writer.start()

    def _write(self, path: str, project: Project) -> None:
        self._error = ""
        try:
            save_project(path, project, backup=False)
        except ColorizeError as error:
            self._error = str(error)
        except OSError as error:
            self._error = f"cannot write {path}: {error.strerror or error}"
        self._finished.emit()

    def _writer_done(self) -> None:
        if self._writer is None:  # already handled by wait()
            return
        self._writer.join()
        self._writer = None
        if self._discarded:  # closed while writing: the file must not outlive the window
            self._remove()
            return
        if self._error:
            self.failed.emit(self._error)
        else:
            self.saved.emit(self.path)
        if self._again:
            self._again = False
            self.save_now()

    def wait(self) -> None:
        """Block until the running write, if any, has finished (and been handled)."""
        if self._writer is not None:
            # The writer's queued signal would be handled on a later event loop turn.
            self._writer_done()

    def adopt(self, path: str) -> None:
        """Take over a crashed session's autosave file (renamed to this process's name)."""
        with contextlib.suppress(OSError, ColorizeError):
            os.replace(path, self.path)

    def discard(self) -> None:
        """Stop and delete the autosave: the work was saved or deliberately dropped."""
        self._timer.stop()
        self._again = False
        self._discarded = True
        self.wait()
        self._remove()

    def _remove(self) -> None:
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._path)


def ask_restore(parent: QWidget | None, orphan: OrphanedAutosave) -> str:
    """Ask what to do with a crashed session: "restore", "discard" or "later"."""
    box = QMessageBox(QMessageBox.Question, "Restore unsaved work",
                      f"Colorize Studio closed without saving your {orphan.describe()}.\n"
                      "Restore it?", QMessageBox.NoButton, parent)
    restore = box.addButton("Restore", QMessageBox.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.DestructiveRole)
    box.addButton("Ask next time", QMessageBox.RejectRole)
    box.setDefaultButton(restore)
    box.exec_()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"


def offer_restore(menu, ask: Callable[[QWidget | None, OrphanedAutosave], str] | None = None
                  ) -> list[QWidget]:
    """At start-up: offer each crashed session; restored ones open in their windows.

    ``menu`` is the MainMenu (its ``open_entry`` opens a method's window). Returns the
    windows restored.
    """
    ask = ask or ask_restore
    restored = []
    for orphan in orphaned_autosaves():
        answer = ask(menu, orphan)
        if answer == "discard":
            with contextlib.suppress(FileNotFoundError):
                os.remove(orphan.path)
        if answer != "restore":
            continue
        window = menu.open_entry(orphan.method)  # menu keys are the project methods
        if window is not None and hasattr(window, "restore_autosave") \
                and window.restore_autosave(orphan.path):
            restored.append(window)
    return restored
