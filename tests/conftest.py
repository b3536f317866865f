"""Shared test set-up: Qt without a display, a seeded random generator, a tiny CNN model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from colorize_app.runtime.tf_startup import configure_tensorflow

# Qt tests must run on machines without a display (CI); set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests import the engines directly: TensorFlow gets the settings the `colorize cnn`
# entry point chooses, whichever test imports it first.
configure_tensorflow("cnn")


@pytest.fixture
def rng() -> np.random.Generator:
    """A random generator with a fixed seed, so that failures can be reproduced."""
    return np.random.default_rng(20240521)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory) -> Path:
    """A tiny project .npz (Zhang network of width 4..16, random weights, 313 random bins)."""
    pytest.importorskip("tensorflow")
    from algorithms.cnn.architecture import Architecture, random_weights
    from algorithms.cnn.model_weights import ModelWeights
    from colorize_app.io.model_writer import save_model

    tiny = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    bins = np.random.default_rng(3).uniform(-80, 80, (313, 2))
    model = ModelWeights(random_weights(tiny, seed=8), bins,
                         {"input_offset": 50.0, "input_scale": 100.0, "padding": "tf_same",
                          "bn_epsilon": 1e-3})
    save_model(path, model, notes="random weights for the tests")
    return path
