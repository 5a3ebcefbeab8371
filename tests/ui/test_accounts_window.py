"""Accounts in the window: the lock hides every patient detail and gives the half-typed
form back intact; reception sees no clinical field; the status line says who works;
the practitioner of a new session is the signed-in account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient
from needlelog.services import accounts, sessions
from needlelog.store.database import Database
from needlelog.ui.lock_screen import LOCKED_TITLE, LockPanel
from needlelog.ui.login import WITHOUT_ACCOUNTS_TEXT, LoginDialog
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_form import SessionForm
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

pytest_plugins = ["tests.ui.form_fixtures"]

FAMILY, GIVEN, RECORD = "Lefèvre", "Zoë", "P-7731"


@pytest.fixture(autouse=True)
def light_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def clinic(db: Database) -> Iterator[Patient]:
    patient = register_consenting(
        db, make_patient(RECORD, family_name=FAMILY, given_name=GIVEN), "setup"
    )
    sessions.record(db, patient.id, make_session(notes="Tolerated well"), "setup")
    add_clinic_accounts(db)
    yield patient


def _shown_texts() -> list[str]:
    """Every text a person could read on screen now: visible widgets only."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        texts.append(top.windowTitle())
        for w in [top, *top.findChildren(QWidget)]:
            if not w.isVisible():
                continue
            if isinstance(w, (QLabel, QLineEdit)):
                texts.append(w.text())
            elif isinstance(w, QComboBox):
                texts.append(w.currentText())
            elif isinstance(w, (QTextEdit, QPlainTextEdit)):
                texts.append(w.toPlainText())
            elif isinstance(w, QAbstractButton):
                texts.append(w.text())
            elif isinstance(w, QTableView) and w.model() is not None:
                m = w.model()
                for r in range(m.rowCount()):
                    for c in range(m.columnCount()):
                        texts.append(str(m.index(r, c).data() or ""))
    return texts


def _choose(qtbot: QtBot, window: MainWindow, record_no: str) -> None:
    model = window.patient_model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    for row in range(model.rowCount()):
        patient = model.patient_at(row) if hasattr(model, "patient_at") else None
        if patient is not None and patient.record_no == record_no:
            window.patient_view.selectRow(row)
            return
    window.patient_view.selectRow(0)


def test_the_lock_hides_every_patient_detail_and_keeps_the_form_as_typed(
    qtbot: QtBot,
    db: Database,
    clinic: Patient,
    make_window: Callable[[Database], MainWindow],
    open_form: Callable[..., SessionForm],
    tmp_path: Path,
) -> None:
    accounts.sign_in(db, "amelia", PASSWORD)
    window = make_window(db)
    _choose(qtbot, window, RECORD)
    qtbot.waitUntil(lambda: not window.record.loading and window.record.patient is not None)
    form = open_form(clinic)
    form.aftercare.notes.setFocus()
    qtbot.keyClicks(form.aftercare.notes, "Half-typed: mild erythema, left ")
    form.treatment.cartridge_lot.setText("CL-4471")
    typed = form.treatment.values(), form.aftercare.notes.toPlainText()
    assert any(FAMILY in t for t in _shown_texts())  # the test can see a name when shown

    lock = window.accounts_ui.lock  # type: ignore[union-attr]
    assert lock is not None
    lock.lock()
    assert lock.locked
    shown = _shown_texts()
    for secret in (FAMILY, GIVEN, RECORD, "erythema", "CL-4471", "Tolerated well"):
        assert not any(secret in t for t in shown), (secret, [t for t in shown if secret in t])
    assert form.windowTitle() == window.windowTitle() == LOCKED_TITLE
    assert any("Dr. Amelia Hart was working here" in t for t in shown)
    window.grab().save(str(tmp_path / "locked-window.png"))
    form.grab().save(str(tmp_path / "locked-form.png"))

    # Ctrl+S on the locked form saves nothing; a wrong password keeps it locked.
    panel = next(p for p in lock.panels() if p.window() is form)
    panel.password.setText("not the password")
    panel.unlock.click()
    qtbot.waitUntil(lambda: "wrong account name or password" in panel.message.text())
    assert lock.locked
    panel.password.setText(PASSWORD)
    panel.unlock.click()
    qtbot.waitUntil(lambda: not lock.locked)
    assert form.isVisible() and form.aftercare.notes.isVisible()
    assert (form.treatment.values(), form.aftercare.notes.toPlainText()) == typed
    assert form.windowTitle().endswith(f"{FAMILY}, {GIVEN}") or FAMILY in form.windowTitle()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, LockPanel)]
    assert len(sessions.history(db, clinic.id)) == 1  # nothing was saved meanwhile


def test_the_lock_comes_after_the_idle_minutes(
    qtbot: QtBot, db: Database, clinic: Patient, make_window: Callable[[Database], MainWindow]
) -> None:
    accounts.sign_in(db, "sam", PASSWORD)
    window = make_window(db)
    lock = window.accounts_ui.lock  # type: ignore[union-attr]
    assert lock is not None and lock.idle.interval() == 5 * 60_000
    lock.idle.setInterval(50)
    lock.idle.start()
    qtbot.waitUntil(lambda: lock.locked, timeout=2000)
    assert not window.centralWidget().isVisible()
    lock.unlock()


