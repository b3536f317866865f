"""The colour-transfer session (no Qt): project round trip, one check of swatch bounds shared
with `colorize transfer --project`, settings, and the engine call."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.colorspace import lab_to_rgb, rgb_to_lab
from algorithms.errors import BadInputError
from algorithms.regions import Rect, SwatchPair
from colorize_app import cli
from colorize_app.documents.swatches import SwatchEntry
from colorize_app.io import media, project_images
from colorize_app.io.project import Project, load_project, save_project
from colorize_app.io.project_images import image_ref
from colorize_app.sessions.transfer import TransferSession, TransferSettings

#: A flat reference colour, CIELAB, well inside the sRGB gamut for L from 35 to 75.
CHROMA = (12.0, 20.0)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "cache"))


@pytest.fixture
def photos(tmp_path):
    """A 40 x 30 gray target ramp and a 50 x 20 flat-coloured reference, as PNG files."""
    target = np.tile(np.linspace(0.35, 0.65, 40, dtype=np.float32), (30, 1))
    reference = lab_to_rgb(np.broadcast_to([55.0, *CHROMA], (20, 50, 3)))
    media.write_image(tmp_path / "target.png", target)
    media.write_image(tmp_path / "reference.png", reference)
    return tmp_path / "target.png", tmp_path / "reference.png"


def loaded(photos) -> dict:
    return {"target": media.read_image(photos[0]), "reference": media.read_image(photos[1])}


def transfer_project(photos, swatches) -> Project:
    return Project("transfer", images={"target": image_ref(photos[0]),
                                       "reference": image_ref(photos[1])},
                   swatches=swatches)


def test_project_round_trip_keeps_photos_swatches_settings_and_result(photos, tmp_path):
    session = TransferSession()
    for side, path in zip(("target", "reference"), photos, strict=True):
        pixels = media.read_image(path).pixels
        session.set_photo(side, pixels, str(path), image_ref(path))
    entries = [SwatchEntry(Rect(1, 2, 10, 8), Rect(3, 3, 20, 10)),
               SwatchEntry(Rect(30, 20, 10, 10), None)]  # still lacks its reference
    session.board.restore(entries)
    session.with_settings(samples=64, neighbourhood=7, method="plain", seed=9)
    session.result = np.random.default_rng(1).random((30, 40, 3)).astype(np.float32)
    save_project(tmp_path / "work.colorize", session.to_project())

    project = load_project(tmp_path / "work.colorize")
    again = TransferSession.from_project(project, loaded(photos))
    assert again.board.entries == entries
    assert again.settings == TransferSettings(samples=64, neighbourhood=7, method="plain",
                                              seed=9)
    assert {side: photo.path for side, photo in again.photos.items()} == {
        "target": str(photos[0]), "reference": str(photos[1])}
    assert again.photos["target"].ref.sha256 == image_ref(photos[0]).sha256
    assert np.abs(again.result - session.result).max() <= 0.5 / 65535 + 1e-7
    assert again.pairs() == [SwatchPair(reference=Rect(3, 3, 20, 10), target=Rect(1, 2, 10, 8))]


def test_a_project_without_settings_gets_the_defaults_and_a_misfit_result_is_dropped(photos):
    project = transfer_project(photos, [])
    project.layers["result"] = np.zeros((5, 5, 3), np.float32)  # not the target's size
    session = TransferSession.from_project(project, loaded(photos))
    assert session.settings == TransferSettings() and session.result is None
    assert session.pairs() is None  # whole-image mode


@pytest.mark.parametrize(
    ("settings", "names"),
    [({"samples": 0}, "samples"), ({"neighbourhood": 4}, "neighbourhood"),
     ({"method": "fancy"}, "method"), ({"seed": -1}, "seed"), ({"samples": True}, "samples")],
)
def test_bad_project_settings_are_refused(photos, settings, names):
    project = transfer_project(photos, [])
    project.settings = settings
    with pytest.raises(BadInputError, match=names):
        TransferSession.from_project(project, loaded(photos))


@pytest.mark.parametrize("complete", [True, False])
def test_a_swatch_outside_its_photo_is_refused_alike_by_session_and_command(
        photos, tmp_path, capsys, complete):
    # The target is 40 x 30: this rectangle reaches column 45. An unfinished pair counts too.
    outside = SwatchEntry(Rect(35, 0, 10, 10), Rect(0, 0, 5, 5) if complete else None)
    project = transfer_project(photos, [SwatchEntry(Rect(0, 0, 5, 5), Rect(0, 0, 5, 5)),
                                        outside])
    message = "swatch pair 2: target [35, 0, 10, 10] lies outside the target image " \
              "(40x30 pixels)"
    with pytest.raises(BadInputError) as refused:
        TransferSession.from_project(project, loaded(photos))
    assert str(refused.value) == message

    path = tmp_path / "bad.colorize"
    save_project(path, project)
    out = tmp_path / "out.png"
    assert cli.main(["transfer", "--project", str(path), "-o", str(out)]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"colorize: error: bad project {path}: {message}"
    assert not out.exists()


def test_a_swatch_on_a_missing_photo_is_refused(photos):
    project = transfer_project(photos, [SwatchEntry(Rect(0, 0, 5, 5), Rect(0, 0, 5, 5))])
    images = loaded(photos)
    del images["reference"]
    with pytest.raises(BadInputError, match="^swatch pair 1 needs the reference image$"):
        TransferSession.from_project(project, images)


def test_command_line_options_replace_the_project_settings(photos, tmp_path, capsys):
    project = transfer_project(photos, [])
    project.settings = {"method": "plain", "samples": 50}
    save_project(tmp_path / "p.colorize", project)
    assert cli.main(["transfer", "--project", str(tmp_path / "p.colorize"),
                     "-o", str(tmp_path / "a.png")]) == 0
    assert "(whole image, plain)" in capsys.readouterr().out
    assert cli.main(["transfer", "--project", str(tmp_path / "p.colorize"), "--method",
                     "propagated", "-o", str(tmp_path / "b.png")]) == 0
    assert "(whole image, propagated, " in capsys.readouterr().out


@pytest.mark.parametrize("method", ["plain", "propagated"])
def test_a_flat_reference_gives_every_target_pixel_its_chroma(photos, method):
    session = TransferSession.from_project(transfer_project(photos, []), loaded(photos))
    session.with_settings(method=method, samples=20)
    reports = []
    outcome = session.transfer(progress=lambda fraction, text: reports.append(fraction))
    assert session.result is outcome.rgb and outcome.rgb.shape == (30, 40, 3)
    lab = rgb_to_lab(outcome.rgb.astype(np.float64))
    target_l = rgb_to_lab(np.repeat(session.pixels("target")[..., None], 3, axis=2))[..., 0]
    np.testing.assert_allclose(lab[..., 1:], np.broadcast_to(CHROMA, (30, 40, 2)), atol=1.0)
    np.testing.assert_allclose(lab[..., 0], target_l, atol=0.5)  # the target's lightness
    assert any("uniform lightness" in warning for warning in session.warnings)
    assert reports[-1] == 1.0 and reports == sorted(reports)


def test_new_photos_drop_the_swatches_that_no_longer_fit_and_the_result():
    session = TransferSession()
    session.set_photo("target", np.zeros((30, 40), np.float32))
    session.set_photo("reference", np.zeros((20, 50, 3), np.float32))
    session.board.restore([SwatchEntry(Rect(30, 0, 10, 10), Rect(0, 0, 5, 5)),
                           SwatchEntry(Rect(0, 0, 5, 5), None)])
    session.result = np.zeros((30, 40, 3), np.float32)
    assert session.set_photo("target", np.zeros((10, 20), np.float32))  # pairs remain
    assert session.board.entries == [SwatchEntry(None, Rect(0, 0, 5, 5)),
                                     SwatchEntry(Rect(0, 0, 5, 5), None)]
    assert session.result is None
    with pytest.raises(BadInputError, match="outside the reference image"):
        session.load_regions([SwatchPair(reference=Rect(45, 0, 10, 5), target=Rect(0, 0, 5, 5))])
    assert len(session.board.entries) == 2  # unchanged by the refused region file


def test_the_engine_needs_both_photos():
    session = TransferSession()
    session.set_photo("target", np.zeros((8, 8), np.float32))
    assert not session.ready
    with pytest.raises(BadInputError, match="needs both a target and a reference"):
        session.transfer()


def test_the_settings_module_keeps_the_engine_defaults():
    # transfer_settings avoids importing the engine (a quick parser); the numbers must agree.
    from algorithms import transfer
    from colorize_app.sessions import transfer_settings

    assert transfer_settings.METHODS == transfer.METHODS
    assert transfer_settings.DEFAULT_SAMPLES == transfer.DEFAULT_SAMPLES
    assert transfer_settings.DEFAULT_NEIGHBOURHOOD == transfer.DEFAULT_NEIGHBOURHOOD
    assert TransferSettings(samples=np.int64(3)).check().samples == 3


def test_a_transfer_too_large_is_refused_by_the_session_in_the_command_lines_words(
        monkeypatch, tmp_path):
    from algorithms.errors import MemoryBudgetError
    from colorize_app.runtime import system
    from colorize_app.sessions import transfer as transfer_session

    monkeypatch.setattr(system, "available_memory", lambda: 2**30 // 10)  # 0.1 GB left
    monkeypatch.setattr(transfer_session, "transfer_colour", lambda *a, **k: pytest.fail(
        "the engine ran"))
    target, reference = tmp_path / "big.png", tmp_path / "reference.png"
    media.write_image(target, np.full((800, 1000), 0.5, np.float32))
    media.write_image(reference, np.full((30, 40, 3), 0.4, np.float32))
    words = (f"colour transfer onto the 1000 x 800 photo {target} needs about 0.2 GB of "
             "memory but only 0.1 GB is available (machine or container limit); use a "
             "smaller image")
    # From the files' headers (the command line) ...
    with pytest.raises(MemoryBudgetError) as refused:
        transfer_session.check_files_memory(str(target), str(reference))
    assert str(refused.value) == words
    session = TransferSession()
    with pytest.raises(MemoryBudgetError) as refused:
        session.check_photo_file("target", str(target))
    assert str(refused.value) == words
    # ... and from the photos a window holds, when the transfer is asked for.
    session.set_photo("reference", media.read_image(reference).pixels, str(reference))
    session.set_photo("target", media.read_image(target).pixels, str(target))
    with pytest.raises(MemoryBudgetError) as refused:
        session.transfer_task()
    assert str(refused.value) == words
