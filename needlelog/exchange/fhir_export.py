"""Write the records as a FHIR R4 ``Bundle`` of type ``collection``.

Per patient: ``Patient``. Per session: one ``Encounter``, one ``Procedure``
(body sites with their needle depth, notes, complications, products and
the pen used), ``Medication`` resources for serums and numbing with their
lot numbers, a ``Device`` for the pen and cartridge, and ``Observation``s
for reactions, pain and the named scores; per photo, a ``Media``
(``exchange.photo_records``); per consent, a ``Consent``, with the clinic as one
``Organization`` (``exchange.consent_records``). Ids are stable UUIDs derived
from the database ids, so two exports of the same records agree.
Local codes use ``urn:needlelog:*`` systems with the public codes of the
CSV format.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.codes import Grade
from needlelog.domain.records import TreatmentSession
from needlelog.exchange import consent_records, photo_records, source
from needlelog.exchange.files import Progress, atomic_path
from needlelog.services import access, disclosures, photos, session_query
from needlelog.services.mapping import GAIS, GOODMAN_BARON, SATISFACTION, VSS, VSS_ITEMS
from needlelog.services.settings import get_clinic
from needlelog.store.database import Database

NS = uuid.UUID("6f0c5a64-5a8e-4e3b-9a55-2f1d6b1c7e01")
SYSTEM_RECORD_NO = "urn:needlelog:record-no"
SYSTEM_AREA = "urn:needlelog:area"
SYSTEM_INDICATION = "urn:needlelog:indication"
SYSTEM_SCALE = "urn:needlelog:scale"
SYSTEM_OBSERVATION = "urn:needlelog:observation"
EXT_DEPTH = "urn:needlelog:fhir:needle-depth"
EXT_PASSES = "urn:needlelog:fhir:passes"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

SCALE_TITLES = {
    GOODMAN_BARON[0]: "Goodman & Baron qualitative acne scar grade",
    GAIS[0]: "Global Aesthetic Improvement Scale (GAIS)",
    SATISFACTION[0]: "Patient satisfaction (0-10)",
    VSS[0]: "Vancouver Scar Scale",
}


@dataclass(frozen=True)
class FhirExportResult:
    path: Path
    patients: int
    sessions: int
    resources: int


def urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NS, f'{kind}/{key}')}"


def _id(full_url: str) -> str:
    return full_url.removeprefix("urn:uuid:")


def _instant(value: datetime) -> str:
    """FHIR dateTime with a time needs a zone: stored times are the clinic's local time."""
    return value.astimezone().isoformat()


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    resource = {"resourceType": resource.pop("resourceType"), "id": _id(full_url), **resource}
    return {"fullUrl": full_url, "resource": resource}


def patient_resource(p: source.StoredPatient) -> dict[str, Any]:
    d = p.data
    telecom = []
    if d.phone:
        telecom.append({"system": "phone", "value": d.phone})
    if d.email:
        telecom.append({"system": "email", "value": d.email})
    name: dict[str, Any] = {"family": d.family_name}
    if d.given_name:
        name["given"] = [d.given_name]
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM_RECORD_NO, "value": d.record_no}],
        "active": not p.archived,
        "name": [name],
    }
    if telecom:
        res["telecom"] = telecom
    if d.sex is not None:
        res["gender"] = d.sex.value
    if d.date_of_birth is not None:
        res["birthDate"] = d.date_of_birth.isoformat()
    return res


CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
SYSTEM_CONTRAINDICATION = "urn:needlelog:contraindication"


def patient_findings(p: source.StoredPatient, patient_url: str) -> Iterator[tuple[str, dict]]:
    """Skin type as an Observation, known contraindications as Conditions."""
    d = p.data
    if d.fitzpatrick is not None:
        yield (
            urn("fitzpatrick", p.id),
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {
                    "coding": [{"system": SYSTEM_SCALE, "code": "fitzpatrick"}],
                    "text": "Fitzpatrick skin type (1-6)",
                },
                "subject": {"reference": patient_url},
                "valueInteger": d.fitzpatrick,
            },
        )
    for item in d.contraindications:
        yield (
            urn("condition", f"{p.id}/{item.value}"),
            {
                "resourceType": "Condition",
                "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                "code": {
                    "coding": [{"system": SYSTEM_CONTRAINDICATION, "code": item.value}],
                    "text": item.label,
                },
                "subject": {"reference": patient_url},
            },
        )


