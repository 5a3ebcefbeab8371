"""The window when its database is replaced under it, and text it must refuse (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.exchange.backup import make_backup, restore_backup
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_dialog import PatientDialog

MakeWindow = Callable[[Database], MainWindow]


def _new_patient(qtbot: QtBot, window: MainWindow, record_no: str, family: str) -> PatientDialog:
    window.new_patient_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(PatientDialog) is not None)
    dialog = window.findChild(PatientDialog)
    assert isinstance(dialog, PatientDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.record_no, record_no)
    dialog.family_name.setText(family)  # as pasted from elsewhere
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.saving)  # the save runs off the GUI thread
    return dialog


def test_a_window_whose_database_was_restored_elsewhere_stops_saving_and_says_so(
    qtbot: QtBot, db: Database, db_path: Path, tmp_path: Path, make_window: MakeWindow
) -> None:
    make_backup(db, tmp_path / "b.zip")
    window = make_window(db)
    restore_backup(f"sqlite:///{db_path}", tmp_path / "b.zip")  # as from another PC
    dialog = _new_patient(qtbot, window, "P-0077", "Hart")
    message = dialog.general_error.text()
    assert message.startswith("Not saved: ")
    assert "was replaced (restored from a backup)" in message
    assert "Close needlelog and open it again" in message
    assert dialog.isVisible()  # what was typed is still there
    fresh = Database(f"sqlite:///{db_path}")
    try:
        assert patients.count(fresh) == 0
    finally:
        fresh.dispose()


def test_a_direction_override_in_a_name_is_refused_next_to_the_field(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    dialog = _new_patient(qtbot, window, "P-0078", "Hart\u202eeniL")
    error = dialog.errors["family_name"]
    assert error.isVisible()
    assert error.text() == (
        "family name holds a direction-override character (U+202E); allowed: letters, "
        "digits and punctuation on one line"
    )
    assert patients.count(db) == 0
