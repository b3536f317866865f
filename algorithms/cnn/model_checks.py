"""Checks of a model's metadata: every entry of the right type and within finite ranges (a
NaN input offset would give an all-white picture without any error), one line naming the
bad entry otherwise. Used by :mod:`algorithms.cnn.model_weights`; the checks of the files
themselves are the file layer's (:mod:`colorize_app.io.model_files`).
"""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError

#: Known metadata keys whose values are checked: (type, lowest, highest) for numbers.
#: Other keys are kept as they are (later versions may add their own).
_NUMBER_METADATA = {
    "input_offset": (-1000.0, 1000.0),
    "input_scale": (1e-6, 1e6),
    "bn_epsilon": (1e-12, 1.0),
}
_TEXT_METADATA = ("padding", "name", "architecture", "source_format", "storage", "notes")


def validate_metadata(metadata: object, source: str) -> dict:
    """Check the types and finite ranges of the metadata keys this version knows.

    Numbers (input normalisation, batch-norm epsilon) must be finite and in range: a NaN
    offset or a zero scale would give an all-white picture without any error. Unknown keys
    are left alone.
    """
    if not isinstance(metadata, dict):
        raise BadInputError(f"{source}: metadata is not a JSON object")
    for key, (low, high) in _NUMBER_METADATA.items():
        if key not in metadata:
            continue
        value = metadata[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInputError(f"{source}: metadata {key} must be a number, "
                                f"got {type(value).__name__}")
        # Compare as Python numbers: a 400-digit integer must not overflow a float cast.
        if isinstance(value, float) and not np.isfinite(value) or not low <= value <= high:
            raise BadInputError(f"{source}: metadata {key} must be a finite number in "
                                f"[{low:g}, {high:g}], got {str(value)[:40]}")
    for key in _TEXT_METADATA:
        if key in metadata and not isinstance(metadata[key], str):
            raise BadInputError(f"{source}: metadata {key} must be text, "
                                f"got {type(metadata[key]).__name__}")
    names = metadata.get("source_names", {})
    if not isinstance(names, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise BadInputError(f"{source}: metadata source_names must map names to names")
    return metadata