def _observation(
    key: str, subject: str, encounter: str, procedure: str, when: str, code: dict, value: dict
) -> tuple[str, dict[str, Any]]:
    return key, {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam", "display": "Exam"}]}],
        "code": code,
        "subject": {"reference": subject},
        "encounter": {"reference": encounter},
        "partOf": [{"reference": procedure}],
        "effectiveDateTime": when,
        **value,
    }


def session_resources(s: TreatmentSession, patient_url: str) -> Iterator[tuple[str, dict]]:
    d = s.data
    when = _instant(d.performed_at)
    enc = urn("encounter", s.id)
    proc = urn("procedure", s.id)
    performer = {"actor": {"display": d.practitioner}}
    yield (
        enc,
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "subject": {"reference": patient_url},
            "participant": [{"individual": {"display": d.practitioner}}],
            "period": {"start": when, "end": when},
            "reasonCode": [
                {"coding": [{"system": SYSTEM_INDICATION, "code": i.value}], "text": i.label}
                for i in d.indications
            ]
            or None,
        },
    )
    used: list[dict[str, Any]] = []
    for n, p in enumerate(d.products):
        med = urn("medication", f"{s.id}/{n}")
        batch: dict[str, Any] = {}
        if p.lot:
            batch["lotNumber"] = p.lot
        if p.expiry:
            batch["expirationDate"] = p.expiry.isoformat()
        res: dict[str, Any] = {"resourceType": "Medication", "code": {"text": p.name}}
        if batch:
            res["batch"] = batch
        used.append({"reference": med, "display": p.name})
        yield med, res
    if d.numbing is not None:
        med = urn("numbing", s.id)
        used.append({"reference": med, "display": f"{d.numbing.product} ({d.numbing.minutes} min)"})
        yield med, {"resourceType": "Medication", "code": {"text": d.numbing.product}}
    if d.device or d.cartridge_lot or d.cartridge_needles:
        dev = urn("device", s.id)
        res = {"resourceType": "Device", "deviceName": []}
        if d.device:
            res["deviceName"].append({"name": d.device, "type": "user-friendly-name"})
        if d.cartridge_lot:
            res["lotNumber"] = d.cartridge_lot
        if d.cartridge_needles:
            res["property"] = [
                {
                    "type": {"text": "cartridge needles"},
                    "valueQuantity": [{"value": d.cartridge_needles, "unit": "needles"}],
                }
            ]
        if d.pen_speed:
            res.setdefault("property", []).append(
                {"type": {"text": "pen speed setting"}, "valueQuantity": [{"value": d.pen_speed}]}
            )
        if not res["deviceName"]:
            del res["deviceName"]
        used.append({"reference": dev, "display": d.device or "microneedling pen"})
        yield dev, res

    sites = []
    for a in d.areas:
        label = a.label if a.label else a.area.label
        ext: list[dict[str, Any]] = [
            {
                "url": EXT_DEPTH,
                "valueQuantity": {
                    "value": float(a.depth_mm),
                    "unit": "mm",
                    "system": UCUM,
                    "code": "mm",
                },
            }
        ]
        if a.passes is not None:
            ext.append({"url": EXT_PASSES, "valueInteger": a.passes})
        sites.append(
            {
                "extension": ext,
                "coding": [{"system": SYSTEM_AREA, "code": a.area.value, "display": a.area.label}],
                "text": f"{label}, {a.depth_mm:.2f} mm",
            }
        )
    notes = [{"text": d.notes}] if d.notes else []
    notes.append(
        {
            "text": "Needle depth per area: "
            + "; ".join(f"{a.label or a.area.label} {a.depth_mm:.2f} mm" for a in d.areas)
        }
    )
    if d.override_reason:
        notes.append({"text": f"Treated despite contraindication: {d.override_reason}"})
    complications = []
    if d.adverse_events:
        complications.append({"text": d.adverse_events})
    if d.acne_flare:
        complications.append({"text": "Acne flare"})
    for what, grade in (("redness", d.redness), ("bruising", d.bruising), ("swelling", d.swelling)):
        if grade is Grade.SEVERE:
            complications.append({"text": f"Severe {what}"})
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"text": "Microneedling (collagen induction therapy)"},
        "subject": {"reference": patient_url},
        "encounter": {"reference": enc},
        "performedDateTime": when,
        "performer": [performer],
        "reasonCode": [
            {"coding": [{"system": SYSTEM_INDICATION, "code": i.value}], "text": i.label}
            for i in d.indications
        ],
        "bodySite": sites,
        "note": notes,
        "complication": complications,
        "usedReference": used,
    }
    if d.next_due:
        procedure["followUp"] = [{"text": f"Next session due {d.next_due.isoformat()}"}]
    yield proc, {k: v for k, v in procedure.items() if v not in ([], None)}

    def obs(key: str, code: dict, value: dict) -> tuple[str, dict[str, Any]]:
        return _observation(
            urn("observation", f"{s.id}/{key}"), patient_url, enc, proc, when, code, value
        )

    for what, grade in (("redness", d.redness), ("bruising", d.bruising), ("swelling", d.swelling)):
        if grade is not None:
            yield obs(
                what,
                {"coding": [{"system": SYSTEM_OBSERVATION, "code": what}], "text": what.title()},
                {"valueCodeableConcept": {"text": grade.word}},
            )
    if d.pain is not None:
        yield obs(
            "pain",
            {
                "coding": [{"system": SYSTEM_OBSERVATION, "code": "pain"}],
                "text": "Pain during treatment (0-10)",
            },
            {"valueInteger": d.pain},
        )
    for (scale, version), value in (
        (GOODMAN_BARON, d.scar_grade),
        (GAIS, d.gais),
        (SATISFACTION, d.satisfaction),
    ):
        if value is not None:
            yield obs(
                scale,
                {
                    "coding": [{"system": SYSTEM_SCALE, "version": version, "code": scale}],
                    "text": SCALE_TITLES[scale],
                },
                {"valueInteger": value},
            )
    if d.vss is not None:
        yield obs(
            VSS[0],
            {
                "coding": [{"system": SYSTEM_SCALE, "version": VSS[1], "code": VSS[0]}],
                "text": SCALE_TITLES[VSS[0]],
            },
            {
                "valueInteger": d.vss.total,
                "component": [
                    {
                        "code": {"coding": [{"system": SYSTEM_SCALE, "code": f"{VSS[0]}.{i}"}]},
                        "valueInteger": getattr(d.vss, i),
                    }
                    for i in VSS_ITEMS
                ],
            },
        )


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if v not in (None, [], {}, "")}


