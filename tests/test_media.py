"""Image file input and output: exact round trips, odd files, refusals, atomic writes."""

from __future__ import annotations

import os
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from algorithms.errors import BadInputError
from colorize_app.io import media
from colorize_app.io.media import apply_exif_orientation, list_images, read_image, write_image
from colorize_app.io.safe_files import atomic_output, atomic_write_bytes


def random_levels(rng, shape, bit_depth):
    """Integer levels covering the whole range, including both extremes."""
    top = 2**bit_depth - 1
    levels = rng.integers(0, top + 1, size=shape)
    levels.flat[0], levels.flat[-1] = 0, top
    return levels, top


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("extension", [".png", ".tif"])
@pytest.mark.parametrize("bit_depth", [8, 16])
@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 3)], ids=["gray", "rgb"])
def test_lossless_round_trip_keeps_every_level(tmp_path, rng, extension, bit_depth, shape):
    levels, top = random_levels(rng, shape, bit_depth)
    path = tmp_path / f"image{extension}"

    write_image(path, levels / top, bit_depth=bit_depth)
    loaded = read_image(path)

    assert loaded.pixels.dtype == np.float32
    assert loaded.pixels.shape == shape
    assert loaded.bit_depth == bit_depth
    assert loaded.notes == ()
    assert loaded.path == str(path)
    np.testing.assert_array_equal(np.rint(loaded.pixels * top).astype(int), levels)


def test_jpeg_round_trip_is_close(tmp_path):
    rows, columns = np.mgrid[0:32, 0:48] / 48.0
    image = np.stack([rows, columns, 0.5 * (rows + columns)], axis=2)
    path = tmp_path / "smooth.jpg"

    write_image(path, image, quality=95)
    loaded = read_image(path)

    assert loaded.pixels.shape == image.shape
    assert loaded.bit_depth == 8
    assert np.abs(loaded.pixels - image).mean() < 0.01


@pytest.mark.parametrize("extension", [".bmp", ".webp", ".jpeg", ".tiff"])
def test_every_write_format_reads_back(tmp_path, extension):
    image = np.full((8, 8, 3), [0.2, 0.5, 0.8])
    path = tmp_path / f"flat{extension}"
    write_image(path, image)
    assert np.abs(read_image(path).pixels - image).max() < 0.02


def test_values_outside_unit_range_are_clipped(tmp_path):
    path = tmp_path / "clipped.png"
    write_image(path, np.array([[-0.5, 0.0, 1.0, 7.0]]))
    np.testing.assert_array_equal(read_image(path).pixels, [[0.0, 0.0, 1.0, 1.0]])


def test_non_ascii_path_reads_and_writes(tmp_path):
    path = tmp_path / "фото_é.png"
    image = np.array([[0.0, 1.0], [1.0, 0.0]])
    write_image(path, image)
    np.testing.assert_array_equal(read_image(path).pixels, image)
    assert list_images(tmp_path) == [str(path)]


# --------------------------------------------------------------------------------------------
# Orientation, channels, palettes


def test_exif_orientation_6_is_turned_upright(tmp_path):
    # Stored 40 wide x 24 tall with a red block at the stored top-left; orientation 6 asks
    # viewers to turn it 90 degrees clockwise, which takes that corner to the top-right.
    stored = np.zeros((24, 40, 3), dtype=np.uint8)
    stored[:8, :8] = [255, 0, 0]
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)

    pixels = read_image(path).pixels

    assert pixels.shape == (40, 24, 3)
    np.testing.assert_allclose(pixels[2, -3], [1.0, 0.0, 0.0], atol=0.1)
    np.testing.assert_allclose(pixels[2, 2], [0.0, 0.0, 0.0], atol=0.1)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_of_opencv_decoded_pixels_matches_pillow(orientation):
    stored = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)
    image = Image.fromarray(stored)
    image.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(apply_exif_orientation(stored, orientation), expected)


