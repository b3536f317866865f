"""Project files (.colorize): round trips, backups, atomic saves, moved images, bad files,
and `colorize levin/transfer --project`."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest

from algorithms.errors import BadInputError
from algorithms.regions import Rect, SwatchPair
from colorize_app import cli
from colorize_app.documents.strokes import Stroke, Strokes
from colorize_app.documents.swatches import SwatchEntry
from colorize_app.io import media, project, project_images, safe_files, text_files
from colorize_app.io.project import (
    ImageRef,
    MissingImageError,
    Project,
    load_project,
    project_bytes,
    resolve_image,
    save_project,
)
from colorize_app.io.project_images import image_ref

HEIGHT, WIDTH = 30, 40


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(project_images, "CACHE_FOLDER", str(tmp_path / "cache"))


def two_halves() -> np.ndarray:
    gray = np.full((HEIGHT, WIDTH), 0.3, np.float32)
    gray[:, WIDTH // 2:] = 0.7
    return gray


def strokes() -> list[Stroke]:
    return [Stroke([(4.0, 5.0), (4.0, 25.0)], (0.8, 0.2, 0.2), 3.0, "paint"),
            Stroke([(32.0, 5.0), (33.5, 24.25)], (0.2, 0.3, 0.9), 5.0, "paint"),
            Stroke([(20.0, 20.0)], (1.0, 0.0, 0.0), 2.0, "erase")]


def scribble_project(photo_path, embed: bool = False) -> Project:
    rng = np.random.default_rng(5)
    return Project(
        "scribble",
        images={"photo": image_ref(photo_path, (WIDTH, HEIGHT), embed=embed)},
        settings={"prior_weight": 0.25, "model": "eccv16"},
        strokes=strokes(),
        swatches=[SwatchEntry(Rect(1, 2, 3, 4), None), SwatchEntry(Rect(0, 0, 5, 5),
                                                                   Rect(6, 6, 2, 2))],
        layers={"result": rng.random((HEIGHT, WIDTH, 3)).astype(np.float32),
                "gray_layer": rng.random((HEIGHT, WIDTH)).astype(np.float32),
                "mask": rng.random((HEIGHT, WIDTH)) > 0.5},
    )


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photos" / "halves.png"
    path.parent.mkdir()
    media.write_image(path, two_halves())
    return path


def test_round_trip_keeps_strokes_swatches_settings_and_layers(tmp_path, photo):
    saved = scribble_project(photo)
    save_project(tmp_path / "work.colorize", saved)
    loaded = load_project(tmp_path / "work.colorize")
    assert loaded.method == "scribble" and loaded.settings == saved.settings
    assert loaded.strokes == saved.strokes and loaded.swatches == saved.swatches
    assert loaded.images["photo"].path == str(photo)
    assert loaded.images["photo"].sha256 == safe_files.file_sha256(photo)
    assert loaded.images["photo"].size == (WIDTH, HEIGHT)
    for name in ("result", "gray_layer"):
        assert loaded.layers[name].dtype == np.float32
        assert loaded.layers[name].shape == saved.layers[name].shape
        # 16-bit PNG layers: within half a level of 1/65535.
        assert np.abs(loaded.layers[name] - saved.layers[name]).max() <= 0.5 / 65535 + 1e-7
    np.testing.assert_array_equal(loaded.layers["mask"], saved.layers["mask"])


def test_saving_again_keeps_the_previous_version_as_backup(tmp_path, photo):
    path = tmp_path / "work.colorize"
    first = scribble_project(photo)
    save_project(path, first)
    assert not os.path.exists(str(path) + ".bak")
    second = scribble_project(photo)
    second.strokes = second.strokes[:1]
    save_project(path, second)
    assert len(load_project(path).strokes) == 1
    assert load_project(str(path) + ".bak").strokes == first.strokes


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, photo, monkeypatch):
    path = tmp_path / "work.colorize"
    save_project(path, scribble_project(photo))
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_project(path, scribble_project(photo), backup=False)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["photos", "work.colorize"]


def test_a_moved_image_is_found_beside_the_project(tmp_path, photo):
    folder = tmp_path / "album"
    folder.mkdir()
    save_project(folder / "work.colorize", scribble_project(photo))
    # Move the project and its photo together, keeping their relative places.
    moved = tmp_path / "moved"
    (moved / "photos").mkdir(parents=True)
    os.rename(folder, moved / "album")
    os.rename(photo, moved / "photos" / "halves.png")
    loaded = load_project(moved / "album" / "work.colorize")
    found = resolve_image(loaded.images["photo"], "photo", moved / "album" / "work.colorize")
    assert found == str(moved / "photos" / "halves.png")


def test_a_missing_image_says_which_and_an_embedded_one_is_unpacked(tmp_path, photo):
    save_project(tmp_path / "plain.colorize", scribble_project(photo))
    save_project(tmp_path / "embedded.colorize", scribble_project(photo, embed=True))
    original = photo.read_bytes()
    photo.unlink()
    plain = load_project(tmp_path / "plain.colorize")
    with pytest.raises(MissingImageError, match=r"photo image .*halves.png is missing") as error:
        resolve_image(plain.images["photo"], "photo", tmp_path / "plain.colorize")
    assert error.value.role == "photo"
    embedded = load_project(tmp_path / "embedded.colorize")
    unpacked = resolve_image(embedded.images["photo"], "photo", tmp_path / "embedded.colorize",
                             project.default_cache_folder())
    assert open(unpacked, "rb").read() == original
    assert np.abs(media.read_image(unpacked).pixels - two_halves()).max() <= 0.5 / 255


def test_a_changed_image_is_not_taken_for_the_saved_one(tmp_path, photo):
    save_project(tmp_path / "work.colorize", scribble_project(photo))
    media.write_image(photo, 1 - two_halves())
    loaded = load_project(tmp_path / "work.colorize")
    with pytest.raises(MissingImageError, match="has changed since the project was saved"):
        resolve_image(loaded.images["photo"], "photo", tmp_path / "work.colorize")


def rewrite_manifest(path, change) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_newer_format_version_gets_a_clear_message(tmp_path, photo):
    path = tmp_path / "future.colorize"
    save_project(path, scribble_project(photo))
    rewrite_manifest(path, lambda manifest: manifest.update(format_version=7))
    with pytest.raises(BadInputError) as error:
        load_project(path)
    assert str(error.value) == (
        "future.colorize: saved by a newer version of Colorize Studio (project format 7; "
        "this version reads format 1): update the application to open it")


@pytest.mark.parametrize("content, message", [
    (b"", "not a project file (not a zip archive, or cut short)"),
    (b"hello", "not a project file (not a zip archive, or cut short)"),
    ({"other.txt": b"x"}, "not a project file (no manifest.json)"),
    ({"manifest.json": b"[1, 2"}, "manifest.json is not valid JSON"),
    ({"manifest.json": b"[" * 100_000}, "manifest.json is nested too deeply"),
    ({"manifest.json": b'{"format": "zip"}'}, "not a project file (unknown manifest format)"),
    ({"manifest.json": b'{"format": "colorize-project", "format_version": "1"}'},
     "the manifest has no valid format version"),
    ({"manifest.json": b'{"format": "colorize-project", "format_version": 1, '
                       b'"method": "scribble", "strokes": [{"kind": "paint"}]}'},
     "stroke 1: colour must be [r, g, b]"),
    ({"manifest.json": b'{"format": "colorize-project", "format_version": 1, '
                       b'"method": "scribble", "layers": {"result": {"kind": "image", '
                       b'"file": "layers/result.png"}}}'},
     "layer result is malformed or missing from the archive"),
])
def test_bad_files_give_one_line_messages(tmp_path, content, message):
    path = tmp_path / "bad.colorize"
    if isinstance(content, dict):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in content.items():
                archive.writestr(name, data)
        content = buffer.getvalue()
    path.write_bytes(content)
    with pytest.raises(BadInputError) as error:
        load_project(path)
    assert str(error.value).startswith(f"bad.colorize: {message}")
    assert "\n" not in str(error.value)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but holds one empty data chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_a_decompression_bomb_layer_is_refused_from_its_header(tmp_path, photo, monkeypatch):
    path = tmp_path / "bomb.colorize"
    save_project(path, scribble_project(photo))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("layers/bomb.png", png_header_only(100_000, 100_000))
    rewrite_manifest(path, lambda manifest: manifest["layers"].update(
        bomb={"kind": "image", "file": "layers/bomb.png"}))
    with pytest.raises(BadInputError, match=r"layer bomb is too large \(over 250,000,000 pixels"):
        load_project(path)
    # Declared archive sizes are checked before anything is inflated.
    monkeypatch.setattr(project, "MAX_CONTENT_BYTES", 1000)
    with pytest.raises(BadInputError, match="content too large for a project file"):
        load_project(tmp_path / "bomb.colorize")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path):
    import resource

    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(20_000, 20_000))  # 400 MP: 1.2 GB once decoded
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BadInputError, match="is too large: 20000 x 20000 pixels"):
        media.read_image(path)
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    assert peak_after - peak_before < 100_000


# --------------------------------------------------------------------------------------------
# Command line


def test_levin_project_gives_the_result_of_its_rasterised_strokes(tmp_path, photo, capsys):
    saved = scribble_project(photo)
    saved.layers = {}
    save_project(tmp_path / "work.colorize", saved)
    # The same strokes, rasterised by hand into a marked image and mask.
    marked, mask = Strokes((HEIGHT, WIDTH), strokes()).rasterise(two_halves())
    media.write_image(tmp_path / "marked.png", marked, bit_depth=16)
    media.write_image(tmp_path / "mask.png", mask.astype(np.float32))
    assert cli.main(["levin", "--project", str(tmp_path / "work.colorize"),
                     "-o", str(tmp_path / "from_project.png")]) == 0
    assert cli.main(["levin", str(photo), str(tmp_path / "marked.png"), "--mask",
                     str(tmp_path / "mask.png"), "-o", str(tmp_path / "from_files.png")]) == 0
    from_project = media.read_image(tmp_path / "from_project.png").pixels
    np.testing.assert_array_equal(from_project,
                                  media.read_image(tmp_path / "from_files.png").pixels)
    assert from_project[15, 5, 0] > from_project[15, 5, 2] + 0.1  # red stroke on the left


def test_levin_project_with_a_moved_photo(tmp_path, photo, capsys):
    save_project(tmp_path / "work.colorize", scribble_project(photo))
    os.rename(photo, tmp_path / "elsewhere.png")
    out = tmp_path / "out.png"
    assert cli.main(["levin", "--project", str(tmp_path / "work.colorize"),
                     "-o", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "is missing (moved?); give the photo as GRAY" in error
    assert cli.main(["levin", str(tmp_path / "elsewhere.png"), "--project",
                     str(tmp_path / "work.colorize"), "-o", str(out)]) == 0
    assert out.exists()


def test_project_options_are_checked(tmp_path, photo, capsys):
    save_project(tmp_path / "work.colorize", scribble_project(photo))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["levin", str(photo), str(photo), "--project",
                  str(tmp_path / "work.colorize"), "-o", str(tmp_path / "o.png")])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["levin", "-o", str(tmp_path / "o.png")])
    assert exit_info.value.code == 2
    capsys.readouterr()
    assert cli.main(["transfer", "--project", str(tmp_path / "work.colorize"),
                     "-o", str(tmp_path / "o.png")]) == 1
    assert "is a scribble project, not a transfer one" in capsys.readouterr().err


def test_transfer_project_uses_its_complete_swatch_pairs(tmp_path, capsys):
    rng = np.random.default_rng(2)
    target = np.clip(two_halves() + rng.normal(0, 0.02, (HEIGHT, WIDTH)), 0, 1)
    reference = np.zeros((HEIGHT, WIDTH, 3))
    reference[:, :WIDTH // 2] = (0.5, 0.25, 0.2)
    reference[:, WIDTH // 2:] = (0.6, 0.75, 0.9)
    media.write_image(tmp_path / "target.png", target)
    media.write_image(tmp_path / "reference.png", reference)
    pairs = [SwatchEntry(Rect(2, 2, 10, 10), Rect(2, 2, 10, 10)),
             SwatchEntry(Rect(25, 2, 10, 10), Rect(25, 2, 10, 10)),
             SwatchEntry(Rect(5, 20, 4, 4), None)]  # unfinished: not used
    save_project(tmp_path / "swatches.colorize", Project(
        "transfer", images={"target": image_ref(tmp_path / "target.png"),
                            "reference": image_ref(tmp_path / "reference.png")},
        swatches=pairs))
    text_files.write_regions(tmp_path / "regions.json",
                        [SwatchPair(reference=e.reference, target=e.target) for e in pairs[:2]])
    assert cli.main(["transfer", "--project", str(tmp_path / "swatches.colorize"),
                     "-o", str(tmp_path / "a.png")]) == 0
    assert cli.main(["transfer", str(tmp_path / "target.png"), str(tmp_path / "reference.png"),
                     "--regions", str(tmp_path / "regions.json"),
                     "-o", str(tmp_path / "b.png")]) == 0
    assert "2 swatch pairs" in capsys.readouterr().out
    np.testing.assert_array_equal(media.read_image(tmp_path / "a.png").pixels,
                                  media.read_image(tmp_path / "b.png").pixels)


def test_project_bytes_refuses_an_unknown_method():
    with pytest.raises(BadInputError, match="unknown project method"):
        project_bytes(Project("painting"))


def test_image_ref_of_a_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(BadInputError, match="cannot read"):
        image_ref(tmp_path / "nothing.png")
    assert ImageRef("x").embedded is None
