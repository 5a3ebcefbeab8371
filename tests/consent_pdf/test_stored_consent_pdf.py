"""A stored consent's document, written through the file helpers: the version the
patient signed (never the template as edited since), the paper scan from the store,
a private file, refused targets, and the access log."""

from __future__ import annotations

import os
import re
import stat
from datetime import date
from pathlib import Path

import pytest

from needlelog.domain.consent import ConsentKind, text_sha256
from needlelog.domain.photos import PhotoUse
from needlelog.reports.consent_document import build_consent_pdf
from needlelog.services import consents, disclosures, patients, settings
from needlelog.store.database import Database
from needlelog.store.errors import OutputRefused
from needlelog.store.files import remember_database
from tests.consent_pdf import samples
from tests.factories import make_patient
from tests.reports.helpers import page_texts

OLD_TEXT = "I agree to microneedling.\n\nRisks\nRedness and swelling for a few days."
NEW_TEXT = "I agree to microneedling of the face.\n\nRisks\nRedness, swelling and bruising."


def _flat(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page_texts(path)))


def _sign(db: Database, patient_id: int, version_id: int, text: str) -> int:
    signed = consents.sign(
        db,
        patient_id,
        version_id,
        (),
        samples.pen_signature(),
        "Dr Maria Keller",
        text_sha256(text),
    )
    return signed.id


def test_a_template_edited_after_signing_leaves_the_signed_text_in_that_patients_pdf(
    db: Database, tmp_path: Path
) -> None:
    settings.set_clinic(db, samples.CLINIC, "t")
    first = patients.register(db, make_patient("P-0001"), "t")
    second = patients.register(db, make_patient("P-0002", given_name="Jonas"), "t")
    old = consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "en", "Treatment consent", OLD_TEXT, "admin"
    )
    first_consent = _sign(db, first.id, old.id, OLD_TEXT)
    # The clinic edits its form after the first patient signed.
    new = consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "en", "Treatment consent", NEW_TEXT, "admin"
    )
    assert new.version == old.version + 1
    # The next patient is given the new version, and signs it.
    latest = consents.template_for(db, ConsentKind.TREATMENT, "en")
    assert latest.id == new.id and latest.text == NEW_TEXT
    second_consent = _sign(db, second.id, latest.id, latest.text)

    first_pdf = build_consent_pdf(db, first_consent, tmp_path / "first.pdf")
    second_pdf = build_consent_pdf(db, second_consent, tmp_path / "second.pdf")
    first_text, second_text = _flat(first_pdf), _flat(second_pdf)
    assert "I agree to microneedling." in first_text
    assert "Redness and swelling for a few days." in first_text
    assert "of the face" not in first_text and "bruising" not in first_text
    assert f"{old.version} (saved" in first_text and text_sha256(OLD_TEXT) in first_text
    assert "I agree to microneedling of the face." in second_text
    assert "Redness, swelling and bruising." in second_text
    assert "for a few days" not in second_text
    assert f"{new.version} (saved" in second_text and text_sha256(NEW_TEXT) in second_text
    assert "Zoë Lefèvre" in first_text and "Jonas Lefèvre" in second_text


def test_the_written_document_is_private_and_logged(db: Database, tmp_path: Path) -> None:
    patient = patients.register(db, make_patient(), "t")
    version = consents.template_for(db, ConsentKind.TREATMENT, "en")
    cid = _sign(db, patient.id, version.id, version.text)
    out = build_consent_pdf(db, cid, tmp_path / "consent.pdf")
    assert out == tmp_path / "consent.pdf" and out.read_bytes().startswith(b"%PDF-")
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".consent.pdf")]
    log = disclosures.patient_log(db, patient.id)
    assert any("consent document consent.pdf" in str(entry) for entry in log)


def test_dangerous_targets_are_refused_and_nothing_is_written(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient = patients.register(db, make_patient(), "t")
    version = consents.template_for(db, ConsentKind.TREATMENT, "en")
    cid = _sign(db, patient.id, version.id, version.text)
    remember_database(db_path)
    before = db_path.read_bytes()
    with pytest.raises(OutputRefused, match="it is the open database"):
        build_consent_pdf(db, cid, db_path)
    assert db_path.read_bytes() == before
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    with pytest.raises(OutputRefused, match="is a link"):
        build_consent_pdf(db, cid, link)
    assert target.read_text() == "keep me"
    with pytest.raises(OutputRefused, match="is a folder"):
        build_consent_pdf(db, cid, tmp_path)


def test_a_paper_consent_places_its_stored_scan(db: Database, tmp_path: Path) -> None:
    patient = patients.register(db, make_patient(), "t")
    version = consents.template_for(db, ConsentKind.PHOTO, "en")
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(samples.scan_jpeg())
    answers = {u: u is PhotoUse.CLINICAL_RECORD for u in PhotoUse}
    paper = consents.record_paper(
        db, patient.id, version.id, answers, scan, date(2026, 3, 2), "Dr Maria Keller"
    )
    out = build_consent_pdf(db, paper.id, tmp_path / "paper.pdf")
    text = _flat(out)
    assert "Signed on paper: scan kept in the record" in text
    assert "2 Mar 2026" in text
    assert "Kept in the clinical record Yes, I agree" in text
    assert "Used for teaching No, I do not agree" in text
    assert paper.scan_sha256 in text
    assert b"/DCTDecode" in out.read_bytes()  # the scan is placed as an image


def test_a_withdrawn_consent_prints_its_withdrawal(db: Database, tmp_path: Path) -> None:
    patient = patients.register(db, make_patient(), "t")
    version = consents.template_for(db, ConsentKind.TREATMENT, "en")
    cid = _sign(db, patient.id, version.id, version.text)
    today = date.today()
    consents.withdraw(db, cid, today, "changed her mind", "Dr Maria Keller")
    text = _flat(build_consent_pdf(db, cid, tmp_path / "w.pdf"))
    assert f"Consent withdrawn on {today.day} {today:%b %Y}." in text
    assert "Reason given: changed her mind." in text
