"""The Qt-free stroke model: rasterisation into a marked image and mask, undo, clear."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.scribble import hints_from_marked
from colorize_app.documents.strokes import Stroke, Strokes, stroke_footprint

RED = (1.0, 0.0, 0.0)


def gray_photo(height=20, width=30):
    return np.full((height, width), 0.5, dtype=np.float32)


def test_horizontal_stroke_covers_its_band_with_its_colour():
    photo = gray_photo()
    strokes = Strokes(photo.shape)
    strokes.add(Stroke([(5, 10), (20, 10)], RED, width=3))
    marked, mask = strokes.rasterise(photo)
    # A 3 pixel wide line from column 5 to 20 on row 10: rows 9..11, and the round caps
    # (radius 1.5) reach one column beyond each end (corner centres lie sqrt(2) away).
    expected = np.zeros(photo.shape, bool)
    expected[9:12, 4:22] = True
    assert np.array_equal(mask, expected)
    assert np.allclose(marked[mask], RED)
    assert np.allclose(marked[~mask], 0.5)


def test_single_point_is_a_dot_of_the_brush_width():
    footprint = stroke_footprint((21, 21), Stroke([(10, 10)], RED, width=9))
    rows, columns = np.nonzero(footprint)
    assert footprint[10, 10]
    assert rows.min() >= 5 and rows.max() <= 15 and columns.min() >= 5 and columns.max() <= 15
    assert footprint[10, 6] and footprint[10, 14] and not footprint[10, 5] and not footprint[6, 6]


def test_erase_removes_hints_and_keep_pins_the_photo_colour():
    photo = np.zeros((10, 10, 3), np.float32)
    photo[..., 2] = 0.8  # a blue photo
    strokes = Strokes(photo.shape[:2])
    strokes.add(Stroke([(1, 5), (8, 5)], RED, width=1))
    strokes.add(Stroke([(4, 5)], width=1, kind="erase"))
    strokes.add(Stroke([(0, 0)], width=1, kind="keep"))
    marked, mask = strokes.rasterise(photo)
    assert mask[5, 1] and mask[5, 8] and not mask[5, 4]
    assert np.allclose(marked[5, 4], photo[5, 4])
    assert mask[0, 0] and np.allclose(marked[0, 0], photo[0, 0])
    hint_chroma, hint_mask = hints_from_marked(photo, marked, mask)
    assert np.array_equal(hint_mask, mask)


def test_pop_and_restore_undo_changes():
    photo = gray_photo()
    strokes = Strokes(photo.shape)
    strokes.add(Stroke([(3, 3), (9, 3)], RED, width=2))
    before = strokes.snapshot()
    strokes.clear()
    assert strokes.empty and not strokes.rasterise(photo)[1].any()
    strokes.restore(before)
    assert strokes.rasterise(photo)[1].any()
    strokes.pop()
    assert strokes.empty


def test_loaded_hint_layer_lies_under_the_strokes():
    photo = gray_photo(8, 8)
    marked = np.repeat(photo[..., None], 3, axis=2)
    marked[2, 2] = (0.0, 1.0, 0.0)
    layer = np.zeros(photo.shape, bool)
    layer[2, 2] = True
    strokes = Strokes(photo.shape)
    strokes.set_base(photo, marked, layer)
    strokes.add(Stroke([(6, 6)], RED, width=1))
    result, mask = strokes.rasterise(photo)
    assert mask[2, 2] and mask[6, 6] and mask.sum() == 2
    assert np.allclose(result[2, 2], (0, 1, 0)) and np.allclose(result[6, 6], RED)


def test_unknown_kind_and_wrong_photo_size_are_refused():
    with pytest.raises(ValueError):
        Stroke([(0, 0)], kind="spray")
    with pytest.raises(ValueError):
        Strokes((4, 4)).rasterise(np.zeros((5, 5)))
