"""Pieces every method window uses: a size that fits the screen, remembered geometry,
undo/redo actions whose text does not change width, and the way back to the main menu."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5 import sip
from PyQt5.QtCore import QPoint, QRect, QSize, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QApplication, QUndoStack, QWidget

from colorize_app.gui import settings

#: The size a method window asks for on a large screen (its client area, in pixels).
PREFERRED_SIZE = QSize(1100, 700)
#: Room left for the window manager's border and title bar before the real frame is known.
FRAME_ALLOWANCE = QSize(16, 40)
#: How far down and right each window opened on top of another steps (pixels), and how often.
CASCADE_STEP = 32
CASCADE_STEPS = 6
CASCADE_MIN_SCALE = 0.7


def available_geometry(widget: QWidget | None = None) -> QRect:
    """The usable part of the screen ``widget`` is on (without panels and docks)."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 700)


def fitted_size(area: QRect, preferred: QSize = PREFERRED_SIZE) -> QSize:
    """``preferred``, shrunk so that the window with its frame fits ``area``."""
    return QSize(min(preferred.width(), area.width() - FRAME_ALLOWANCE.width()),
                 min(preferred.height(), area.height() - FRAME_ALLOWANCE.height()))


def fits(rect: QRect, area: QRect) -> bool:
    """True when the client rectangle ``rect`` with its frame lies inside ``area``."""
    framed = rect.adjusted(0, 0, FRAME_ALLOWANCE.width(), FRAME_ALLOWANCE.height())
    return area.contains(framed)


def clamped(rect: QRect, area: QRect) -> QRect:
    """The client rectangle ``rect`` shrunk and moved, as little as needed, so that with its
    frame it lies inside ``area``."""
    size = fitted_size(area, rect.size())
    right = area.x() + area.width() - size.width() - FRAME_ALLOWANCE.width()
    bottom = area.y() + area.height() - size.height() - FRAME_ALLOWANCE.height()
    return QRect(QPoint(max(area.x(), min(rect.x(), right)), max(area.y(), min(rect.y(), bottom))),
                 size)


def _taken_positions(window: QWidget) -> list[QPoint]:
    """Where the other visible top-level windows have their top-left corner."""
    return [other.pos() for other in QApplication.topLevelWidgets()
            if other is not window and other.isVisible() and other.isWindow()]


def _is_taken(point: QPoint, taken: list[QPoint]) -> bool:
    return any((point - other).manhattanLength() < CASCADE_STEP for other in taken)


def cascaded(first: QRect, area: QRect, taken: list[QPoint]) -> QRect:
    """``first`` (a client rectangle inside ``area``), or the first step down and right of
    it whose top-left corner no other window has. A step shrinks the window as needed to
    stay inside ``area``, to no less than CASCADE_MIN_SCALE of its size; when no step is
    free the window opens at ``first``."""
    for step in range(CASCADE_STEPS + 1):
        corner = first.topLeft() + QPoint(step * CASCADE_STEP, step * CASCADE_STEP)
        room = QSize(area.x() + area.width() - corner.x() - FRAME_ALLOWANCE.width(),
                     area.y() + area.height() - corner.y() - FRAME_ALLOWANCE.height())
        size = first.size().boundedTo(room)
        if (size.width() < CASCADE_MIN_SCALE * first.width()
                or size.height() < CASCADE_MIN_SCALE * first.height()):
            break
        if not _is_taken(corner, taken):
            return QRect(corner, size)
    return first


