"""Objects Qt always returns, typed as such.

PyQt5's type stubs mark every object pointer a Qt call returns as optional
(``QMainWindow.statusBar() -> QStatusBar | None``), since in C++ any pointer may be null. Many
of these can never be null: a main window makes its status bar and menu bar on first request,
a scroll area always has its viewport and scroll bars, ``addMenu``/``addToolBar``/``addLine``
return the object they have just made, a view built with a scene keeps it. Wrapping such a
call in :func:`present` states that guarantee where the call is made, so the type checker
sees the object; should it ever break, the error names the cause at once instead of an
``AttributeError`` on ``None`` further on.

Calls that may really return nothing (``QApplication.activeWindow()``, a list's
``currentItem()``) are tested with ``if ... is None`` where they are made, not wrapped.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def present(value: T | None) -> T:
    """``value`` itself, for a Qt call that always returns an object.

    Raises ``RuntimeError`` if Qt returned ``None`` after all.
    """
    if value is None:
        raise RuntimeError("Qt returned no object where it always makes one")
    return value
