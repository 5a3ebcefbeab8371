"""The clinic's certificate: loaded from a PKCS#12 file, kept private without the
clinic's password, and used to sign consent documents so that pyHanko's validation
(as any PDF reader's) finds them intact, and altered after one byte is changed."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from needlelog.domain.consent import ConsentKind
from needlelog.reports.consent_document import build_consent_pdf, consent_pdf_bytes
from needlelog.services import accounts, clock, consent_certificate, consents, patients
from needlelog.services.access import AccessRefused
from needlelog.services.consent_certificate import CertificateProblem
from needlelog.store.database import Database
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consent_pdf import samples
from tests.factories import make_patient
from tests.reports.helpers import page_texts

PASS = "clinic-secret"


def _status(pdf: bytes, trusted: bytes) -> PdfSignatureStatus:
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=[x509.Certificate.load(trusted)])
    return validate_pdf_signature(reader.embedded_signatures[0], context)


def _flip(pdf: bytes, at: int) -> bytes:
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _page_content_byte(pdf: bytes) -> int:
    """The offset of a byte in the middle of the first page's content stream."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    contents = reader.pages[0]["/Contents"]
    ref = contents.indirect_reference if hasattr(contents, "indirect_reference") else contents
    number = ref.idnum  # type: ignore[union-attr]
    header = pdf.index(f"\n{number} 0 obj".encode()) + 1
    body = pdf.index(b"stream", header) + len(b"stream\r\n")
    end = pdf.index(b"endstream", body)
    return (body + end) // 2


@pytest.fixture
def loaded(db: Database, tmp_path: Path) -> bytes:
    path, der = samples.certificate(tmp_path)
    info = consent_certificate.load(db, path, PASS, "admin")
    assert info.subject == "Aurora Skin Clinic" and info.self_signed
    return der


def test_a_signed_consent_validates_intact_and_fails_after_one_byte_of_its_text_changes(
    loaded: bytes,
) -> None:
    pdf = consent_pdf_bytes(samples.doc(sealed_by="Aurora Skin Clinic"))
    status = _status(pdf, loaded)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.docmdp_ok  # certified: no change allowed after it, none made
    assert "digitally signed by Aurora Skin Clinic" in " ".join(page_texts(pdf))
    # One byte of the first page's text content changed: the signature no longer fits.
    altered = _flip(pdf, _page_content_byte(pdf))
    bad = _status(altered, loaded)
    assert not bad.intact
    assert not bad.bottom_line
    # And one letter of the record number in the document's title (its properties).
    assert not _status(_flip(pdf, pdf.index(b"record P-0042) ")), loaded).intact


def test_a_signature_from_an_unknown_certificate_is_not_trusted(
    loaded: bytes, tmp_path: Path
) -> None:
    _other, stranger = samples.certificate(tmp_path / "..", name="Someone Else")
    status = _status(consent_pdf_bytes(samples.doc()), stranger)
    assert status.intact and not status.trusted and not status.bottom_line


def test_the_clinics_password_is_never_stored_and_the_files_are_private(
    db: Database, loaded: bytes, db_path: Path
) -> None:
    folder = consent_certificate.folder()
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["consent-signing.p12", "consent-signing.secret"]
    for path in folder.iterdir():
        assert PASS.encode() not in path.read_bytes()
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # Nothing of the key or its secrets in the database (settings, audit, backups).
    secret = (folder / "consent-signing.secret").read_bytes()
    stored = db_path.read_bytes() + b"".join(
        p.read_bytes() for p in db_path.parent.glob(db_path.name + "-*")
    )
    assert PASS.encode() not in stored and secret not in stored


def test_a_wrong_password_is_one_sentence_and_nothing_is_stored(
    db: Database, tmp_path: Path
) -> None:
    path, _der = samples.certificate(tmp_path)
    with pytest.raises(CertificateProblem) as caught:
        consent_certificate.load(db, path, "not the password", "admin")
    assert str(caught.value) == (
        "The certificate could not be opened: the password is wrong, or the file is not "
        "a PKCS#12 certificate file (.p12 or .pfx)."
    )
    assert consent_certificate.current() is None
    assert not consent_certificate.folder().exists() or not any(
        consent_certificate.folder().iterdir()
    )


def test_a_file_that_is_not_a_certificate_is_refused(db: Database, tmp_path: Path) -> None:
    junk = tmp_path / "photo.p12"
    junk.write_bytes(b"\xff\xd8\xff\xe0 a photograph, not a certificate")
    with pytest.raises(CertificateProblem, match="not a PKCS#12 certificate file"):
        consent_certificate.load(db, junk, PASS, "admin")
    with pytest.raises(CertificateProblem, match=r"does not exist: choose the \.p12"):
        consent_certificate.load(db, tmp_path / "missing.p12", PASS, "admin")
    with pytest.raises(CertificateProblem, match="is a folder"):
        consent_certificate.load(db, tmp_path, PASS, "admin")
    assert consent_certificate.current() is None


def test_a_certificate_without_its_private_key_is_refused(db: Database, tmp_path: Path) -> None:
    path, _der = samples.certificate(tmp_path, with_key=False)
    with pytest.raises(CertificateProblem, match="not its private key"):
        consent_certificate.load(db, path, PASS, "admin")