def place_window(window: QWidget, key: str, preferred: QSize = PREFERRED_SIZE) -> None:
    """Give ``window`` its remembered geometry, shrunk and moved into the screen where it no
    longer fits; else (a first time) a size that fits, centred. A window that would open on
    another's top-left corner (two opened at once) steps down and right instead."""
    area = available_geometry(window)
    stored = str(settings.value(f"geometry/{key}", ""))
    try:
        x, y, width, height = (int(part) for part in stored.split(","))
        remembered: QRect | None = QRect(x, y, width, height)
    except ValueError:
        remembered = None
    if remembered is not None and remembered.width() > 0 and remembered.height() > 0:
        first = clamped(remembered, area)
    else:
        size = fitted_size(area, preferred)
        first = QRect(QPoint(
            area.x() + max(0, (area.width() - size.width() - FRAME_ALLOWANCE.width()) // 2),
            area.y() + max(0, (area.height() - size.height() - FRAME_ALLOWANCE.height()) // 2)),
            size)
    rect = cascaded(first, area, _taken_positions(window))
    window.resize(rect.size())
    window.move(rect.topLeft())


def centre_on(window: QWidget, near: QWidget | None = None) -> None:
    """Move ``window`` (its present size) to the centre of ``near``, or of the screen when
    ``near`` is None or hidden, kept wholly inside the available screen."""
    area = available_geometry(near if near is not None else window)
    centre = (near.frameGeometry().center() if near is not None and near.isVisible()
              else area.center())
    size = window.size()
    framed = size + FRAME_ALLOWANCE
    corner = QPoint(centre.x() - framed.width() // 2, centre.y() - framed.height() // 2)
    rect = clamped(QRect(corner, size), area)
    window.resize(rect.size())
    window.move(rect.topLeft())


def remember_geometry(window: QWidget, key: str) -> None:
    """Keep ``window``'s position and size (not maximised or full-screen) for next time."""
    if window.isMaximized() or window.isFullScreen():
        rect = window.normalGeometry()
        position = rect.topLeft()
    else:
        rect, position = window.geometry(), window.pos()
    settings.set_value(f"geometry/{key}",
                       f"{position.x()},{position.y()},{rect.width()},{rect.height()}")


def undo_actions(parent: QWidget, stack: QUndoStack) -> tuple[QAction, QAction]:
    """Undo (Ctrl+Z) and Redo (Ctrl+Shift+Z and Ctrl+Y) for ``stack``.

    Their text stays "Undo" / "Redo" (what would be undone goes into the tooltip), so a
    toolbar does not shift sideways after every stroke.
    """
    undo, redo = QAction("Undo", parent), QAction("Redo", parent)
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    undo.triggered.connect(stack.undo)
    redo.triggered.connect(stack.redo)

    def update() -> None:
        if sip.isdeleted(stack) or sip.isdeleted(undo) or sip.isdeleted(redo):
            return  # a stack being destroyed still signals its clearing
        undo.setEnabled(stack.canUndo())
        redo.setEnabled(stack.canRedo())
        undo.setToolTip(f"Undo {stack.undoText()} (Ctrl+Z)".replace("  ", " "))
        redo.setToolTip(f"Redo {stack.redoText()} (Ctrl+Y or Ctrl+Shift+Z)".replace("  ", " "))

    for signal in (stack.indexChanged, stack.canUndoChanged, stack.canRedoChanged,
                   stack.undoTextChanged, stack.redoTextChanged):
        signal.connect(lambda *_: update())
    update()
    return undo, redo


def set_main_menu_factory(factory: Callable[[], QWidget]) -> None:
    """Say how the application makes its main menu (``app.main`` gives the MainMenu class).

    Handed in rather than imported: the main menu imports every window, and every window
    offers the main menu, so importing it here would make a circle.
    """
    _MAIN_MENU_FACTORY[:] = [factory]


def show_main_menu(near: QWidget | None = None) -> QWidget | None:
    """Bring the main menu back (it may have been closed): the existing one, else a new one;
    None when no main menu was set (a window opened on its own, as in tests).

    A menu that was hidden, or that is not wholly on the screen, is centred on ``near``
    (default: the active window, the one whose Ctrl+M asked) or on the screen; a menu in
    view stays where the person put it and is raised.
    """
    menu = next((widget for widget in QApplication.topLevelWidgets()
                 if widget.objectName() == MAIN_MENU_NAME), None)
    if menu is None:
        if not _MAIN_MENU_FACTORY:
            return None
        menu = _MAIN_MENU_FACTORY[0]()
        _KEPT.append(menu)  # a top-level window without a reference would be collected
    near = near if near is not None else QApplication.activeWindow()
    if near is menu:
        near = None
    if not menu.testAttribute(Qt.WidgetAttribute.WA_Resized):
        menu.adjustSize()  # never shown: its size is not known yet
    area = available_geometry(near if near is not None else menu)
    if not menu.isVisible() or not fits(QRect(menu.pos(), menu.size()), area):
        centre_on(menu, near)
    menu.show()
    menu.raise_()
    menu.activateWindow()
    return menu


#: Object name that marks the main menu among the application's top-level windows.
MAIN_MENU_NAME = "colorize-main-menu"
_MAIN_MENU_FACTORY: list[Callable[[], QWidget]] = []
_KEPT: list[QWidget] = []
