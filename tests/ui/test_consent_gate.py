"""The consent gate in the session form, as a practitioner meets it: the form says
before Save that no treatment consent covers the date, refuses the save with that
sentence, and goes on after the patient signs or with a written reason; whatever was
typed stays in the form."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area
from needlelog.domain.consent import ConsentPolicy
from needlelog.domain.records import Patient, TreatedArea
from needlelog.services import consents, sessions
from needlelog.store.database import Database
from needlelog.ui import formatting as fmt
from needlelog.ui.consent.signing_view import SigningView
from needlelog.ui.session_form import SessionForm
from tests.consenting import LONG_AGO, sign_consent
from tests.ui.consent_helpers import read_to_end, sign_with_pen
from tests.ui.form_fixtures import none_apply

pytest_plugins = ["tests.ui.form_fixtures"]

NO_CONSENT = (
    "The patient has not signed a treatment consent. Ask the patient to sign the treatment "
    "consent, or record why the session goes ahead without it."
)


@pytest.fixture
def unsigned(db: Database) -> Patient:
    """A patient who has not signed any consent."""
    from needlelog.services import patients
    from tests.factories import make_patient

    return patients.register(db, make_patient("P-0200", given_name="Ines"), "test")


def _fill(qtbot: QtBot, form: SessionForm) -> None:
    """A session a practitioner would save: screening answered, one area at a depth."""
    none_apply(qtbot, form)
    form.treatment.area_rows.set_areas([Area.CHEEK_LEFT], {})
    spin = form.treatment.area_rows.rows[Area.CHEEK_LEFT].depth
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "0.75")
    form.aftercare.notes.setPlainText("Tolerated well")


def _save(qtbot: QtBot, form: SessionForm) -> None:
    qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.saving, timeout=10_000)


def test_the_form_says_before_save_that_no_consent_covers_the_date(
    unsigned: Patient, open_form: Callable[..., SessionForm]
) -> None:
    form = open_form(unsigned)
    assert form.consent_gate.isVisible()
    assert form.consent_gate.text.text() == NO_CONSENT
    assert form.consent_gate.sign_button.isVisible()
    assert form.consent_gate.reason_button.isVisible()


def test_a_session_without_consent_is_refused_then_saved_after_the_patient_signs(
    qtbot: QtBot, db: Database, unsigned: Patient, open_form: Callable[..., SessionForm]
) -> None:
    form = open_form(unsigned)
    _fill(qtbot, form)
    typed = form.collect()
    _save(qtbot, form)

    assert form.isVisible(), "refused: the form stays open"
    assert form.consent_gate.text.text() == (
        f"Not saved: {NO_CONSENT} Your entries are still here."
    )
    assert form.consent_gate.sign_button.isVisible()
    assert form.collect() == typed, "everything typed is still in the form"
    assert sessions.history(db, unsigned.id) == []

    qtbot.mouseClick(form.consent_gate.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.findChild(SigningView) is not None, timeout=10_000)
    view = form.findChild(SigningView)
    qtbot.waitExposed(view)
    assert not view.sign_button.isEnabled()
    sign_with_pen(view.pad)
    read_to_end(qtbot, view)
    practitioner = form.treatment.practitioner.currentText()
    assert practitioner and view.witness_name.currentText() == practitioner
    qtbot.waitUntil(view.sign_button.isEnabled)
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)

    stored = saved.args[0]
    assert stored.data.areas == (TreatedArea(Area.CHEEK_LEFT, Decimal("0.75")),)
    assert stored.data.notes == "Tolerated well"
    assert stored.data.consent_override_reason == ""
    assert "consent_overridden" not in stored.flags
    (consent,) = consents.for_patient(db, unsigned.id)
    assert consents.treatment_status(db, unsigned.id, stored.data.performed_at.date()).ok
    assert consent.signature is not None and consent.signature.strokes
    assert consent.witness == practitioner


def test_save_with_a_reason_stores_the_override_and_an_empty_reason_saves_nothing(
    qtbot: QtBot,
    db: Database,
    unsigned: Patient,
    open_form: Callable[..., SessionForm],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([("   ", True), ("Signed on paper; the scan is being made", True)])
    asked: list[str] = []

    def get_text(_parent: object, _title: str, label: str, *_a: object, **_k: object):  # type: ignore[no-untyped-def]
        asked.append(label)
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    form = open_form(unsigned)
    _fill(qtbot, form)
    typed = form.collect()

    qtbot.mouseClick(form.consent_gate.reason_button, Qt.MouseButton.LeftButton)
    assert form.banner.summary.text() == (
        "Not saved: a written reason is required to save without a valid treatment "
        "consent. Your entries are still here."
    )
    assert form.isVisible() and form.collect() == typed
    assert sessions.history(db, unsigned.id) == []

    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        qtbot.mouseClick(form.consent_gate.reason_button, Qt.MouseButton.LeftButton)
    assert "without a valid treatment consent" in asked[-1]
    stored = saved.args[0]
    assert stored.data.consent_override_reason == "Signed on paper; the scan is being made"
    assert "consent_overridden" in stored.flags
    (again,) = sessions.history(db, unsigned.id)
    assert again.data.consent_override_reason == stored.data.consent_override_reason


def test_an_amended_session_keeps_its_override_reason(
    qtbot: QtBot, db: Database, unsigned: Patient, open_form: Callable[..., SessionForm]
) -> None:
    from tests.factories import make_session

    stored = sessions.record(
        db, unsigned.id, make_session(consent_override_reason="Paper form signed"), "test"
    )
    form = open_form(unsigned, stored)
    assert form.consent_gate.text.text() == (
        "Saved without a valid treatment consent: Paper form signed"
    )
    assert not form.consent_gate.sign_button.isVisible()
    form.aftercare.notes.setPlainText("Corrected note")
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        _save(qtbot, form)
    assert saved.args[0].data.consent_override_reason == "Paper form signed"


def test_a_signed_consent_shows_in_the_form_and_the_save_goes_through(
    qtbot: QtBot, db: Database, unsigned: Patient, open_form: Callable[..., SessionForm]
) -> None:
    sign_consent(db, unsigned.id)
    form = open_form(unsigned)
    assert form.consent_gate.text.text() == (
        f"Treatment consent signed on screen on {fmt.day(LONG_AGO)} covers this date."
    )
    assert not form.consent_gate.sign_button.isVisible()
    _fill(qtbot, form)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        _save(qtbot, form)


def test_with_the_gate_off_the_form_says_nothing_and_saves(
    qtbot: QtBot, db: Database, unsigned: Patient, open_form: Callable[..., SessionForm]
) -> None:
    consents.set_policy(db, ConsentPolicy(required=False), "test")
    form = open_form(unsigned)
    assert form.consent_gate.isHidden()
    _fill(qtbot, form)
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        _save(qtbot, form)
    assert saved.args[0].data.consent_override_reason == ""
