"""A hidden switch for the bundle's smoke test: open, show the window, leave.

With ``NEEDLELOG_SMOKE_EXIT_AFTER_MS`` set, the app quits on its own that
many milliseconds after start, exit code 0 if a window is on screen (and
says which), 1 if none is. The main window is on screen before the records
are open, so a main window still opening is waited for (up to
ATTACH_LIMIT_MS more): it passes only once the records are in it. Unset,
nothing changes.
"""

from __future__ import annotations

import os
import sys
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

ENV_SMOKE = "NEEDLELOG_SMOKE_EXIT_AFTER_MS"
ATTACH_LIMIT_MS = 60_000
POLL_MS = 100


class _Exits(Protocol):
    def exit(self, code: int = 0) -> None: ...


def _shown_window() -> QWidget | None:
    shown = [w for w in QApplication.topLevelWidgets() if w.isWindow() and w.isVisible()]
    mains = [w for w in shown if isinstance(w, QMainWindow)]
    return (mains or shown or [None])[0]


def arm_smoke_exit(app: _Exits) -> None:
    """Quit ``app`` after the delay in ``NEEDLELOG_SMOKE_EXIT_AFTER_MS``, if it is set."""
    value = os.environ.get(ENV_SMOKE, "").strip()
    if not value:
        return
    try:
        delay = max(0, int(value))
    except ValueError:
        print(f"smoke: {ENV_SMOKE}={value!r} is not a whole number", file=sys.stderr)
        app.exit(2)
        return

    waited = [0]

    def finish() -> None:
        window = _shown_window()
        if window is None:
            print("smoke: no window was shown", file=sys.stderr, flush=True)
            app.exit(1)
            return
        if getattr(window, "attached", True) is False:  # the records are still opening
            if waited[0] >= ATTACH_LIMIT_MS:
                print("smoke: the records never opened", file=sys.stderr, flush=True)
                app.exit(1)
                return
            waited[0] += POLL_MS
            QTimer.singleShot(POLL_MS, finish)
            return
        kind = "main window" if isinstance(window, QMainWindow) else "window"
        print(f"smoke: {kind} shown: {window.windowTitle()}", flush=True)
        app.exit(0)

    QTimer.singleShot(delay, finish)
