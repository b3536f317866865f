"""Writing model files: the project's ``.npz`` (part of the media module, which does all
writing of user files). Reading them is the engine's loader, ``algorithms.cnn.model_weights``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from algorithms.cnn.model_weights import ModelWeights, model_arrays
from algorithms.errors import BadInputError
from colorize_app.io.safe_files import PathLike, atomic_output, open_temporary


def save_model(path: PathLike, model: ModelWeights, half: bool = False,
               inputs: Sequence[PathLike] = (), **metadata: object) -> None:
    """Write ``model`` as the project's ``.npz`` atomically; never over one of ``inputs``.

    ``half`` stores a pretrained encoder's weights as float16 (read back as float32); extra
    keyword arguments go into the metadata (e.g. ``notes="..."``).
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise BadInputError(f"{path.name}: model files are written as .npz")
    arrays = model_arrays(model, path.name, half=half, **metadata)
    with atomic_output(path, inputs=inputs) as temporary:
        with open_temporary(temporary) as handle:
            # Model files are read without pickles (allow_pickle=False), so none is written;
            # naming the flag also keeps it apart from the arrays' names for the type checker.
            np.savez(handle, allow_pickle=False, **arrays)