def test_an_expired_certificate_is_refused_when_loaded(db: Database, tmp_path: Path) -> None:
    start = datetime.now(UTC) - timedelta(days=400)
    path, _der = samples.certificate(tmp_path, valid_from=start, valid_days=30)
    with pytest.raises(CertificateProblem) as caught:
        consent_certificate.load(db, path, PASS, "admin")
    ended = start + timedelta(days=30)
    assert str(caught.value).startswith(
        f"This certificate expired on {ended.day} {ended:%b %Y}: load a new one"
    )
    assert consent_certificate.current() is None


def test_a_certificate_that_expires_after_loading_stops_signing_with_a_sentence(
    db: Database, loaded: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = patients.register(db, make_patient(), "t")
    version = consents.template_for(db, ConsentKind.TREATMENT, "en")
    signed = consents.sign(
        db, patient.id, version.id, (), samples.pen_signature(), "Dr Keller", version.sha256
    )
    info = consent_certificate.current()
    assert info is not None
    later = info.not_after + timedelta(days=1)
    with pytest.raises(CertificateProblem, match="The clinic's certificate expired on"):
        consent_certificate.sign(b"%PDF-1.4", reason="r", now=later)
    # Through the document: no file is written, unsigned or not.
    monkeypatch.setattr(clock, "utc_now", lambda: later)
    with pytest.raises(CertificateProblem, match="remove it to save consent documents"):
        build_consent_pdf(db, signed.id, tmp_path / "expired.pdf")
    assert not (tmp_path / "expired.pdf").exists()


def test_a_damaged_stored_certificate_is_one_sentence(db: Database, loaded: bytes) -> None:
    key_file = consent_certificate.folder() / consent_certificate.KEY_FILE
    key_file.write_bytes(key_file.read_bytes()[:100])
    with pytest.raises(CertificateProblem, match="stored certificate is damaged: load it again"):
        consent_certificate.current()
    with pytest.raises(CertificateProblem, match="stored certificate is damaged"):
        consent_pdf_bytes(samples.doc())


def test_removing_the_certificate_leaves_documents_unsigned(db: Database, loaded: bytes) -> None:
    consent_certificate.remove(db, "admin")
    assert consent_certificate.current() is None
    assert not any(consent_certificate.folder().iterdir())
    pdf = consent_pdf_bytes(samples.doc())
    assert b"/ByteRange" not in pdf
    assert not PdfFileReader(io.BytesIO(pdf)).embedded_signatures


def test_loading_a_new_certificate_replaces_the_old_one(
    db: Database, loaded: bytes, tmp_path: Path
) -> None:
    folder = tmp_path / "second"
    folder.mkdir()
    path, der = samples.certificate(folder, name="Aurora Clinic Leeds")
    info = consent_certificate.load(db, path, PASS, "admin")
    assert consent_certificate.current() == info
    assert info.subject == "Aurora Clinic Leeds"
    assert _status(consent_pdf_bytes(samples.doc()), der).bottom_line


def test_only_an_administrator_loads_or_removes_the_certificate(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    add_clinic_accounts(db)
    path, _der = samples.certificate(tmp_path)
    accounts.sign_in(db, "amelia", PASSWORD)  # a practitioner
    with pytest.raises(AccessRefused):
        consent_certificate.load(db, path, PASS, "amelia")
    assert consent_certificate.current() is None
    accounts.sign_out()
    accounts.sign_in(db, "ada", PASSWORD)
    consent_certificate.load(db, path, PASS, "ada")
    accounts.sign_out()
    accounts.sign_in(db, "amelia", PASSWORD)
    with pytest.raises(AccessRefused):
        consent_certificate.remove(db, "amelia")
    assert consent_certificate.current() is not None


def test_signing_needs_no_lxml_which_the_bundle_leaves_out(
    loaded: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build.spec excludes lxml: pyHanko must sign a ReportLab PDF without it."""
    import sys

    import pyhanko.pdf_utils.metadata as metadata

    monkeypatch.setitem(sys.modules, "lxml", None)  # "import lxml" raises ImportError
    monkeypatch.setitem(sys.modules, "lxml.etree", None)
    monkeypatch.setitem(sys.modules, "pyhanko.pdf_utils.metadata.xmp_xml", None)
    monkeypatch.delattr(metadata, "xmp_xml", raising=False)
    pdf = consent_pdf_bytes(samples.doc())
    assert _status(pdf, loaded).bottom_line


def test_a_document_pyhanko_cannot_sign_is_one_sentence(loaded: bytes) -> None:
    with pytest.raises(CertificateProblem) as caught:
        consent_certificate.sign(b"not a PDF at all", reason="r")
    message = str(caught.value)
    assert message.startswith("The consent document could not be signed with the clinic's")
    assert message.endswith("remove it to save consent documents unsigned.")
    assert "\n" not in message


def test_half_a_stored_certificate_is_one_sentence(loaded: bytes) -> None:
    (consent_certificate.folder() / consent_certificate.SECRET_FILE).unlink()
    with pytest.raises(CertificateProblem, match="stored certificate cannot be read"):
        consent_certificate.current()
