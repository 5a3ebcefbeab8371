"""Write the full record set as one JSON document (docs/json-format.md).

Written as a stream (patients, then sessions, one item at a time), so even
a very large clinic's archive needs little memory to produce.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from needlelog import __version__, config
from needlelog.domain.accounts import Permission
from needlelog.domain.consent import Consent
from needlelog.domain.records import TreatmentSession
from needlelog.exchange import consent_records, photo_backup, photo_records, source
from needlelog.exchange.files import Progress, atomic_path
from needlelog.services import access, disclosures, photos, session_query
from needlelog.services.mapping import score_rows
from needlelog.services.settings import all_values
from needlelog.store.database import Database
from needlelog.store.migrate import current_revision

FORMAT = "needlelog-records"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class JsonExportResult:
    path: Path
    patients: int
    sessions: int
    photos: int = 0  # originals beside the file, in needlelog-photos/ (as beside a backup)
    photos_copied: int = 0  # of which new in that folder
    photos_missing: tuple[str, ...] = ()  # listed, but not in the photo store (check says so)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def patient_json(p: source.StoredPatient) -> dict[str, Any]:
    d = p.data
    return {
        "id": p.id,
        "record_no": d.record_no,
        "family_name": d.family_name,
        "given_name": d.given_name,
        "date_of_birth": _iso(d.date_of_birth),
        "sex": d.sex.value if d.sex else None,
        "phone": d.phone,
        "email": d.email,
        "fitzpatrick": d.fitzpatrick,
        "contraindications": [c.value for c in d.contraindications],
        "notes": d.notes,
        "planned_sessions": d.planned_sessions,
        "archived": p.archived,
        "created_at": _iso(p.created_at),
        "updated_at": _iso(p.updated_at),
        "version": p.version,
    }


def session_json(e: session_query.Exported) -> dict[str, Any]:
    s = e.session
    d = s.data
    return {
        "id": s.id,
        "record_no": e.record_no,
        "performed_at": d.performed_at.isoformat(),
        "practitioner": d.practitioner,
        "indications": [i.value for i in d.indications],
        "areas": [
            {
                "area": a.area.value,
                "label": a.label,
                "depth_mm": f"{a.depth_mm:.2f}",
                "passes": a.passes,
                "endpoint": a.endpoint.value if a.endpoint else None,
            }
            for a in d.areas
        ],
        "device": d.device,
        "cartridge_needles": d.cartridge_needles,
        "cartridge_lot": d.cartridge_lot,
        "pen_speed": d.pen_speed,
        "numbing": (
            None
            if d.numbing is None
            else {"product": d.numbing.product, "minutes": d.numbing.minutes}
        ),
        "products": [{"name": p.name, "lot": p.lot, "expiry": _iso(p.expiry)} for p in d.products],
        "redness": d.redness.word if d.redness is not None else None,
        "bruising": d.bruising.word if d.bruising is not None else None,
        "swelling": d.swelling.word if d.swelling is not None else None,
        "pinpoint_bleeding": d.pinpoint_bleeding,
        "acne_flare": d.acne_flare,
        "adverse_events": d.adverse_events,
        "pain": d.pain,
        "scores": score_rows(d),
        "notes": d.notes,
        "aftercare_given": d.aftercare_given,
        "next_due": _iso(d.next_due),
        "screening": [
            {"item": a.item.value, "present": a.present, "since": _iso(a.since)}
            | ({"detail": a.detail} if a.detail else {})
            for a in d.screening
        ],
        "cautions_acknowledged": d.cautions_acknowledged,
        "override_reason": d.override_reason,
        "screening_list": d.screening_list,
        "screening_attested_by": d.screening_attested_by,
        "screening_attested_at": _iso(d.screening_attested_at),
        "created_at": _iso(s.created_at),
        "updated_at": _iso(s.updated_at),
        "version": s.version,
        **_standing(s),
    }


def _standing(t: TreatmentSession) -> dict[str, Any]:
    """The session's standing as a record: its signature, addenda and import mark."""
    sig = t.signature
    return {
        "status": t.status.value,
        "signature": None
        if sig is None
        else {
            "name": sig.name, "role": sig.role, "account_id": sig.account_id,
            "at": sig.at.isoformat(), "meaning": sig.meaning, "sha256": sig.content_sha256,
        },
        "addenda": [
            {"at": a.at.isoformat(), "author": a.author, "role": a.author_role,
             "reason": a.reason, "text": a.text, "corrections": a.corrections}
            for a in t.addenda
        ],
        "imported": None
        if t.imported is None
        else {"by": t.imported.by, "at": t.imported.at.isoformat()},
    }  # fmt: skip


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _write_list(out: IO[str], key: str, items: Iterable[dict[str, Any]], tick: Any) -> int:
    out.write(f',\n"{key}": [')
    n = 0
    for item in items:
        out.write(("\n" if n == 0 else ",\n") + _dump(item))
        n += 1
        tick()
    out.write("\n]")
    return n


