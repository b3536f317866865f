"""The CNN window's list of photos: thumbnails, sizes, and whether each is colorized yet.

The entries are the window's session's (:class:`~colorize_app.sessions.cnn.PhotoEntry`,
re-exported here); the list widget shows them.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QIcon, QPixmap
from PyQt5.QtWidgets import QListWidget, QListWidgetItem, QStyle, QWidget

from algorithms.errors import BadInputError, MemoryBudgetError
from algorithms.progress import Reporter
from colorize_app.gui.image_view import to_qimage
from colorize_app.gui.qt_objects import present
from colorize_app.io import media
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.cnn import PhotoEntry
from colorize_app.sessions.memory import check_photo_file_memory

THUMBNAIL_SIDE = 72


def thumbnail(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` shrunk so that the longer side is THUMBNAIL_SIDE."""
    height, width = pixels.shape[:2]
    scale = THUMBNAIL_SIDE / max(height, width)
    size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _icon(small: np.ndarray) -> QIcon:
    return QIcon(QPixmap.fromImage(to_qimage(small)))


def image_files(paths: list[str]) -> list[str]:
    """The image files of ``paths``; a folder stands for the images in it."""
    files: list[str] = []
    for path in paths:
        files.extend(media.list_images(path) if os.path.isdir(path) else [path])
    return files


def read_thumbnails_task(files: list[str], native: bool = False):
    """A job-runner task reading ``files``: a list of (path, shape, thumbnail, ImageRef) or,
    for a file that cannot be read or colorized in the memory available (the command line's
    check, with the network at the photo's size when ``native``), (path, None, its one-line
    error)."""
    def task(progress, cancelled):
        report, loaded = Reporter(progress, cancelled), []
        for index, path in enumerate(files):
            report(index / len(files), os.path.basename(path))
            try:
                # From the header, before anything is decoded.
                check_photo_file_memory("cnn", path, native=native)
                pixels = media.read_image(path).pixels
                # The checksum is taken here, off the UI thread, for projects and autosave.
                ref = image_ref(path, (pixels.shape[1], pixels.shape[0]))
            except (BadInputError, MemoryBudgetError) as error:
                loaded.append((path, None, str(error)))
                continue
            loaded.append((path, pixels.shape, thumbnail(pixels), ref))
        return loaded

    return task


def save_results_task(entries: list[PhotoEntry], targets: list[str], temperature: float,
                      inputs: list[str]):
    """A job-runner task writing each entry's result to its target (atomically); returns
    the number written. ``inputs`` are files that must not be overwritten."""
    def task(progress, cancelled):
        report = Reporter(progress, cancelled)
        for index, (entry, target) in enumerate(zip(entries, targets)):
            report(index / len(entries), os.path.basename(target))
            media.write_image(target, entry.result(temperature), inputs=inputs)
        report(1.0, "done")
        return len(entries)

    return task


def output_names(entries: list[PhotoEntry], folder: str) -> list[str]:
    """``<folder>/<name>_colorized.png`` per entry; equal names from two folders are numbered."""
    targets, used = [], set()
    for entry in entries:
        stem = os.path.splitext(os.path.basename(entry.path))[0] + "_colorized"
        name, count = f"{stem}.png", 1
        while name in used:
            count += 1
            name = f"{stem}_{count}.png"
        used.add(name)
        targets.append(os.path.join(folder, name))
    return targets


class PhotoList(QListWidget):
    """The photos (``entries``, in list order) with a thumbnail and a state line each.

    The thumbnail shows the photo, then its colorization once it has one
    (:meth:`show_result`). A name too long for the list is shortened in the middle
    ("wood_co…gray.png", the extension kept) and shortened again when the list is resized;
    the tooltip gives the whole path.
    """

    def __init__(self, entries: list[PhotoEntry] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[PhotoEntry] = [] if entries is None else entries
        self.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.setSelectionMode(QListWidget.ExtendedSelection)
        self.setMinimumWidth(200)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)

    def new_files(self, files: list[str]) -> list[str]:
        known = {entry.path for entry in self.entries}
        return [path for path in files if path not in known]

    def add_loaded(self, loaded: list) -> list[str]:
        """Add what :func:`read_thumbnails_task` read; returns the errors of unreadable files."""
        problems = []
        for path, shape, small, *ref in loaded:
            if shape is None:
                problems.append(small)
                continue
            entry = PhotoEntry(path, shape[1], shape[0], len(shape) == 3,
                               ref=ref[0] if ref else None)
            self.entries.append(entry)
            self._add_item(entry, small)
            self.refresh(len(self.entries) - 1)
        if self.currentRow() < 0 and self.entries:
            self.setCurrentRow(0)
        return problems

    def show_entries(self, entries: list[PhotoEntry], thumbnails: list[np.ndarray]) -> None:
        """Show ``entries`` (a session's list, kept as it is) with their thumbnails, in place
        of the entries shown so far."""
        self.clear()
        self.entries = entries
        for row, (entry, small) in enumerate(zip(entries, thumbnails)):
            self._add_item(entry, small)
            self.refresh(row)

    def _add_item(self, entry: PhotoEntry, small: np.ndarray) -> None:
        item = QListWidgetItem(_icon(small), "")
        item.setToolTip(entry.path + ("\n(a colour photo: re-coloured from its lightness)"
                                      if entry.is_colour else ""))
        self.addItem(item)

    def show_result(self, row: int, rgb: np.ndarray | None) -> None:
        """Show ``rgb`` ((H, W, 3) in [0, 1], or its thumbnail) as ``row``'s thumbnail."""
        if rgb is not None and 0 <= row < self.count():
            present(self.item(row)).setIcon(_icon(thumbnail(rgb)))

    def text_width(self) -> int:
        """Pixels a line of text has beside the thumbnail without being cut off."""
        # The item's layout: the icon, then the text with a focus-frame margin each side.
        margin = (present(self.style()).pixelMetric(
            QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1) * 2
        return max(present(self.viewport()).width() - self.iconSize().width() - 2 * margin
                   - 2 * self.spacing(), 20)

    def refresh(self, row: int) -> None:
        """Update the text of ``row`` (name, size, state)."""
        entry = self.entries[row]
        # Short enough to show whole at the list's usual width (the tooltip says more).
        state = "colorized" if entry.colorized else (
            "colour photo" if entry.is_colour else "gray")
        metrics, width = self.fontMetrics(), self.text_width()
        lines = [os.path.basename(entry.path), f"{entry.width} x {entry.height}, {state}"]
        present(self.item(row)).setText("\n".join(
            metrics.elidedText(line, Qt.TextElideMode.ElideMiddle, width) for line in lines))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        for row in range(min(self.count(), len(self.entries))):
            self.refresh(row)

    def selected_rows(self) -> list[int]:
        """Selected rows in order, or the current row when none is selected."""
        rows = sorted({index.row() for index in self.selectedIndexes()})
        if not rows and self.currentRow() >= 0:
            rows = [self.currentRow()]
        return rows

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(rows, reverse=True):
            self.takeItem(row)
            del self.entries[row]

    def remove_all(self) -> None:
        self.remove_rows(list(range(len(self.entries))))

    def current_entry(self) -> PhotoEntry | None:
        row = self.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None
