"""A hidden switch for the smoke tests of what users install: open, show the window, leave.

With ``NEEDLELOG_SMOKE_EXIT_AFTER_MS`` set, the app quits on its own that
many milliseconds after start, exit code 0 if a window is on screen (and
says which), 1 if none is. The main window is on screen before the records
are open, so a main window still opening is waited for (up to
ATTACH_LIMIT_MS more): it passes only once the records are in it.

With ``NEEDLELOG_SMOKE_SESSION_FORM=1`` as well, it then chooses the first
patient in the list and opens a new session form through the New session
action, as a practitioner would, and passes only once the form is on screen
with its face map drawn from the shipped files. A failure there (a missing
map) is shown as the app shows it, and the smoke test exits 1.

With ``NEEDLELOG_SMOKE_PDF=FILE`` as well, it first loads that PDF (a report
the bundle wrote) the way the report preview does (QtPdf, from memory) and
renders its first page, and passes only if the page has something drawn on it:
QtPdf and its libraries are in the folder and work.

Unset, nothing changes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

ENV_SMOKE = "NEEDLELOG_SMOKE_EXIT_AFTER_MS"
ENV_SESSION_FORM = "NEEDLELOG_SMOKE_SESSION_FORM"
ENV_PDF = "NEEDLELOG_SMOKE_PDF"
ATTACH_LIMIT_MS = 60_000
FORM_LIMIT_MS = 20_000
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
        pdf = os.environ.get(ENV_PDF, "").strip()
        if pdf:
            said = _preview_pdf(pdf)
            if said.startswith("smoke: "):
                print(said, flush=True)
            else:
                print(f"smoke: {said}", file=sys.stderr, flush=True)
                app.exit(1)
                return
        if os.environ.get(ENV_SESSION_FORM, "").strip() == "1":
            _open_session_form(app, window)
            return
        app.exit(0)

    QTimer.singleShot(delay, finish)


def _preview_pdf(path: str) -> str:
    """Load ``path`` as the report preview loads a report and render its first page;
    answers the line to print: ``smoke: ...`` when it worked, else what went wrong."""
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    from needlelog.ui.report_actions import load_pdf

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"the PDF {path} cannot be read: {exc.strerror or exc}"
    document = load_pdf(data)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
        return f"QtPdf could not open {path} ({document.error().name})"
    image = document.render(0, QSize(400, 566))
    if image.isNull():
        return f"QtPdf rendered no image for the first page of {path}"
    first = image.pixel(0, 0)
    if all(image.pixel(x, y) == first for x in range(0, 400, 4) for y in range(0, 566, 4)):
        return f"the first page of {path} rendered blank"
    return f"smoke: PDF preview rendered page 1 of {document.pageCount()}"


def _open_session_form(app: _Exits, window: QWidget) -> None:
    """Choose the first patient, trigger New session, and wait for the form and its map."""
    from needlelog.ui.face_map import FaceMapWidget
    from needlelog.ui.session_form import SessionForm

    waited = [0]

    def fail(reason: str) -> None:
        print(f"smoke: {reason}", file=sys.stderr, flush=True)
        app.exit(1)

    def choose_patient() -> None:
        view = getattr(window, "patient_view", None)
        action = getattr(window, "new_session_action", None)
        if view is None or action is None:
            fail("the window has no patient list or New session action")
            return
        if view.model().rowCount() == 0 or not action.isEnabled():
            if waited[0] >= FORM_LIMIT_MS:
                fail("no patient could be chosen to open a session form for")
                return
            view.selectRow(0)
            waited[0] += POLL_MS
            QTimer.singleShot(POLL_MS, choose_patient)
            return
        waited[0] = 0
        QTimer.singleShot(POLL_MS, look_for_form)  # runs even while a message box is up
        action.trigger()

    def look_for_form() -> None:
        forms = [w for w in QApplication.topLevelWidgets() if isinstance(w, SessionForm)]
        shown = [f for f in forms if f.isVisible()]
        face_map = shown[0].findChild(FaceMapWidget) if shown else None
        if face_map is None or not face_map.isVisible():
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
            told = [box.text() for box in boxes if box.isVisible()]
            if told:
                fail("the session form did not open; the app said: " + " ".join(told[0].split()))
                return
            if waited[0] >= FORM_LIMIT_MS:
                fail("the session form did not open")
                return
            waited[0] += POLL_MS
            QTimer.singleShot(POLL_MS, look_for_form)
            return
        zones = len(face_map.zones())
        if zones == 0:
            fail("the session form's face map has no zones")
            return
        print(
            f"smoke: session form shown with {zones} map zones: {shown[0].windowTitle()}",
            flush=True,
        )
        app.exit(0)

    choose_patient()
