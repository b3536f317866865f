"""One module per `colorize` subcommand.

Each module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a ``run(args) -> int`` function. Modules import heavy libraries
(TensorFlow, Qt, Dask) inside ``run`` only, so that building the parser
stays fast and `colorize levin` never imports TensorFlow.
"""

#: Subcommand modules, in the order `colorize --help` lists them.
COMMAND_MODULES = ["levin", "cnn", "models", "transfer", "train", "video", "refine", "batch"]
