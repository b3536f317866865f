"""Property tests: strokes, swatch pairs, region files and projects survive a round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from algorithms.errors import BadInputError
from algorithms.regions import Rect, SwatchPair, parse_regions, regions_to_json
from colorize_app.documents.strokes import (
    KINDS,
    Stroke,
    stroke_from_data,
    stroke_to_data,
    strokes_from_data,
)
from colorize_app.documents.swatches import SwatchEntry, entries_from_data, entries_to_data
from colorize_app.io.project import Project, load_project, save_project

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

coordinates = st.floats(-1e5, 1e5, allow_nan=False, allow_infinity=False)
unit = st.floats(0.0, 1.0, allow_nan=False)
strokes_strategy = st.builds(
    Stroke,
    points=st.lists(st.tuples(coordinates, coordinates), min_size=1, max_size=20),
    colour=st.tuples(unit, unit, unit),
    width=st.floats(0.5, 200.0),
    kind=st.sampled_from(KINDS),
)
rects = st.builds(Rect, st.integers(0, 5000), st.integers(0, 5000), st.integers(1, 5000),
                  st.integers(1, 5000))
entries = st.builds(SwatchEntry, st.none() | rects, st.none() | rects).filter(
    lambda entry: entry.target is not None or entry.reference is not None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=10,
)


@BOUNDED
@given(strokes_strategy)
def test_a_stroke_survives_serialisation(stroke):
    assert stroke_from_data(stroke_to_data(stroke)) == stroke


@BOUNDED
@given(st.lists(entries, max_size=8))
def test_swatch_entries_survive_serialisation(board):
    assert entries_from_data(entries_to_data(board)) == board


@BOUNDED
@given(st.lists(st.builds(SwatchPair, reference=rects, target=rects), min_size=1, max_size=6))
def test_region_files_survive_a_round_trip(pairs):
    assert parse_regions(regions_to_json(pairs)) == pairs


@BOUNDED
@given(json_values)
def test_any_json_as_strokes_or_swatches_is_accepted_or_a_one_line_error(value):
    for parse in (strokes_from_data, entries_from_data):
        try:
            parse(value)
        except BadInputError as error:
            assert str(error) and "\n" not in str(error)


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strokes=st.lists(strokes_strategy, max_size=5), board=st.lists(entries, max_size=4),
       options=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
       height=st.integers(1, 12), width=st.integers(1, 12), seed=st.integers(0, 1000))
def test_a_project_survives_save_and_load(tmp_path, strokes, board, options, height, width,
                                          seed):
    rng = np.random.default_rng(seed)
    layers = {"result": rng.random((height, width, 3)).astype(np.float32),
              "mask": rng.random((height, width)) > 0.5}
    saved = Project("scribble", settings=options, strokes=strokes, swatches=board,
                    layers=layers)
    save_project(tmp_path / "p.colorize", saved, backup=False)
    loaded = load_project(tmp_path / "p.colorize")
    assert loaded.strokes == strokes and loaded.swatches == board
    assert loaded.settings == options
    assert np.abs(loaded.layers["result"] - layers["result"]).max() <= 0.5 / 65535 + 1e-7
    np.testing.assert_array_equal(loaded.layers["mask"], layers["mask"])


@pytest.mark.parametrize("data, message", [
    ({"kind": "brush"}, "stroke: kind must be one of paint, keep, erase"),
    ({"kind": "paint", "colour": [0, 0, 2], "width": 3, "points": [[0, 0]]},
     "stroke: colour values must lie in [0, 1]"),
    ({"kind": "paint", "colour": [0, 0, 0], "width": 1e9, "points": [[0, 0]]},
     "stroke: width must lie in (0, 1000.0]"),
    ({"kind": "paint", "colour": [0, 0, 0], "width": 3, "points": []},
     "stroke: points must be a non-empty list of [x, y]"),
    ({"kind": "paint", "colour": [0, 0, 0], "width": 3, "points": [[0, True]]},
     "stroke: point must be a finite number, got True"),
])
def test_malformed_strokes_name_the_problem(data, message):
    with pytest.raises(BadInputError) as error:
        stroke_from_data(data)
    assert str(error.value) == message


def test_too_many_points_to_draw_are_refused():
    stroke = {"kind": "paint", "colour": [0, 0, 0], "width": 900.0,
              "points": [[1.0, 1.0]] * 10_000}
    with pytest.raises(BadInputError, match="too many strokes to draw"):
        strokes_from_data([stroke])
