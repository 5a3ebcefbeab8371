"""The main window while another PC holds the write lock: it keeps painting, says it is
waiting, and what was typed is saved once the lock is free."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui.background import WAITING_TEXT
from needlelog.ui.patient_dialog import PatientDialog
from tests.factories import make_patient
from tests.ui.lock_helpers import LONGEST_STALL_MS, OtherPc, StallProbe

MakeWindow = Any


def test_a_patient_saved_while_another_pc_saves_waits_and_lands(
    qtbot: QtBot, locked_db: Database, other_pc: OtherPc, make_window: MakeWindow
) -> None:
    patients.register(locked_db, make_patient("P-0001"), "test")
    window = make_window(locked_db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    window.edit_patient_action.trigger()
    dialog = window.findChild(PatientDialog)
    assert isinstance(dialog, PatientDialog)
    dialog.family_name.setText("Dubois")

    probe = StallProbe(lambda: dialog.saving)
    other_pc.hold()
    probe.start()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.waiting_note.isVisible())
    assert dialog.waiting_note.text() == WAITING_TEXT
    assert dialog.family_name.text() == "Dubois"
    qtbot.wait(500)
    assert dialog.saving
    other_pc.release()
    qtbot.waitUntil(lambda: window.patient_model.index(0, 1).data() == "Dubois, Zoë")
    probe.stop()
    assert patients.find_by_record_no(locked_db, "P-0001").data.family_name == "Dubois"
    print(
        f"longest stall: {probe.longest_waiting_ms:.1f} ms waiting, {probe.longest_ms:.1f} ms in all"
    )
    assert probe.longest_waiting_ms < LONGEST_STALL_MS, probe.longest_waiting_ms


def test_archiving_while_another_pc_saves_says_it_waits(
    qtbot: QtBot,
    locked_db: Database,
    other_pc: OtherPc,
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    patients.register(locked_db, make_patient("P-0001"), "test")
    window = make_window(locked_db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)

    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    probe = StallProbe(lambda: "Patient archived: Zoë Lefèvre" not in said)
    other_pc.hold()
    probe.start()
    window.archive_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == WAITING_TEXT)
    qtbot.wait(500)
    other_pc.release()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Patient archived: Zoë Lefèvre")
    probe.stop()
    assert patients.find_by_record_no(locked_db, "P-0001").archived
    print(
        f"longest stall: {probe.longest_waiting_ms:.1f} ms waiting, {probe.longest_ms:.1f} ms in all"
    )
    assert probe.longest_waiting_ms < LONGEST_STALL_MS, probe.longest_waiting_ms
