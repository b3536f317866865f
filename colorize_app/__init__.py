"""The colorization studio's fronts: the `colorize` command line and the desktop app.

Kept light on purpose: importing this package must not import Qt or TensorFlow.
"""

__version__ = "0.1.0"
