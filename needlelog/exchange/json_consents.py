"""The consents of a JSON export, brought back by its import (docs/json-format.md).

Every form version is checked against its checksum and every consent against the
checksum of the text it names: a consent whose text no longer matches is refused
with one line, and nothing is written. Paper scans are files like the photos: found
in the photo store or beside the export and verified first (``json_photos``).
Once the patients are in (same transaction) the consents are stored as they were
signed, through ``services.consent_import``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from needlelog.domain.consent import (
    Consent,
    ConsentKind,
    ConsentMethod,
    Signature,
    TemplateVersion,
    Withdrawal,
    text_sha256,
)
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.photos import PhotoUse
from needlelog.exchange.json_photos import Wanted
from needlelog.exchange.loader import ImportProblem, Written
from needlelog.services import clock, consent_import
from needlelog.services.errors import NotFound

_BAD = (KeyError, ValueError, TypeError, AttributeError, binascii.Error)
MAX_PNG_CHARS = 4_000_000  # base64 of a signature image (a few tens of KB in practice)

VersionKey = tuple[str, str, int]  # key, language, version


@dataclass(frozen=True)
class ConsentIn:
    row: int
    record_no: str
    consent: Consent  # ids 0: as read from the file

    def names(self) -> str:
        return (
            f"{self.consent.kind.label.lower()} of {self.record_no} signed on "
            f"{self.consent.signed_at.date().isoformat()}"
        )


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{name} is not a text of at most {limit:,} characters")
    return value


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} is not a whole number of at least 1")
    return value


def _time(value: Any, name: str) -> datetime:
    at = datetime.fromisoformat(_text(value, name, 40))
    if at.tzinfo is not None:
        raise ValueError(f"{name} has a time zone; times are naive UTC")
    return at


def version_from_json(item: dict[str, Any]) -> TemplateVersion:
    return TemplateVersion(
        id=0,
        template_id=0,
        key=_text(item["key"], "key", 40),
        kind=ConsentKind(item["kind"]),
        language=_text(item["language"], "language", 20),
        title=_text(item["title"], "title", 200),
        version=_int(item["version"], "version"),
        text=_text(item["text"], "text", 100_000),
        sha256=_text(item["sha256"], "sha256", 64),
        created_at=_time(item["created_at"], "created_at"),
        created_by=_text(item.get("created_by", ""), "created_by", 200),
    )


def _key(ref: dict[str, Any]) -> VersionKey:
    return (str(ref["key"]), str(ref["language"]), _int(ref["version"], "template version"))


def consent_from_json(item: dict[str, Any], version: TemplateVersion) -> Consent:
    """A consent item on the form ``version`` it names (read from the same file)."""
    answers = item.get("answers") or {}
    if not isinstance(answers, dict) or not all(isinstance(v, bool) for v in answers.values()):
        raise ValueError("answers is not an object of true/false per photo use")
    unknown = sorted(set(answers) - {u.value for u in PhotoUse})
    if unknown:
        raise ValueError(f"{unknown[0][:30]!r} is not a use of photographs")
    signature = item.get("signature")
    w = item.get("withdrawal")
    scan = _text(item.get("scan_sha256", ""), "scan_sha256", 64)
    if scan and (len(scan) != 64 or any(ch not in "0123456789abcdef" for ch in scan)):
        raise ValueError("scan_sha256 is not a SHA-256 checksum")
    return Consent(
        id=0,
        patient_id=0,
        kind=ConsentKind(item["kind"]),
        template=version,
        answers=tuple((u, answers[u.value]) for u in PhotoUse if u.value in answers),
        method=ConsentMethod(item["method"]),
        signature=None if signature is None else Signature.from_json(signature),
        signature_png=base64.b64decode(
            _text(item.get("signature_png", ""), "signature_png", MAX_PNG_CHARS), validate=True
        ),
        scan_sha256=scan,
        scan_media_type=_text(item.get("scan_media_type", ""), "scan_media_type", 40),
        signed_at=_time(item["signed_at"], "signed_at"),
        witness=_text(item.get("witness", ""), "witness", 200),
        witness_account=_text(item.get("witness_account", ""), "witness_account", 32),
        withdrawal=None
        if w is None
        else Withdrawal(
            withdrawn_on=date.fromisoformat(_text(w["withdrawn_on"], "withdrawn_on", 10)),
            reason=_text(w.get("reason", ""), "withdrawal reason", 2_000),
            recorded_by=_text(w.get("recorded_by", ""), "withdrawal recorded_by", 200),
            recorded_at=_time(w["recorded_at"], "withdrawal recorded_at")
            if w.get("recorded_at")
            else clock.utc_now(),
        ),
    )


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 160 else text[:157] + "..."


class ConsentImport:
    """The consent forms and consents of an import: read and checked when made (no
    database), ``plan`` matches them to the receiving clinic, ``write`` stores them."""

    def __init__(self, file: str, templates: Any, consents: Any, actor: str) -> None:
        self.file, self.actor = file, actor
        self.where_t, self.where_c = f"{file} consent_templates", f"{file} consents"
        self.problems: list[ImportProblem] = []
        self.versions: list[tuple[int, TemplateVersion]] = []
        self.items: list[ConsentIn] = []
        self.planned: list[tuple[int, ConsentIn]] = []
        self._held: dict[VersionKey, TemplateVersion] = {}
        for key, value in (("consent_templates", templates), ("consents", consents)):
            if value is not None and not isinstance(value, list):
                self.problems.append(
                    ImportProblem(file, None, key, "", f"{key} is not a list in this file")
                )
        if self.problems:
            return
        self._read(templates or [], consents or [])

    def _read(self, templates: list[Any], consents: list[Any]) -> None:
        by_key: dict[VersionKey, tuple[int, TemplateVersion]] = {}
        for n, item in enumerate(templates, start=1):
            try:
                v = version_from_json(item)
            except _BAD as exc:
                self.problems.append(
                    ImportProblem(
                        self.where_t, n, "", "", f"consent form cannot be read: {_short(exc)}"
                    )
                )
                continue
            by_key[(v.key, v.language, v.version)] = (n, v)
            self.versions.append((n, v))
        used: set[VersionKey] = set()
        for n, item in enumerate(consents, start=1):
            try:
                ref = item["template"]
                key = _key(ref)
                found = by_key.get(key)
                if found is None:
                    raise ValueError(
                        f"it names the form {key[0]!r} ({key[1]}) version {key[2]}, which is "
                        "not in this file's consent_templates"
                    )
                record_no = _text(item["record_no"], "record_no", 64)
                consent = consent_from_json(item, found[1])
            except _BAD as exc:
                self.problems.append(
                    ImportProblem(self.where_c, n, "", "", f"consent cannot be read: {_short(exc)}")
                )
                continue
            used.add(key)
            c = ConsentIn(n, record_no, consent)
            v = consent.template
            if text_sha256(v.text) != v.sha256 or ref.get("sha256") != v.sha256:
                self.problems.append(
                    ImportProblem(
                        self.where_c, n, "template", v.sha256[:12],
                        f"the text of {v.title!r} ({v.key}, {v.language}) version {v.version} "
                        f"in the {c.names()} no longer matches its checksum",
                    )
                )  # fmt: skip
                continue
            why = consent_import.problem(consent)
            if why:
                self.problems.append(
                    ImportProblem(self.where_c, n, "", "", f"the {c.names()}: {why}")
                )
                continue
            self.items.append(c)
        for n, v in self.versions:
            if (v.key, v.language, v.version) not in used and text_sha256(v.text) != v.sha256:
                self.problems.append(
                    ImportProblem(
                        self.where_t, n, "sha256", v.sha256[:12],
                        f"the text of {v.title!r} ({v.key}, {v.language}) version {v.version} "
                        "no longer matches its checksum",
                    )
                )  # fmt: skip

    def scans(self) -> list[Wanted]:
        """The paper scans the consents need from the photo store (or beside the file)."""
        return [
            (self.where_c, c.row, c.consent.scan_sha256, f"the scan of the {c.names()}")
            for c in self.items
            if c.consent.scan_sha256
        ]

    def needed(self) -> set[str]:
        return {c.consent.scan_sha256 for _p, c in self.planned if c.consent.scan_sha256}

    def plan(self, w: Written) -> list[ImportProblem]:
        """Match the form versions (adding those the clinic lacks: rolled back with the
        rest if anything is refused) and the consents' patients."""
        conn = w.session.connection()
        problems: list[ImportProblem] = []
        now = clock.utc_now()
        for n, v in sorted(self.versions, key=lambda x: (x[1].key, x[1].language, x[1].version)):
            try:
                self._held[(v.key, v.language, v.version)] = consent_import.version_in(
                    conn, v, self.actor, now
                )
            except InvalidRecord as exc:
                problems.append(ImportProblem(self.where_t, n, "", "", _message(exc)))
        for c in self.items:
            patient_id = w.patient_id(c.record_no)
            if patient_id is None:
                problems.append(
                    ImportProblem(
                        self.where_c, c.row, "record_no", c.record_no,
                        f"no patient with record number {c.record_no} in the database or in "
                        "this file",
                    )
                )  # fmt: skip
                continue
            self.planned.append((patient_id, c))
        return problems

    def write(self, w: Written) -> list[ImportProblem]:
        conn = w.session.connection()
        problems: list[ImportProblem] = []
        now = clock.utc_now()
        for patient_id, c in self.planned:
            v = c.consent.template
            held = self._held.get((v.key, v.language, v.version))
            if held is None:
                continue  # its form was refused: reported by plan
            try:
                added = consent_import.consent_in(
                    conn, patient_id, c.consent, held, self.actor, now
                )
            except (InvalidRecord, NotFound) as exc:
                problems.append(ImportProblem(self.where_c, c.row, "", "", _message(exc)))
                continue
            if added is None:
                w.result.consents_skipped += 1
            else:
                w.result.consents_added += 1
        return problems


def _message(exc: Exception) -> str:
    if isinstance(exc, InvalidRecord) and exc.violations:
        return exc.violations[0].message
    return str(exc)
