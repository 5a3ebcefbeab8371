"""The window's answer to a failure nobody foresaw: one message box naming the log file.

``install()`` (done by the app's start) makes it the answer to every exception
that escapes a menu action, a button, a timer or an event handler: PySide hands
those to ``sys.excepthook``. An action that fails therefore says so instead of
doing nothing. Background work that ends in such an exception reports it through
``show_failure`` too. The trace goes to the log file (``needlelog.failures``),
never onto the screen.

Failures a user can act on (a damaged or busy database, a refused record, a
full disk) are still told in their own words where they happen: ``told_in_words``
says which.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from needlelog import APP_NAME, failures
from needlelog.domain.errors import InvalidRecord
from needlelog.services.errors import NotFound
from needlelog.store.errors import StoreError

_showing = False  # one box at a time: a failing paint event would otherwise stack them


def told_in_words(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure whose own message tells the user what to do."""
    return isinstance(exc, StoreError | InvalidRecord | NotFound | OSError)


def show_failure(
    parent: QWidget | None,
    exc: BaseException,
    trace: str | None = None,
    action: str | None = None,
) -> failures.Failure:
    """Log ``exc`` with its trace and say in one message box that ``action`` (e.g.
    "The report"; None: whatever the user just did) did not work."""
    doing = action or "an action in the window"
    failure = failures.record(exc, f"{APP_NAME}: {doing}", trace)
    # The same sentence as the command line's, for a start from a terminal.
    print(f"{APP_NAME}: error: {failure.what}; {failure.details}", file=sys.stderr, flush=True)
    global _showing
    if _showing:
        return failure
    _showing = True
    try:
        details = failure.details[0].upper() + failure.details[1:]
        QMessageBox.critical(
            parent or _active_window(),
            APP_NAME,
            f"{action or 'That'} did not work: {failure.what}.\n\n{details}.",
        )
    finally:
        _showing = False
    return failure


def _active_window() -> QWidget | None:
    return QApplication.activeModalWidget() or QApplication.activeWindow()


def on_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` while the window is up."""
    if issubclass(kind, KeyboardInterrupt):  # Ctrl+C in the terminal that started it
        QApplication.exit(1)
        return
    show_failure(None, exc, "".join(traceback.format_exception(kind, exc, tb)))


def install() -> None:
    sys.excepthook = on_uncaught
