"""Shared test set-up: Qt without a display, and a seeded random generator."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Qt tests must run on machines without a display (CI); set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def rng() -> np.random.Generator:
    """A random generator with a fixed seed, so that failures can be reproduced."""
    return np.random.default_rng(20240521)
