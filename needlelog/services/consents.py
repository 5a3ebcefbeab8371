"""Consent: versioned templates, consents signed on screen or recorded from paper,
withdrawals, whether a treatment consent covers a day, and the clinic's consent
setting. Each call is one transaction around the one reader (``consent_query``) or
the one writer (``consent_writer``); every write is audited.

Roles: administrators edit templates and the setting; clinical roles (practitioner,
assistant) sign, record paper consents and withdrawals; reading needs clinical read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from needlelog.domain.accounts import Permission
from needlelog.domain.consent import (
    SCAN_MEDIA_TYPES,
    Consent,
    ConsentKind,
    ConsentMethod,
    ConsentPolicy,
    ConsentStatus,
    ConsentTemplate,
    Signature,
    TemplateVersion,
    answers_problem,
    day_words,
    ordered_answers,
    signature_problem,
    template_problems,
)
from needlelog.domain.photos import PhotoUse
from needlelog.domain.signing import Signer
from needlelog.services import access, clock, consent_query, consent_writer, photos, settings
from needlelog.services.errors import InvalidConsent, NotFound
from needlelog.services.signature_image import png
from needlelog.store.database import Database

# A scan larger than this is refused (a multi-page colour scan at 300 dpi is far less).
MAX_SCAN_BYTES = 50 * 1024 * 1024

Answers = Iterable[tuple[PhotoUse, bool]] | dict[PhotoUse, bool]

__all__ = [
    "Answers",
    "ConsentStatus",
    "for_patient",
    "one",
    "policy",
    "record_paper",
    "save_template",
    "scan_path",
    "set_policy",
    "sign",
    "template_for",
    "templates",
    "treatment_status",
    "versions",
    "withdraw",
]


def templates(db: Database) -> list[ConsentTemplate]:
    """Every template with its latest version (treatment, photo, then the clinic's own)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.templates(conn)


def versions(db: Database, template_id: int) -> list[TemplateVersion]:
    """All versions of a template, oldest first, each as it was saved."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.versions(conn, template_id)


def version(db: Database, version_id: int) -> TemplateVersion:
    """One template version by id."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.version(conn, version_id)


def save_template(
    db: Database, key: str, kind: ConsentKind, language: str, title: str, text: str, actor: str
) -> TemplateVersion:
    """Save a template's text as its next version (a new template for a new key and
    language); earlier versions stay as they were. Administrators only. Refused
    (``InvalidConsent``) for an empty text or title, or a key or language code that
    cannot be used."""
    access.require(db, Permission.CLINIC_SETTINGS)
    kind = ConsentKind(kind)
    key, language, title = key.strip(), language.strip(), title.strip()
    problems = template_problems(key, language, title, text)
    if problems:
        raise InvalidConsent("text", " ".join(problems))
    with db.transaction(write=True) as conn:
        vid = consent_writer.save_template_version(
            conn, key, kind, language, title, text, actor, clock.utc_now()
        )
        return consent_query.version(conn, vid)


def template_for(db: Database, kind: ConsentKind, language: str = "en") -> TemplateVersion:
    """The latest version of the template of ``kind`` in ``language`` (the default key
    of the kind first), falling back to English."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.template_for(conn, ConsentKind(kind), language)


def _witness(witness: Signer | str) -> tuple[str, str]:
    """(display name, account user name) of the witness: the signed-in account when
    there is one, else the practitioner named."""
    account = access.current()
    if account is not None:
        return account.display_name or account.name, account.name
    name = witness.name if isinstance(witness, Signer) else str(witness)
    if not name.strip():
        raise InvalidConsent("witness", "Name the practitioner who witnessed the signature.")
    return name.strip(), ""


def _checked_answers(kind: ConsentKind, answers: Answers) -> tuple[tuple[PhotoUse, bool], ...]:
    try:
        pairs = list(answers.items()) if isinstance(answers, dict) else list(answers)
        pairs = [(PhotoUse(u), bool(yes)) for u, yes in pairs]
    except (TypeError, ValueError):
        raise InvalidConsent(
            "answers", "The photo answers are not uses of photographs with yes or no."
        ) from None
    problem = answers_problem(kind, pairs)
    if problem:
        raise InvalidConsent("answers", problem)
    return ordered_answers(pairs)


def sign(
    db: Database,
    patient_id: int,
    template_version_id: int,
    answers: Answers,
    signature: Signature,
    witness: Signer | str,
    text_shown_sha256: str,
) -> Consent:
    """Store a consent signed on screen. Refused (``InvalidConsent``, one sentence) for
    an empty signature, a photo use not answered, or a text shown that is not the
    version's text (its checksum differs)."""
    access.require(db, Permission.CLINICAL_WRITE)
    problem = signature_problem(signature)
    if problem:
        raise InvalidConsent("signature", problem)
    name, account = _witness(witness)
    image = png(signature)
    with db.transaction(write=True) as conn:
        template = consent_query.version(conn, template_version_id)
        if text_shown_sha256 != template.sha256:
            raise InvalidConsent(
                "text_shown_sha256",
                "The text shown to the patient is not the text of "
                f"{template.title!r} version {template.version} (its checksum differs); "
                "nothing was stored. Open the form again and let the patient read it.",
                text_shown_sha256,
            )
        pairs = _checked_answers(template.kind, answers)
        now = clock.utc_now()
        cid = consent_writer.insert_consent(
            conn, patient_id, template, pairs, ConsentMethod.ON_SCREEN, signature, image,
            "", "", now, name, account, name, now,
        )  # fmt: skip
        return consent_query.one(conn, cid)


def _scan_media_type(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return ""


def _read_scan(scan: Path) -> tuple[bytes, str]:
    """The scan's bytes and media type, or ``InvalidConsent`` saying what is wrong."""
    try:
        size = scan.stat().st_size
        if not scan.is_file():
            raise InvalidConsent("scan", f"{scan} is not a file; attach the scanned form.")
        if size == 0:
            raise InvalidConsent("scan", f"{scan} is empty; attach the scanned form.")
        if size > MAX_SCAN_BYTES:
            raise InvalidConsent(
                "scan",
                f"{scan.name} is larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB; "
                "scan it at a lower resolution.",
            )
        data = scan.read_bytes()
    except FileNotFoundError:
        raise InvalidConsent("scan", f"{scan} does not exist; attach the scanned form.") from None
    except OSError as exc:
        raise InvalidConsent(
            "scan", f"{scan} cannot be read ({exc.strerror or exc}); nothing was stored."
        ) from None
    media = _scan_media_type(data[:16])
    if media not in SCAN_MEDIA_TYPES:
        raise InvalidConsent(
            "scan",
            f"{scan.name} is not a PDF, JPEG or PNG file; scan the signed form to one of those.",
        )
    return data, media


def record_paper(
    db: Database,
    patient_id: int,
    template_version_id: int,
    answers: Answers,
    scan: Path,
    signed_on: date,
    witness: Signer | str,
) -> Consent:
    """Record a consent signed on paper, with its scan (PDF, JPEG or PNG) kept in the
    photo store (content-addressed, private). The consent is marked as signed on
    paper; ``signed_on`` (not in the future) is its date."""
    access.require(db, Permission.CLINICAL_WRITE)
    name, account = _witness(witness)
    if signed_on > clock.today():
        raise InvalidConsent(
            "signed_on",
            f"The paper form cannot be signed in the future ({day_words(signed_on)}).",
            signed_on,
        )
    data, media = _read_scan(Path(scan))
    with db.transaction() as conn:
        template = consent_query.version(conn, template_version_id)
        pairs = _checked_answers(template.kind, answers)
    # The file first (the store is the photos' folder): a record never lacks its file.
    sha = photos.photo_store(db).put(data)
    with db.transaction(write=True) as conn:
        now = clock.utc_now()
        cid = consent_writer.insert_consent(
            conn, patient_id, template, pairs, ConsentMethod.PAPER, None, b"", sha, media,
            datetime.combine(signed_on, datetime.min.time()), name, account, name, now,
        )  # fmt: skip
        return consent_query.one(conn, cid)


def withdraw(
    db: Database, consent_id: int, withdrawn_on: date, reason: str, actor: Signer | str
) -> Consent:
    """Add a withdrawal to a consent; the consent is kept. ``actor``: who records it
    (the signed-in account when there is one)."""
    access.require(db, Permission.CLINICAL_WRITE)
    name, _account = _witness(actor)
    with db.transaction(write=True) as conn:
        consent_writer.withdraw(
            conn, consent_id, withdrawn_on, reason, name, clock.utc_now(), clock.today()
        )
        return consent_query.one(conn, consent_id)


def for_patient(db: Database, patient_id: int) -> list[Consent]:
    """A patient's consents, newest first, withdrawn ones included."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.for_patient(conn, patient_id)


def one(db: Database, consent_id: int) -> Consent:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.one(conn, consent_id)


def treatment_status(db: Database, patient_id: int, day: date) -> ConsentStatus:
    """Whether a treatment consent covers a session on ``day``: ``.consent`` or
    ``.why_not`` (the sentence the window shows); ``.required`` is the clinic's gate."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return consent_query.treatment_status(conn, patient_id, day)


def policy(db: Database) -> ConsentPolicy:
    return settings.get_consent_policy(db)


def set_policy(db: Database, new: ConsentPolicy, actor: str) -> None:
    """Change the clinic's consent setting (administrators; audited)."""
    settings.set_consent_policy(db, new, actor)


def scan_path(db: Database, consent: Consent) -> Path:
    """The stored scan of a paper consent (in the photo store)."""
    access.require(db, Permission.CLINICAL_READ)
    if not consent.scan_sha256:
        raise NotFound(f"consent {consent.id} was signed on screen and has no scan")
    return photos.photo_store(db).path_for(consent.scan_sha256)
