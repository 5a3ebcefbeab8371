"""The patient dialog, typed into as a user would: saved, or refused next to the field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.contraindications import Contraindication
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui.form_widgets import DISCARD_BUTTON, KEEP_BUTTON
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_dialog import PatientDialog
from tests.factories import make_patient
from tests.ui.conftest import type_text
from tests.ui.message_box import Pressing, Seen

MakeWindow = Callable[[Database], MainWindow]
LEFT = Qt.MouseButton.LeftButton


def _open_new_patient(qtbot: QtBot, window: MainWindow) -> PatientDialog:
    window.new_patient_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(PatientDialog) is not None)
    dialog = window.findChild(PatientDialog)
    assert isinstance(dialog, PatientDialog)
    qtbot.waitExposed(dialog)
    return dialog


def _type_patient(qtbot: QtBot, dialog: PatientDialog, record_no: str, born: str) -> None:
    qtbot.keyClicks(dialog.record_no, record_no)
    type_text(qtbot, dialog.family_name, "Lefèvre")
    type_text(qtbot, dialog.given_name, "Zoë")
    qtbot.keyClicks(dialog.date_of_birth, born)
    dialog.sex.setCurrentIndex(dialog.sex.findText("Female"))
    dialog.fitzpatrick.setCurrentIndex(dialog.fitzpatrick.findData(4))
    qtbot.keyClicks(dialog.phone, "+44 20 7946 0011")
    qtbot.keyClicks(dialog.email, "zoe@example.org")


def _press_save(qtbot: QtBot, dialog: PatientDialog) -> None:
    """Click Save and wait for its outcome (the save runs off the GUI thread)."""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.saving)


def test_new_patient_from_the_dialog_appears_in_the_list(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    assert window.new_patient_action.shortcut().toString() == "Ctrl+N"
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "P-0042", "1988-04-12")
    for item in (Contraindication.ANTICOAGULANTS, Contraindication.PREGNANCY):
        box = dialog.contraindication_boxes[item]
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)  # two quick clicks would read as a double-click

    _press_save(qtbot, dialog)

    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1)
    stored = patients.find_by_record_no(db, "P-0042")
    assert stored.data.full_name == "Zoë Lefèvre"
    assert stored.data.fitzpatrick == 4
    assert set(stored.data.contraindications) == {
        Contraindication.ANTICOAGULANTS,
        Contraindication.PREGNANCY,
    }
    assert window.patient_model.index(0, 1).data() == "Lefèvre, Zoë"
    assert window.current_patient() is not None
    assert window.current_patient().record_no == "P-0042"  # type: ignore[union-attr]
    assert window.statusBar().currentMessage() == "Patient saved: Zoë Lefèvre"
    # The record shows the avoid item in red words and the caution in amber.
    chips = window.record.contraindications_label.text()
    assert "Avoid: Pregnancy or breastfeeding" in chips
    assert "Caution: Anticoagulants" in chips


def test_ctrl_s_saves_the_dialog(qtbot: QtBot, db: Database, make_window: MakeWindow) -> None:
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "P-0043", "12.04.1988")
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.email, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # Saved, it closes (and, closed, it is deleted).
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert patients.find_by_record_no(db, "P-0043").data.date_of_birth.isoformat() == "1988-04-12"  # type: ignore[union-attr]


def test_birth_date_in_the_future_is_refused_next_to_the_field(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "P-0044", "2999-01-01")

    _press_save(qtbot, dialog)

    error = dialog.errors["date_of_birth"]
    assert error.isVisible()
    assert error.text() == (
        "date of birth 2999-01-01 is in the future; allowed: on or before "
        f"{__import__('datetime').date.today().isoformat()}"
    )
    assert not dialog.errors["record_no"].isVisible()
    assert dialog.isVisible()
    assert dialog.focusWidget() is dialog.date_of_birth  # the cursor waits in the field
    assert patients.count(db) == 0
    assert window.patient_model.rowCount() == 0


def test_every_field_error_is_shown_at_once(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "#bad", "1850-01-01")
    qtbot.keyClicks(dialog.email, "@@")
    dialog.family_name.clear()
    _press_save(qtbot, dialog)
    assert dialog.errors["record_no"].text().startswith("record number '#bad' is not valid")
    assert dialog.errors["family_name"].text() == "family name is required"
    assert dialog.errors["date_of_birth"].text() == (
        "date of birth 1850-01-01 is too early; allowed: on or after 1900-01-01"
    )
    assert "is not an address like name@example.org" in dialog.errors["email"].text()
    assert dialog.focusWidget() is dialog.record_no
    assert patients.count(db) == 0


def test_unreadable_birth_date_is_refused_in_words(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "P-0045", "31.02.1990")
    _press_save(qtbot, dialog)
    assert dialog.errors["date_of_birth"].text() == (
        "date of birth '31.02.1990' is not a date; type it as 1984-03-07 or 07.03.1984"
    )
    assert patients.count(db) == 0


def test_duplicate_record_number_is_refused_and_nothing_changes(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    existing = patients.register(db, make_patient("P-0001", family_name="Hart"), "test")
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    _type_patient(qtbot, dialog, "P-0001", "1988-04-12")

    _press_save(qtbot, dialog)

    assert dialog.errors["record_no"].text() == (
        "record number P-0001 is already used by another patient"
    )
    assert not dialog.errors["email"].isVisible()
    assert patients.count(db) == 1
    assert patients.get(db, existing.id) == existing
    assert [window.patient_model.index(0, 1).data()] == ["Hart, Zoë"]


def test_edit_patient_saves_changes(qtbot: QtBot, db: Database, make_window: MakeWindow) -> None:
    patients.register(db, make_patient("P-0001"), "test")
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    window.edit_patient_action.trigger()
    dialog = window.findChild(PatientDialog)
    assert isinstance(dialog, PatientDialog)
    assert dialog.family_name.text() == "Lefèvre"
    dialog.family_name.clear()
    qtbot.keyClicks(dialog.family_name, "Dubois")
    _press_save(qtbot, dialog)
    qtbot.waitUntil(lambda: window.patient_model.index(0, 1).data() == "Dubois, Zoë")
    assert patients.find_by_record_no(db, "P-0001").data.family_name == "Dubois"
    assert window.record.name_label.text() == "Zoë Dubois"


def test_closing_an_edited_dialog_asks_first(
    qtbot: QtBot, db: Database, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    pressing = Pressing([KEEP_BUTTON, DISCARD_BUTTON])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    window = make_window(db)
    dialog = _open_new_patient(qtbot, window)
    qtbot.keyClicks(dialog.family_name, "Half-typed")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert pressing.seen == [
        Seen(
            "Discard changes?",
            "This patient has changes that are not saved.",
            "Discard them, or keep editing?",
            ("Discard changes", "Keep editing"),
            default="Keep editing",
            escape="Keep editing",
        )
    ]
    assert dialog.isVisible()  # kept: still editing
    assert dialog.family_name.text() == "Half-typed"

    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), LEFT)
    assert len(pressing.seen) == 2
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert patients.count(db) == 0


def test_fitzpatrick_offers_only_i_to_vi(db: Database, qtbot: QtBot) -> None:
    dialog = PatientDialog(db)
    qtbot.addWidget(dialog)
    values = [dialog.fitzpatrick.itemData(i) for i in range(dialog.fitzpatrick.count())]
    assert values == [None, 1, 2, 3, 4, 5, 6]
    assert dialog.fitzpatrick.itemText(6).startswith("VI")
