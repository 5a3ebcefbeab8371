"""Consent: versioned templates, consents signed on screen or recorded from paper,
withdrawals, whether a treatment consent covers a day, and the clinic's consent
setting. Each call is one transaction around the one reader (``consent_query``) or
the one writer (``consent_writer``); every write is audited.

Roles: administrators edit templates and the setting; clinical roles (practitioner,
assistant) sign, record paper consents and withdrawals; reading needs clinical read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from needlelog.domain.consent import (
    Consent,
    ConsentKind,
    ConsentPolicy,
    ConsentStatus,
    ConsentTemplate,
    Signature,
    TemplateVersion,
)
from needlelog.domain.photos import PhotoUse
from needlelog.domain.signing import Signer
from needlelog.store.database import Database

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
    """Every template with its latest version (kind, key, language order)."""
    raise NotImplementedError


def versions(db: Database, template_id: int) -> list[TemplateVersion]:
    """All versions of a template, oldest first."""
    raise NotImplementedError


def version(db: Database, version_id: int) -> TemplateVersion:
    """One template version by id."""
    raise NotImplementedError


def save_template(
    db: Database, key: str, kind: ConsentKind, language: str, title: str, text: str, actor: str
) -> TemplateVersion:
    """Save a template's text as its next version (a new template for a new key and
    language); earlier versions stay as they were. Administrators only."""
    raise NotImplementedError


def template_for(db: Database, kind: ConsentKind, language: str = "en") -> TemplateVersion:
    """The latest version of the template of ``kind`` in ``language`` (the default key
    of the kind first), falling back to English."""
    raise NotImplementedError


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
    raise NotImplementedError


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
    photo store."""
    raise NotImplementedError


def withdraw(
    db: Database, consent_id: int, withdrawn_on: date, reason: str, actor: Signer | str
) -> Consent:
    """Add a withdrawal to a consent; the consent is kept."""
    raise NotImplementedError


def for_patient(db: Database, patient_id: int) -> list[Consent]:
    """A patient's consents, newest first, withdrawn ones included."""
    raise NotImplementedError


def one(db: Database, consent_id: int) -> Consent:
    raise NotImplementedError


def treatment_status(db: Database, patient_id: int, day: date) -> ConsentStatus:
    """Whether a treatment consent covers a session on ``day``: ``.consent`` or
    ``.why_not`` (the sentence the window shows)."""
    raise NotImplementedError


def policy(db: Database) -> ConsentPolicy:
    raise NotImplementedError


def set_policy(db: Database, new: ConsentPolicy, actor: str) -> None:
    """Change the clinic's consent setting (administrators; audited)."""
    raise NotImplementedError


def scan_path(db: Database, consent: Consent) -> Path:
    """The stored scan of a paper consent (in the photo store)."""
    raise NotImplementedError
