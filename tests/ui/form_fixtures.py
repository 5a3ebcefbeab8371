"""Fixtures for the session form tests: patients, a form on screen, answered message boxes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient, TreatmentSession
from needlelog.store.database import Database
from needlelog.ui.form_widgets import DISCARD_BUTTON
from needlelog.ui.session_form import SessionForm
from tests.consenting import register_consenting
from tests.factories import make_patient
from tests.ui.form_context import context_for


@dataclass
class Questions:
    """Stands in for a message box's ``exec``: records what was asked (title, text) and
    presses the button labelled ``answer``."""

    answer: str = DISCARD_BUTTON
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, box: QMessageBox) -> int:
        self.asked.append((box.windowTitle(), box.text()))
        press = next(b for b in box.buttons() if b.text() == self.answer)
        press.click()
        return box.result()


@pytest.fixture
def form_questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    asker = Questions()
    # A function, not the instance: looked up on the class, it must bind to the box.
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asker(box))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected message box: {args}")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse)
    return asker


def none_apply(qtbot: QtBot, form: SessionForm) -> None:
    """Answer the screening as a practitioner does when nothing applies: the one
    "None of these apply" attestation."""
    form.scroll.ensureWidgetVisible(form.screening.none_apply)
    qtbot.mouseClick(form.screening.none_apply, Qt.MouseButton.LeftButton)


@pytest.fixture
def register_patient(db: Database) -> Callable[..., Patient]:
    counter = iter(range(1, 10_000))

    def make(**changes: object) -> Patient:
        # Signed the treatment consent before the first session (the gate stays on).
        return register_consenting(db, make_patient(f"P-{next(counter):04d}", **changes))

    return make


@pytest.fixture
def open_form(
    qtbot: QtBot, db: Database, form_questions: Questions
) -> Iterator[Callable[..., SessionForm]]:
    forms: list[SessionForm] = []

    def make(patient: Patient, session: TreatmentSession | None = None) -> SessionForm:
        form = SessionForm(db, context_for(db, patient, session))
        qtbot.addWidget(form)
        form.resize(1000, 800)
        # Shortcuts such as Ctrl+S act in the active window.
        with qtbot.waitActive(form):
            form.show()
            form.activateWindow()
        forms.append(form)
        return form

    yield make
    # Teardown closes the forms; an edited one would ask, and the answer is to discard.
    form_questions.answer = DISCARD_BUTTON
