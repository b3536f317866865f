"""Region files for swatch transfer: format, validation, round trip through files."""

from __future__ import annotations

import json

import pytest

from algorithms.errors import BadInputError
from algorithms.regions import (
    Rect,
    SwatchPair,
    parse_regions,
    regions_to_json,
    validate_regions,
)
from colorize_app.io.text_files import read_regions, write_regions

PAIRS = [
    SwatchPair(reference=Rect(0, 1, 10, 20), target=Rect(5, 6, 7, 8)),
    SwatchPair(reference=Rect(30, 40, 2, 3), target=Rect(0, 0, 1, 1)),
]


def text_with(pair: dict) -> str:
    return json.dumps({"pairs": [pair]})


def test_documented_example_parses_to_rectangles():
    text = '{"pairs": [{"reference": [1, 2, 30, 40], "target": [5, 6, 7, 8]}]}'
    (pair,) = parse_regions(text)
    assert pair.reference == Rect(x=1, y=2, width=30, height=40)
    assert pair.target == Rect(x=5, y=6, width=7, height=8)
    assert pair.target.slices == (slice(6, 14), slice(5, 12))


def test_json_text_round_trip():
    assert parse_regions(regions_to_json(PAIRS)) == PAIRS


def test_file_round_trip(tmp_path):
    path = tmp_path / "swatches.json"
    write_regions(path, PAIRS)
    assert read_regions(path) == PAIRS
    assert json.loads(path.read_text())["pairs"][0] == {
        "reference": [0, 1, 10, 20],
        "target": [5, 6, 7, 8],
    }


def test_whole_floats_are_accepted_as_pixels():
    (pair,) = parse_regions(text_with({"reference": [1.0, 2.0, 3.0, 4.0], "target": [0, 0, 2, 2]}))
    assert pair.reference == Rect(1, 2, 3, 4)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("{}", "missing key 'pairs'"),
        ('{"pairs": []}', "no pairs"),
        ('{"pairs": {}}', "'pairs' must be a list"),
        ("[1, 2]", "JSON object"),
        ('{"pairs": [', "not valid JSON"),
        ('{"pairs": [[1, 2, 3, 4]]}', "pair 1 must be an object"),
        (text_with({"reference": [0, 0, 1, 1]}), "pair 1: missing key 'target'"),
        (text_with({"target": [0, 0, 1, 1]}), "pair 1: missing key 'reference'"),
        (text_with({"reference": [0, 0, 1], "target": [0, 0, 1, 1]}), "4 numbers"),
        (text_with({"reference": "0 0 1 1", "target": [0, 0, 1, 1]}), "4 numbers"),
        (text_with({"reference": [0, 0, 1, 1], "target": [0, "a", 1, 1]}), "y must be a number"),
        (text_with({"reference": [0, 0, True, 1], "target": [0, 0, 1, 1]}), "w must be a number"),
        (text_with({"reference": [0, 0, 1, None], "target": [0, 0, 1, 1]}), "h must be a number"),
        (text_with({"reference": [0, 0, 0, 5], "target": [0, 0, 1, 1]}), "is empty"),
        (text_with({"reference": [0, 0, 5, 5], "target": [0, 0, 3, -2]}), "is empty"),
        (text_with({"reference": [-1, 0, 5, 5], "target": [0, 0, 3, 2]}), "negative"),
    ],
)
def test_bad_region_text_is_refused_with_a_message_naming_the_problem(text, names):
    with pytest.raises(BadInputError, match=names) as caught:
        parse_regions(text)
    assert "\n" not in str(caught.value)


def test_infinite_coordinate_is_refused():
    with pytest.raises(BadInputError, match="finite"):
        parse_regions('{"pairs": [{"reference": [0, 0, 1e999, 1], "target": [0, 0, 1, 1]}]}')


def test_second_pair_is_named_in_the_message():
    good = {"reference": [0, 0, 1, 1], "target": [0, 0, 1, 1]}
    text = json.dumps({"pairs": [good, {"reference": [0, 0, 1, 1]}]})
    with pytest.raises(BadInputError, match="pair 2"):
        parse_regions(text)


def test_rectangles_inside_their_images_pass():
    validate_regions(PAIRS, target_shape=(14, 12), reference_shape=(43, 32, 3))


@pytest.mark.parametrize(
    ("target_shape", "reference_shape", "names"),
    [
        ((14, 11), (43, 32), "pair 1: target .* outside the target image \\(11x14"),
        ((13, 12), (43, 32), "pair 1: target"),
        ((14, 12), (20, 32), "pair 1: reference .* outside the reference image"),
        ((14, 12), (42, 32), "pair 2: reference"),
    ],
)
def test_rectangles_reaching_outside_their_images_are_refused(
    target_shape, reference_shape, names
):
    with pytest.raises(BadInputError, match=names):
        validate_regions(PAIRS, target_shape, reference_shape)


def test_no_pairs_is_refused_by_validation_and_by_writing(tmp_path):
    with pytest.raises(BadInputError, match="no pairs"):
        validate_regions([], (10, 10), (10, 10))
    with pytest.raises(BadInputError, match="no pairs"):
        write_regions(tmp_path / "empty.json", [])
    assert list(tmp_path.iterdir()) == []


def test_reading_names_the_file_and_the_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"pairs": []}')
    with pytest.raises(BadInputError, match=f"bad region file {path}: .*no pairs"):
        read_regions(path)


def test_reading_a_missing_or_binary_file_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="no such region file"):
        read_regions(tmp_path / "absent.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(BadInputError, match="not UTF-8"):
        read_regions(binary)
    with pytest.raises(BadInputError, match="folder"):
        read_regions(tmp_path)


def test_writing_never_overwrites_an_input(tmp_path):
    source = tmp_path / "regions.json"
    source.write_text("keep me")
    with pytest.raises(BadInputError, match="overwrite"):
        write_regions(source, PAIRS, inputs=[source])
    assert source.read_text() == "keep me"


def test_one_check_that_a_rectangle_lies_inside_its_image():
    from algorithms.regions import check_inside, lies_inside

    assert lies_inside(Rect(0, 0, 40, 30), 40, 30)  # the whole image
    assert lies_inside(Rect(39, 29, 1, 1), 40, 30)  # the last pixel
    for outside in (Rect(-1, 0, 5, 5), Rect(0, -1, 5, 5), Rect(36, 0, 5, 5),
                    Rect(0, 26, 5, 5)):
        assert not lies_inside(outside, 40, 30)
    check_inside(Rect(35, 25, 5, 5), 40, 30, "target", "swatch pair 1")
    with pytest.raises(BadInputError) as refused:
        check_inside(Rect(36, 0, 5, 5), 40, 30, "reference", "swatch pair 3")
    assert str(refused.value) == ("swatch pair 3: reference [36, 0, 5, 5] lies outside the "
                                  "reference image (40x30 pixels)")
