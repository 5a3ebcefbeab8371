"""The File menu's export, import, backup and restore, with dialogs patched."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLineEdit, QMessageBox

from needlelog import config
from needlelog.exchange import backup as backups
from needlelog.exchange import encryption
from needlelog.exchange.encryption import Encryption
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.ui import background, exchange_menu
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.ui.fake_window import FakeWindow


class ExchangeWindow(FakeWindow):
    """The stand-in window with the exchange entries installed."""

    exchange: exchange_menu.ExchangeActions


@pytest.fixture
def window(qtbot: Any, db: Database) -> Iterator[ExchangeWindow]:
    win = ExchangeWindow(db)
    qtbot.addWidget(win)
    win.exchange = exchange_menu.install(win)
    yield win
    background.wait_for_all()
    qtbot.wait(10)


def _action(window: ExchangeWindow, text: str) -> Any:
    return window.exchange.actions[text]


def _idle(window: ExchangeWindow) -> bool:
    return window.exchange.task is None


def test_menu_entries(window: ExchangeWindow) -> None:
    texts = [a.text() for a in window.file_menu.actions() if a.text()]
    assert texts == ["&Export…", "&Import from CSV…", "&Back up now…", "&Restore from backup…"]


def test_export_csv_of_all_records(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = register_consenting(window.db, make_patient(), "t")
    sessions.record(window.db, p.id, make_session(), "t")
    monkeypatch.setattr(
        exchange_menu.ExportDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "out"))
    _action(window, "Export…").trigger()
    qtbot.waitUntil(lambda: _idle(window) and bool(window.statuses), timeout=10_000)
    assert window.statuses[-1].startswith("Exported 1 patients and 1 sessions")
    assert (tmp_path / "out/sessions.csv").read_text(encoding="utf-8").count("\n") == 2


def test_export_json_of_the_open_patient(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.patient = register_consenting(window.db, make_patient("P-1"), "t")
    register_consenting(window.db, make_patient("P-2"), "t")

    def choose(dialog: exchange_menu.ExportDialog) -> QDialog.DialogCode:
        assert dialog.one_patient.isEnabled()
        dialog.format.setCurrentIndex(1)
        dialog.one_patient.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(exchange_menu.ExportDialog, "exec", choose)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "p.json"), "")
    )
    _action(window, "Export…").trigger()
    qtbot.waitUntil(lambda: _idle(window) and bool(window.statuses), timeout=10_000)
    text = (tmp_path / "p.json").read_text(encoding="utf-8")
    assert '"P-1"' in text and '"P-2"' not in text


def test_cancelled_export_leaves_nothing(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_consenting(window.db, make_patient(), "t")
    original = exchange_menu._progress_hook

    def cancelling(control: background.TaskControl) -> Any:
        control.cancel()  # as if Cancel was pressed before the first batch
        return original(control)

    monkeypatch.setattr(exchange_menu, "_progress_hook", cancelling)
    monkeypatch.setattr(
        exchange_menu.ExportDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "out"))
    _action(window, "Export…").trigger()
    qtbot.waitUntil(lambda: _idle(window) and bool(window.statuses), timeout=10_000)
    assert window.statuses[-1] == "Exporting records cancelled; nothing was changed."
    assert list((tmp_path / "out").iterdir()) == []


def _write_csvs(tmp_path: Path, depth: str = "0.75") -> list[str]:
    (tmp_path / "patients.csv").write_text(
        "record_no,family_name,given_name\nI-1,Ivanova,Анна\nI-2,Chen,Wei\n", encoding="utf-8"
    )
    (tmp_path / "sessions.csv").write_text(
        "record_no,performed_on,practitioner,areas\n"
        f"I-1,2026-01-10,Dr. Hart,cheek_left:{depth}\n"
        "I-2,2026-01-11,Dr. Hart,forehead:1.20;elbow\n",
        encoding="utf-8",
    )
    return [str(tmp_path / "sessions.csv"), str(tmp_path / "patients.csv")]


def test_import_shows_what_would_be_added_before_writing(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _write_csvs(tmp_path)
    (tmp_path / "sessions.csv").write_text(
        "record_no,performed_on,practitioner,areas\nI-1,2026-01-10,Dr. Hart,cheek_left:0.75\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (names, ""))
    shown: list[tuple[str, int]] = []

    def accept(dialog: exchange_menu.ImportReportDialog) -> QDialog.DialogCode:
        shown.append((dialog.windowTitle(), patients.count(window.db, include_archived=True)))
        dialog.grab().save(str(tmp_path / "report.png"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(exchange_menu.ImportReportDialog, "exec", accept)
    _action(window, "Import from CSV…").trigger()
    qtbot.waitUntil(lambda: window.reloads == 1 and _idle(window), timeout=10_000)
    assert shown == [("Import from CSV", 0)]  # asked before anything was written
    assert patients.count(window.db, include_archived=True) == 2
    assert window.statuses[-1] == "Imported 2 new patients and 1 session."


def test_import_refused_lists_every_problem_and_writes_nothing(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _write_csvs(tmp_path, depth="1.05")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (names, ""))
    reports: list[exchange_menu.ImportReportDialog] = []

    def close(dialog: exchange_menu.ImportReportDialog) -> QDialog.DialogCode:
        reports.append(dialog)
        dialog.grab().save(str(tmp_path / "refused.png"))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(exchange_menu.ImportReportDialog, "exec", close)
    _action(window, "Import from CSV…").trigger()
    qtbot.waitUntil(lambda: bool(reports) and _idle(window), timeout=10_000)
    (report,) = reports
    assert report.windowTitle() == "Import refused"
    lines = report.details.toPlainText().splitlines()
    assert lines == [
        "sessions.csv row 1, column areas: needle depth for Cheek (left) is 1.05 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
        "sessions.csv row 2, column areas: area 'elbow' is not known; allowed: forehead, "
        "glabella, periorbital_left, periorbital_right, nose, cheek_left, cheek_right, "
        "perioral, chin, jawline_left, jawline_right, neck, decolletage, scalp, abdomen, "
        "thighs, arms, back, buttocks, other",
        "sessions.csv row 2, column areas: needle depth for Forehead is 1.20 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
    ]
    assert patients.count(window.db, include_archived=True) == 0
    assert window.reloads == 0


PASSPHRASE = "copper violin harbour seventeen"


def _type_passphrase(monkeypatch: pytest.MonkeyPatch, text: str = PASSPHRASE) -> list[Any]:
    """Back up now…'s encryption dialog, answered as a person would: the passphrase twice."""
    seen: list[Any] = []

    def answer(dialog: exchange_menu.BackupEncryptionDialog) -> QDialog.DialogCode:
        seen.append(dialog)
        dialog.with_passphrase.setChecked(True)
        dialog.passphrase.setText(text)
        assert not dialog.ok.isEnabled()  # not until it is typed again
        dialog.again.setText(text)
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(exchange_menu.BackupEncryptionDialog, "exec", answer)
    return seen


