"""The colorization studio's fronts: the `colorize` command line and the desktop app.

Kept light on purpose: importing this package must not import Qt or TensorFlow.
"""

import os

__version__ = "0.1.0"

# NumPy advises Linux to back every large array with transparent huge pages. Where the
# kernel then compacts memory synchronously to find them (its defrag setting "madvise", a
# common default), the first touch of a fresh array can stall: the scribble solver's
# set-up at 1 MP took 0.33-0.94 s from run to run with the advice and 0.33-0.47 s without
# (benchmarks/bench_levin.py; NumPy's issue 31590 describes the stall). NumPy reads this
# when it is first imported, which this package does not do; a user's own setting wins,
# and the command line's and the app's child processes inherit it.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
