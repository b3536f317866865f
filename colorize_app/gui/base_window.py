"""What every method window shares: status bar, job runner, file dialogs, drag and drop."""

from __future__ import annotations

import os
from typing import Callable, Optional

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QFileDialog, QLabel, QMainWindow, QToolBar, QWidget

from algorithms.errors import ColorizeError
from colorize_app.gui import jobs, settings
from colorize_app.gui.image_view import ImageView
from colorize_app.gui.jobs import JobRunner
from colorize_app.media import IMAGE_EXTENSIONS

IMAGE_FILTER = "Images ({})".format(" ".join(f"*{ext}" for ext in IMAGE_EXTENSIONS))
SAVE_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff)"
REGION_FILTER = "Region files (*.json)"


class MethodWindow(QMainWindow):
    """Base of the scribble and swatch windows."""

    def __init__(self, title: str, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAcceptDrops(True)
        self.jobs = JobRunner(self)
        self.size_label = QLabel("")
        self.cursor_label = QLabel("")
        bar = self.statusBar()
        bar.addPermanentWidget(self.size_label)
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.jobs.progress_bar)
        bar.addPermanentWidget(self.jobs.cancel_button)
        self.jobs.status.connect(lambda text: bar.showMessage(text, 5000))
        self.toolbar = QToolBar("Tools")
        self.toolbar.setObjectName("tools")
        self.addToolBar(self.toolbar)
        self.file_menu = self.menuBar().addMenu("&File")
        self.edit_menu = self.menuBar().addMenu("&Edit")
        self.view_menu = self.menuBar().addMenu("&View")
        close = QAction("Close window", self)
        close.setShortcut(QKeySequence.Close)
        close.triggered.connect(self.close)
        self.addAction(close)
        self.close_action = close
        self.resize(1100, 700)

    # -- helpers --------------------------------------------------------------------------

    def add_action(
        self,
        text: str,
        slot: Callable[[], None],
        shortcut: Optional[object] = None,
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
        action.triggered.connect(lambda _checked=False: slot())
        if menu is not None:
            menu.addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def watch_view(self, view: ImageView) -> None:
        """Show the cursor position over ``view`` in the status bar."""
        view.cursor_moved.connect(
            lambda x, y: self.cursor_label.setText(f"x {x}, y {y}")
        )

    def set_size_text(self, width: int, height: int) -> None:
        self.size_label.setText(f"{width} x {height} px")

    def ask_open(self, title: str, kind: str, file_filter: str = IMAGE_FILTER) -> Optional[str]:
        """A file to open (None when cancelled); remembers its folder."""
        path, _ = QFileDialog.getOpenFileName(
            self, title, settings.last_folder(kind), file_filter
        )
        if path:
            settings.remember_folder(kind, path)
        return path or None

    def ask_save(self, title: str, kind: str, file_filter: str = SAVE_FILTER,
                 suggestion: str = "") -> Optional[str]:
        """A file to write (None when cancelled); remembers its folder."""
        start = os.path.join(settings.last_folder(kind), suggestion)
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
        if paths:
            self.open_dropped(paths, event.pos())
            event.acceptProposedAction()

    def open_dropped(self, paths: list[str], position) -> None:
        """Open dropped files (overridden by windows)."""

    def closeEvent(self, event) -> None:  # noqa: N802
        self.jobs.wait()
        super().closeEvent(event)