def export_json(
    db: Database, out: Path, record_no: str | None = None, progress: Progress | None = None
) -> JsonExportResult:
    access.require(db, Permission.EXPORT)  # refused before any file is begun
    revision = current_revision(db)
    store = photos.photo_store(db)
    checksums: set[str] = set()
    with db.read() as s, atomic_path(out) as temp, open(temp, "w", encoding="utf-8") as handle:
        conn = s.connection()
        total = sum(source.count(conn, record_no))
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None and done % 1000 == 0:
                progress(done, total)

        head = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "schema_revision": revision,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "scope": "all" if record_no is None else {"record_no": record_no},
            "settings": all_values(s) if record_no is None else {},
        }
        handle.write(_dump(head)[:-1])
        record_nos: dict[int, str] = {}  # whose consents go with them
        patients = _write_list(
            handle,
            "patients",
            (_noted(p, record_nos) for p in source.iter_patients(conn, record_no)),
            tick,
        )
        sessions = _write_list(
            handle,
            "sessions",
            (session_json(x) for x in session_query.every(conn, record_no, source.BATCH)),
            tick,
        )
        counts = {"patients": patients, "sessions": sessions}
        counts["photos"] = _write_list(
            handle, "photos", _noting(photo_records.json_items(conn, record_no), checksums), tick
        )
        _write_list(handle, "photo_uses", photo_records.json_uses(conn, record_no), tick)
        forms, signed = consent_records.exported(conn, record_nos, whole=record_no is None)
        _write_list(
            handle, "consent_templates", (consent_records.version_json(v) for v in forms), tick
        )
        counts["consents"] = _write_list(handle, "consents", _with_scans(signed, checksums), tick)
        if record_no is None:  # the trail of the whole record set, for auditors
            counts["audit_events"] = _write_list(handle, "audit", source.iter_audit(conn), tick)
        handle.write(f',\n"counts": {_dump(counts)}\n}}\n')
        if progress is not None:  # last chance to cancel: nothing is in place yet
            progress(done, done)
        # the originals (photos, paper scans) go beside the file before it is in place:
        # an archive that names a file carries it (an import brings it back from there)
        beside = photo_backup.copy_listed(store, sorted(checksums), out)
    disclosures.log(
        db, config.current_user(), disclosures.EXPORT, what=f"JSON to {out}", record_no=record_no
    )
    if beside is None:
        return JsonExportResult(out, patients, sessions)
    return JsonExportResult(
        out, patients, sessions, len(beside.listed), beside.copied, beside.missing
    )


def _noted(p: source.StoredPatient, record_nos: dict[int, str]) -> dict[str, Any]:
    record_nos[p.id] = p.data.record_no
    return patient_json(p)


def _with_scans(
    signed: Iterator[tuple[str, Consent]], checksums: set[str]
) -> Iterator[dict[str, Any]]:
    """The consent items, each paper scan's checksum noted (it goes beside the file)."""
    for number, consent in signed:
        if consent.scan_sha256:
            checksums.add(consent.scan_sha256)
        yield consent_records.consent_json(number, consent)


def _noting(items: Iterable[dict[str, Any]], checksums: set[str]) -> Iterator[dict[str, Any]]:
    """The photo items, each one's checksum noted on the way."""
    for item in items:
        checksums.add(item["sha256"])
        yield item
