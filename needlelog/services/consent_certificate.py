"""The clinic's certificate for signing consent documents, where it is kept, and the
signing itself: a consent PDF signed with it shows in any PDF reader whether it has
been altered since.

How the certificate is kept, and why:

- **Not in the database.** Settings are readable by every role, travel in backups
  and JSON exports, their old and new values go into the audit log, and on a
  server they are shared with every PC. A signing key belongs in none of those.
- **In this PC's private data folder** (``<data>/certificate``: folder 700, files
  600 on Linux and macOS; the user's profile on Windows), the folder that already
  holds the patient records of a single-PC clinic. Only the system account that
  runs needlelog can read it; on a clinic with several PCs each PC that prints
  signed consents loads the certificate once.
- **The clinic's password is used once and never stored.** It opens the PKCS#12
  file the clinic gives (.p12 or .pfx); the key and certificates are then wrapped
  again in a new PKCS#12 under a random passphrase that is kept beside it (600).
  A password the clinic also uses elsewhere is never written anywhere, and the
  key at rest has the protection the records in that folder have: the system
  account's file permissions.
- **Not asked for at every signing.** A consent document is printed at the desk,
  by whoever witnessed the signing, and from the command line; asking each of them
  for the clinic's certificate password would spread it across the staff, and a
  prompt on every print would leave documents unsigned. Loading and removing the
  certificate needs the clinic-settings permission, and both are audited (the
  certificate's subject and fingerprint, never a secret).

Every problem (a wrong password, a file that is not PKCS#12, a certificate that
has expired or is not valid yet, a damaged stored copy) is one sentence
(``CertificateProblem``); without a certificate a document is simply not signed.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.services import access, audit, clock
from needlelog.services.errors import UsageError
from needlelog.store.database import Database
from needlelog.store.files import atomic_path, private_dir

FOLDER = "certificate"
KEY_FILE = "consent-signing.p12"
SECRET_FILE = "consent-signing.secret"
# A PKCS#12 file is a few kilobytes; anything far larger is not one.
MAX_FILE_BYTES = 1_000_000
SETTING_KEY = "consent_certificate"  # the audit event's key: what was loaded, when, by whom


class CertificateProblem(UsageError):
    """The certificate cannot be used; the message is one sentence saying what to do.
    Nothing was stored or written."""


@dataclass(frozen=True)
class CertificateInfo:
    """What the settings show about the loaded certificate."""

    subject: str  # the signer's name as the certificate gives it
    issuer: str
    not_before: datetime  # naive UTC
    not_after: datetime  # naive UTC
    fingerprint: str  # SHA-256 of the certificate, hex

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def problem_on(self, now: datetime) -> str:
        """Why the certificate cannot sign at ``now`` (naive UTC); empty when it can."""
        if now > self.not_after:
            return (
                f"The clinic's certificate expired on {_day(self.not_after)}: load a new one "
                "in Clinic settings, or remove it to save consent documents unsigned."
            )
        if now < self.not_before:
            return (
                f"The clinic's certificate is valid only from {_day(self.not_before)}: "
                "load one that is valid today, or remove it to save consent documents unsigned."
            )
        return ""


def _day(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%b %Y}"


def folder() -> Path:
    return config.paths().data / FOLDER


def _files() -> tuple[Path, Path]:
    where = folder()
    return where / KEY_FILE, where / SECRET_FILE


def _name(name: object) -> str:
    """A certificate name as people read it: the common name, else the organisation."""
    from cryptography.x509.oid import NameOID

    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        found = name.get_attributes_for_oid(oid)  # type: ignore[attr-defined]
        if found:
            return str(found[0].value)
    return name.rfc4514_string()  # type: ignore[attr-defined]


def _open(data: bytes, password: bytes | None) -> tuple[object, object, list[object]]:
    """Key, certificate and other certificates of a PKCS#12 file, or a sentence."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError):
        raise CertificateProblem(
            "The certificate could not be opened: the password is wrong, or the file is "
            "not a PKCS#12 certificate file (.p12 or .pfx)."
        ) from None
    if key is None and (cert is not None or others):
        raise CertificateProblem(
            "The file holds a certificate but not its private key, which signing needs: "
            "export the certificate with its private key as a .p12 or .pfx file."
        )
    if cert is None or key is None:
        raise CertificateProblem(
            "The file holds no certificate with a private key: export the certificate "
            "together with its private key as a .p12 or .pfx file."
        )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateProblem(
            "The certificate's key is of a kind PDF readers do not check reliably: "
            "use an RSA or elliptic-curve certificate."
        )
    return key, cert, list(others)


def _info(cert: object) -> CertificateInfo:
    from cryptography.hazmat.primitives import hashes

    return CertificateInfo(
        subject=_name(cert.subject),  # type: ignore[attr-defined]
        issuer=_name(cert.issuer),  # type: ignore[attr-defined]
        not_before=cert.not_valid_before_utc.replace(tzinfo=None),  # type: ignore[attr-defined]
        not_after=cert.not_valid_after_utc.replace(tzinfo=None),  # type: ignore[attr-defined]
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),  # type: ignore[attr-defined]
    )


