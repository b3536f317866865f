"""The colour-transfer window's swatch pair list has a heading, and Save regions suggests a
file named after the photo."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PyQt5.QtCore import QPoint
from PyQt5.QtWidgets import QFileDialog

from colorize_app.gui.swatch_window import SwatchWindow
from colorize_app.io import media


@pytest.fixture
def window(qtbot):
    window = SwatchWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def asked(monkeypatch, tmp_path):
    """The file names the save dialog suggests; it answers Cancel."""
    suggested = []

    def ask(parent, title, start, *args, **kwargs):
        suggested.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    return suggested


def test_the_pair_list_has_a_heading_above_it(window):
    heading = window.pair_heading
    assert heading.isVisible() and heading.text().startswith("<b>Swatch pairs</b>")
    assert "target &lt;- reference" in heading.text()  # read: the target takes from...
    list_top = window.pair_list.mapTo(window, QPoint(0, 0))
    heading_top = heading.mapTo(window, QPoint(0, 0))
    assert heading_top.y() + heading.height() <= list_top.y()
    assert abs(heading_top.x() - list_top.x()) <= 2  # over the list, not elsewhere


def test_save_regions_suggests_the_targets_name(window, asked, tmp_path):
    target = tmp_path / "old_photo.png"
    reference = tmp_path / "beach.jpg"
    media.write_image(target, np.full((20, 30), 0.5, np.float32))
    media.write_image(reference, np.full((20, 30, 3), 0.5, np.float32))
    assert window.load_image("reference", str(reference))
    window.save_regions()
    assert os.path.basename(asked[-1]) == "beach_swatches.json"  # no target yet
    assert window.load_image("target", str(target))
    window.save_regions()
    assert os.path.basename(asked[-1]) == "old_photo_swatches.json"
    assert "regions.json" not in asked[-1]


def test_without_a_photo_file_the_suggestion_is_still_a_swatch_file(window, asked):
    window.set_image("target", np.full((20, 30), 0.5, np.float32))  # pixels, no file
    window.save_regions()
    assert os.path.basename(asked[-1]) == "photo_swatches.json"
