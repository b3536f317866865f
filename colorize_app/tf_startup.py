"""Import TensorFlow faster: without the Keras start-up it runs by default.

``import tensorflow`` (2.16 and later) also imports Keras' optimizers eagerly, so that a
SavedModel can find them; that pulls in Keras and scikit-learn, about a third of the
import's CPU time. The networks here are built from plain TensorFlow ops and never load a
SavedModel, so :func:`import_tensorflow` lets that one import fail quietly (TensorFlow
catches its ImportError). ``tf.keras`` still works when something asks for it: it is then
imported on first use, as TensorFlow does anyway.
"""

from __future__ import annotations

import sys
from types import ModuleType

#: The modules TensorFlow's __init__ imports only to register Keras optimizers.
_EAGER_KERAS = ("keras.src.optimizers", "tf_keras.src.optimizers")


def import_tensorflow() -> ModuleType:
    """``import tensorflow``, skipping the eager Keras import (see the module docstring)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    blocked = [name for name in _EAGER_KERAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes its import fail at once
    try:
        import tensorflow
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return tensorflow