def test_reception_sees_no_clinical_field(
    qtbot: QtBot,
    db: Database,
    clinic: Patient,
    make_window: Callable[[Database], MainWindow],
    tmp_path: Path,
) -> None:
    accounts.sign_in(db, "rita", PASSWORD)
    window = make_window(db)
    _choose(qtbot, window, RECORD)
    record = window.record
    qtbot.waitUntil(lambda: record.patient is not None and not record.loading)
    assert record.name_label.isVisible() and FAMILY in record.name_label.text()
    assert "+44 20 7946 0001" in record.details_label.text()
    assert record.status_label.isVisible()  # when they are due: the front desk books it
    for clinical in (
        record.history,
        record.chart_frame,
        record.contraindications_label,
        record.notes_label,
        record.session_details,
        record.new_session_button,
    ):
        assert not clinical.isVisible()
    assert record.history_model.rowCount() == 0
    assert "Fitzpatrick" not in record.details_label.text()
    shown = _shown_texts()
    assert not any("Tolerated well" in t or "Rolling scars" in t for t in shown)
    assert not window.new_session_action.isVisible()
    features = window.features
    assert features is not None
    assert not any(a.isVisible() for a in features.reports.reports)
    assert not features.reports.handout.isVisible()
    assert not features.reports.clinic_settings.isVisible()
    assert "Signed in: Rita Desk (reception)" in window.accounts_ui.who.text()  # type: ignore[union-attr]
    window.grab().save(str(tmp_path / "reception.png"))


def test_a_new_sessions_practitioner_is_the_signed_in_account(
    db: Database, clinic: Patient, open_form: Callable[..., SessionForm]
) -> None:
    accounts.sign_in(db, "sam", PASSWORD)
    form = open_form(clinic)
    assert form.treatment.practitioner.currentText() == "Sam Assist"
    assert not form.treatment.practitioner.isEnabled()
    assert form.treatment.values()["practitioner"] == "Sam Assist"


def test_without_accounts_the_window_says_so(
    db: Database, make_window: Callable[[Database], MainWindow]
) -> None:
    window = make_window(db)
    assert window.accounts_ui is not None
    assert window.accounts_ui.who.text() == WITHOUT_ACCOUNTS_TEXT
    assert window.accounts_ui.lock is None
    assert window.accounts_ui.manage.isVisible() is False or window.accounts_ui.manage.isEnabled()


def test_the_login_dialog_signs_in_and_says_a_refusal(
    qtbot: QtBot, db: Database, clinic: Patient, tmp_path: Path
) -> None:
    dialog = LoginDialog(db, accounts.signed_in_names(db))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.who.setCurrentIndex(dialog.who.findData("amelia"))
    dialog.password.setText("wrong one")
    dialog.sign_in()
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong account name or password.")
    dialog.grab().save(str(tmp_path / "login-refused.png"))
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        dialog.sign_in()
    assert accounts.current() is not None and accounts.current().name == "amelia"  # type: ignore[union-attr]


def test_reception_edits_contact_details_without_seeing_clinical_ones(
    qtbot: QtBot, db: Database, clinic: Patient, tmp_path: Path
) -> None:
    from needlelog.ui.patient_dialog import PatientDialog

    accounts.sign_in(db, "rita", PASSWORD)
    dialog = PatientDialog(db, clinic)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.notes.isVisible() and not dialog.fitzpatrick.isVisible()
    assert not any(b.isVisible() for b in dialog.contraindication_boxes.values())
    assert dialog.phone.isVisible() and dialog.email.isVisible()
    shown = _shown_texts()
    assert not any("Rolling scars" in t for t in shown)
    dialog.grab().save(str(tmp_path / "reception-patient.png"))


def test_with_accounts_the_start_asks_who_works_before_any_record_shows(
    qtbot: QtBot, db: Database, clinic: Patient, tmp_path: Path
) -> None:
    from needlelog.ui import background
    from needlelog.ui.app import start_app

    url = db.url
    startup = start_app(url)
    window = startup.window
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(
            lambda: any(
                isinstance(w, LoginDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
            ),
            timeout=30_000,
        )
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog))
        assert not window.attached
        assert not any(FAMILY in t for t in _shown_texts())
        dialog.grab().save(str(tmp_path / "login.png"))
        dialog.who.setCurrentIndex(dialog.who.findData("amelia"))
        dialog.password.setText(PASSWORD)
        dialog.sign_in()
        qtbot.waitUntil(lambda: window.attached, timeout=30_000)
        qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1)
        assert window.accounts_ui is not None
        assert window.accounts_ui.who.text() == "Signed in: Dr. Amelia Hart (practitioner)"
    finally:
        background.wait_for_all()
        window.close()
        background.wait_for_all()
        if startup.db is not None:
            startup.db.dispose()


