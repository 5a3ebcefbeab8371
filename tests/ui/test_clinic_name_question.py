"""Printing or saving a report while the clinic's name is unset asks once, with a way
to open Clinic settings, instead of printing "Your clinic" silently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient
from needlelog.services import settings
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database
from needlelog.ui import background, clinic_settings, report_actions
from tests.reports.helpers import page_texts, patient_with_sessions
from tests.ui.fake_window import FakeWindow


@pytest.fixture
def window(qtbot: QtBot, db: Database) -> Iterator[FakeWindow]:
    patient: Patient = patient_with_sessions(db, 2, "P-0009")
    win = FakeWindow(db, patient)
    qtbot.addWidget(win)
    report_actions.install(win)
    report_actions._ASKED_CLINIC_NAME.clear()
    yield win
    background.wait_for_all()
    report_actions._ASKED_CLINIC_NAME.clear()


def _answer(monkeypatch: pytest.MonkeyPatch, button: str, asked: list[str]) -> None:
    def exec_box(box: QMessageBox) -> int:
        asked.append(box.text())
        texts = [b.text() for b in box.buttons()]
        assert report_actions.OPEN_SETTINGS in texts and report_actions.CONTINUE_UNNAMED in texts
        chosen = box.escapeButton() if button == "cancel" else None
        chosen = chosen or next(b for b in box.buttons() if b.text() == button)
        chosen.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_box)


def _save_to(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    monkeypatch.setattr(report_actions.QFileDialog, "getSaveFileName", lambda *a: (str(out), ""))


def test_continue_without_asks_once_then_saves(
    qtbot: QtBot,
    window: FakeWindow,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    _answer(monkeypatch, report_actions.CONTINUE_UNNAMED, asked)
    for name in ("a.pdf", "b.pdf"):
        _save_to(monkeypatch, tmp_path / name)
        report_actions.save_report_as(window, db, window.patient)
        qtbot.waitUntil(lambda n=name: f"Saved {n}" in window.statuses, timeout=20_000)
    assert asked == ["The clinic's name is not set, so the report would be headed “Your clinic”."]


def test_cancel_writes_nothing_and_asks_again_next_time(
    qtbot: QtBot, window: FakeWindow, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    _answer(monkeypatch, "cancel", asked)
    _save_to(monkeypatch, tmp_path / "c.pdf")
    report_actions.save_report_as(window, db, window.patient)
    qtbot.waitUntil(lambda: len(asked) == 1)
    report_actions.print_report(window, db, window.patient)
    qtbot.waitUntil(lambda: len(asked) == 2)
    background.wait_for_all()
    qtbot.wait(50)
    assert not (tmp_path / "c.pdf").exists()


def test_open_clinic_settings_names_the_clinic_on_the_report(
    qtbot: QtBot,
    window: FakeWindow,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    _answer(monkeypatch, report_actions.OPEN_SETTINGS, asked)

    def settings_exec(dialog: QDialog) -> int:
        settings.set_clinic(db, ClinicInfo(name="Harbour Skin Clinic"), "test")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(clinic_settings.ClinicSettingsDialog, "exec", settings_exec)
    out = tmp_path / "named.pdf"
    _save_to(monkeypatch, out)
    report_actions.save_report_as(window, db, window.patient)
    qtbot.waitUntil(lambda: "Saved named.pdf" in window.statuses, timeout=20_000)
    assert len(asked) == 1
    assert page_texts(out)[0].startswith("Harbour Skin Clinic")


def test_a_named_clinic_is_not_asked(
    qtbot: QtBot,
    window: FakeWindow,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.set_clinic(db, ClinicInfo(name="Harbour Skin Clinic"), "test")
    asked: list[str] = []
    _answer(monkeypatch, report_actions.CONTINUE_UNNAMED, asked)
    _save_to(monkeypatch, tmp_path / "d.pdf")
    report_actions.save_report_as(window, db, window.patient)
    qtbot.waitUntil(lambda: "Saved d.pdf" in window.statuses, timeout=20_000)
    assert asked == []


def test_the_handout_asks_the_same_one_question(
    qtbot: QtBot, window: FakeWindow, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from needlelog.services import sessions

    visit = sessions.latest(db, window.patient.id)
    assert visit is not None
    asked: list[str] = []
    _answer(monkeypatch, "cancel", asked)
    report_actions.preview_session_handout(window, db, visit.id)
    qtbot.waitUntil(lambda: len(asked) == 1)
    background.wait_for_all()
    qtbot.wait(50)
    assert window.findChild(report_actions.ReportPreview) is None