def _open_files(monkeypatch: pytest.MonkeyPatch, *names: Path) -> list[str]:
    """Answer the open-file dialogs in turn; the titles they showed."""
    queue, titles = list(names), []

    def choose(_parent: Any, title: str, *_a: Any, **_k: Any) -> tuple[str, str]:
        titles.append(title)
        return str(queue.pop(0)), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    return titles


def test_back_up_then_restore(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_consenting(window.db, make_patient("KEEP-1"), "t")
    _type_passphrase(monkeypatch)
    suggested: list[str] = []

    def save_as(*a: Any, **_k: Any) -> tuple[str, str]:
        suggested.append(a[2])
        return str(tmp_path / "b.zip.age"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    _action(window, "Back up now…").trigger()
    qtbot.waitUntil(lambda: _idle(window) and bool(window.statuses), timeout=20_000)
    assert window.statuses[-1].startswith("Backed up 1 patients and 0 sessions")
    assert window.statuses[-1].endswith("(encrypted with a passphrase)")
    assert suggested[0].endswith(".zip.age")
    assert (tmp_path / "b.zip.age").read_bytes().startswith(b"age-encryption.org/v1")
    register_consenting(window.db, make_patient("LATER-1"), "t")
    _open_files(monkeypatch, tmp_path / "b.zip.age")
    asked: list[str] = []

    def passphrase(*a: Any, **_k: Any) -> tuple[str, bool]:
        asked.append(a[2])
        assert a[3] == QLineEdit.EchoMode.Password
        return PASSPHRASE, True

    monkeypatch.setattr(QInputDialog, "getText", passphrase)
    questions: list[str] = []

    def yes(*args: Any, **_kw: Any) -> QMessageBox.StandardButton:
        questions.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    _action(window, "Restore from backup…").trigger()
    qtbot.waitUntil(lambda: window.reloads == 1 and _idle(window), timeout=20_000)
    assert asked == ["b.zip.age is encrypted. Its passphrase:"]
    assert "(1 patients, 0 sessions)" in questions[0]
    assert [p.record_no for p in patients.search(window.db)] == ["KEEP-1"]
    assert "kept as clinic.replaced-" in window.statuses[-1]


def test_restore_refuses_a_foreign_file(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "x.zip"), "")
    )
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    _action(window, "Restore from backup…").trigger()
    assert warnings == [
        "x.zip cannot be restored: it is damaged or truncated, or not a backup file. "
        "The current records were not changed."
    ]


