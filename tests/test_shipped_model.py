"""The models shipped in models/: small enough, self-describing, the default, and working."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.cnn.model_file import load_model
from algorithms.colorspace import rgb_to_lab
from colorize_app.model_registry import SHIPPED_NAME, resolve_model, shipped_model_path

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
