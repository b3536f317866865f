"""The models shipped in models/: small enough, self-describing, the default, and working."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.colorspace import rgb_to_lab
from colorize_app.io.model_files import load_model
from colorize_app.io.model_registry import SHIPPED_NAME, resolve_model, shipped_model_path

SHIPPED = shipped_model_path()
ALL_SHIPPED = sorted(SHIPPED.parent.glob("*.npz"))
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped model in models/")


@pytest.mark.parametrize("path", ALL_SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_model_fits_the_size_limit_and_has_its_model_card(path):
    assert path.stat().st_size <= 40e6
    card = path.with_suffix(".md").read_text(encoding="utf-8")
    assert "Training data" in card and "Licence" in card


def test_shipped_model_is_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COLORIZE_DATA_DIR", str(tmp_path))  # no downloads to compete with
    assert resolve_model(None) == SHIPPED
    assert resolve_model(SHIPPED_NAME) == SHIPPED


@pytest.mark.parametrize("path", ALL_SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_model_carries_its_own_bins_and_training_settings(path):
    model = load_model(path)
    bins = model.bins
    assert bins.shape == (model.architecture.bins, 2)
    # Bins come from an ab grid of 10 (centres on multiples of 10) inside the ab gamut.
    np.testing.assert_array_equal(np.mod(bins, 10), 0)
    assert np.abs(bins).max() <= 130
    training = model.metadata["training"]
    assert training["steps"] > 0 and training["train_photos"] > 1000


@pytest.mark.parametrize("path", ALL_SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_model_colours_a_gray_photo_and_keeps_its_lightness(path):
    from algorithms.cnn.colorizer import Colorizer

    yy, xx = np.mgrid[0:96, 0:128] / 128.0
    gray = (0.3 + 0.5 * xx * (0.6 + 0.4 * np.sin(7 * yy))).astype(np.float32)
    with Colorizer(load_model(path)) as colorizer:
        rgb = colorizer.colorize(gray)
    lab = rgb_to_lab(rgb)
    expected_lightness = rgb_to_lab(np.repeat(gray[..., None], 3, axis=2))[..., 0]
    assert np.abs(lab[..., 0] - expected_lightness).mean() < 1.0
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    assert chroma.mean() > 3.0  # a gray answer (chroma 0) would fail


#: The tint target of the shipped decoding (mean CIELAB chroma where the truth is neutral).
TINT_TARGET = 8.0


def _typical_photo():
    """A sample photo (palace, sky and foliage) as RGB in [0, 1], long side 256."""
    import cv2

    from colorize_app.io.media import read_image

    path = SHIPPED.parents[1] / "resources" / "samples" / "sky_foliage_palace.jpg"
    pixels = read_image(path).pixels
    scale = 256 / max(pixels.shape[:2])
    size = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _chroma(rgb):
    lab = rgb_to_lab(np.asarray(rgb, np.float64))
    return np.hypot(lab[..., 1], lab[..., 2])


@pytest.mark.parametrize("top_share", [0.0, 1 / 3], ids=["in_the_sky", "in_the_middle"])
def test_a_flat_white_patch_in_a_photo_stays_neutral(top_share):
    """An off-white sign (sRGB 0.85, CIELAB L 88) on the palace photo: in the sky, where the
    earlier model painted such patches blue, and in the middle of the scene."""
    from algorithms.cnn.colorizer import Colorizer

    photo = _typical_photo()
    height, width = photo.shape[:2]
    top, left, side_y, side_x = int(height * top_share) + 4, width // 3, height // 3, width // 3
    photo[top:top + side_y, left:left + side_x] = 0.85
    with Colorizer(load_model(SHIPPED)) as colorizer:
        rgb = colorizer.colorize(photo)
    inner = _chroma(rgb)[top + 4:top + side_y - 4, left + 4:left + side_x - 4]
    assert inner.mean() < TINT_TARGET
    assert _chroma(rgb).mean() > 3.0  # the rest of the photo still gets colour


def test_the_vividness_slider_ends_differ_at_least_twofold_default_in_the_middle():
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.gui.cnn_state import SLIDER_MAX, slider_value_of, temperature_of

    with Colorizer(load_model(SHIPPED)) as colorizer:
        default = colorizer.colorize(_typical_photo())
        dull = colorizer.redecode(temperature_of(0))
        vivid = colorizer.redecode(temperature_of(SLIDER_MAX))
        middle = slider_value_of(colorizer.decoding.temperature)
    assert abs(middle - SLIDER_MAX / 2) <= 1
    assert _chroma(vivid).mean() >= 2.0 * _chroma(dull).mean()
    assert _chroma(dull).mean() < _chroma(default).mean() < _chroma(vivid).mean()
