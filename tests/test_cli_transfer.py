"""`colorize transfer`: files in and out, exit codes, messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from algorithms.colorspace import lab_to_rgb, rgb_to_lab
from colorize_app.cli import main
from colorize_app.io.media import read_image, write_image


@pytest.fixture
def photos(tmp_path):
    """A gray target and a two-colour reference, as PNG files."""
    lightness = np.full((40, 48), 35.0)
    lightness[:, 24:] = 75.0
    ab = np.zeros((40, 48, 2))
    ab[:, :24] = (45.0, 30.0)
    ab[:, 24:] = (-30.0, 40.0)
    reference = lab_to_rgb(np.concatenate([lightness[..., None], ab], axis=2))
    target = np.where(np.arange(36)[:, None] < 12, 0.75, 0.3) * np.ones((36, 30))
    write_image(tmp_path / "reference.png", reference)
    write_image(tmp_path / "target.png", target)
    return tmp_path / "target.png", tmp_path / "reference.png"


def test_success_writes_the_coloured_target(photos, tmp_path, capsys):
    target, reference = photos
    out = tmp_path / "out.png"
    assert main(["transfer", str(target), str(reference), "-o", str(out), "--method", "plain"]) == 0
    result = read_image(out).pixels
    assert result.shape == (36, 30, 3)
    lab = rgb_to_lab(result.astype(np.float64))
    assert lab[20, 10, 1] > 30  # the dark part took the reference's dark red
    assert lab[5, 10, 1] < -20  # the light part its light green
    assert str(out) in capsys.readouterr().out


def test_swatch_mode_with_a_region_file(photos, tmp_path):
    target, reference = photos
    regions = tmp_path / "regions.json"
    regions.write_text(json.dumps({"pairs": [
        {"reference": [2, 2, 15, 30], "target": [2, 20, 20, 10]},
        {"reference": [30, 2, 15, 30], "target": [2, 2, 20, 8]},
    ]}))
    out = tmp_path / "out.png"
    code = main(["transfer", str(target), str(reference), "-o", str(out),
                 "--regions", str(regions), "--samples", "50"])
    assert code == 0
    assert read_image(out).pixels.shape == (36, 30, 3)


def test_gray_reference_prints_a_warning(photos, tmp_path, capsys):
    target, _ = photos
    gray_reference = tmp_path / "gray.png"
    write_image(gray_reference, np.linspace(0, 1, 400).reshape(20, 20))
    out = tmp_path / "out.png"
    assert main(["transfer", str(target), str(gray_reference), "-o", str(out)]) == 0
    assert "colorize: warning: the reference has no colour" in capsys.readouterr().err
    assert out.exists()


@pytest.mark.parametrize(
    ("content", "names"),
    [
        ('{"pairs": []}', "no pairs"),
        ('{"pairs": [{"reference": [0, 0, 5, 5]}]}', "missing key 'target'"),
        ('{"pairs": [{"reference": [0, 0, 5, 5], "target": [0, 0, "x", 5]}]}', "must be a number"),
        ('{"pairs": [{"reference": [0, 0, 5, 5], "target": [20, 20, 50, 5]}]}', "outside"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_region_file_exits_1_with_one_line_and_writes_nothing(
    photos, tmp_path, capsys, content, names
):
    target, reference = photos
    regions = tmp_path / "regions.json"
    regions.write_text(content)
    out = tmp_path / "out.png"
    code = main(["transfer", str(target), str(reference), "-o", str(out),
                 "--regions", str(regions)])
    assert code == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("colorize: error:") and names in error
    assert len(error.splitlines()) == 1
    assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "reference.png", "regions.json", "target.png"
    ]


def test_missing_input_exits_1(photos, tmp_path, capsys):
    _, reference = photos
    out = tmp_path / "out.png"
    code = main(["transfer", str(tmp_path / "absent.png"), str(reference), "-o", str(out)])
    assert code == 1
    assert "absent.png" in capsys.readouterr().err
    assert not out.exists()


def test_output_over_an_input_is_refused(photos, capsys):
    target, reference = photos
    before = target.read_bytes()
    assert main(["transfer", str(target), str(reference), "-o", str(target)]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    "extra",
    [
        [],  # no -o
        ["-o", "out.png", "--samples", "0"],
        ["-o", "out.png", "--samples", "many"],
        ["-o", "out.png", "--neighbourhood", "4"],
        ["-o", "out.png", "--method", "fancy"],
    ],
)
def test_bad_usage_exits_2(photos, extra, capsys):
    target, reference = photos
    with pytest.raises(SystemExit) as caught:
        main(["transfer", str(target), str(reference), *extra])
    assert caught.value.code == 2
    assert "usage:" in capsys.readouterr().err
