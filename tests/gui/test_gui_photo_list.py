"""The automatic window's photo list: names shortened in the middle, never cut off, the whole
path in the tooltip; thumbnails that show a result."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtWidgets import QApplication

from colorize_app.gui.photo_list import THUMBNAIL_SIDE, PhotoList, thumbnail
from colorize_app.gui.qt_objects import present
from colorize_app.sessions.cnn import PhotoEntry

LONG = "/photos/a folder/wood_coffee_gray_from_the_old_family_album_1954.png"
ELLIPSIS = "\u2026"


@pytest.fixture
def photo_list(qtbot):
    photos = PhotoList()
    qtbot.addWidget(photos)
    photos.resize(240, 400)
    photos.show()
    qtbot.waitExposed(photos)
    gray = np.full((30, 40), 0.5, np.float32)
    photos.add_loaded([(LONG, gray.shape, thumbnail(gray)),
                       ("/photos/dog.png", gray.shape, thumbnail(gray))])
    return photos


def lines_fit(photos: PhotoList, row: int) -> bool:
    metrics = photos.fontMetrics()
    return all(metrics.horizontalAdvance(line) <= photos.text_width()
               for line in present(photos.item(row)).text().split("\n"))


def test_a_long_name_is_shortened_in_the_middle_and_whole_in_the_tooltip(photo_list):
    first_line = photo_list.item(0).text().split("\n")[0]
    assert ELLIPSIS in first_line
    head, tail = first_line.split(ELLIPSIS)
    assert head and "wood_coffee_gray_from_the_old_family_album_1954.png".startswith(head)
    assert tail.endswith(".png") and LONG.endswith(tail)  # the extension is still seen
    assert photo_list.item(0).toolTip() == LONG
    assert lines_fit(photo_list, 0)
    assert photo_list.horizontalScrollBar().maximum() == 0  # nothing cut off at the edge
    # A short name is shown whole.
    assert photo_list.item(1).text() == "dog.png\n40 x 30, gray"


def test_a_wider_list_shows_more_of_the_name_and_a_wide_enough_one_all_of_it(photo_list):
    narrow = photo_list.item(0).text().split("\n")[0]
    photo_list.resize(420, 400)
    QApplication.processEvents()
    wider = photo_list.item(0).text().split("\n")[0]
    assert len(wider) > len(narrow) and lines_fit(photo_list, 0)
    photo_list.resize(1000, 400)
    QApplication.processEvents()
    assert photo_list.item(0).text().split("\n")[0] == LONG.rsplit("/", 1)[1]


def test_a_result_replaces_the_gray_thumbnail(photo_list):
    def corner_colour(row):
        image = photo_list.item(row).icon().pixmap(THUMBNAIL_SIDE, THUMBNAIL_SIDE).toImage()
        colour = image.pixelColor(image.width() // 2, image.height() // 2)
        return colour.red(), colour.green(), colour.blue()

    assert corner_colour(0) == (128, 128, 128)
    orange = np.zeros((300, 400, 3), np.float32)
    orange[...] = (0.9, 0.5, 0.1)
    photo_list.show_result(0, orange)
    assert corner_colour(0) == (230, 128, 26)
    assert corner_colour(1) == (128, 128, 128)  # the other photo is not colorized


def test_entries_keep_their_text_after_a_refresh(photo_list):
    entry: PhotoEntry = photo_list.entries[1]
    entry.saved_result = np.zeros((30, 40, 3), np.float32)
    photo_list.refresh(1)
    assert photo_list.item(1).text() == "dog.png\n40 x 30, colorized"
