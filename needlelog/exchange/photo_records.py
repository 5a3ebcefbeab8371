"""Photographs in the JSON and FHIR exports: metadata and checksums, never pixels.

JSON: one item per photo (docs/json-format.md, PHOTO) and the uses each patient
agreed to. FHIR R4: one ``Media`` per photo in use, linked to the patient, the
session's encounter and procedure; the original is named by its SHA-256 in an
identifier (FHIR's own ``Attachment.hash`` is a SHA-1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from needlelog.domain.photos import Photo
from needlelog.services import photo_query

SYSTEM_VIEW = "urn:needlelog:photo-view"
SYSTEM_SHA256 = "urn:needlelog:photo-sha256"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def photo_json(record_no: str, p: Photo) -> dict[str, Any]:
    c = p.capture
    return {
        "id": p.id,
        "record_no": record_no,
        "session_id": p.session_id,
        "performed_on": p.performed_on.isoformat(),
        "view": p.view,
        "timing": p.timing,
        "sha256": p.sha256,
        "original_name": p.original_name,
        "ext": p.ext,
        "media_type": p.media_type,
        "byte_size": p.byte_size,
        "width": p.width,
        "height": p.height,
        "orientation": p.orientation,
        "capture": {
            "flash_fired": c.flash_fired,
            "exposure_time_s": c.exposure_time_s,
            "f_number": c.f_number,
            "iso": c.iso,
            "focal_length_mm": c.focal_length_mm,
            "taken_at": _iso(c.taken_at),
            "camera": c.camera,
        },
        "landmarks": None
        if p.landmarks is None
        else {
            "x1": p.landmarks.x1,
            "y1": p.landmarks.y1,
            "x2": p.landmarks.x2,
            "y2": p.landmarks.y2,
        },
        "created_at": _iso(p.created_at),
        "created_by": p.created_by,
        "withdrawn": None
        if not p.withdrawn
        else {"at": _iso(p.withdrawn_at), "by": p.withdrawn_by, "reason": p.withdrawn_reason},
    }


def json_items(conn: Connection, record_no: str | None) -> Iterator[dict[str, Any]]:
    for number, photo in photo_query.exported(conn, record_no):
        yield photo_json(number, photo)


def json_uses(conn: Connection, record_no: str | None) -> Iterator[dict[str, Any]]:
    for number, uses in photo_query.exported_uses(conn, record_no):
        yield {"record_no": number, "uses": sorted(u.value for u in uses.agreed)}


def media_resources(
    conn: Connection,
    record_no: str | None,
    urn: Callable[[str, object], str],
    instant: Callable[[datetime], str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(full URL, Media) for every photo in use, linked by the URNs the bundle gives the
    patient (``urn("patient", id)``), encounter and procedure (by session id)."""
    for _number, p in photo_query.exported(conn, record_no):
        if p.withdrawn:
            continue
        created = p.capture.taken_at or p.created_at
        media: dict[str, Any] = {
            "resourceType": "Media",
            "identifier": [{"system": SYSTEM_SHA256, "value": p.sha256}],
            "status": "completed",
            "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
            "view": {
                "coding": [{"system": SYSTEM_VIEW, "code": p.view}],
                "text": f"{p.view_label}, {p.timing} treatment",
            },
            "subject": {"reference": urn("patient", p.patient_id)},
            "encounter": {"reference": urn("encounter", p.session_id)},
            "partOf": [{"reference": urn("procedure", p.session_id)}],
            "createdDateTime": instant(created) if created else None,
            "deviceName": p.capture.camera or None,
            "height": p.height,
            "width": p.width,
            "content": {
                "contentType": p.media_type,
                "size": p.byte_size,
                "title": p.export_name,
            },
        }
        yield urn("media", p.id), {k: v for k, v in media.items() if v is not None}
