"""Course status tells the truth: an interrupted course offers a restart, and the days
overdue are counted from the due date, the same in the due list, the record and the report."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, time, timedelta

from pytestqt.qtbot import QtBot

from needlelog.reports.progress import build_progress_report
from needlelog.services import clock, patients, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import DUE_TAB, MainWindow
from needlelog.ui.patient_models import DueListModel
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts

MakeWindow = Callable[[Database], MainWindow]


def _patient_treated_days_ago(db: Database, record_no: str, days: int) -> int:
    pid = patients.register(db, make_patient(record_no), "test").id
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