def load(db: Database, source: Path, password: str, actor: str) -> CertificateInfo:
    """Take the clinic's PKCS#12 file as this PC's consent-signing certificate,
    replacing any loaded before. Refused with one sentence (nothing stored) for a
    file that cannot be read, a wrong password, no private key, or a certificate
    not valid today. Needs the clinic-settings permission; audited."""
    access.require(db, Permission.CLINIC_SETTINGS)
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    try:
        size = source.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CertificateProblem(
                f"{source.name} is not a certificate file: it is far larger than one."
            )
        data = source.read_bytes()
    except FileNotFoundError:
        raise CertificateProblem(
            f"{source} does not exist: choose the .p12 or .pfx file."
        ) from None
    except IsADirectoryError:
        raise CertificateProblem(f"{source} is a folder: choose the .p12 or .pfx file.") from None
    except OSError as exc:
        raise CertificateProblem(
            f"{source} cannot be read ({exc.strerror or 'read error'})."
        ) from None
    key, cert, others = _open(data, password.encode("utf-8") if password else None)
    info = _info(cert)
    problem = info.problem_on(clock.utc_now())
    if problem:
        raise CertificateProblem(problem.replace("The clinic's certificate", "This certificate"))
    secret = secrets.token_urlsafe(32)
    wrapped = pkcs12.serialize_key_and_certificates(
        b"needlelog consent signing",
        key,  # type: ignore[arg-type]
        cert,  # type: ignore[arg-type]
        others or None,  # type: ignore[arg-type]
        BestAvailableEncryption(secret.encode("ascii")),
    )
    before = _current_fingerprint()
    private_dir(folder())
    key_file, secret_file = _files()
    # The secret first: a key file is never left beside a secret that does not open it
    # for long; a failure between the two leaves a stored copy ``current`` reports as
    # damaged (load it again), never a wrong signature.
    with atomic_path(secret_file) as partial:
        partial.write_text(secret, encoding="ascii")
    with atomic_path(key_file) as partial:
        partial.write_bytes(wrapped)
    with db.transaction(write=True) as conn:
        audit.append(
            conn,
            actor,
            "setting",
            0,
            "update",
            {SETTING_KEY: [before, f"{info.subject} · SHA-256 {info.fingerprint}"]},
        )
    return info


def _current_fingerprint() -> str | None:
    try:
        found = current()
    except CertificateProblem:
        return "a damaged certificate"
    return None if found is None else f"{found.subject} · SHA-256 {found.fingerprint}"


def remove(db: Database, actor: str) -> None:
    """Forget this PC's certificate (both files); consent documents are then unsigned."""
    access.require(db, Permission.CLINIC_SETTINGS)
    before = _current_fingerprint()
    for path in _files():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    if before is not None:
        with db.transaction(write=True) as conn:
            audit.append(conn, actor, "setting", 0, "update", {SETTING_KEY: [before, None]})


def _stored() -> tuple[bytes, bytes] | None:
    key_file, secret_file = _files()
    if not key_file.exists() and not secret_file.exists():
        return None
    try:
        return key_file.read_bytes(), secret_file.read_bytes().strip()
    except OSError:
        raise CertificateProblem(
            "The clinic's stored certificate cannot be read: load it again in Clinic "
            "settings, or remove it to save consent documents unsigned."
        ) from None


def _stored_open() -> tuple[object, object, list[object]] | None:
    stored = _stored()
    return None if stored is None else _damaged_if_not(stored)


def _damaged_if_not(stored: tuple[bytes, bytes]) -> tuple[object, object, list[object]]:
    try:
        return _open(*stored)
    except CertificateProblem:
        raise CertificateProblem(
            "The clinic's stored certificate is damaged: load it again in Clinic settings, "
            "or remove it to save consent documents unsigned."
        ) from None


def current() -> CertificateInfo | None:
    """The certificate this PC signs consent documents with; None when none is loaded.
    ``CertificateProblem`` when its stored copy is damaged."""
    opened = _stored_open()
    return None if opened is None else _info(opened[1])


def sign(data: bytes, reason: str, location: str = "", now: datetime | None = None) -> bytes:
    """``data`` (a PDF) signed with the clinic's certificate, as an incremental
    update: every byte before it stays as it was. Unchanged when no certificate is
    loaded. ``CertificateProblem`` when the certificate has expired or its stored
    copy is damaged: the document is not written unsigned behind the clinic's back.

    The signature certifies the document (no changes allowed after it), so a reader
    shows both who signed it and that nothing was altered since."""
    stored = _stored()
    if stored is None:
        return data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers

    try:  # the key is unwrapped once per signing (it takes a tenth of a second)
        signer = signers.SimpleSigner.load_pkcs12_data(
            stored[0], other_certs=[], passphrase=stored[1]
        )
    except ValueError:
        _damaged_if_not(stored)  # says why in one sentence when the copy is damaged
        raise CertificateProblem(  # opened by cryptography, refused by pyHanko
            "The clinic's certificate cannot be used for signing: load another certificate "
            "in Clinic settings, or remove it to save consent documents unsigned."
        ) from None
    cert = signer.signing_cert
    valid = CertificateInfo(
        subject="",
        issuer="",
        not_before=cert.not_valid_before.astimezone(UTC).replace(tzinfo=None),
        not_after=cert.not_valid_after.astimezone(UTC).replace(tzinfo=None),
        fingerprint="",
    )
    problem = valid.problem_on(now or clock.utc_now())
    if problem:
        raise CertificateProblem(problem)
    meta = signers.PdfSignatureMetadata(
        field_name="ClinicSignature",
        reason=reason,
        location=location or None,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = signers.sign_pdf(writer, meta, signer=signer)
    except (PdfError, ValueError, TypeError) as exc:  # pyHanko's SigningError is a ValueError
        raise CertificateProblem(
            f"The consent document could not be signed with the clinic's certificate "
            f"({exc}); nothing was saved. Load another certificate, or remove it to save "
            "consent documents unsigned."
        ) from None
    return out.getvalue()


__all__ = [
    "CertificateInfo",
    "CertificateProblem",
    "current",
    "folder",
    "load",
    "remove",
    "sign",
]
