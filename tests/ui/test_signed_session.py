"""A signed session opens read only and refuses a save; a correction is an addendum,
shown beside the original in the history; a draft is signed from its form."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient
from needlelog.domain.signing import Signer
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_form import SessionForm
from needlelog.ui.session_parts.addendum import AddendumDialog
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

pytest_plugins = ["tests.ui.form_fixtures"]

DR = Signer("Dr. Amelia Hart", "practitioner")


def _signed(db: Database) -> tuple[Patient, int]:
    p = register_consenting(db, make_patient("P-0001"), "test")
    s = sessions.record(db, p.id, make_session(notes="Tolerated well."), "test")
    sessions.sign(db, s.id, s.version, DR)
    return patients.get(db, p.id), s.id


def test_a_signed_session_opens_read_only_and_refuses_a_save(
    qtbot: QtBot, db: Database, open_form: Callable[..., SessionForm]
) -> None:
    patient, sid = _signed(db)
    stored = sessions.get(db, sid)
    form = open_form(patient, stored)
    assert form.locked
    assert form.header.title.text().startswith("Signed session (read only)")
    assert not form.page.scroll.widget().isEnabled()  # every field read only
    assert not form.footer.save_button.isVisible()
    assert form.footer.addendum_button.isVisible()
    assert "Performed and recorded by Dr. Amelia Hart (practitioner)" in form.footer.note.text()
    assert "cannot be changed; a correction is an addendum" in form.footer.note.text()
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S anyway
    assert form.banner.isVisible()
    assert "signed and cannot be changed" in form.banner.summary.text()
    assert sessions.get(db, sid) == stored


def test_an_addendum_from_the_form_is_kept_beside_the_original(
    qtbot: QtBot, db: Database, open_form: Callable[..., SessionForm]
) -> None:
    patient, sid = _signed(db)
    form = open_form(patient, sessions.get(db, sid))
    form.footer.addendum_button.click()
    dialog = form.findChild(AddendumDialog)
    assert dialog is not None and dialog.isVisible()
    dialog._accept()  # nothing typed: refused in words, nothing written
    assert dialog.error.text() == "Please give a reason and the addendum's text."
    dialog.reason.setText("depth typed wrong")
    dialog.text.setPlainText("Forehead treated at 0.5 mm, not 1.0 mm.")
    with qtbot.waitSignal(form.saved, timeout=10_000):
        dialog._accept()
    stored = sessions.get(db, sid)
    (add,) = stored.addenda
    assert (add.reason, add.text, add.author) == (
        "depth typed wrong", "Forehead treated at 0.5 mm, not 1.0 mm.", "Dr. Amelia Hart",
    )  # fmt: skip
    assert stored.data.notes == "Tolerated well."  # the original as signed


def test_a_draft_is_signed_from_its_form(
    qtbot: QtBot,
    db: Database,
    open_form: Callable[..., SessionForm],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = register_consenting(db, make_patient("P-0001"), "test")
    draft = sessions.record(db, p.id, make_session(), "test")
    form = open_form(patients.get(db, p.id), draft)
    assert form.footer.sign_button.isVisible() and form.footer.save_button.isVisible()
    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.footer.sign_button.click()
    assert "as Dr. Amelia Hart (practitioner)" in asked[0]
    assert sessions.get(db, draft.id).signed
    assert form.locked and form.footer.addendum_button.isVisible()


def test_the_history_shows_the_addendum_beside_the_original(
    qtbot: QtBot, db: Database, make_window: Callable[[Database], MainWindow], tmp_path: Path
) -> None:
    patient, sid = _signed(db)
    sessions.add_addendum(
        db, sid, DR, "Forehead treated at 0.5 mm, not 1.0 mm.", "depth typed wrong",
        {"corrected values": "forehead 0.5 mm"},
    )  # fmt: skip
    window = make_window(db)
    window.resize(1366, 768)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    model = window.record.history_model
    assert model.index(0, 0).data().split("\n")[2] == "signed · 1 addendum"
    details = window.record.session_details.text()
    assert "Performed and recorded by Dr. Amelia Hart (practitioner)" in details
    assert "depth typed wrong" in details and "Forehead treated at 0.5 mm" in details
    shot = os.environ.get("NEEDLELOG_SCREENSHOT_DIR")
    if shot:
        window.grab().save(str(Path(shot) / "history-with-addendum.png"))
    _ = patient


def test_drafts_unsigned_for_a_day_are_on_the_to_do_list(
    qtbot: QtBot, db: Database, make_window: Callable[[Database], MainWindow]
) -> None:
    from sqlalchemy import text

    from needlelog.ui.drafts_dialog import DraftsDialog

    p = register_consenting(db, make_patient("P-0001"), "test")
    old = sessions.record(db, p.id, make_session(), "test")
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE treatment_sessions SET created_at = '2026-01-01 09:00:00.000000' "
                 "WHERE id = :i"),
            {"i": old.id},
        )  # fmt: skip
    window = make_window(db)
    window.drafts_action.trigger()
    dialog = window.findChild(DraftsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded)
    assert dialog.list.count() == 1
    assert dialog.list.item(0).text().startswith("P-0001 · session of")
    assert "1 session(s) saved more than a day ago are not signed yet" in dialog.summary.text()
    dialog.close()


def test_an_assistants_sign_is_disabled_and_the_service_refuses_it(
    db: Database, open_form: Callable[..., SessionForm], monkeypatch: pytest.MonkeyPatch
) -> None:
    from needlelog.domain.accounts import AccessRefused, Account, Role
    from needlelog.services import access

    p = register_consenting(db, make_patient("P-0001"), "test")
    draft = sessions.record(db, p.id, make_session(), "test")
    sam = Account(4, "sam", "Sam Assist", Role.ASSISTANT)
    monkeypatch.setattr(access._state, "account", sam)
    form = open_form(patients.get(db, p.id), draft)
    assert form.footer.sign_button.isVisible()
    assert not form.footer.sign_button.isEnabled()
    assert "works as assistant" in form.footer.sign_button.toolTip()
    with pytest.raises(AccessRefused, match=r"sam \(assistant\) may not sign sessions"):
        sessions.sign(db, draft.id, draft.version, Signer("Sam Assist", "assistant", 4))
    assert not sessions.get(db, draft.id).signed


def test_the_access_log_lists_the_opening_and_anonymising_too_early_is_refused(
    qtbot: QtBot,
    db: Database,
    make_window: Callable[[Database], MainWindow],
    message_boxes: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from needlelog.ui.patient_rights import AccessLogDialog

    _signed(db)
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    window.access_log_action.trigger()
    dialog = window.findChild(AccessLogDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded)
    assert dialog.list.count() >= 1
    assert "opened the record · patient record" in dialog.list.item(0).text()
    dialog.close()  # closed dialogs go (no window of this test outlives it)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    window.anonymise_action.trigger()
    qtbot.waitUntil(lambda: any(kind == "warning" for kind, _t in message_boxes))
    (text,) = [t for kind, t in message_boxes if kind == "warning"]
    assert text.startswith("Patient P-0001 cannot be erased yet: the clinic keeps records for 8")
    assert patients.find_by_record_no(db, "P-0001").data.family_name == "Lefèvre"


def test_an_anonymised_patient_shows_the_birth_year_only(qtbot: QtBot, db: Database) -> None:
    from datetime import date

    from needlelog.services import rights
    from needlelog.ui.patient_record import PatientRecordView

    patient, _sid = _signed(db)
    rights.anonymise(db, patient.id, "admin", today=date(2099, 1, 1))
    view = PatientRecordView(db)
    qtbot.addWidget(view)
    view._fill_profile(patients.get(db, patient.id))
    assert "anonymised on" in view.details_label.text()
    assert "born 1988" in view.details_label.text()
    assert "12 Apr" not in view.details_label.text()
