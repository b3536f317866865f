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

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType

#: TF_ENABLE_ONEDNN_OPTS per workload, measured on the project's 2-core machines: "cnn" (the
#: colorization network) runs about 1.6x faster on TensorFlow's own Eigen convolutions
#: (benchmarks/bench_cnn.py); "video" (Deep Video Prior training its U-Net) twice as fast
#: on oneDNN's (goat at 854x480: 76 against 146 CPU seconds), which then also serves the
#: CNN pass of the same process. The motion-filter presets train no network, but their
#: per-frame CNN (at 256 x 256, photo and mirror image) is faster on oneDNN too: 48 against
#: 64 CPU ms a pass of effnet_lite0; 90 frames of goat at 854x480, balanced, whole command:
#: 30 against 39 s (TF 2.21, load 4.5, back to back). For `colorize cnn` on one 1 MP photo
#: with the default model the two are level: 0.75 s after TensorFlow's import on Eigen's
#: against 0.77 s on oneDNN's (benchmarks/bench_cnn_startup.py --runs 5, load 1.0, back to
#: back, 2026-12-06), so "cnn" keeps Eigen's, faster for the full-width network.
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
    with _IMPORT_LOCK:  # file descriptor 2 is the process's: one import redirects it
        return _import_tensorflow()


def _import_tensorflow() -> ModuleType:
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    blocked = [name for name in _EAGER_KERAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes its import fail at once
    try:
        with _start_up_notices_dropped():
            import tensorflow
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return tensorflow


_IMPORT_LOCK = threading.Lock()
#: TensorFlow's C++ start-up notices. Since 2.18 some are logged through absl before
#: TF_CPP_MIN_LOG_LEVEL is read (the oneDNN notice appears whenever oneDNN is on).
_NOTICES = ("All log messages before absl::InitializeLog()", "oneDNN custom operations are on",
            "cpu_feature_guard", "To enable the following instructions",
            "This TensorFlow binary is optimized")


@contextlib.contextmanager
def _start_up_notices_dropped() -> Iterator[None]:
    """Capture what C++ code writes to stderr (file descriptor 2) meanwhile and pass it on
    without TensorFlow's start-up notices; anything else (a real error) still shows."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if not any(notice in line for notice in _NOTICES)]
            if kept:
                print("\n".join(kept), file=sys.stderr)
