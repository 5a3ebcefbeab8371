"""The settings box for the consent-signing certificate: loading it (a wrong password
is one sentence under the box, nothing stored), what it shows, removing it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QInputDialog, QLineEdit
from pytestqt.qtbot import QtBot

from needlelog.services import consent_certificate
from needlelog.store.database import Database
from needlelog.ui.consent.certificate_box import CertificateBox
from tests.consent_pdf import samples


def test_the_box_loads_shows_and_removes_the_certificate(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    box = CertificateBox(db)
    qtbot.addWidget(box)
    assert box.status.text().startswith("No certificate on this PC: consent documents are saved")
    assert not box.remove_button.isEnabled()
    path, _der = samples.certificate(tmp_path)
    with qtbot.waitSignal(box.changed, timeout=10_000):
        box.load_from(path, "clinic-secret")
    info = consent_certificate.current()
    assert info is not None
    assert box.status.text().startswith(
        "Consent documents are signed as Aurora Skin Clinic (self-signed), valid until "
    )
    assert info.fingerprint[:16] in box.status.text()
    assert box.error.isHidden() and box.remove_button.isEnabled()
    with qtbot.waitSignal(box.changed):
        box.remove_button.click()
    assert consent_certificate.current() is None
    assert box.status.text().startswith("No certificate on this PC")


def test_a_wrong_password_shows_one_sentence_and_stores_nothing(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    box = CertificateBox(db)
    qtbot.addWidget(box)
    path, _der = samples.certificate(tmp_path)
    box.load_from(path, "wrong")
    qtbot.waitUntil(lambda: not box.loading and not box.error.isHidden(), timeout=10_000)
    assert box.error.text() == (
        "The certificate could not be opened: the password is wrong, or the file is not "
        "a PKCS#12 certificate file (.p12 or .pfx)."
    )
    assert "Traceback" not in box.error.text()
    assert consent_certificate.current() is None
    assert box.load_button.isEnabled()


def test_choosing_a_file_asks_for_its_password_then_loads(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch
) -> None:
    path, _der = samples.certificate(tmp_path)
    asked: list[QLineEdit.EchoMode] = []

    def get_text(_parent, _title, _label, echo, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(echo)
        return "clinic-secret", True

    monkeypatch.setattr(
        "needlelog.ui.consent.certificate_box.QFileDialog.getOpenFileName",
        lambda *a, **k: (str(path), ""),
    )
    monkeypatch.setattr(QInputDialog, "getText", get_text)
    box = CertificateBox(db)
    qtbot.addWidget(box)
    with qtbot.waitSignal(box.changed, timeout=10_000):
        box.load_button.click()
    assert asked == [QLineEdit.EchoMode.Password]  # the password is typed unseen
    assert consent_certificate.current() is not None


def test_a_damaged_stored_certificate_is_said_and_can_be_removed(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    path, _der = samples.certificate(tmp_path)
    consent_certificate.load(db, path, "clinic-secret", "admin")
    stored = consent_certificate.folder() / consent_certificate.KEY_FILE
    stored.write_bytes(b"damaged")
    box = CertificateBox(db)
    qtbot.addWidget(box)
    assert box.status.text().startswith("The clinic's stored certificate is damaged")
    assert box.remove_button.isEnabled()
    box.remove_button.click()
    assert consent_certificate.current() is None
