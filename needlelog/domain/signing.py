"""Signatures and addenda of sessions, in plain rules.

A session is a draft until a practitioner signs it. The signature names the signer,
their role, the time, what the signature means and a SHA-256 of the session's content
as signed. A signed session never changes again; a correction is an addendum written
beside it. Sessions stored before signing existed are neither: they are shown as
"recorded before signing existed" and may still be signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

PRACTITIONER = "practitioner"
ASSISTANT = "assistant"


class Meaning(StrEnum):
    PERFORMED = "performed and recorded by"
    CO_SIGNED = "reviewed and co-signed by"


class Status(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    LEGACY = "legacy"  # stored before signing existed

    @property
    def label(self) -> str:
        return {
            Status.DRAFT: "Draft (not signed)",
            Status.SIGNED: "Signed",
            Status.LEGACY: "Recorded before signing existed",
        }[self]


@dataclass(frozen=True)
class Signer:
    """Who signs or writes: an account (id, display name, role); without accounts the
    practitioner's name with the role practitioner and no id."""

    name: str
    role: str = PRACTITIONER
    account_id: int | None = None

    @property
    def may_sign(self) -> bool:
        return self.role == PRACTITIONER


@dataclass(frozen=True)
class Signature:
    name: str
    role: str
    at: datetime
    meaning: str
    content_sha256: str
    account_id: int | None = None

    @property
    def line(self) -> str:
        return (
            f"{self.meaning.capitalize()} {self.name} ({self.role}), {self.at:%Y-%m-%d %H:%M} UTC"
        )


@dataclass(frozen=True)
class Addendum:
    """A correction or note written after signing; the original stays as signed."""

    id: int
    at: datetime
    author: str
    author_role: str
    reason: str
    text: str
    corrections: dict[str, Any] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        return f"Addendum {self.at:%Y-%m-%d %H:%M} UTC by {self.author} ({self.author_role})"


@dataclass(frozen=True)
class Imported:
    by: str
    at: datetime


def meaning_for(drafted_role: str) -> Meaning:
    """An assistant's draft is co-signed; anything else is signed by who performed it."""
    return Meaning.CO_SIGNED if drafted_role == ASSISTANT else Meaning.PERFORMED