def test_daily_backup_waits_for_start_up_then_runs(window: ExchangeWindow, qtbot: Any) -> None:
    background.wait_for_all()
    folder = config.paths().backups
    assert not list(folder.glob("needlelog-auto-*.zip"))  # not while the window opens
    window.exchange.start_auto_backup(delay_ms=0)
    qtbot.waitUntil(
        lambda: len(list(config.paths().backups.glob("needlelog-auto-*.zip"))) == 1,
        timeout=10_000,
    )


def test_cancelled_import_writes_nothing(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _write_csvs(tmp_path)
    (tmp_path / "sessions.csv").write_text(
        "record_no,performed_on,practitioner,areas\nI-1,2026-01-10,Dr. Hart,cheek_left:0.75\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (names, ""))
    original = exchange_menu._progress_hook
    calls: list[str] = []

    def cancel_the_commit(control: background.TaskControl) -> Any:
        calls.append("run")
        hook = original(control)

        def progress(done: int, total: int) -> None:
            if len(calls) == 2 and done == total:  # the real import, after every row was added
                control.cancel()
            hook(done, total)

        return progress

    monkeypatch.setattr(exchange_menu, "_progress_hook", cancel_the_commit)
    monkeypatch.setattr(
        exchange_menu.ImportReportDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    _action(window, "Import from CSV…").trigger()
    qtbot.waitUntil(lambda: len(calls) == 2 and _idle(window), timeout=10_000)
    assert window.statuses[-1] == "Importing cancelled; nothing was changed."
    assert patients.count(window.db, include_archived=True) == 0
    assert window.reloads == 0


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_wrong_passphrase_is_refused_and_nothing_changes(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_consenting(window.db, make_patient("KEEP-1"), "t")
    out = tmp_path / "b.zip.age"
    backups.make_backup(window.db, out, encryption=Encryption(passphrase=PASSPHRASE))
    db_file = window.db.sqlite_path
    assert db_file is not None
    window.db.dispose()
    before = _sha(db_file)
    _open_files(monkeypatch, out)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("copper violin", True))
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    questions: list[Any] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: questions.append(a))
    _action(window, "Restore from backup…").trigger()
    qtbot.waitUntil(lambda: bool(warnings) and _idle(window), timeout=20_000)
    assert warnings == [
        "b.zip.age cannot be restored: the passphrase is wrong. "
        "The current records were not changed."
    ]
    assert questions == [] and window.reloads == 0
    assert _sha(db_file) == before
    assert [p.name for p in db_file.parent.iterdir() if p.name.startswith(".")] == []


def test_back_up_to_the_clinic_key_and_restore_with_the_identity_file(
    window: ExchangeWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "usb" / "clinic-key.txt"
    key_file.parent.mkdir()
    key_file.write_text(f"# created: 2026-01-01\n{identity}\n", encoding="utf-8")
    encryption.set_clinic_recipients(window.db, [str(identity.to_public())], "admin")
    register_consenting(window.db, make_patient("KEEP-1"), "t")
    shown: list[exchange_menu.BackupEncryptionDialog] = []

    def accept(dialog: exchange_menu.BackupEncryptionDialog) -> QDialog.DialogCode:
        shown.append(dialog)
        dialog.grab().save(str(tmp_path / "backup-encryption.png"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(exchange_menu.BackupEncryptionDialog, "exec", accept)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "k.zip.age"), "")
    )
    _action(window, "Back up now…").trigger()
    qtbot.waitUntil(lambda: _idle(window) and bool(window.statuses), timeout=20_000)
    (dialog,) = shown
    assert dialog.to_key.isChecked() and not dialog.passphrase.isEnabled()
    assert window.statuses[-1].endswith("(encrypted to 1 public key)")
    register_consenting(window.db, make_patient("LATER-1"), "t")
    titles = _open_files(monkeypatch, tmp_path / "k.zip.age", key_file)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    _action(window, "Restore from backup…").trigger()
    qtbot.waitUntil(lambda: window.reloads == 1 and _idle(window), timeout=20_000)
    assert titles == ["Restore from backup", "Identity file (secret key)"]
    assert told[0].startswith("k.zip.age is encrypted to the clinic's backup key.")
    assert [p.record_no for p in patients.search(window.db)] == ["KEEP-1"]


def test_the_encryption_dialog_asks_twice_and_hints_at_strength(qtbot: Any, tmp_path: Path) -> None:
    dialog = exchange_menu.BackupEncryptionDialog(None, ())
    qtbot.addWidget(dialog)
    assert not dialog.to_key.isEnabled() and dialog.with_passphrase.isChecked()
    assert "none set" in dialog.to_key.text()
    assert not dialog.ok.isEnabled()
    dialog.passphrase.setText("tulip")
    assert dialog.hint.text().startswith("Weak: anyone who finds the file could guess it.")
    dialog.again.setText("tulips")
    assert dialog.hint.text() == "The two passphrases differ."
    assert not dialog.ok.isEnabled() and dialog.encryption() is None
    dialog.passphrase.setText(PASSPHRASE)
    dialog.again.setText(PASSPHRASE)
    assert dialog.hint.text().startswith("Strong.")
    assert dialog.ok.isEnabled()
    assert dialog.encryption() == Encryption(passphrase=PASSPHRASE)
    dialog.passphrase.setText(" padded words here ")
    assert dialog.hint.text() == "The backup passphrase starts or ends with a space."
    dialog.resize(dialog.sizeHint())
    dialog.grab().save(str(tmp_path / "encryption-dialog.png"))


def test_daily_backup_without_a_key_says_it_is_not_encrypted(
    window: ExchangeWindow, qtbot: Any
) -> None:
    background.wait_for_all()
    window.exchange.start_auto_backup(delay_ms=0)
    qtbot.waitUntil(lambda: exchange_menu.NOT_ENCRYPTED_NOTICE in window.statuses, timeout=10_000)
    assert len(list(config.paths().backups.glob("needlelog-auto-*.zip"))) == 1


def test_daily_backup_with_the_clinic_key_is_encrypted_and_quiet(
    window: ExchangeWindow, qtbot: Any
) -> None:
    background.wait_for_all()
    public = str(pyrage.x25519.Identity.generate().to_public())
    encryption.set_clinic_recipients(window.db, [public], "admin")
    window.exchange.start_auto_backup(delay_ms=0)
    folder = config.paths().backups
    qtbot.waitUntil(lambda: len(list(folder.glob("needlelog-auto-*.zip.age"))) == 1, timeout=10_000)
    background.wait_for_all()
    qtbot.wait(50)
    assert list(folder.glob("needlelog-auto-*.zip")) == []
    assert window.statuses == []
