"""The one writer of consent records: template versions, consents and withdrawals.

Every row is inserted once and never updated: an edited form is a new version, a
withdrawal is a row beside the consent. Each write appends its audit event in the
same transaction (the caller owns it: on any error nothing is written). The
signature strokes and image stay out of the audit trail (identifying, and large);
the event keeps a SHA-256 of the strokes instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select

from needlelog.domain.consent import (
    MAX_REASON_CHARS,
    ConsentKind,
    ConsentMethod,
    Signature,
    TemplateVersion,
    day_words,
    text_sha256,
)
from needlelog.domain.photos import PhotoUse
from needlelog.services import audit, consent_query
from needlelog.services.errors import InvalidConsent, NotFound
from needlelog.store import tables

_templates = tables.consent_templates
_versions = tables.consent_template_versions
_consents = tables.consents
_withdrawals = tables.consent_withdrawals
_patients = tables.patients


def save_template_version(
    conn: Connection,
    key: str,
    kind: ConsentKind,
    language: str,
    title: str,
    text: str,
    actor: str,
    now: datetime,
) -> int:
    """Insert the next version of the form ``key`` in ``language`` (the form itself
    when it is new); answers the version's id. A save that changes neither title nor
    text adds no version and answers the latest one."""
    template_id = consent_query.template_id_of(conn, key, language)
    if template_id is None:
        template_id = conn.execute(
            insert(_templates)
            .values(key=key, kind=kind.value, language=language, created_at=now, created_by=actor)
            .returning(_templates.c.id)
        ).scalar_one()
        number = 1
    else:
        latest = consent_query.versions(conn, template_id)[-1]
        if latest.kind is not kind:
            raise InvalidConsent(
                "kind",
                f"The form {key!r} ({language}) is a {latest.kind.label.lower()}; "
                "it cannot become another kind. Give the new form a key of its own.",
                kind.value,
            )
        if latest.title == title and latest.text == text:
            return latest.id
        number = latest.version + 1
    digest = text_sha256(text)
    version_id = conn.execute(
        insert(_versions)
        .values(
            template_id=template_id,
            version=number,
            title=title,
            text=text,
            sha256=digest,
            created_at=now,
            created_by=actor,
        )
        .returning(_versions.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor,
        "consent_template",
        int(version_id),
        "create",
        audit.created(
            {
                "template_id": int(template_id),
                "key": key,
                "kind": kind.value,
                "language": language,
                "title": title,
                "version": number,
                "sha256": digest,
            }
        ),
        at=now,
    )
    return int(version_id)


def _patient_exists(conn: Connection, patient_id: int) -> None:
    found = conn.execute(select(_patients.c.id).where(_patients.c.id == patient_id)).scalar()
    if found is None:
        raise NotFound(f"no patient with id {patient_id}")


def insert_consent(
    conn: Connection,
    patient_id: int,
    template: TemplateVersion,
    answers: Sequence[tuple[PhotoUse, bool]],
    method: ConsentMethod,
    signature: Signature | None,
    signature_png: bytes,
    scan_sha256: str,
    scan_media_type: str,
    signed_at: datetime,
    witness: str,
    witness_account: str,
    actor: str,
    now: datetime,
) -> int:
    """Insert a consent as signed; answers its id. The caller has checked the answers,
    the signature and the text shown."""
    _patient_exists(conn, patient_id)
    strokes = (
        ""
        if signature is None
        else json.dumps(signature.to_json(), separators=(",", ":"), sort_keys=True)
    )
    answer_json = json.dumps({u.value: yes for u, yes in answers}, sort_keys=True)
    consent_id = conn.execute(
        insert(_consents)
        .values(
            patient_id=patient_id,
            kind=template.kind.value,
            template_version_id=template.id,
            answers=answer_json,
            method=method.value,
            signature=strokes,
            signature_png=signature_png,
            scan_sha256=scan_sha256,
            scan_media_type=scan_media_type,
            signed_at=signed_at,
            witness=witness,
            witness_account=witness_account,
            created_at=now,
            created_by=actor,
        )
        .returning(_consents.c.id)
    ).scalar_one()
    changes = {
        "kind": template.kind.value,
        "template_version_id": template.id,
        "template": f"{template.key} ({template.language}) version {template.version}",
        "text_sha256": template.sha256,
        "answers": {u.value: yes for u, yes in answers},
        "method": method.value,
        "signed_at": signed_at,
        "witness": witness,
        "witness_account": witness_account,
    }
    if strokes:
        changes["signature_sha256"] = hashlib.sha256(strokes.encode("utf-8")).hexdigest()
    if scan_sha256:
        changes["scan_sha256"] = scan_sha256
        changes["scan_media_type"] = scan_media_type
    action = "sign" if method is ConsentMethod.ON_SCREEN else "record_paper"
    audit.append(
        conn,
        actor,
        "consent",
        int(consent_id),
        action,
        audit.created(changes),
        at=now,
        patient_id=patient_id,
    )
    return int(consent_id)


def withdraw(
    conn: Connection,
    consent_id: int,
    withdrawn_on: date,
    reason: str,
    actor: str,
    now: datetime,
    today: date,
) -> None:
    """Add a withdrawal beside a consent (refused for one already withdrawn, a date
    before it was signed or after today, or a reason too long)."""
    consent = consent_query.one(conn, consent_id)
    what = consent.kind.label.lower()
    if consent.withdrawal is not None:
        raise InvalidConsent(
            "withdrawn_on",
            f"This {what} was already withdrawn on "
            f"{day_words(consent.withdrawal.withdrawn_on)}; nothing was changed.",
        )
    if withdrawn_on < consent.signed_on:
        raise InvalidConsent(
            "withdrawn_on",
            f"A {what} signed on {day_words(consent.signed_on)} cannot be withdrawn "
            f"before that ({day_words(withdrawn_on)}).",
            withdrawn_on,
        )
    if withdrawn_on > today:
        raise InvalidConsent(
            "withdrawn_on",
            f"The withdrawal date {day_words(withdrawn_on)} is in the future; record a "
            "withdrawal on the day the patient gives it.",
            withdrawn_on,
        )
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidConsent(
            "reason", f"The reason is longer than {MAX_REASON_CHARS:,} characters.", reason
        )
    conn.execute(
        insert(_withdrawals).values(
            consent_id=consent_id,
            withdrawn_on=withdrawn_on,
            reason=reason.strip(),
            recorded_by=actor,
            recorded_at=now,
        )
    )
    audit.append(
        conn,
        actor,
        "consent",
        consent_id,
        "withdraw",
        audit.created({"withdrawn_on": withdrawn_on, "reason": reason.strip()}),
        at=now,
        patient_id=consent.patient_id,
    )


def remove_made_up(conn: Connection, patient_ids: list[int]) -> None:
    """Delete every consent of these patients with its withdrawals: only for the demo
    clinic's made-up records (a patient's consents are never deleted)."""
    of = _consents.c.patient_id.in_(patient_ids)
    ids = select(_consents.c.id).where(of).scalar_subquery()
    conn.execute(delete(_withdrawals).where(_withdrawals.c.consent_id.in_(ids)))
    conn.execute(delete(_consents).where(of))
