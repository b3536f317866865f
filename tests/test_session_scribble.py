"""The scribble session (Qt-free): project round trips, one validation for the command line
and the window, and the engine call on photos with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.colorspace import rgb_to_yiq
from algorithms.errors import BadInputError
from colorize_app import cli
from colorize_app.documents.strokes import Stroke
from colorize_app.io import media
from colorize_app.io.project import Project, load_project, save_project
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.scribble import (
    ScribbleSession,
    prior_weight_for_reach,
    stroke_reach_of,
)

HEIGHT, WIDTH = 30, 40
RED, BLUE = (0.6, 0.3, 0.3), (0.5, 0.7, 0.9)  # in gamut at the halves' luminance


def two_halves() -> np.ndarray:
    """A gray photo: 0.3 on the left half, 0.7 on the right."""
    gray = np.full((HEIGHT, WIDTH), 0.3, np.float32)
    gray[:, WIDTH // 2:] = 0.7
    return gray


def one_stroke_per_half() -> list[Stroke]:
    return [Stroke([(5.0, 5.0), (5.0, 24.0)], RED, 3.0, "paint"),
            Stroke([(32.0, 5.0), (32.0, 24.0)], BLUE, 3.0, "paint")]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "halves.png"
    media.write_image(path, two_halves(), bit_depth=16)
    return path


def loaded(path) -> dict:
    return {"photo": media.read_image(path)}


def session_of(photo) -> ScribbleSession:
    session = ScribbleSession(two_halves(), str(photo), image_ref(photo, (WIDTH, HEIGHT)))
    for stroke in one_stroke_per_half():
        session.add_stroke(stroke)
    return session


def test_flat_halves_take_the_colour_of_their_own_stroke():
    session = ScribbleSession(two_halves())
    for stroke in one_stroke_per_half():
        session.add_stroke(stroke)
    fractions = []
    result = session.colorize(progress=lambda fraction, message: fractions.append(fraction))
    yiq = rgb_to_yiq(result.astype(np.float64))
    np.testing.assert_allclose(yiq[..., 0], two_halves(), atol=1e-4)  # luminance kept
    for columns, colour in ((slice(0, WIDTH // 2), RED), (slice(WIDTH // 2, WIDTH), BLUE)):
        expected = rgb_to_yiq(np.array([[colour]], np.float64))[0, 0, 1:]
        np.testing.assert_allclose(yiq[:, columns, 1:], np.broadcast_to(
            expected, yiq[:, columns, 1:].shape), atol=0.01)
    assert session.result is result and not session.result_is_stale
    assert fractions and all(0.0 <= f <= 1.0 for f in fractions)
    session.add_stroke(Stroke([(1.0, 1.0)], RED, 2.0))
    assert session.result_is_stale


def test_a_session_with_nothing_to_colorize_from_says_so():
    with pytest.raises(BadInputError, match="^no strokes to colorize from$"):
        ScribbleSession(two_halves()).engine_inputs()


def test_undoing_a_stroke_redraws_the_hints():
    session = ScribbleSession(two_halves())
    session.add_stroke(Stroke([(10.0, 10.0)], RED, 3.0))
    assert session.mask.sum() == 9  # a 3 x 3 dot: centres closer than 1.5 pixels
    session.remove_last_stroke()
    assert not session.mask.any() and not session.has_hints


def test_project_round_trip_keeps_everything(photo, tmp_path):
    session = session_of(photo)
    hint_marked = np.repeat(two_halves()[..., None], 3, axis=2)
    hint_marked[2:4, 30:34] = (0.0, 0.0, 1.0)
    hint_mask = np.zeros((HEIGHT, WIDTH), bool)
    hint_mask[2:4, 30:34] = True
    session.strokes.set_base(two_halves(), hint_marked, hint_mask)
    prior = np.random.default_rng(3).random((HEIGHT, WIDTH, 3)).astype(np.float32)
    session.set_prior(prior, "eccv16.pth")
    session.stroke_reach = 0.37
    session.set_result(np.full((HEIGHT, WIDTH, 3), 0.5, np.float32))
    session.add_stroke(Stroke([(20.0, 20.0)], (0.0, 1.0, 0.0), 4.0, "erase"))  # now stale

    save_project(tmp_path / "work.colorize", session.to_project())
    again = ScribbleSession.from_project(load_project(tmp_path / "work.colorize"),
                                         loaded(photo))
    assert again.strokes.strokes == session.strokes.strokes
    np.testing.assert_array_equal(again.strokes.base_mask, hint_mask)
    np.testing.assert_array_equal(again.mask, session.mask)
    np.testing.assert_allclose(again.marked, session.marked, atol=0.5 / 65535)
    np.testing.assert_allclose(again.prior_rgb, prior, atol=0.5 / 65535)
    assert again.prior_model == "eccv16.pth" and again.stroke_reach == 0.37
    assert again.result is not None and again.result_is_stale
    assert again.photo_path == str(photo)
    assert again.photo_ref.sha256 == session.photo_ref.sha256 != ""
    assert again.prior_weight() == session.prior_weight()


def test_an_older_projects_prior_weight_gives_its_stroke_reach():
    weight = prior_weight_for_reach(0.25, (HEIGHT, WIDTH))
    assert stroke_reach_of({"prior_weight": weight}, (HEIGHT, WIDTH)) == pytest.approx(0.25)
    assert stroke_reach_of({"stroke_reach": 0.5, "prior_weight": weight},
                           (HEIGHT, WIDTH)) == 0.5
    assert stroke_reach_of({"stroke_reach": 5.0}, (HEIGHT, WIDTH)) == 1.0  # clamped
    assert stroke_reach_of({}, (HEIGHT, WIDTH)) is None
    project = Project("scribble", settings={"prior_weight": weight})
    session = ScribbleSession.from_project(project, {"photo": media.LoadedImage(
        two_halves(), 8, (), "halves.png")})
    assert session.prior_weight() == pytest.approx(weight)


BAD_PROJECTS = {
    "prior weight above 10": (
        {"prior_weight": 11}, {}, "prior_weight must be a number in [0, 10]"),
    "prior weight not a number": (
        {"prior_weight": "strong"}, {}, "prior_weight must be a number in [0, 10]"),
    "prior layer of another size": (
        {}, {"prior": np.zeros((10, 12, 3), np.float32)},
        f"layer prior is 12 x 10 pixels, the photo {WIDTH} x {HEIGHT}"),
    "result layer of another size": (
        {}, {"result": np.zeros((HEIGHT, WIDTH + 1, 3), np.float32)},
        f"layer result is {WIDTH + 1} x {HEIGHT} pixels, the photo {WIDTH} x {HEIGHT}"),
}


@pytest.mark.parametrize("case", BAD_PROJECTS)
def test_the_command_line_and_the_session_refuse_a_bad_project_alike(case, photo, tmp_path,
                                                                       capsys):
    settings, layers, message = BAD_PROJECTS[case]
    project = Project("scribble", images={"photo": image_ref(photo, (WIDTH, HEIGHT))},
                      settings=settings, strokes=one_stroke_per_half(), layers=layers)
    path = tmp_path / "bad.colorize"
    save_project(path, project)
    with pytest.raises(BadInputError) as error:
        ScribbleSession.from_project(load_project(path), loaded(photo))
    assert str(error.value) == message
    assert cli.main(["levin", "--project", str(path), "-o", str(tmp_path / "o.png")]) == 1
    assert capsys.readouterr().err == f"colorize: error: {path}: {message}\n"
    assert not (tmp_path / "o.png").exists()


def test_a_project_without_strokes_is_refused_alike(photo, tmp_path, capsys):
    path = tmp_path / "empty.colorize"
    save_project(path, Project("scribble", images={"photo": image_ref(photo)}))
    session = ScribbleSession.from_project(load_project(path), loaded(photo))
    with pytest.raises(BadInputError) as error:
        session.engine_inputs()
    assert cli.main(["levin", "--project", str(path), "-o", str(tmp_path / "o.png")]) == 1
    assert capsys.readouterr().err == f"colorize: error: {path}: {error.value}\n"


def test_the_command_line_gives_the_sessions_result(photo, tmp_path):
    session = session_of(photo)
    save_project(tmp_path / "work.colorize", session.to_project())
    out = tmp_path / "out.png"
    assert cli.main(["levin", "--project", str(tmp_path / "work.colorize"), "-o", str(out),
                     "--bit-depth", "16"]) == 0
    expected = ScribbleSession.from_project(load_project(tmp_path / "work.colorize"),
                                            loaded(photo)).colorize()
    np.testing.assert_allclose(media.read_image(out).pixels, expected, atol=0.5 / 65535 + 1e-7)


def test_a_hint_mask_that_is_not_a_mask_is_refused(photo):
    project = Project("scribble", layers={
        "hint_marked": np.zeros((HEIGHT, WIDTH, 3), np.float32),
        "hint_mask": np.zeros((HEIGHT, WIDTH), np.float32)})
    with pytest.raises(BadInputError, match="^layer hint_mask must be a mask$"):
        ScribbleSession.from_project(project, loaded(photo))


def test_saved_strokes_load_back_as_a_hint_layer(tmp_path):
    session = ScribbleSession(two_halves())
    for stroke in one_stroke_per_half():
        session.add_stroke(stroke)
    marked_path, mask_path = session.write_strokes(str(tmp_path / "strokes"))
    assert (marked_path, mask_path) == (str(tmp_path / "strokes.png"),
                                        str(tmp_path / "strokes_mask.png"))
    other = ScribbleSession(two_halves())
    other.restore_strokes(other.hint_file_state(media.read_image(marked_path).pixels,
                                                media.read_image(mask_path).pixels))
    assert other.strokes.strokes == [] and other.has_hints
    np.testing.assert_array_equal(other.mask, session.mask)
    np.testing.assert_allclose(other.marked, session.marked, atol=0.5 / 255 + 1e-6)


def test_a_solve_too_large_is_refused_by_the_session_not_the_engine(monkeypatch):
    from algorithms.errors import MemoryBudgetError
    from colorize_app.runtime import system
    from colorize_app.sessions import scribble
    from colorize_app.sessions.memory import memory_needed

    # The container's limit leaves 0.1 GB.
    monkeypatch.setattr(system, "available_memory", lambda: 2**30 // 10)
    monkeypatch.setattr(scribble, "colorize_scribbles", lambda *a, **k: pytest.fail(
        "the engine ran"))
    photo = np.full((800, 1000), 0.5, np.float32)
    session = ScribbleSession(photo, photo_path="old/big.png")
    session.add_stroke(Stroke([(5.0, 5.0), (5.0, 24.0)], RED, 3.0, "paint"))
    with pytest.raises(MemoryBudgetError) as refused:
        session.colorize()
    needed = memory_needed("scribble", (800, 1000)) / 2**30
    assert 0.1 < needed < 10
    assert str(refused.value) == (
        f"colorizing the 1000 x 800 photo old/big.png needs about {needed:.1f} GB of memory "
        "but only 0.1 GB is available (machine or container limit); use a smaller image")


def test_the_preview_solves_a_small_copy_with_the_reach_kept():
    session = ScribbleSession(np.tile(two_halves(), (10, 10)))  # 300 x 400
    for stroke in one_stroke_per_half():
        session.add_stroke(stroke)
    session.set_prior(np.full((300, 400, 3), 0.5, np.float32))
    inputs = session.preview_inputs(side=100)
    assert inputs.photo.shape == (75, 100)
    assert inputs.hint_mask.shape == (75, 100) and inputs.hint_mask.any()
    assert inputs.prior_weight == prior_weight_for_reach(session.stroke_reach, (75, 100))
    small = inputs.colorize()
    full = session.full_size_preview(small)
    assert full.shape == (300, 400, 3)
    # The full-size preview keeps the photo's own luminance exactly.
    np.testing.assert_allclose(rgb_to_yiq(full)[..., 0], session.photo, atol=1e-5)
