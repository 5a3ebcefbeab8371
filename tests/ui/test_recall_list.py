"""The due list as a recall list: phone and email, a log of contact attempts, CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from needlelog.services import clock, recall, sessions
from needlelog.store.database import Database
from needlelog.ui import recall as recall_ui
from needlelog.ui.main_window import DUE_TAB, MainWindow
from needlelog.ui.patient_models import DueListModel
from needlelog.ui.recall import ContactDialog
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

MakeWindow = Callable[[Database], MainWindow]


@pytest.fixture
def clinic(db: Database) -> Database:
    pid = register_consenting(
        db, make_patient("D-1", phone="+44 20 7946 0101", email="zoe@example.org"), "t"
    ).id
    when = datetime.combine(clock.today() - timedelta(days=60), time(10))
    sessions.record(db, pid, make_session(performed_at=when, next_due=None), "t", now=when)
    return db


def _choose_first_due(qtbot: QtBot, window: MainWindow) -> None:
    window.show_due_action.trigger()
    assert window.tabs.currentIndex() == DUE_TAB
    window.due_view.selectRow(0)
    qtbot.waitUntil(lambda: window.recall_panel.entry is not None)


def _open_log(qtbot: QtBot, window: MainWindow) -> ContactDialog:
    window.recall_panel.log_button.click()
    dialog = window.recall_panel.findChild(ContactDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_the_due_list_shows_how_to_reach_the_patient(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    model = window.due_model
    assert model.index(0, DueListModel.PHONE).data() == "+44 20 7946 0101"
    assert model.index(0, DueListModel.CONTACT).data() == ""
    _choose_first_due(qtbot, window)
    text = window.recall_panel.reach.text()
    assert "+44 20 7946 0101" in text and "zoe@example.org" in text
    assert window.recall_panel.log_button.isEnabled()


def test_reception_logs_a_message_left_and_the_list_shows_it(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    _choose_first_due(qtbot, window)
    dialog = _open_log(qtbot, window)
    dialog.outcome.setCurrentIndex(dialog.outcome.findText("Message left"))
    qtbot.keyClicks(dialog.note, "voicemail; prefers mornings")
    dialog.save()
    qtbot.waitUntil(lambda: window.due_model.index(0, DueListModel.CONTACT).data() != "")
    today = clock.today()
    assert window.due_model.index(0, DueListModel.CONTACT).data() == "Message left"
    tip = window.due_model.index(0, DueListModel.CONTACT).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"Message left on {today.day} {today:%b %Y}: voicemail; prefers mornings"
    qtbot.waitUntil(lambda: "voicemail; prefers mornings" in window.recall_panel.reach.text())
    (attempt,) = recall.attempts(clinic, window.due_model.entry_at(0).patient.id)  # type: ignore[union-attr]
    assert attempt.note == "voicemail; prefers mornings" and attempt.contacted_on == today


def test_a_future_date_is_refused_in_the_dialog_and_nothing_is_logged(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    _choose_first_due(qtbot, window)
    dialog = _open_log(qtbot, window)
    tomorrow = clock.today() + timedelta(days=1)
    dialog.on.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert dialog.isVisible()
    assert dialog.error.text().startswith("Not saved: contact date ")
    assert "is in the future" in dialog.error.text()
    assert recall.attempts(clinic, window.due_model.entry_at(0).patient.id) == []  # type: ignore[union-attr]
    dialog.reject()


def test_the_due_list_exports_to_csv(
    qtbot: QtBot,
    clinic: Database,
    make_window: MakeWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(clinic)
    out = tmp_path / "due.csv"
    monkeypatch.setattr(recall_ui.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.recall_panel.export_button.click()
    with open(out, newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["record_no"], row["phone"], row["email"], row["status"]) == (
        "D-1",
        "+44 20 7946 0101",
        "zoe@example.org",
        "overdue",
    )
    assert window.statusBar().currentMessage() == "Saved the due list to due.csv"
