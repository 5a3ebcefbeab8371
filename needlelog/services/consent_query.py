"""The one reader of consent records: templates and their versions, patients'
consents with their withdrawals, the consent setting, and the checksums of stored
paper scans.

Every reader of consents (the window, the session gate, photo uses, the consent
PDF, the exports, ``check``) goes through these functions, inside a transaction
opened by a service. Functions take an open SQLAlchemy ``Connection``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, select

from needlelog.domain.consent import (
    Consent,
    ConsentKind,
    ConsentMethod,
    ConsentPolicy,
    ConsentStatus,
    ConsentTemplate,
    Signature,
    TemplateVersion,
    Withdrawal,
    course_start_for,
    treatment_consent_for,
    why_no_consent,
)
from needlelog.domain.photos import PhotoUse, PhotoUses, UsesSource
from needlelog.services.errors import NotFound
from needlelog.services.settings import consent_policy_in, protocol_in
from needlelog.store import tables

_templates = tables.consent_templates
_versions = tables.consent_template_versions
_consents = tables.consents
_withdrawals = tables.consent_withdrawals
_sessions = tables.treatment_sessions


# -- templates ------------------------------------------------------------------------


def _version_select() -> Select[Any]:
    return select(
        _versions,
        _templates.c.key,
        _templates.c.kind,
        _templates.c.language,
    ).join(_templates, _templates.c.id == _versions.c.template_id)


def _version(row: Mapping[str, Any]) -> TemplateVersion:
    return TemplateVersion(
        id=row["id"],
        template_id=row["template_id"],
        key=row["key"],
        kind=ConsentKind(row["kind"]),
        language=row["language"],
        title=row["title"],
        version=row["version"],
        text=row["text"],
        sha256=row["sha256"],
        created_at=row["created_at"],
        created_by=row["created_by"],
    )


def version(conn: Connection, version_id: int) -> TemplateVersion:
    row = conn.execute(_version_select().where(_versions.c.id == version_id)).mappings().first()
    if row is None:
        raise NotFound(f"no consent form version with id {version_id}")
    return _version(row)


def versions(conn: Connection, template_id: int) -> list[TemplateVersion]:
    """Every version of a template, oldest first."""
    rows = conn.execute(
        _version_select()
        .where(_versions.c.template_id == template_id)
        .order_by(_versions.c.version)
    ).mappings()
    found = [_version(r) for r in rows]
    if not found:
        raise NotFound(f"no consent form with id {template_id}")
    return found


def templates(conn: Connection) -> list[ConsentTemplate]:
    """Each template with its latest version: treatment first, then photo, then the
    clinic's own; by key and language."""
    rows = conn.execute(_version_select().order_by(_versions.c.template_id, _versions.c.version))
    newest: dict[int, TemplateVersion] = {}
    for row in rows.mappings():
        newest[row["template_id"]] = _version(row)
    order = {ConsentKind.TREATMENT: 0, ConsentKind.PHOTO: 1}
    out = [
        ConsentTemplate(v.template_id, v.key, v.kind, v.language, v.title, v)
        for v in newest.values()
    ]
    out.sort(key=lambda t: (order.get(t.kind, 2), t.key != t.kind.value, t.key, t.language))
    return out


def template_id_of(conn: Connection, key: str, language: str) -> int | None:
    return conn.execute(
        select(_templates.c.id).where(_templates.c.key == key, _templates.c.language == language)
    ).scalar()


def latest_version_number(conn: Connection, template_id: int) -> int:
    return int(
        conn.execute(
            select(_versions.c.version)
            .where(_versions.c.template_id == template_id)
            .order_by(_versions.c.version.desc())
            .limit(1)
        ).scalar()
        or 0
    )


def template_for(conn: Connection, kind: ConsentKind, language: str = "en") -> TemplateVersion:
    """The latest version of the form of ``kind`` in ``language`` (the form whose key is
    the kind's name first, then any other form of that kind), else in English."""
    found = [t for t in templates(conn) if t.kind is kind]
    for wanted in (language, language.split("-")[0], "en"):
        of_language = [t for t in found if t.language == wanted]
        if of_language:
            of_language.sort(key=lambda t: (t.key != kind.value, t.key))
            return of_language[0].latest
    if found:
        return found[0].latest
    raise NotFound(f"there is no {kind.label.lower()} form; an administrator writes one")


# -- consents -------------------------------------------------------------------------


def _consent_select() -> Select[Any]:
    return select(
        _consents,
        _versions.c.template_id,
        _versions.c.version,
        _versions.c.title,
        _versions.c.text,
        _versions.c.sha256,
        _versions.c.created_at.label("version_created_at"),
        _versions.c.created_by.label("version_created_by"),
        _templates.c.key,
        _templates.c.language,
        _templates.c.kind.label("template_kind"),
    ).select_from(
        _consents.join(_versions, _versions.c.id == _consents.c.template_version_id).join(
            _templates, _templates.c.id == _versions.c.template_id
        )
    )


def _withdrawals_of(conn: Connection, ids: Iterable[int]) -> dict[int, Withdrawal]:
    wanted = list(ids)
    if not wanted:
        return {}
    found: dict[int, Withdrawal] = {}
    rows = conn.execute(
        select(_withdrawals)
        .where(_withdrawals.c.consent_id.in_(wanted))
        .order_by(_withdrawals.c.id.desc())
    ).mappings()
    for row in rows:  # the first withdrawal recorded counts
        found[row["consent_id"]] = Withdrawal(
            withdrawn_on=row["withdrawn_on"],
            reason=row["reason"],
            recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"],
        )
    return found


