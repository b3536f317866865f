"""The colour-transfer settings and their limits, light enough for the command line's parser.

Nothing here imports numpy or the engine, so ``colorize --help`` stays quick; the engine's
own defaults are the same numbers (``tests/test_session_transfer.py`` checks it).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from algorithms.errors import BadInputError

#: How the matches become colours: "propagated" spreads confident matches along the
#: target's edges, "plain" is the per-pixel result of the paper.
METHODS = ("propagated", "plain")
DEFAULT_SAMPLES = 200
DEFAULT_NEIGHBOURHOOD = 5
#: Upper bounds: beyond them the work (samples x pixels, window area) is out of reach.
MAX_SAMPLES = 100_000
MAX_NEIGHBOURHOOD = 101
MAX_SEED = 2**63 - 1
#: The settings a project keeps, under these keys of ``Project.settings``.
SETTING_KEYS = ("samples", "neighbourhood", "method", "seed")


def _whole(value: Any, low: int, high: int) -> bool:
    # bool is an Integral; true/false are not counts. numpy integers are Integral too.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) \
        and low <= int(value) <= high


@dataclass(frozen=True)
class TransferSettings:
    """Engine options: samples drawn (per swatch in swatch mode), the odd window size of the
    lightness statistics (pixels), one of :data:`METHODS`, the sampling seed."""

    samples: int = DEFAULT_SAMPLES
    neighbourhood: int = DEFAULT_NEIGHBOURHOOD
    method: str = "propagated"
    seed: int = 0

    def check(self) -> TransferSettings:
        """Self, when every option is in range; else a one-line BadInputError."""
        if not _whole(self.samples, 1, MAX_SAMPLES):
            raise BadInputError(f"samples must be a whole number in [1, {MAX_SAMPLES:,}], "
                                f"got {self.samples!r}")
        if not _whole(self.neighbourhood, 3, MAX_NEIGHBOURHOOD) or self.neighbourhood % 2 == 0:
            raise BadInputError(f"neighbourhood must be an odd whole number in "
                                f"[3, {MAX_NEIGHBOURHOOD}], got {self.neighbourhood!r}")
        if self.method not in METHODS:
            raise BadInputError(f"method must be one of {', '.join(METHODS)}, "
                                f"got {str(self.method)[:40]!r}")
        if not _whole(self.seed, 0, MAX_SEED):
            raise BadInputError(f"seed must be a whole number >= 0, got {self.seed!r}")
        return self

    def to_data(self) -> dict:
        """JSON-ready settings, keyed by :data:`SETTING_KEYS`."""
        return {key: getattr(self, key) for key in SETTING_KEYS}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TransferSettings:
        """Settings from a project's ``settings``; missing keys keep their defaults, other
        keys are ignored; a bad value is a one-line BadInputError."""
        return cls(**{key: data[key] for key in SETTING_KEYS if key in data}).check()