def export_fhir(
    db: Database, out: Path, record_no: str | None = None, progress: Progress | None = None
) -> FhirExportResult:
    access.require(db, Permission.EXPORT)  # refused before any file is begun
    clinic_name = get_clinic(db).name  # the consents' organization
    store = photos.photo_store(db)  # paper scans: their hash
    patients = sessions = resources = 0
    with db.read() as s, atomic_path(out) as temp, open(temp, "w", encoding="utf-8") as handle:
        conn = s.connection()
        total = sum(source.count(conn, record_no))
        bundle_id = str(uuid.uuid4())
        handle.write(
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "id": bundle_id,
                    "type": "collection",
                    "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
                }
            )[:-1]
            + ',\n"entry": ['
        )

        def write(full_url: str, resource: dict[str, Any]) -> None:
            nonlocal resources
            text = json.dumps(_entry(full_url, _clean(resource)), ensure_ascii=False)
            handle.write(("\n" if resources == 0 else ",\n") + text)
            resources += 1

        patient_ids: list[int] = []  # whose consents follow
        for p in source.iter_patients(conn, record_no):
            patient_ids.append(p.id)
            write(urn("patient", p.id), patient_resource(p))
            for full_url, resource in patient_findings(p, urn("patient", p.id)):
                write(full_url, resource)
            patients += 1
            if progress is not None and patients % 1000 == 0:
                progress(patients, total)
        for exported in session_query.every(conn, record_no, source.BATCH):
            stored = exported.session
            for full_url, resource in session_resources(stored, urn("patient", stored.patient_id)):
                write(full_url, resource)
            sessions += 1
            if progress is not None and sessions % 1000 == 0:
                progress(patients + sessions, total)
        for full_url, resource in photo_records.media_resources(conn, record_no, urn, _instant):
            write(full_url, resource)
        for full_url, resource in consent_records.fhir_resources(
            conn, patient_ids, urn, clinic_name, store
        ):
            write(full_url, resource)
        handle.write("\n]}\n")
        if progress is not None:  # last chance to cancel: nothing is in place yet
            progress(patients + sessions, patients + sessions)
    disclosures.log(
        db, config.current_user(), disclosures.EXPORT, what=f"FHIR to {out}", record_no=record_no
    )
    return FhirExportResult(out, patients, sessions, resources)
