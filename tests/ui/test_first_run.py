"""First run of a new install: the welcome dialog, demo data in and out, the menu entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.services import demo, patients
from needlelog.services.errors import NotFound
from needlelog.services.settings import ClinicInfo, get_clinic
from needlelog.store.database import Database
from needlelog.ui import background, first_run
from needlelog.ui.app import ask_first_run
from needlelog.ui.first_run import (
    DEMO_PATIENTS,
    FirstRunChoices,
    FirstRunDialog,
    apply_first_run,
    apply_in_background,
    install,
    remove_demo_data,
)
from tests.factories import make_patient
from tests.ui.fake_window import FakeWindow


class Answers:
    """Stands in for the user at message boxes: presses ``button``, keeps what was said."""

    def __init__(self) -> None:
        self.button = QMessageBox.StandardButton.Yes
        self.asked: list[str] = []

    def question(self, _parent: object, _title: str, text: str, *_args: object) -> object:
        self.asked.append(text)
        return self.button

    def information(self, _parent: object, _title: str, text: str, *_args: object) -> object:
        self.asked.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Answers:
    answers = Answers()
    monkeypatch.setattr(QMessageBox, "question", answers.question)
    monkeypatch.setattr(QMessageBox, "information", answers.information)
    return answers


def test_the_welcome_is_asked_only_for_a_sqlite_file_that_does_not_exist(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []

    def refuse(dialog: FirstRunDialog) -> int:
        qtbot.addWidget(dialog)
        asked.append(Path(dialog.path_label.text()))
        return 0  # the user quits the welcome

    monkeypatch.setattr(FirstRunDialog, "exec", refuse)
    path = tmp_path / "data" / "needlelog.sqlite3"
    assert ask_first_run(f"sqlite:///{path}") is False
    assert asked == [path]
    path.parent.mkdir()
    path.write_bytes(b"")
    assert ask_first_run(f"sqlite:///{path}") is None
    assert ask_first_run("postgresql+psycopg://nurse@server/clinic") is None
    assert ask_first_run("sqlite://") is None
    assert ask_first_run("sqlite:///:memory:") is None
    assert asked == [path]


def test_dialog_says_where_records_live_and_that_they_are_health_data(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "clinic data" / "needlelog.sqlite3"
    dialog = FirstRunDialog(path)
    qtbot.addWidget(dialog)
    assert dialog.path_label.text() == str(path)
    note = dialog.health_note.text()
    assert "These are health records." in note
    assert "backups" in note and "disk encryption" in note and "access" in note
    assert dialog.windowTitle() == "Welcome to needlelog"
    assert dialog.add_demo.isChecked() is False  # demo data only when asked for


def test_dialog_choices_are_what_was_typed(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = FirstRunDialog(tmp_path / "db.sqlite3")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.clinic_name, "Riverside Skin Clinic")
    qtbot.keyClicks(dialog.clinic_address, "1 River Street, Bath")
    qtbot.keyClicks(dialog.clinic_phone, "+44 1225 000000")
    dialog.add_demo.setChecked(True)
    assert dialog.choices() == FirstRunChoices(
        "Riverside Skin Clinic", "1 River Street, Bath", "+44 1225 000000", add_demo=True
    )


def test_apply_with_demo_adds_demo_patients_and_the_clinic_letterhead(db: Database) -> None:
    apply_first_run(db, FirstRunChoices("  Riverside Skin Clinic ", "1 River St", "", True))
    clinic = get_clinic(db)
    assert (clinic.name, clinic.address, clinic.phone) == (
        "Riverside Skin Clinic",
        "1 River St",
        "",
    )
    assert clinic.confidentiality == ClinicInfo().confidentiality  # other letterhead fields kept
    assert demo.count_demo(db) == DEMO_PATIENTS
    assert patients.find_by_record_no(db, "DEMO-000001").record_no == "DEMO-000001"


def test_apply_with_nothing_chosen_changes_nothing(db: Database) -> None:
    apply_first_run(db, FirstRunChoices(clinic_name="   "))
    assert get_clinic(db) == ClinicInfo()
    assert patients.count(db) == 0


def _remove_demo_data(qtbot: QtBot, db: Database) -> int:
    """Run the removal (off the GUI thread) and wait for how many went."""
    done: list[int] = []
    remove_demo_data(None, db, done.append)
    qtbot.waitUntil(lambda: bool(done))
    return done[0]


def test_remove_demo_data_removes_demo_patients_only(
    qtbot: QtBot, db: Database, answer: Answers
) -> None:
    real = patients.register(db, make_patient("P-0001"), "nurse")
    apply_first_run(db, FirstRunChoices(add_demo=True))

    assert _remove_demo_data(qtbot, db) == DEMO_PATIENTS

    assert "Patients you entered yourself are not touched" in answer.asked[0]
    assert demo.count_demo(db) == 0
    assert patients.count(db) == 1
    assert patients.find_by_record_no(db, "P-0001").id == real.id
    with pytest.raises(NotFound):
        patients.find_by_record_no(db, "DEMO-000001")


def test_remove_demo_data_cancelled_keeps_everything(
    qtbot: QtBot, db: Database, answer: Answers
) -> None:
    apply_first_run(db, FirstRunChoices(add_demo=True))
    answer.button = QMessageBox.StandardButton.Cancel
    assert _remove_demo_data(qtbot, db) == 0
    assert demo.count_demo(db) == DEMO_PATIENTS


def test_remove_demo_data_without_demo_patients_says_so(
    qtbot: QtBot, db: Database, answer: Answers
) -> None:
    assert _remove_demo_data(qtbot, db) == 0
    assert answer.asked == ["There are no demo patients."]


def test_apply_in_background_keeps_the_window_live_and_reports_back(
    qtbot: QtBot, db: Database
) -> None:
    window = FakeWindow(db)
    qtbot.addWidget(window)
    done: list[bool] = []
    apply_in_background(
        window, db, FirstRunChoices("Riverside", add_demo=True), lambda: done.append(True)
    )
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    assert background.wait_for_all()
    assert demo.count_demo(db) == DEMO_PATIENTS
    assert get_clinic(db).name == "Riverside"


def test_install_offers_removal_while_demo_patients_exist(
    qtbot: QtBot, db: Database, answer: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = FakeWindow(db)
    qtbot.addWidget(window)
    actions = install(window)
    assert actions.remove_demo in window.file_menu.actions()
    assert actions.about in window.help_menu.actions()
    background.wait_for_all()
    qtbot.wait(10)  # the count's answer is delivered
    assert actions.remove_demo.isVisible() is False  # no demo data: nothing to remove

    apply_first_run(db, FirstRunChoices(add_demo=True))
    window.file_menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: actions.remove_demo.isVisible())

    actions.remove_demo.trigger()
    qtbot.waitUntil(lambda: window.reloads == 1)
    assert demo.count_demo(db) == 0
    assert window.statuses == [f"Removed {DEMO_PATIENTS} demo patients."]
    qtbot.waitUntil(lambda: not actions.remove_demo.isVisible())

    shown: list[object] = []
    monkeypatch.setattr(first_run, "show_about", shown.append)
    actions.about.trigger()
    assert shown == [window]
