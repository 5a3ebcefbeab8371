"""One format for each thing: dates read the same in list, record, report and the
shared form widgets; Fitzpatrick in numerals; a past session is amended with a reason."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QInputDialog, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from needlelog.domain.codes import Area, Endpoint
from needlelog.domain.records import Patient, Product, TreatedArea
from needlelog.domain.search import parse_date
from needlelog.reports.progress import build_progress_report
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.store.models import AuditEventRow
from needlelog.ui.form_widgets import OptionalDateEdit
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_dialog import PatientDialog
from needlelog.ui.patient_record import HistoryModel
from needlelog.ui.session_form import SessionForm
from needlelog.ui.session_rows import _product_text
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts
from tests.ui.conftest import AMEND_REASON
from tests.ui.form_context import context_for

MakeWindow = Callable[[Database], MainWindow]
WHEN = datetime(2026, 3, 2, 10, 30)
HOUSE = "2 Mar 2026"


@pytest.fixture
def treated(db: Database) -> Patient:
    pid = register_consenting(
        db, make_patient("F-1", date_of_birth=date(1984, 3, 7), fitzpatrick=4), "t"
    ).id
    sessions.record(db, pid, make_session(performed_at=WHEN, next_due=None), "t", now=WHEN)
    return patients.get(db, pid)


def test_a_date_reads_the_same_in_list_record_report_and_form(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    assert window.patient_model.index(0, 3).data() == HOUSE  # last session
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)  # history read
    assert window.record.history_model.index(0, HistoryModel.DATE).data().startswith(HOUSE)
    assert "born 7 Mar 1984" in window.record.details_label.text()
    buffer = io.BytesIO()
    build_progress_report(db, treated.id, buffer)
    assert HOUSE in page_texts(buffer.getvalue())[0]
    edit = OptionalDateEdit()
    qtbot.addWidget(edit)
    edit.set_value(date(2026, 3, 2))
    assert edit.text() == HOUSE
    edit.set_value(date(2027, 9, 30))
    assert edit.text() == "30 Sep 2027"  # as fmt.day writes it, whatever the system language
    assert _product_text(Product("PRP", "P1", date(2027, 7, 25))) == (
        "PRP  ·  lot P1  ·  exp. 25 Jul 2027"
    )


def test_the_patient_dialog_shows_and_reads_the_house_date(
    qtbot: QtBot, treated: Patient, db: Database
) -> None:
    dialog = PatientDialog(db, treated)
    qtbot.addWidget(dialog)
    assert dialog.date_of_birth.text() == "7 Mar 1984"
    assert dialog.data().date_of_birth == date(1984, 3, 7)
    assert parse_date("7 March 1984") == parse_date("07.03.1984") == date(1984, 3, 7)
    assert parse_date("31 Feb 1984") is None and parse_date("7 Foo 1984") is None


def test_fitzpatrick_is_in_numerals_in_record_and_report(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)  # history read
    assert "Fitzpatrick IV" in window.record.details_label.text()
    buffer = io.BytesIO()
    build_progress_report(db, treated.id, buffer)
    assert "Fitzpatrick IV" in page_texts(buffer.getvalue())[0]


def test_amending_a_past_session_asks_why_and_the_reason_goes_with_the_form(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    text_questions: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(
        MainWindow,
        "_open_session_form",
        lambda self, patient, session, reason="": opened.append(reason),
    )
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)  # history read
    session = window.record.history_model.session_at(0)
    assert session is not None
    window.open_session(session)
    assert text_questions == [
        f"Why is the session of {HOUSE} being amended?\n"
        "The reason is kept in the audit trail with the change."
    ]
    assert opened == [AMEND_REASON]
    # Cancelled, or no reason given: the form is not opened.
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    window.open_session(session)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("   ", True))
    window.open_session(session)
    assert opened == [AMEND_REASON]


def test_the_amend_reason_is_kept_in_the_audit_event(treated: Patient, db: Database) -> None:
    (visit,) = sessions.history(db, treated.id)
    sessions.amend(
        db, visit.id, make_session(performed_at=WHEN, next_due=None, pain=6), visit.version,
        "dr", now=datetime(2026, 4, 1, 9), reason="  pain was 6, not 4  ",
    )  # fmt: skip
    with db.read() as s:
        event = s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.entity == "session", AuditEventRow.action == "amend"
            )
        ).one()
    changes = json.loads(event.changes)
    assert changes["reason"] == [None, "pain was 6, not 4"]
    assert changes["pain"] == [4, 6]


def test_pinpoint_bleeding_is_read_as_the_endpoint_of_areas() -> None:
    data = make_session(
        areas=(
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), endpoint=Endpoint.PINPOINT_BLEEDING),
            TreatedArea(Area.FOREHEAD, Decimal("0.50"), endpoint=Endpoint.ERYTHEMA),
        )
    )
    assert data.bleeding_reached == ("Cheek (left)",)
    older = make_session(pinpoint_bleeding=True)  # only the session-wide flag, as stored
    assert older.bleeding_reached == ("area not recorded",)
    assert make_session().bleeding_reached == ()


def _audit_amend(db: Database) -> dict[str, list[object]]:
    with db.read() as s:
        event = s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.entity == "session", AuditEventRow.action == "amend"
            )
        ).one()
    return json.loads(event.changes)  # type: ignore[no-any-return]


def test_the_reason_asked_before_amending_reaches_the_audit_event_through_the_form(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    session = window.record.history_model.session_at(0)
    assert session is not None
    window.open_session(session)  # asks why (answered with AMEND_REASON), then opens

    def shown_forms() -> list[SessionForm]:
        return [f for f in window.findChildren(SessionForm) if f.isVisible()]

    qtbot.waitUntil(lambda: len(shown_forms()) == 1)
    (form,) = shown_forms()
    assert form.amend_reason == AMEND_REASON
    # The form reads its dates and skin type as the list, record and report do.
    assert form.windowTitle().startswith(f"Session of {HOUSE} — ")
    texts = [label.text() for label in form.findChildren(QLabel)]
    assert any("born 7 Mar 1984" in t and "Fitzpatrick IV" in t for t in texts), texts
    assert form.treatment.performed_at.text().startswith(HOUSE)
    form.reactions.pain.set_number(7)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    changes = _audit_amend(db)
    assert changes["reason"] == [None, AMEND_REASON]
    assert changes["pain"][1] == 7


def test_a_new_sessions_header_says_the_last_session_in_the_house_date(
    qtbot: QtBot, treated: Patient, db: Database
) -> None:
    form = SessionForm(db, context_for(db, treated))
    qtbot.addWidget(form)
    texts = [label.text() for label in form.findChildren(QLabel)]
    assert any(t.startswith(f"Last session {HOUSE}") for t in texts), texts
    assert form.amend_reason == ""  # a new session is not amended: no reason
