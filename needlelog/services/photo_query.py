"""The one reader of photo records (and of the photo uses a patient agreed to).

Every reader of photos (the window, the report, the exports, the backup,
``check``) goes through these functions, inside a transaction opened by
``services.photos``. Functions take an open SQLAlchemy ``Connection``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from needlelog.domain.photos import (
    CaptureInfo,
    Landmarks,
    Photo,
    PhotoProtocol,
    PhotoUse,
    PhotoUses,
    UsesSource,
    ViewPair,
)
from needlelog.services import clock, consent_query, settings
from needlelog.services.errors import NotFound
from needlelog.store import tables

PROTOCOL_KEY = "photo_protocol"
FOLDER_KEY = "photo_folder"

_photos = tables.photos
_sessions = tables.treatment_sessions
_uses = tables.patient_photo_uses


def _base() -> Select[Any]:
    return select(
        _photos,
        _sessions.c.patient_id,
        _sessions.c.performed_at,
    ).join(_sessions, _sessions.c.id == _photos.c.session_id)


def build(row: Mapping[str, Any]) -> Photo:
    """A ``Photo`` from one row of ``_base()``."""
    marks = None
    if row["landmark_x1"] is not None:
        marks = Landmarks(
            row["landmark_x1"], row["landmark_y1"], row["landmark_x2"], row["landmark_y2"]
        )
    performed: datetime = row["performed_at"]
    return Photo(
        id=row["id"],
        patient_id=row["patient_id"],
        session_id=row["session_id"],
        performed_on=performed.date(),
        view=row["view"],
        after=bool(row["after"]),
        sha256=row["sha256"],
        original_name=row["original_name"],
        ext=row["ext"],
        media_type=row["media_type"],
        byte_size=row["byte_size"],
        width=row["width"],
        height=row["height"],
        orientation=row["orientation"],
        capture=CaptureInfo(
            flash_fired=row["flash_fired"],
            exposure_time_s=row["exposure_time_s"],
            f_number=row["f_number"],
            iso=row["iso"],
            focal_length_mm=row["focal_length_mm"],
            taken_at=row["taken_at"],
            camera=row["camera"],
        ),
        landmarks=marks,
        created_at=row["created_at"],
        created_by=row["created_by"],
        withdrawn_at=row["withdrawn_at"],
        withdrawn_by=row["withdrawn_by"],
        withdrawn_reason=row["withdrawn_reason"],
    )


def _ordered(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(_sessions.c.performed_at, _photos.c.view, _photos.c.after, _photos.c.id)


def one(conn: Connection, photo_id: int) -> Photo:
    row = conn.execute(_base().where(_photos.c.id == photo_id)).mappings().first()
    if row is None:
        raise NotFound(f"no photo with id {photo_id}")
    return build(row)


def session_patient(conn: Connection, session_id: int) -> int:
    """The patient of a session; ``NotFound`` when there is no such session."""
    found = conn.execute(
        select(_sessions.c.patient_id).where(_sessions.c.id == session_id)
    ).scalar()
    if found is None:
        raise NotFound(f"no session with id {session_id}")
    return int(found)


def for_session(conn: Connection, session_id: int, include_withdrawn: bool = False) -> list[Photo]:
    """A session's photos, by view, before first."""
    stmt = _base().where(_photos.c.session_id == session_id)
    if not include_withdrawn:
        stmt = stmt.where(_photos.c.withdrawn_at.is_(None))
    return [build(r) for r in conn.execute(_ordered(stmt)).mappings()]


def for_patient(conn: Connection, patient_id: int, include_withdrawn: bool = False) -> list[Photo]:
    """A patient's photos, oldest session first."""
    stmt = _base().where(_sessions.c.patient_id == patient_id)
    if not include_withdrawn:
        stmt = stmt.where(_photos.c.withdrawn_at.is_(None))
    return [build(r) for r in conn.execute(_ordered(stmt)).mappings()]


def every(conn: Connection, include_withdrawn: bool = True) -> Iterator[Photo]:
    """Every photo of the clinic (exports, backups, ``check``), in id order."""
    stmt = _base().order_by(_photos.c.id)
    if not include_withdrawn:
        stmt = stmt.where(_photos.c.withdrawn_at.is_(None))
    for row in conn.execute(stmt).mappings():
        yield build(row)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_photos)).scalar() or 0)


