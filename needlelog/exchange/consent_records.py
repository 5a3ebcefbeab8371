"""Consents in the JSON and FHIR exports (docs/json-format.md, CONSENT).

JSON: the consent forms' versions once each (``consent_templates``: the exact
text, its SHA-256, version and language) and one item per consent naming the
version signed, with the answers, the signature strokes and their image (base64),
the method, a paper scan's checksum, the witness, the time and a withdrawal.
A paper scan is a file of the photo store: it travels beside the export with the
photos (``needlelog-photos/``).

FHIR R4: one ``Consent`` per consent, linked to the patient, with the clinic as
``organization`` (one ``Organization``), the signed text (or the paper scan's
hash) as ``sourceAttachment`` and, for photo consent, one nested provision per
use of the photographs (permit or deny).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from needlelog.domain.consent import (
    Consent,
    ConsentKind,
    ConsentMethod,
    TemplateVersion,
)
from needlelog.domain.photos import PhotoUse
from needlelog.services import consent_query
from needlelog.store.photo_files import PhotoStore

SYSTEM_USE = "urn:needlelog:photo-use"
SYSTEM_KIND = "urn:needlelog:consent-kind"
SYSTEM_TEXT_SHA256 = "urn:needlelog:consent-text-sha256"
SYSTEM_SCAN_SHA256 = "urn:needlelog:consent-scan-sha256"
EXT_WITNESS = "urn:needlelog:fhir:consent-witness"
EXT_METHOD = "urn:needlelog:fhir:consent-method"
SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
LOINC = "http://loinc.org"
BATCH = 500  # patients whose consents are read at once (signature images are large)

# What each use of the photographs does with them, in FHIR's consent actions.
_USE_ACTION = {
    PhotoUse.CLINICAL_RECORD: ("collect", "Collect"),
    PhotoUse.OWN_REPORT: ("disclose", "Disclose"),
    PhotoUse.TEACHING: ("use", "Use"),
    PhotoUse.PUBLICATION: ("disclose", "Disclose"),
}


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def version_json(v: TemplateVersion) -> dict[str, Any]:
    return {
        "key": v.key,
        "kind": v.kind.value,
        "language": v.language,
        "title": v.title,
        "version": v.version,
        "text": v.text,
        "sha256": v.sha256,
        "created_at": _iso(v.created_at),
        "created_by": v.created_by,
    }


def template_ref(v: TemplateVersion) -> dict[str, Any]:
    """How a consent names the version signed (an item of ``consent_templates``)."""
    return {"key": v.key, "language": v.language, "version": v.version, "sha256": v.sha256}


def consent_json(record_no: str, c: Consent) -> dict[str, Any]:
    w = c.withdrawal
    return {
        "id": c.id,
        "record_no": record_no,
        "kind": c.kind.value,
        "template": template_ref(c.template),
        "answers": {u.value: yes for u, yes in c.answers},
        "method": c.method.value,
        "signature": None if c.signature is None else c.signature.to_json(),
        "signature_png": base64.b64encode(c.signature_png).decode("ascii"),
        "scan_sha256": c.scan_sha256,
        "scan_media_type": c.scan_media_type,
        "signed_at": c.signed_at.isoformat(),
        "witness": c.witness,
        "witness_account": c.witness_account,
        "withdrawal": None
        if w is None
        else {
            "withdrawn_on": w.withdrawn_on.isoformat(),
            "reason": w.reason,
            "recorded_by": w.recorded_by,
            "recorded_at": _iso(w.recorded_at),
        },
    }


def _of_patients(conn: Connection, patient_ids: Iterable[int] | None) -> Iterator[Consent]:
    """Every consent (or those of ``patient_ids``), read a batch of patients at a time."""
    ids = list(patient_ids) if patient_ids is not None else None
    if ids is None:
        yield from consent_query.every(conn)
        return
    for start in range(0, len(ids), BATCH):
        yield from consent_query.every(conn, ids[start : start + BATCH])


def exported(
    conn: Connection, record_nos: dict[int, str], whole: bool
) -> tuple[list[TemplateVersion], Iterator[tuple[str, Consent]]]:
    """The form versions to write (every version for a whole export; else every version
    of the forms the patients' consents name, so numbers come back as they were) and
    (record number, consent) of the exported patients' consents."""
    versions: dict[int, TemplateVersion] = {}
    if whole:
        for template in consent_query.templates(conn):
            for v in consent_query.versions(conn, template.id):
                versions[v.id] = v
    else:
        used = {c.template.template_id for c in _of_patients(conn, record_nos)}
        for template_id in sorted(used):
            for v in consent_query.versions(conn, template_id):
                versions[v.id] = v
    ordered = sorted(versions.values(), key=lambda v: (v.key, v.language, v.version))

    def items() -> Iterator[tuple[str, Consent]]:
        for c in _of_patients(conn, record_nos):
            number = record_nos.get(c.patient_id)
            if number is not None:
                yield number, c

    return ordered, items()


# -- FHIR R4 ---------------------------------------------------------------------------


def _utc(value: datetime) -> str:
    """Consent times are stored as naive UTC."""
    return value.replace(tzinfo=UTC).isoformat()


def _sha1_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


def _source_attachment(c: Consent, store: PhotoStore | None) -> dict[str, Any]:
    v = c.template
    if c.method is ConsentMethod.PAPER and c.scan_sha256:
        attachment: dict[str, Any] = {
            "contentType": c.scan_media_type or "application/octet-stream",
            "title": f"Scan of the signed paper consent: {v.label}",
            "creation": _utc(c.signed_at),
        }
        if store is not None and store.has(c.scan_sha256):
            data = store.read(c.scan_sha256)
            attachment["hash"] = _sha1_b64(data)
            attachment["size"] = len(data)
        return attachment
    text = v.text.encode("utf-8")
    return {
        "contentType": "text/plain; charset=utf-8",
        "language": v.language,
        "data": base64.b64encode(text).decode("ascii"),
        "hash": _sha1_b64(text),
        "size": len(text),
        "title": v.label,
        "creation": _utc(v.created_at),
    }


def _provision(c: Consent) -> dict[str, Any]:
    period: dict[str, Any] = {"start": _utc(c.signed_at)}
    if c.withdrawal is not None:
        period["end"] = c.withdrawal.withdrawn_on.isoformat()
    provision: dict[str, Any] = {"type": "permit", "period": period}
    if c.kind is ConsentKind.PHOTO:
        provision["provision"] = [
            {
                "type": "permit" if yes else "deny",
                "action": [
                    {
                        "coding": [
                            {
                                "system": ACTION,
                                "code": _USE_ACTION[use][0],
                                "display": _USE_ACTION[use][1],
                            }
                        ]
                    }
                ],
                "code": [
                    {
                        "coding": [{"system": SYSTEM_USE, "code": use.value}],
                        "text": use.label,
                    }
                ],
            }
            for use, yes in c.answers
        ]
    return provision


def consent_resource(
    c: Consent,
    patient_url: str,
    organization_url: str,
    store: PhotoStore | None = None,
) -> dict[str, Any]:
    """An R4 ``Consent`` of one consent: active, or inactive once withdrawn."""
    treatment = c.kind is ConsentKind.TREATMENT
    identifiers = [{"system": SYSTEM_TEXT_SHA256, "value": c.template.sha256}]
    if c.scan_sha256:
        identifiers.append({"system": SYSTEM_SCAN_SHA256, "value": c.scan_sha256})
    extension: list[dict[str, Any]] = [{"url": EXT_METHOD, "valueCode": c.method.value}]
    if c.witness:
        extension.insert(0, {"url": EXT_WITNESS, "valueString": c.witness})
    return {
        "resourceType": "Consent",
        "extension": extension,
        "identifier": identifiers,
        "status": "inactive" if c.withdrawal is not None else "active",
        "scope": {
            "coding": [
                {"system": SCOPE, "code": "treatment", "display": "Treatment"}
                if treatment
                else {"system": SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}
            ]
        },
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]},
            {"coding": [{"system": SYSTEM_KIND, "code": c.kind.value}], "text": c.kind.label},
        ],
        "patient": {"reference": patient_url},
        "dateTime": _utc(c.signed_at),
        "performer": [{"reference": patient_url}],
        "organization": [{"reference": organization_url}],
        "sourceAttachment": _source_attachment(c, store),
        "policy": [
            {
                "uri": f"urn:needlelog:consent-form:{c.template.key}:{c.template.language}:"
                f"{c.template.version}"
            }
        ],
        "provision": _provision(c),
    }


def organization_resource(name: str) -> dict[str, Any]:
    return {"resourceType": "Organization", "active": True, "name": name or "Clinic"}


def fhir_resources(
    conn: Connection,
    patient_ids: Iterable[int] | None,
    urn: Callable[[str, object], str],
    clinic_name: str,
    store: PhotoStore | None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(full URL, resource): the clinic's ``Organization`` (when there is a consent) and
    a ``Consent`` per consent of ``patient_ids`` (None: every patient)."""
    organization = urn("organization", "clinic")
    first = True
    for c in _of_patients(conn, patient_ids):
        if first:
            yield organization, organization_resource(clinic_name)
            first = False
        yield (
            urn("consent", c.id),
            consent_resource(c, urn("patient", c.patient_id), organization, store),
        )
