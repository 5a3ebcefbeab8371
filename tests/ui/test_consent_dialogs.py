"""The paper-consent and withdrawal dialogs refuse each wrong entry with a sentence and
store nothing; what was entered stays in the dialog."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.consent import ConsentKind
from needlelog.domain.records import Patient
from needlelog.domain.signing import Signer
from needlelog.services import clock, consents, patients
from needlelog.store.database import Database
from needlelog.ui.consent.paper_dialog import PaperConsentDialog
from needlelog.ui.consent.signing_view import Witness
from needlelog.ui.consent.withdraw_dialog import WithdrawDialog
from tests.consenting import sign_consent
from tests.factories import make_patient


@pytest.fixture
def patient(db: Database) -> Patient:
    return patients.register(db, make_patient("P-0400"), "test")


def _paper(qtbot: QtBot, db: Database, patient: Patient) -> PaperConsentDialog:
    versions = [consents.template_for(db, ConsentKind.TREATMENT, "en")]
    dialog = PaperConsentDialog(
        db, patient.id, versions, Witness(Signer("", "practitioner"), fixed=False), clock.today()
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("future", "The day signed is in the future; choose the day the patient signed."),
        ("no_day", "Choose the day the patient signed the paper form."),
        ("text_file", "notes.txt is not a PDF, JPEG or PNG file."),
        ("no_witness", "Name the practitioner who witnessed the signature."),
    ],
)
def test_a_paper_consent_with_a_wrong_entry_is_refused_and_nothing_is_stored(
    qtbot: QtBot, db: Database, patient: Patient, tmp_path: Path, change: str, message: str
) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    dialog = _paper(qtbot, db, patient)
    dialog.scan.setText(str(scan))
    dialog.witness_name.setText("Dr. Amelia Hart")
    if change == "future":
        dialog.day.set_value(clock.today() + timedelta(days=1))
    elif change == "no_day":
        dialog.day.set_value(None)
    elif change == "text_file":
        notes = tmp_path / "notes.txt"
        notes.write_text("not a scan")
        dialog.scan.setText(str(notes))
    else:
        dialog.witness_name.setText("  ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == message
    assert dialog.isVisible() and not dialog.saving
    assert consents.for_patient(db, patient.id) == []


def test_a_paper_consent_signed_on_an_earlier_day_keeps_that_day(
    qtbot: QtBot, db: Database, patient: Patient, tmp_path: Path
) -> None:
    scan = tmp_path / "scan.jpg"
    from PIL import Image

    Image.new("RGB", (40, 30), "white").save(scan, "JPEG")
    dialog = _paper(qtbot, db, patient)
    dialog.scan.setText(str(scan))
    dialog.witness_name.setText("Dr. Amelia Hart")
    dialog.day.set_value(date(2026, 2, 3))
    with qtbot.waitSignal(dialog.recorded, timeout=10_000) as recorded:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    consent = recorded.args[0]
    assert consent.signed_on == date(2026, 2, 3)
    assert consent.scan_media_type == "image/jpeg" and consent.witness == "Dr. Amelia Hart"


@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (None, "Moving abroad", "Choose the day the withdrawal takes effect."),
        ("today", "   ", "Write the reason the patient gave (or “no reason given”)."),
        ("today", "x" * 2001, "The reason is longer than 2,000 characters."),
    ],
)
def test_a_withdrawal_with_a_wrong_entry_is_refused_and_the_consent_stays(
    qtbot: QtBot,
    db: Database,
    patient: Patient,
    day: str | None,
    reason: str,
    message: str,
) -> None:
    signed = sign_consent(db, patient.id)
    dialog = WithdrawDialog(db, [signed], clock.today())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.day.set_value(clock.today() if day else None)
    dialog.reason.setPlainText(reason)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == message
    assert dialog.reason.toPlainText() == reason
    assert consents.one(db, signed.id).withdrawal is None


def test_a_withdrawal_the_records_refuse_is_said_in_the_dialog(
    qtbot: QtBot, db: Database, patient: Patient
) -> None:
    signed = sign_consent(db, patient.id, on=date(2026, 5, 4))
    dialog = WithdrawDialog(db, [signed], clock.today())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.day.set_value(date(2026, 5, 1))  # before it was signed
    dialog.reason.setPlainText("Changed their mind")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    assert dialog.error.text().startswith("Not withdrawn: ")
    assert dialog.isVisible()
    assert consents.one(db, signed.id).withdrawal is None