def test_the_first_run_choice_to_work_without_accounts(db: Database) -> None:
    from needlelog.ui.first_run import FirstRunChoices, apply_first_run

    apply_first_run(db, FirstRunChoices())
    assert accounts.works_without_accounts(db)


def test_the_administrator_adds_disables_and_sets_the_idle_lock(
    qtbot: QtBot, db: Database, clinic: Patient, tmp_path: Path
) -> None:
    from needlelog.ui.users_dialog import AccountsDialog

    accounts.sign_in(db, "ada", PASSWORD)
    dialog = AccountsDialog(db, accounts.all_accounts(db), accounts.idle_lock_minutes(db))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(tmp_path / "accounts.png"))
    assert dialog.table.rowCount() == 4
    dialog.table.selectRow(next(r for r in range(4) if dialog.table.item(r, 0).text() == "ada"))
    dialog._disable()
    qtbot.waitUntil(lambda: "Ada is the last administrator" in dialog.message.text())
    dialog.table.selectRow(next(r for r in range(4) if dialog.table.item(r, 0).text() == "sam"))
    dialog._disable()
    qtbot.waitUntil(lambda: dialog.table.item(3, 3).text() == "disabled")
    dialog.idle.setValue(12)
    with qtbot.waitSignal(dialog.idle_changed):
        dialog._save_idle()
    assert accounts.idle_lock_minutes(db) == 12


def test_a_quick_switch_of_user_on_a_shared_pc(
    qtbot: QtBot,
    db: Database,
    clinic: Patient,
    make_window: Callable[[Database], MainWindow],
) -> None:
    accounts.sign_in(db, "amelia", PASSWORD)
    window = make_window(db)
    ui = window.accounts_ui
    assert ui is not None and window.record.clinical
    ui.switch_user.trigger()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, LoginDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
        )
    )
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog))
    dialog.who.setCurrentIndex(dialog.who.findData("rita"))
    dialog.password.setText(PASSWORD)
    dialog.sign_in()
    qtbot.waitUntil(lambda: ui.who.text() == "Signed in: Rita Desk (reception)")
    assert not window.record.clinical and not window.new_session_action.isVisible()


def test_someone_else_signs_in_over_the_lock_when_no_form_is_open(
    qtbot: QtBot, db: Database, clinic: Patient, make_window: Callable[[Database], MainWindow]
) -> None:
    accounts.sign_in(db, "amelia", PASSWORD)
    window = make_window(db)
    ui = window.accounts_ui
    assert ui is not None and ui.lock is not None
    ui.lock.lock()
    (panel,) = ui.lock.panels()
    assert panel.switch.isVisible()
    panel.switch.click()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, LoginDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
        )
    )
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog))
    assert ui.lock.locked and not any(FAMILY in t for t in _shown_texts())
    dialog.who.setCurrentIndex(dialog.who.findData("rita"))
    qtbot.keyClicks(dialog.password, PASSWORD)  # typing reaches it over the lock
    assert dialog.password.text() == PASSWORD
    dialog.sign_in()
    qtbot.waitUntil(lambda: not ui.lock.locked)  # type: ignore[union-attr]
    assert ui.who.text() == "Signed in: Rita Desk (reception)"
    assert not window.record.clinical


def test_change_my_password_in_the_window(qtbot: QtBot, db: Database, clinic: Patient) -> None:
    from needlelog.ui.users_dialog import ChangePasswordDialog

    accounts.sign_in(db, "sam", PASSWORD)
    dialog = ChangePasswordDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.old.setText(PASSWORD)
    dialog.password.setText("brand new 99")
    dialog.again.setText("brand new 98")
    dialog._submit()
    assert dialog.message.text() == "The two new passwords differ."
    dialog.old.setText("not mine")
    dialog.again.setText("brand new 99")
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong account name or password.")
    dialog.old.setText(PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        dialog._submit()
    accounts.sign_out()
    assert accounts.sign_in(db, "sam", "brand new 99").name == "sam"


def test_the_first_account_ends_working_without_accounts(
    qtbot: QtBot, db: Database, make_window: Callable[[Database], MainWindow]
) -> None:
    from needlelog.ui.users_dialog import AddAccountDialog

    accounts.choose_without_accounts(db)
    window = make_window(db)
    ui = window.accounts_ui
    assert ui is not None and ui.who.text() == WITHOUT_ACCOUNTS_TEXT
    ui.manage.trigger()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, AddAccountDialog) and w.isVisible()
            for w in QApplication.topLevelWidgets()
        )
    )
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AddAccountDialog))
    assert [dialog.role.itemData(i) for i in range(dialog.role.count())] == ["administrator"]
    dialog.name.setText("ada")
    dialog.display.setText("Ada Admin")
    dialog.password.setText(PASSWORD)
    dialog.again.setText(PASSWORD)
    dialog._submit()
    qtbot.waitUntil(lambda: ui.who.text() == "Signed in: Ada Admin (administrator)")
    assert ui.lock is not None and not accounts.works_without_accounts(db)
