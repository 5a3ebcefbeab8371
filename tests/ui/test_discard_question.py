"""Both record forms ask before dropping edits, in the same words, with the same buttons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area
from needlelog.domain.records import Patient
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.ui.form_widgets import DISCARD_BUTTON, KEEP_BUTTON, confirm_discard
from needlelog.ui.patient_dialog import PatientDialog
from needlelog.ui.session_form import SessionForm
from tests.ui.form_context import context_for
from tests.ui.message_box import Pressing, Seen

pytest_plugins = ["tests.ui.form_fixtures"]

# Taken before the autouse fixture stands in for it: these tests press real keys.
_REAL_EXEC = QMessageBox.exec


def _asked(what: str) -> Seen:
    return Seen(
        "Discard changes?",
        f"{what} has changes that are not saved.",
        "Discard them, or keep editing?",
        (DISCARD_BUTTON, KEEP_BUTTON),
        default=KEEP_BUTTON,
        escape=KEEP_BUTTON,
    )


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Return])
def test_keys_on_the_question_keep_the_edits(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, key: Qt.Key
) -> None:
    """Esc, or Enter on the default button, never throws typed work away."""
    parent = QWidget()
    qtbot.addWidget(parent)

    def run_with_key(box: QMessageBox) -> int:
        QTimer.singleShot(0, box, lambda: qtbot.keyClick(box, key))
        return _REAL_EXEC(box)

    monkeypatch.setattr(QMessageBox, "exec", run_with_key)
    assert confirm_discard(parent, "this session") is False


def test_only_the_discard_button_discards(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    pressing = Pressing([KEEP_BUTTON, DISCARD_BUTTON])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    assert confirm_discard(parent, "this session") is False
    assert confirm_discard(parent, "this session") is True
    assert pressing.seen == [_asked("This session"), _asked("This session")]


def test_the_session_form_and_the_patient_dialog_ask_alike(
    qtbot: QtBot,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    register_patient: Callable[..., Patient],
) -> None:
    pressing = Pressing([KEEP_BUTTON, DISCARD_BUTTON, KEEP_BUTTON, DISCARD_BUTTON])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    patient = register_patient()

    form = SessionForm(db, context_for(db, patient))
    qtbot.addWidget(form)
    form.show()
    form.treatment.area_list.item(0).setCheckState(Qt.CheckState.Checked)
    form.reject()
    assert form.isVisible() and Area.FOREHEAD in form.treatment.area_rows.rows
    form.reject()
    assert not form.isVisible()
    assert sessions.history(db, patient.id) == []

    dialog = PatientDialog(db, patients.get(db, patient.id))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.notes.setPlainText("Prefers afternoon appointments")
    dialog.reject()
    assert dialog.isVisible()
    dialog.reject()
    assert not dialog.isVisible()
    assert patients.get(db, patient.id).data.notes == patient.data.notes

    assert pressing.seen == [_asked("This session")] * 2 + [_asked("This patient")] * 2
