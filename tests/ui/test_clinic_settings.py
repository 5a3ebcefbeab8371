from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from needlelog import resource_files
from needlelog.services import settings
from needlelog.services.settings import DEFAULT_AFTERCARE, ClinicInfo
from needlelog.store.database import Database
from needlelog.ui import clinic_settings
from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings

LOGO = resource_files.path("icons", "needlelog.png")


def test_the_dialog_shows_and_saves_letterhead_and_aftercare(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    assert dialog.name.text() == "Your clinic"
    assert dialog.aftercare.toPlainText() == DEFAULT_AFTERCARE
    dialog.name.setText("  Clínica Aurora ")
    dialog.address.setPlainText("Calle Mayor 12\n28013 Madrid")
    dialog.phone.setText("+34 910 000 123")
    dialog.email.setText("citas@aurora.example")
    monkeypatch.setattr(clinic_settings.QFileDialog, "getOpenFileName", lambda *a: (str(LOGO), ""))
    dialog._choose_logo()
    dialog.aftercare.setPlainText("Sunscreen every day.\nNo make-up today.")
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert settings.get_clinic(db) == ClinicInfo(
        name="Clínica Aurora",
        address="Calle Mayor 12\n28013 Madrid",
        phone="+34 910 000 123",
        email="citas@aurora.example",
        logo_path=str(LOGO),
    )
    assert settings.get_aftercare(db) == "Sunscreen every day.\nNo make-up today."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Clinic name is required: it heads every report."),
        (
            "logo",
            "/nowhere/logo.png",
            "The logo file logo.png was not found; choose it again or remove it.",
        ),
        ("logo", str(Path(__file__)), "test_clinic_settings.py is not a PNG or JPEG image."),
        (
            "confidentiality",
            " ",
            "The confidentiality line is required: it is printed on every page.",
        ),
    ],
)
def test_bad_settings_are_refused_with_a_message_and_nothing_is_saved(
    qtbot: QtBot, db: Database, field: str, value: str, message: str
) -> None:
    before = (settings.get_clinic(db), settings.get_aftercare(db))
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    dialog.phone.setText("+44 1 2345")
    getattr(dialog, field).setText(value)
    dialog.accept()
    assert dialog.error.text() == message
    assert not dialog.error.isHidden()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert (settings.get_clinic(db), settings.get_aftercare(db)) == before


def test_empty_aftercare_is_refused(qtbot: QtBot, db: Database) -> None:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    dialog.aftercare.setPlainText("   \n")
    dialog.accept()
    assert dialog.error.text() == "Aftercare advice is empty; write it or use the standard advice."
    assert settings.get_aftercare(db) == DEFAULT_AFTERCARE


def test_the_settings_print_on_the_report(qtbot: QtBot, db: Database) -> None:
    import io

    from needlelog.reports.progress import build_progress_report
    from tests.reports.helpers import page_texts, patient_with_sessions

    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    dialog.name.setText("Aurora Skin Clinic")
    dialog.logo.setText(str(LOGO))
    dialog.aftercare.setPlainText("Drink plenty of water.")
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving)
    patient = patient_with_sessions(db, 1)
    buffer = io.BytesIO()
    build_progress_report(db, patient.id, buffer)
    text = "\n".join(page_texts(buffer.getvalue()))
    assert "Aurora Skin Clinic" in text and "Drink plenty of water." in text


def test_the_backup_key_is_checked_and_saved(qtbot: QtBot, db: Database) -> None:
    import pyrage

    from needlelog.exchange import encryption

    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    assert dialog.backup_key.text() == ""
    dialog.backup_key.setText("age1notakey")
    dialog.accept()
    assert dialog.error.text() == (
        "Backup key: 'age1notakey' is not an age public key (one starts with age1, as "
        "age-keygen prints it)."
    )
    assert dialog.result() != dialog.DialogCode.Accepted
    assert encryption.clinic_recipients(db) == ()
    public = str(pyrage.x25519.Identity.generate().to_public())
    dialog.backup_key.setText(f"  {public} ")
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert encryption.clinic_recipients(db) == (public,)
    again = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(again)
    assert again.backup_key.text() == public