def _consent(row: Mapping[str, Any], withdrawal: Withdrawal | None) -> Consent:
    template = TemplateVersion(
        id=row["template_version_id"],
        template_id=row["template_id"],
        key=row["key"],
        kind=ConsentKind(row["template_kind"]),
        language=row["language"],
        title=row["title"],
        version=row["version"],
        text=row["text"],
        sha256=row["sha256"],
        created_at=row["version_created_at"],
        created_by=row["version_created_by"],
    )
    answers = json.loads(row["answers"] or "{}")
    signature = Signature.from_json(json.loads(row["signature"])) if row["signature"] else None
    return Consent(
        id=row["id"],
        patient_id=row["patient_id"],
        kind=ConsentKind(row["kind"]),
        template=template,
        answers=tuple((u, bool(answers[u.value])) for u in PhotoUse if u.value in answers),
        method=ConsentMethod(row["method"]),
        signature=signature,
        signature_png=bytes(row["signature_png"] or b""),
        scan_sha256=row["scan_sha256"],
        scan_media_type=row["scan_media_type"],
        signed_at=row["signed_at"],
        witness=row["witness"],
        witness_account=row["witness_account"],
        withdrawal=withdrawal,
    )


def _build_all(conn: Connection, stmt: Select[Any]) -> list[Consent]:
    rows = list(conn.execute(stmt).mappings())
    withdrawn = _withdrawals_of(conn, (r["id"] for r in rows))
    return [_consent(r, withdrawn.get(r["id"])) for r in rows]


def one(conn: Connection, consent_id: int) -> Consent:
    found = _build_all(conn, _consent_select().where(_consents.c.id == consent_id))
    if not found:
        raise NotFound(f"no consent with id {consent_id}")
    return found[0]


def for_patient(conn: Connection, patient_id: int) -> list[Consent]:
    """A patient's consents, newest first (withdrawn ones included)."""
    return _build_all(
        conn,
        _consent_select()
        .where(_consents.c.patient_id == patient_id)
        .order_by(_consents.c.signed_at.desc(), _consents.c.id.desc()),
    )


def every(conn: Connection, patient_ids: Iterable[int] | None = None) -> Iterator[Consent]:
    """Every consent (or those of ``patient_ids``), by patient then oldest first
    (exports)."""
    stmt = _consent_select().order_by(_consents.c.patient_id, _consents.c.signed_at, _consents.c.id)
    if patient_ids is not None:
        stmt = stmt.where(_consents.c.patient_id.in_(list(patient_ids)))
    yield from _build_all(conn, stmt)


def scan_checksums(conn: Connection) -> set[str]:
    """The checksum of every paper scan a consent uses (files of the photo store)."""
    return set(
        conn.execute(
            select(_consents.c.scan_sha256).distinct().where(_consents.c.scan_sha256 != "")
        ).scalars()
    )


def scans(conn: Connection) -> list[tuple[int, str]]:
    """(consent id, scan checksum) of every paper consent (``check``)."""
    return [
        (int(i), str(s))
        for i, s in conn.execute(
            select(_consents.c.id, _consents.c.scan_sha256)
            .where(_consents.c.scan_sha256 != "")
            .order_by(_consents.c.id)
        )
    ]


# -- the setting and the gate ---------------------------------------------------------


def _session_days(conn: Connection, patient_id: int, leave_out: int | None) -> list[date]:
    stmt = select(_sessions.c.id, _sessions.c.performed_at).where(
        _sessions.c.patient_id == patient_id
    )
    return [at.date() for sid, at in conn.execute(stmt) if sid != leave_out]


def treatment_status(
    conn: Connection,
    patient_id: int,
    day: date,
    current: ConsentPolicy | None = None,
    leave_out: int | None = None,
) -> ConsentStatus:
    """Whether a treatment consent covers a session of ``patient_id`` on ``day``, judged
    with the clinic's policy (or ``current``) and course gap, among the patient's other
    sessions (``leave_out``: the session being judged, when it is stored)."""
    rule = current or consent_policy_in(conn)
    consents = [c for c in for_patient(conn, patient_id) if c.kind is ConsentKind.TREATMENT]
    start = course_start_for(
        _session_days(conn, patient_id, leave_out), day, protocol_in(conn).course_gap
    )
    found = treatment_consent_for(day, consents, start, rule)
    if found is not None:
        return ConsentStatus(found, "", rule.required)
    sentence = why_no_consent(day, consents, start, ConsentPolicy(True, rule.valid_months))
    return ConsentStatus(None, sentence, rule.required)


def photo_uses(conn: Connection, patient_id: int, today: date) -> PhotoUses | None:
    """The uses the latest photo consent answers (withdrawn: none), or None when the
    patient has signed no photo consent."""
    latest = next((c for c in for_patient(conn, patient_id) if c.kind is ConsentKind.PHOTO), None)
    if latest is None:
        return None
    if latest.withdrawal is not None and latest.is_withdrawn_on(today):
        return PhotoUses(
            frozenset(),
            UsesSource.WITHDRAWN,
            signed_on=latest.signed_on,
            withdrawn_on=latest.withdrawal.withdrawn_on,
            withdrawn_reason=latest.withdrawal.reason,
            consent_id=latest.id,
        )
    return PhotoUses(
        frozenset(u for u, yes in latest.answers if yes),
        UsesSource.CONSENT,
        signed_on=latest.signed_on,
        consent_id=latest.id,
    )
