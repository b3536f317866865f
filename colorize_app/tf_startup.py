"""TensorFlow's start-up: its environment settings, chosen per entry point, and a faster import.

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` and ``TF_CPP_MIN_LOG_LEVEL`` once, when it is
imported, so the engines cannot choose them (whichever imported first would decide for the
whole process). The entry points do: ``colorize`` per command, the desktop application,
the batch workers per task, and the tests call :func:`configure_tensorflow` (or
:func:`configure_for_command`) before anything imports TensorFlow. A value the user
exported is kept.

``import tensorflow`` (2.16 and later) also imports Keras' optimizers eagerly, so that a
SavedModel can find them; that pulls in Keras and scikit-learn, about a third of the
import's CPU time. The networks here are built from plain TensorFlow ops and never load a
SavedModel, so :func:`import_tensorflow` lets that one import fail quietly (TensorFlow
catches its ImportError). ``tf.keras`` still works when something asks for it: it is then
imported on first use, as TensorFlow does anyway.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

#: TF_ENABLE_ONEDNN_OPTS per workload, measured on the project's 2-core machines: "cnn" (the
#: colorization network) runs about 1.6x faster on TensorFlow's own Eigen convolutions
#: (benchmarks/bench_cnn.py); "video" (Deep Video Prior training its U-Net) twice as fast
#: on oneDNN's (goat at 854x480: 76 against 146 CPU seconds), which then also serves the
#: CNN pass of the same process.
ONEDNN_OPTS = {"cnn": "0", "video": "1"}
#: The workload of each `colorize` command that imports TensorFlow (``batch`` by its KIND).
COMMAND_WORKLOADS = {"cnn": "cnn", "models": "cnn", "train": "cnn", "video": "video",
                     "refine": "video", "batch cnn": "cnn", "batch video": "video"}


def configure_tensorflow(workload: str | None) -> None:
    """Set TensorFlow's environment for ``workload`` ("cnn", "video", or None: quiet only).

    Must run before TensorFlow is imported (it has no effect after). Its C++ start-up
    notices (oneDNN, CPU features) are noise for a user, so they are always silenced.
    Variables already set (exported by the user, or inherited from the parent process)
    are left alone.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if workload is not None:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", ONEDNN_OPTS[workload])


def configure_for_command(command: str, kind: str | None = None) -> None:
    """:func:`configure_tensorflow` for the `colorize` subcommand ``command`` (and its KIND)."""
    workload = COMMAND_WORKLOADS.get(f"{command} {kind}" if kind else command)
    configure_tensorflow(workload)

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
