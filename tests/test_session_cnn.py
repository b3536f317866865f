"""The automatic method's Qt-free session: projects in and out, one temperature rule for the
command line, the window and projects, and the engine call on a tiny model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from algorithms.colorspace import lab_lightness, rgb_to_lab
from algorithms.errors import BadInputError
from colorize_app import cli
from colorize_app.io import media, project_images
from colorize_app.io.project import Project, load_project, save_project
from colorize_app.io.project_images import image_ref, resolve_image
from colorize_app.sessions.cnn import (
    CnnSession,
    ModelChoice,
    PhotoEntry,
    check_temperature,
)

#: Results are kept as 16-bit PNG layers.
LAYER_TOLERANCE = 0.5 / 65535 + 1e-7


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "embedded"))


def gray_photo(path: Path, height: int = 24, width: int = 40, phase: float = 0.0) -> Path:
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    media.write_image(path, (0.5 + 0.4 * np.sin(8 * xx + phase) * np.cos(5 * yy))
                      .astype(np.float32))
    return path


def two_photo_session(tmp_path: Path) -> CnnSession:
    """Two gray photos, the second shown with a (made-up) result, T = 0.3."""
    paths = [gray_photo(tmp_path / f"p{i}.png", phase=i) for i in range(2)]
    photos = [PhotoEntry(str(p), 40, 24, False, ref=image_ref(p, (40, 24))) for p in paths]
    result = np.random.default_rng(1).uniform(0, 1, (24, 40, 3)).astype(np.float32)
    return CnnSession(photos=photos, current=1, temperature=0.3, result=result,
                      model=ModelChoice("/models/tiny.npz", None, "tiny"))


def reopen(path: Path) -> CnnSession:
    """A saved project read back as the window and the command line read it."""
    project = load_project(path)
    images = {role: media.read_image(resolve_image(ref, role, path))
              for role, ref in project.images.items()}
    return CnnSession.from_project(project, images)


def test_a_project_round_trip_keeps_photos_settings_and_the_shown_result(tmp_path):
    session = two_photo_session(tmp_path)
    save_project(tmp_path / "album.colorize", session.to_project())
    again = reopen(tmp_path / "album.colorize")

    assert [Path(p.path).name for p in again.photos] == ["p0.png", "p1.png"]
    assert (again.current, again.temperature, again.model) == (1, 0.3, session.model)
    assert [p.colorized for p in again.photos] == [False, True]
    assert np.abs(again.photos[1].saved_result - session.result).max() <= LAYER_TOLERANCE
    assert again.photos[1].ref.sha256 == session.photos[1].ref.sha256 != ""
    # The restored result is what the shown photo decodes to until it is colorized again.
    assert again.decode_current() is again.photos[1].saved_result


@pytest.mark.parametrize("value, shown", [(0, "0"), (11, "11"), (float("nan"), "nan"),
                                          ("0.5", "0.5"), (True, "True"), (None, "None")])
def test_check_temperature_has_one_rule_and_one_message(value, shown):
    with pytest.raises(BadInputError) as error:
        check_temperature(value)
    assert str(error.value) == f"temperature must be in (0, 10], got {shown}"


def test_the_engines_range_is_accepted_at_both_ends():
    assert check_temperature(10) == 10.0 and check_temperature(1e-3) == 1e-3


def test_a_bad_project_is_refused_with_the_same_words_by_the_session_and_the_cli(
        tmp_path, capsys):
    project = two_photo_session(tmp_path).to_project()
    project.settings["temperature"] = 11  # the window's slider never gives this, a hand might
    save_project(tmp_path / "bad.colorize", project)

    with pytest.raises(BadInputError) as error:
        reopen(tmp_path / "bad.colorize")
    message = str(error.value)
    assert message == "temperature must be in (0, 10], got 11"
    assert cli.main(["cnn", "--project", str(tmp_path / "bad.colorize"),
                     "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == f"colorize: error: {tmp_path / 'bad.colorize'}: {message}\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("change, message", [
    (lambda p: p.settings.update(photos=["photo_0", "photo_7"]),
     "the project's photo list names photos it does not hold"),
    (lambda p: p.layers.update(result_0=np.zeros((5, 5, 3), np.float32)),
     "the result of p0.png does not match its photo's size"),
])
def test_other_damage_is_refused_in_one_line(tmp_path, change, message):
    project = two_photo_session(tmp_path).to_project()
    change(project)
    save_project(tmp_path / "bad.colorize", project)
    with pytest.raises(BadInputError, match=message):
        reopen(tmp_path / "bad.colorize")


def test_a_shown_row_out_of_range_is_not_worth_refusing(tmp_path):
    project = two_photo_session(tmp_path).to_project()
    project.settings["current"] = 9
    assert CnnSession.from_project(project, {
        role: media.read_image(ref.path) for role, ref in project.images.items()}).current == 0


def test_another_methods_project_is_refused():
    with pytest.raises(BadInputError, match="a scribble project is not a cnn one"):
        CnnSession.from_project(Project("scribble"), {})


def test_settings_the_engine_cannot_use_are_refused():
    for session, message in [(CnnSession(decoding="vivid"), "decoding must be one of"),
                             (CnnSession(input_size=100), "multiple of 8, got 100"),
                             (CnnSession(temperature=0.0), r"must be in \(0, 10\]")]:
        with pytest.raises(BadInputError, match=message):
            session.check()


def test_the_engine_call_colorizes_with_the_photos_own_lightness(tmp_path, model_file):
    session = CnnSession(model=ModelChoice(str(model_file)), temperature=0.3, input_size=32)
    path = gray_photo(tmp_path / "photo.png", 30, 44)
    gray = media.read_image(path).pixels
    reports = []
    with session.load_colorizer() as colorizer:
        rgb = session.colorize(colorizer, gray, progress=lambda f, m: reports.append(f))
        session.photos.append(PhotoEntry(str(path), 44, 30))
        prediction, _ = session.colorize_entry(colorizer, session.photos[0])
    assert rgb.shape == (30, 44, 3) and rgb.dtype == np.float32
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    # Only ab comes from the network: L is the photo's (up to the 8-bit file's rounding).
    assert np.median(np.abs(rgb_to_lab(rgb)[..., 0] - lab_lightness(gray))) < 0.5
    assert reports[-1] == 1.0
    # The kept prediction re-decodes to the same result at the session's temperature.
    session.photos[0].prediction = prediction
    np.testing.assert_allclose(session.decode_current(), rgb, atol=1e-6)


def test_the_cli_colorizes_a_project_with_its_model_and_temperature(tmp_path, model_file,
                                                                    capsys):
    session = two_photo_session(tmp_path)
    session.model = ModelChoice(str(model_file), None, "tiny.npz")
    save_project(tmp_path / "album.colorize", session.to_project())
    out = tmp_path / "out"
    assert cli.main(["cnn", "--project", str(tmp_path / "album.colorize"), "-o", str(out),
                     "--size", "32"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png"]
    assert "colorized 2 images" in capsys.readouterr().out
    # The same photos by name at the project's temperature give the same colours.
    by_name = tmp_path / "by_name"
    assert cli.main(["cnn", str(tmp_path / "p0.png"), str(tmp_path / "p1.png"), "-o",
                     str(by_name), "--model", str(model_file), "--temperature", "0.3",
                     "--size", "32"]) == 0
    for name in ("p0.png", "p1.png"):
        np.testing.assert_array_equal(media.read_image(out / name).pixels,
                                      media.read_image(by_name / name).pixels)


def test_the_cli_wants_photos_or_a_project_not_both(tmp_path, capsys):
    for argv in (["cnn", "-o", str(tmp_path / "o.png")],
                 ["cnn", str(tmp_path / "a.png"), "--project", str(tmp_path / "p.colorize"),
                  "-o", str(tmp_path / "o.png")]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
    assert "--project gives the photos" in capsys.readouterr().err


def test_a_project_whose_model_has_gone_asks_for_model(tmp_path, capsys):
    save_project(tmp_path / "album.colorize", two_photo_session(tmp_path).to_project())
    assert cli.main(["cnn", "--project", str(tmp_path / "album.colorize"),
                     "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.endswith(
        "the project's model tiny is not here; pass --model FILE\n")
