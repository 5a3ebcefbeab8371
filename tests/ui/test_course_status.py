"""Course status tells the truth: an interrupted course offers a restart, and the days
overdue are counted from the due date, the same in the due list, the record and the report."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from pytestqt.qtbot import QtBot

from needlelog.reports.progress import build_progress_report
from needlelog.services import clock, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import DUE_TAB, MainWindow
from needlelog.ui.patient_models import DueListModel
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts

MakeWindow = Callable[[Database], MainWindow]


def _patient_treated_days_ago(db: Database, record_no: str, days: int) -> int:
    pid = register_consenting(db, make_patient(record_no), "test").id
    when = datetime.combine(clock.today() - timedelta(days=days), time(10))
    sessions.record(
        db,
        pid,
        make_session(performed_at=when, next_due=None),
        "test",
        now=when + timedelta(hours=1),
    )
    return pid


def _due_row(window: MainWindow, record_no: str) -> list[str]:
    model = window.due_model
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == record_no:
            return [model.index(row, c).data() for c in range(model.columnCount())]
    raise AssertionError(f"{record_no} is not in the due list")


def _choose(qtbot: QtBot, window: MainWindow, record_no: str) -> None:
    window.tabs.setCurrentIndex(DUE_TAB)
    model = window.due_model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == record_no)
    window.due_view.selectRow(row)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    assert window.current_patient().record_no == record_no  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not window.record.loading)  # status and history read


def test_an_abandoned_course_is_interrupted_with_a_restart_not_maintenance_overdue(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    _patient_treated_days_ago(db, "INT-1", 300)
    window = make_window(db)
    row = _due_row(window, "INT-1")
    status_col = DueListModel.HEADERS.index("Status")
    assert row[status_col] == "Course interrupted"
    assert row[DueListModel.DAYS] == ""
    assert row[DueListModel.HEADERS.index("Next due")] == "Restart"
    # The patient list says so too, instead of a long-past due date in red.
    window.tabs.setCurrentIndex(0)
    list_row = window.patient_model.row_of(window.due_model.entry_at(0).patient.id)  # type: ignore[union-attr]
    assert window.patient_model.index(list_row, 5).data() == "Course interrupted"
    _choose(qtbot, window, "INT-1")
    text = window.record.status_label.text()
    assert text.startswith("Course interrupted after 1 of 3 sessions")
    assert "overdue" not in text and "Maintenance" not in text
    assert window.record.restart_button.isVisible()
    with qtbot.waitSignal(window.record.new_session_requested, timeout=2000):
        window.record.restart_button.click()


def test_days_overdue_are_the_same_in_list_record_and_report(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    # Treated 120 days ago, due 4 weeks later: 92 days overdue (not 78 from the 6-week limit).
    pid = _patient_treated_days_ago(db, "OVR-1", 120)
    window = make_window(db)
    row = _due_row(window, "OVR-1")
    assert row[DueListModel.DAYS] == "92"
    _choose(qtbot, window, "OVR-1")
    assert "92 days overdue" in window.record.status_label.text()
    assert not window.record.restart_button.isVisible()
    buffer = io.BytesIO()
    build_progress_report(db, pid, buffer)
    assert "92 days overdue" in page_texts(buffer.getvalue())[0]


def test_the_due_list_offers_to_restart_an_interrupted_course(
    qtbot: QtBot, db: Database, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _patient_treated_days_ago(db, "INT-2", 300)
    _patient_treated_days_ago(db, "OVR-2", 50)
    opened: list[tuple[str, object]] = []
    monkeypatch.setattr(
        MainWindow,
        "_open_session_form",
        lambda self, patient, session, reason="": opened.append((patient.record_no, session)),
    )
    window = make_window(db)
    _choose(qtbot, window, "INT-2")
    entry = window.due_model.entry_at(window.due_model.row_of(window.current_patient().id))  # type: ignore[arg-type, union-attr]
    assert entry is not None
    menu = window.due_menu(entry)
    assert [a.text() for a in menu.actions()] == ["Log contact…", "Restart course…"]
    menu.actions()[1].trigger()
    assert opened == [("INT-2", None)]  # a new session: it starts the new course
    _choose(qtbot, window, "OVR-2")
    entry = window.due_model.entry_at(window.due_model.row_of(window.current_patient().id))  # type: ignore[arg-type, union-attr]
    assert [a.text() for a in window.due_menu(entry).actions()] == [  # type: ignore[arg-type]
        "Log contact…",
        "New session…",
    ]
