"""Colorization engines: pure functions on numpy arrays (no Qt, no file I/O, no printing)."""

from algorithms.errors import BadInputError, CancelledError, ColorizeError, MemoryBudgetError

__all__ = ["BadInputError", "CancelledError", "ColorizeError", "MemoryBudgetError"]