def exported(conn: Connection, record_no: str | None = None) -> Iterator[tuple[str, Photo]]:
    """(record number, photo) of every photo, or of one patient's, in id order (exports)."""
    patients = tables.patients
    stmt = (
        _base()
        .add_columns(patients.c.record_no)
        .join(patients, patients.c.id == _sessions.c.patient_id)
        .order_by(_photos.c.id)
    )
    if record_no is not None:
        stmt = stmt.where(patients.c.record_no == record_no)
    for row in conn.execute(stmt).mappings():
        yield row["record_no"], build(row)


def exported_uses(
    conn: Connection, record_no: str | None = None
) -> Iterator[tuple[str, PhotoUses]]:
    """(record number, agreed uses) of every patient who agreed to any (exports)."""
    patients = tables.patients
    stmt = (
        select(patients.c.record_no, _uses.c.use)
        .join(patients, patients.c.id == _uses.c.patient_id)
        .order_by(patients.c.record_no, _uses.c.use)
    )
    if record_no is not None:
        stmt = stmt.where(patients.c.record_no == record_no)
    found: dict[str, set[PhotoUse]] = {}
    for number, value in conn.execute(stmt):
        try:
            found.setdefault(number, set()).add(PhotoUse(value))
        except ValueError:
            continue
    for number, agreed in found.items():
        yield number, PhotoUses(frozenset(agreed))


def checksums(conn: Connection) -> set[str]:
    """The checksum of every original some record uses (withdrawn ones included: a
    withdrawn photo's file is kept)."""
    return set(conn.execute(select(_photos.c.sha256).distinct()).scalars())


def pairs(photos: list[Photo], protocol: PhotoProtocol) -> list[ViewPair]:
    """For each view, the "before" photo of the first session and of the latest session
    that have one (the report's rows, the comparison's default), in protocol order.
    A view photographed in one session only gives no pair."""
    by_view: dict[str, list[Photo]] = {}
    for photo in photos:
        if not photo.after and not photo.withdrawn:
            by_view.setdefault(photo.view, []).append(photo)
    out: list[ViewPair] = []
    for view in sorted(by_view, key=protocol.order_key):
        shots = sorted(by_view[view], key=lambda p: (p.performed_on, p.id))
        if shots[0].session_id != shots[-1].session_id:
            # within a session, the last photo of the view is the one that counts
            first_day = [p for p in shots if p.session_id == shots[0].session_id]
            out.append(ViewPair(view, first_day[-1], shots[-1]))
    return out


def first_and_latest(conn: Connection, patient_id: int) -> list[ViewPair]:
    return pairs(for_patient(conn, patient_id), protocol(conn))


def uses(conn: Connection, patient_id: int, today: date | None = None) -> PhotoUses:
    """The uses the patient's latest photo consent answers (none once it is withdrawn);
    without a signed photo consent, the uses recorded before signed consent existed;
    without either, none ("no signed photo consent")."""
    signed = consent_query.photo_uses(conn, patient_id, today or clock.today())
    if signed is not None:
        return signed
    rows = list(conn.execute(select(_uses.c.use).where(_uses.c.patient_id == patient_id)).scalars())
    agreed = set()
    for value in rows:
        try:
            agreed.add(PhotoUse(value))
        except ValueError:
            continue
    return PhotoUses(frozenset(agreed), UsesSource.RECORDED if rows else UsesSource.NONE)


def every_use(conn: Connection) -> dict[int, PhotoUses]:
    """The agreed uses of every patient who agreed to any (exports)."""
    found: dict[int, set[PhotoUse]] = {}
    for patient_id, value in conn.execute(select(_uses.c.patient_id, _uses.c.use)):
        try:
            found.setdefault(patient_id, set()).add(PhotoUse(value))
        except ValueError:
            continue
    return {k: PhotoUses(frozenset(v)) for k, v in found.items()}


def protocol(conn: Connection) -> PhotoProtocol:
    """The clinic's photo protocol (the default until the clinic sets its own)."""
    return PhotoProtocol.from_json(settings.value_in(conn, PROTOCOL_KEY))


def folder_setting(conn: Connection) -> str:
    """The photo store folder the clinic set ("" = beside the database)."""
    value = settings.value_in(conn, FOLDER_KEY)
    return value if isinstance(value, str) else ""
