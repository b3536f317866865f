"""`colorize levin`: files in and out, exit codes, one-line messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from algorithms.colorspace import rgb_to_yiq
from colorize_app.cli import main
from colorize_app.io.media import read_image, write_image


@pytest.fixture
def pair(tmp_path):
    """A gray photo with two flat halves, and its marked copy: red left, blue right."""
    gray = np.full((30, 40), 0.3)
    gray[:, 20:] = 0.7
    marked = np.repeat(gray[..., None], 3, axis=2)
    marked[5:8, 3:9] = [0.6, 0.3, 0.3]  # mild colours: at the photo's luminance they
    marked[22:25, 30:36] = [0.5, 0.7, 0.9]  # stay in gamut, so Y survives exactly
    write_image(tmp_path / "gray.png", gray)
    write_image(tmp_path / "marked.png", marked)
    return tmp_path / "gray.png", tmp_path / "marked.png"


def test_colorizes_each_half_from_its_own_stroke(pair, tmp_path, capsys):
    gray, marked = pair
    out = tmp_path / "out.png"
    assert main(["levin", str(gray), str(marked), "-o", str(out)]) == 0
    yiq = rgb_to_yiq(read_image(out).pixels.astype(np.float64))
    assert yiq[15, 5, 1] > 0.08  # red: positive I on the left
    assert yiq[15, 35, 1] < -0.05  # blue: negative I on the right
    np.testing.assert_allclose(yiq[..., 0], read_image(gray).pixels, atol=2 / 255)
    assert "-> " + str(out) in capsys.readouterr().out


def test_a_mask_makes_a_gray_stroke_a_hint(tmp_path):
    gray = np.full((20, 20), 0.5)
    gray[:, 10:] = 0.52  # a faint edge the colour would cross without the gray stroke
    marked = np.repeat(gray[..., None], 3, axis=2)
    marked[2:4, 2:4] = [0.9, 0.2, 0.2]
    mask = np.zeros((20, 20))
    mask[2:4, 2:4] = 1
    mask[15:18, 15:18] = 1  # a stroke in the photo's own gray: keep it neutral
    for name, image in (("gray", gray), ("marked", marked), ("mask", mask)):
        write_image(tmp_path / f"{name}.png", image)
    out = tmp_path / "out.png"
    args = ["levin", str(tmp_path / "gray.png"), str(tmp_path / "marked.png"), "-o", str(out)]
    assert main(args + ["--mask", str(tmp_path / "mask.png")]) == 0
    with_mask = rgb_to_yiq(read_image(out).pixels.astype(np.float64))
    assert abs(with_mask[16, 16, 1]) < 0.01
    assert with_mask[3, 3, 1] > 0.1


def test_missing_input_is_a_one_line_error_and_writes_nothing(pair, tmp_path, capsys):
    gray, _ = pair
    out = tmp_path / "out.png"
    assert main(["levin", str(gray), str(tmp_path / "nope.png"), "-o", str(out)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("colorize: error: ") and "nope.png" in error
    assert len(error.splitlines()) == 1
    assert not out.exists()


def test_marked_image_of_another_size(pair, tmp_path, capsys):
    gray, _ = pair
    write_image(tmp_path / "small.png", np.zeros((10, 10, 3)))
    assert main(["levin", str(gray), str(tmp_path / "small.png"), "-o",
                 str(tmp_path / "out.png")]) == 1
    assert "marked image is 10x10 but the photo is 40x30" in capsys.readouterr().err


def test_no_strokes_is_an_error(pair, tmp_path, capsys):
    gray, _ = pair
    assert main(["levin", str(gray), str(gray), "-o", str(tmp_path / "out.png")]) == 1
    assert "no hints" in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_refuses_to_overwrite_an_input(pair, capsys):
    gray, marked = pair
    before = marked.read_bytes()
    assert main(["levin", str(gray), str(marked), "-o", str(marked)]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert marked.read_bytes() == before


@pytest.mark.parametrize("arguments", [[], ["a.png"], ["a.png", "b.png"],
                                       ["a.png", "b.png", "-o", "c.png", "--radius", "0"]])
def test_bad_usage_exits_2(arguments):
    with pytest.raises(SystemExit) as exit_info:
        main(["levin", *arguments])
    assert exit_info.value.code == 2


def test_levin_does_not_import_tensorflow_or_qt(pair, tmp_path):
    gray, marked = pair
    code = (
        "import sys; from colorize_app.cli import main; "
        f"code = main(['levin', {str(gray)!r}, {str(marked)!r}, '-o', "
        f"{str(tmp_path / 'o.png')!r}]); "
        "assert code == 0, code; "
        "heavy = [m for m in ('tensorflow', 'PyQt5', 'torch') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exact_solve_cut_short_warns_in_one_line(tmp_path, monkeypatch, capsys):
    import cv2

    from algorithms import scribble

    blocks = np.random.default_rng(3).uniform(0.2, 0.8, (8, 10)).astype(np.float32)
    gray = cv2.resize(blocks, (160, 120), interpolation=cv2.INTER_CUBIC)  # soft edges
    marked = np.repeat(gray[..., None], 3, axis=2)
    marked[10:14, 10:20] = [0.7, 0.4, 0.3]
    marked[100:104, 130:140] = [0.3, 0.5, 0.7]
    write_image(tmp_path / "gray.png", gray)
    write_image(tmp_path / "marked.png", marked)
    monkeypatch.setattr(scribble, "EXACT_DIRECT_PIXELS", 0)  # iterate, even this small
    monkeypatch.setattr(scribble, "EXACT_MAX_ITERATIONS", 8)
    out = tmp_path / "out.png"
    args = ["levin", str(tmp_path / "gray.png"), str(tmp_path / "marked.png"), "-o", str(out)]
    assert main(args + ["--exact"]) == 0
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if line.startswith("colorize: warning: ")]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "colorize: warning: the exact solve stopped after 8 iterations short of its aim "
        "(every pixel within 1/255 of the exact solution in R, G and B): ")
    assert out.exists()
