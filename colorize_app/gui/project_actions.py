"""The File-menu project actions of the method windows: open, save, save as, restore.

Split from ``base_window`` (whose docstring describes the project contract): a mixin of
:class:`~colorize_app.gui.base_window.MethodWindow`, using its ``project_state``,
``restore_project_state``, ``confirm_discard``, dialogs and marks.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QMainWindow, QMenu

from colorize_app.gui import autosave, jobs, settings
from colorize_app.gui.qt_objects import present
from colorize_app.io import media
from colorize_app.io.project import (
    EXTENSION,
    MissingImageError,
    Project,
    default_cache_folder,
    load_project,
    resolve_image,
    save_project,
)
from colorize_app.io.project_images import image_ref
from colorize_app.io.safe_files import file_sha256

IMAGE_FILTER = "Images ({})".format(" ".join(f"*{ext}" for ext in media.IMAGE_EXTENSIONS))
PROJECT_FILTER = f"Colorize projects (*{EXTENSION})"

# The type checker reads the mixin as the main window it always becomes part of.
if TYPE_CHECKING:
    _Window = QMainWindow
else:
    _Window = object


class ProjectActions(_Window):
    """Open/Save/Save As project and autosave restore, for a MethodWindow."""

    # What MethodWindow provides, declared for the type checker (annotations only: at run
    # time MethodWindow's own attributes and methods are the ones found).
    project_method: str
    project_path: str
    file_menu: QMenu
    _file_tail: QAction
    autosaver: autosave.Autosaver | None

    if TYPE_CHECKING:
        def add_action(self, text: str, slot: Callable[[], object],
                       shortcut: object | None = None, menu: QMenu | None = None,
                       toolbar: bool = True, tip: str = "") -> QAction: ...

        def add_to_menu(self, menu: QMenu, action: QAction) -> None: ...

        def ask_open(self, title: str, kind: str,
                     file_filter: str = IMAGE_FILTER) -> str | None: ...

        def ask_save(self, title: str, kind: str, file_filter: str = "",
                     suggestion: str = "") -> str | None: ...

        def guarded(self, title: str, action: Callable[[], None]) -> bool: ...

        def confirm_discard(self, action: str) -> bool: ...

        def project_state(self) -> Project | None: ...

        def restore_project_state(self, project: Project, images: dict) -> None: ...

        def project_name(self) -> str: ...

        def mark_changed(self) -> None: ...

        def mark_unchanged(self) -> None: ...

        def set_title_detail(self, detail: str) -> None: ...

    def add_project_actions(self) -> None:
        """Open/Save/Save As project entries in the File menu (not in the toolbar)."""
        menu = self.file_menu
        menu.insertSeparator(self._file_tail)
        self.open_project_action = self.add_action(
            "Open project...", self.open_project, None, menu, toolbar=False,
            tip=f"Open a {EXTENSION} project (Ctrl+O opens projects and images)")
        self.save_project_action = self.add_action(
            "Save project", self.save_project, QKeySequence.Save, menu, toolbar=False,
            tip="Save strokes, swatches, settings and result in a project file (Ctrl+S)")
        self.save_project_as_action = self.add_action(
            "Save project as...", self.save_project_as, "Ctrl+Shift+S", menu, toolbar=False)
        self.embed_action = QAction("Embed images in project", self)
        self.embed_action.setCheckable(True)
        self.embed_action.setChecked(settings.value("project/embed_images", False, bool))
        self.embed_action.setToolTip("Keep a copy of the input images inside the project file")
        self.embed_action.toggled.connect(
            lambda on: settings.set_value("project/embed_images", on))
        self.add_to_menu(menu, self.embed_action)

    def open_project(self) -> None:
        path = self.ask_open("Open project", "project", PROJECT_FILTER)
        if path:
            self.open_project_file(path)

    def open_path(self, path: str) -> bool:
        """True when ``path`` is a project file, which is then opened (after asking about
        unsaved work: a cancelled question also returns True, as the path was handled)."""
        if path.lower().endswith(EXTENSION):
            if self.confirm_discard(f"opening {os.path.basename(path)}"):
                self.open_project_file(path)
            return True
        return False

    def open_project_file(self, path: str) -> Project | None:
        """Open a project file: read it, find its images (asking for moved ones), show it.

        Returns the project shown, or None (after an error dialog) when it was not.
        """
        projects: list[Project] = []
        if not self.guarded("Open project", lambda: projects.append(load_project(path))):
            return None
        project = projects[0]
        if project.method != self.project_method:
            jobs.show_error(self, "Open project",
                            f"{os.path.basename(path)} is a {project.method} project; "
                            "open it from that method's window")
            return None
        images = self.find_project_images(project, path)
        if images is None:
            return None
        if not self.guarded("Open project",
                            lambda: self.restore_project_state(project, images)):
            return None
        self.project_path = os.path.abspath(path)
        self.mark_unchanged()
        self.set_title_detail(self.project_name())
        return project

    def find_project_images(self, project: Project, project_path: str) -> dict | None:
        """role -> LoadedImage for a project's images; None when the user gives up."""
        images = {}
        for role, ref in project.images.items():
            while True:
                try:
                    path = resolve_image(ref, role, project_path, default_cache_folder())
                except MissingImageError as missing:
                    located = self.locate_image(role, str(missing))
                    if located is None:
                        return None
                    path = located
                loaded: list[media.LoadedImage] = []

                def read(image: str = path, out: list[media.LoadedImage] = loaded) -> None:
                    out.append(media.read_image(image))

                if not self.guarded("Open project", read):
                    return None
                height, width = loaded[0].pixels.shape[:2]
                if ref.size in ((0, 0), (width, height)):
                    images[role] = loaded[0]
                    if os.path.dirname(path) != default_cache_folder():
                        # Found elsewhere (beside the project, or pointed at): remember it.
                        ref.path = os.path.abspath(path)
                        ref.sha256 = file_sha256(path)
                    break
                jobs.show_error(self, "Open project",
                                f"{path} is {width} x {height} pixels; the project's {role} "
                                f"image was {ref.size[0]} x {ref.size[1]}")
                ref.path = ""  # ask again
        return images

    def locate_image(self, role: str, reason: str) -> str | None:
        """Ask where a project's moved image is now (None when cancelled)."""
        return self.ask_open(f"{reason[:1].upper()}{reason[1:]}: where is it now?", "open",
                             IMAGE_FILTER)

    def save_project(self) -> bool:
        """Save to the current project file (asks for one the first time)."""
        if not self.project_path:
            return self.save_project_as()
        return self.write_project(self.project_path)

    def save_project_as(self) -> bool:
        if self.project_state() is None:
            jobs.show_error(self, "Save project", "There is nothing to save yet.")
            return False
        stem = os.path.splitext(self.project_name())[0]  # the project's, else the photo's
        path = self.ask_save("Save project", "project", PROJECT_FILTER, f"{stem}{EXTENSION}")
        if not path:
            return False
        if not path.lower().endswith(EXTENSION):
            path += EXTENSION
        return self.write_project(path)

    def write_project(self, path: str) -> bool:
        """Write the current state to ``path`` (atomically, keeping a .bak); True on success.

        Works while a job runs: the state is what the window shows now.
        """
        project = self.project_state()
        if project is None:
            return False

        embed_action = getattr(self, "embed_action", None)

        def write() -> None:
            if embed_action is not None and embed_action.isChecked():
                # Copies: the window's own references (and autosaves) stay without bytes.
                project.images = {
                    role: ref if ref.embedded is not None else dataclasses.replace(
                        ref, embedded=image_ref(ref.path, ref.size, embed=True).embedded)
                    for role, ref in project.images.items()}
            save_project(path, project)

        ok = self.guarded("Save project", write)
        if ok:
            self.project_path = os.path.abspath(path)
            settings.remember_folder("project", path)
            self.mark_unchanged()
            self.set_title_detail(self.project_name())
            present(self.statusBar()).showMessage(f"Saved project {path}", 5000)
        return ok

    def _autosave_state(self) -> Project | None:
        project = self.project_state()
        if project is not None and self.project_path:
            project.settings = dict(project.settings,
                                    **{autosave.PROJECT_FILE_KEY: self.project_path})
        return project

    def restore_autosave(self, path: str) -> bool:
        """Restore a crashed session's autosave into this window; True on success."""
        project = self.open_project_file(path)
        if project is None:
            return False
        project_file = project.settings.get(autosave.PROJECT_FILE_KEY, "")
        self.project_path = project_file if isinstance(project_file, str) else ""
        self.set_title_detail(self.project_name())
        if self.autosaver is not None:
            self.autosaver.adopt(path)
        self.mark_changed()  # restored work is unsaved work
        return True