def sixteen_bit_rgb_file(path, stored, orientation):
    """Write 16-bit RGB ``stored`` with an EXIF orientation (Pillow cannot write 16-bit RGB)."""
    if path.suffix == ".tif":
        tifffile = pytest.importorskip("tifffile")
        orientation_tag = (274, "H", 1, orientation, True)
        tifffile.imwrite(path, stored, photometric="rgb", extratags=[orientation_tag])
        return
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes().removeprefix(b"Exif\x00\x00")  # a PNG eXIf chunk has no header
    chunk = b"eXIf" + payload
    chunk = struct.pack(">I", len(payload)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    png = cv2.imencode(".png", stored[..., ::-1])[1].tobytes()
    first_data = png.index(b"IDAT") - 4
    path.write_bytes(png[:first_data] + chunk + png[first_data:])


@pytest.mark.parametrize("extension", [".tif", ".png"])
def test_sixteen_bit_rgb_with_orientation_keeps_depth_and_turns(tmp_path, extension):
    stored = np.zeros((4, 6, 3), dtype=np.uint16)
    stored[0, 0] = [65535, 1, 2]
    path = tmp_path / f"deep{extension}"
    sixteen_bit_rgb_file(path, stored, orientation=6)

    loaded = read_image(path)

    assert loaded.bit_depth == 16
    assert loaded.pixels.shape == (6, 4, 3)
    np.testing.assert_array_equal(np.rint(loaded.pixels[0, -1] * 65535), [65535, 1, 2])
    assert np.count_nonzero(loaded.pixels) == 3


def test_rgba_loses_alpha_with_a_note(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10
    path = tmp_path / "transparent.png"
    Image.fromarray(rgba, mode="RGBA").save(path)

    loaded = read_image(path)

    assert loaded.notes == ("alpha channel dropped",)
    np.testing.assert_array_equal(loaded.pixels[..., 0], np.float32(200) / 255)
    assert not loaded.pixels[..., 1:].any()


def test_sixteen_bit_rgba_keeps_depth_and_loses_alpha(tmp_path, rng):
    levels, top = random_levels(rng, (5, 6, 3), 16)
    bgra = np.dstack([levels[..., ::-1], np.full((5, 6), 1234)]).astype(np.uint16)
    path = tmp_path / "deep_alpha.png"
    cv2.imwrite(str(path), bgra)

    loaded = read_image(path)

    assert (loaded.bit_depth, loaded.notes) == (16, ("alpha channel dropped",))
    np.testing.assert_array_equal(np.rint(loaded.pixels * top), levels)


def test_gray_with_alpha_stays_gray(tmp_path):
    path = tmp_path / "gray_alpha.png"
    Image.fromarray(np.full((3, 3, 2), [51, 7], dtype=np.uint8), mode="LA").save(path)
    loaded = read_image(path)
    assert loaded.notes == ("alpha channel dropped",)
    np.testing.assert_array_equal(loaded.pixels, np.full((3, 3), 0.2, dtype=np.float32))


def test_palette_image_gives_its_palette_colours(tmp_path):
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.putpixel((1, 0), 1)
    path = tmp_path / "palette.png"
    image.save(path)

    loaded = read_image(path)

    assert (loaded.bit_depth, loaded.notes) == (8, ())
    np.testing.assert_array_equal(loaded.pixels, [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])


def test_cmyk_is_converted_with_a_note(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (8, 8), (0, 0, 0, 0)).save(path)
    loaded = read_image(path)
    assert loaded.pixels.shape == (8, 8, 3)
    assert loaded.notes == ("CMYK converted to RGB (no colour management)",)
    np.testing.assert_allclose(loaded.pixels, 1.0, atol=0.02)  # no ink is white


# --------------------------------------------------------------------------------------------
# Bad input files


@pytest.mark.parametrize("extension", [".jpg", ".png"])
def test_truncated_file_is_refused(tmp_path, rng, extension):
    path = tmp_path / f"cut{extension}"
    write_image(path, rng.random((64, 64, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])

    with pytest.raises(BadInputError, match="truncated"):
        read_image(path)


def test_truncated_sixteen_bit_colour_file_is_refused(tmp_path, rng):
    path = tmp_path / "cut16.png"
    write_image(path, rng.random((32, 32, 3)), bit_depth=16)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(BadInputError, match="truncated"):
        read_image(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nothing.png"
    with pytest.raises(BadInputError, match=f"^no such file: {path}$"):
        read_image(path)


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(BadInputError, match="is a folder"):
        read_image(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        read_image(path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture\n")
    with pytest.raises(BadInputError, match="not an image"):
        read_image(path)


def test_pixel_limit_is_checked_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    write_image(path, np.zeros((20, 30)))
    monkeypatch.setattr(media, "MAX_PIXELS", 599)

    def decoding_is_forbidden(self):
        raise AssertionError("pixels decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding_is_forbidden)
    with pytest.raises(BadInputError, match="too large: 30 x 20"):
        read_image(path)


def test_errors_are_one_line(tmp_path):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \n\n")
    with pytest.raises(BadInputError) as raised:
        read_image(path)
    assert "\n" not in str(raised.value)


# --------------------------------------------------------------------------------------------
# Writing: refusals and atomicity


def test_overwriting_an_input_is_refused_and_input_untouched(tmp_path):
    source = tmp_path / "photo.png"
    write_image(source, np.full((4, 4), 0.25))
    before = source.read_bytes()
    same_file_other_spellings = [source, tmp_path / "." / "photo.png"]
    (tmp_path / "link.png").symlink_to(source)
    same_file_other_spellings.append(tmp_path / "link.png")

    for spelling in same_file_other_spellings:
        with pytest.raises(BadInputError, match="refusing to overwrite the input"):
            write_image(spelling, np.ones((4, 4)), inputs=[source])

    assert source.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["link.png", "photo.png"]


def test_interrupted_write_leaves_no_output_and_no_temporary(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as temporary:
            with open(temporary, "wb") as file:
                file.write(b"half of a file")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    write_image(target, np.zeros((3, 3)))
    before = target.read_bytes()

    def failing_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(media.os, "fsync", failing_fsync)
    # One sentence naming the file, not a traceback (an OSError a user can cause).
    with pytest.raises(BadInputError, match=r"^cannot write .*out\.png: disk full$"):
        write_image(target, np.ones((3, 3)))

    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.png"]


def test_atomic_output_gives_a_hidden_sibling_with_the_same_suffix(tmp_path):
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")
    with atomic_output(target) as temporary:
        assert os.path.dirname(temporary) == str(tmp_path)
        assert os.path.basename(temporary).startswith(".")
        assert temporary.endswith(".mp4")
        assert target.read_bytes() == b"old"  # not replaced until the block ends
        with open(temporary, "wb") as file:
            file.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["video.mp4"]


def test_atomic_write_bytes_refuses_an_input(tmp_path):
    source = tmp_path / "regions.json"
    source.write_text("{}")
    with pytest.raises(BadInputError, match="refusing to overwrite the input"):
        atomic_write_bytes(source, b"[]", inputs=[str(source)])
    assert source.read_text() == "{}"


def test_missing_output_folder(tmp_path):
    with pytest.raises(BadInputError, match="output folder does not exist"):
        write_image(tmp_path / "no" / "where.png", np.zeros((2, 2)))


def test_unknown_extension_names_the_supported_ones(tmp_path):
    with pytest.raises(BadInputError, match=r"\.xyz.*\.png, \.jpg"):
        write_image(tmp_path / "out.xyz", np.zeros((2, 2)))
    assert os.listdir(tmp_path) == []


def test_sixteen_bit_jpeg_is_refused(tmp_path):
    with pytest.raises(BadInputError, match="8 bits"):
        write_image(tmp_path / "out.jpg", np.zeros((2, 2)), bit_depth=16)


@pytest.mark.parametrize(
    "image", [np.zeros((2, 2, 4)), np.zeros(5), np.array([[np.nan]]), np.zeros((0, 3))]
)
def test_wrong_image_to_write_is_refused(tmp_path, image):
    with pytest.raises(BadInputError):
        write_image(tmp_path / "out.png", image)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------------
# Folders


def test_list_images_is_sorted_and_keeps_images_only(tmp_path):
    for name in ["b.PNG", "a.jpg", "c.tif", "notes.txt", ".hidden.png"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.png").mkdir()
    assert list_images(tmp_path) == [str(tmp_path / name) for name in ["a.jpg", "b.PNG", "c.tif"]]


def test_list_images_of_a_missing_folder(tmp_path):
    with pytest.raises(BadInputError, match="no such folder"):
        list_images(tmp_path / "missing")
