"""The one writer of photo records (and of the photo uses a patient agreed to).

Each function runs inside a transaction opened by ``services.photos`` on an open
SQLAlchemy ``Connection`` and appends its audit event in the same transaction.
A photo record is only written after its original is safely in the photo store
(``services.photos`` sees to the order). Photos are never deleted: they are
withdrawn with a reason, which the audit trail keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from needlelog.domain.errors import Violation, raise_if_any
from needlelog.domain.photos import CaptureInfo, Landmarks, PhotoUse
from needlelog.services import audit
from needlelog.services.errors import NotFound
from needlelog.services.photo_images import PreparedPhoto
from needlelog.store import tables

_photos = tables.photos
_uses = tables.patient_photo_uses

_INSERT = insert(_photos).values(
    {c.key: bindparam(c.key) for c in _photos.columns if c.key != "id"}
)
_sessions = tables.treatment_sessions
_PATIENT_OF = select(_sessions.c.patient_id).where(_sessions.c.id == bindparam("session_id"))


def _patient_of(conn: Connection, session_id: int) -> int | None:
    """Whose record a photo belongs to (its events name the patient for the access log)."""
    return conn.execute(_PATIENT_OF, {"session_id": session_id}).scalar()


REASON_MAX = 500


def insert_photo(
    conn: Connection,
    session_id: int,
    view: str,
    after: bool,
    photo: PreparedPhoto,
    actor: str,
    now: datetime,
) -> int:
    """Record a photo whose original is already in the store; answers its id."""
    cap = photo.capture
    values = {
        "session_id": session_id,
        "view": view,
        "after": after,
        "sha256": photo.sha256,
        "original_name": photo.source_name[:255],
        "ext": photo.ext,
        "media_type": photo.media_type,
        "byte_size": len(photo.data),
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "flash_fired": cap.flash_fired,
        "exposure_time_s": cap.exposure_time_s,
        "f_number": cap.f_number,
        "iso": cap.iso,
        "focal_length_mm": cap.focal_length_mm,
        "taken_at": cap.taken_at,
        "camera": cap.camera,
        "landmark_x1": None,
        "landmark_y1": None,
        "landmark_x2": None,
        "landmark_y2": None,
        "withdrawn_at": None,
        "withdrawn_by": "",
        "withdrawn_reason": "",
        "created_at": now,
        "created_by": actor,
    }
    photo_id = conn.execute(_INSERT, values).inserted_primary_key[0]  # type: ignore[index]
    audit.append(
        conn,
        actor,
        "photo",
        photo_id,
        "create",
        {
            k: [None, values[k]]
            for k in ("session_id", "view", "after", "sha256", "original_name", "width", "height")
        },
        at=now,
        patient_id=_patient_of(conn, session_id),
    )
    return int(photo_id)


@dataclass(frozen=True)
class ImportedPhoto:
    """A photo record as an archive (the JSON export) kept it: its original is in the
    store already, checked against ``sha256``; landmarks and withdrawal as they were."""

    view: str
    after: bool
    sha256: str
    original_name: str
    ext: str
    media_type: str
    byte_size: int
    width: int
    height: int
    orientation: int
    capture: CaptureInfo
    landmarks: Landmarks | None
    created_at: datetime
    created_by: str
    withdrawn_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawn_reason: str = ""


def insert_imported(
    conn: Connection, session_id: int, photo: ImportedPhoto, actor: str, now: datetime
) -> int:
    """Record a photo brought back from an archive (its original already in the store,
    verified); answers its id. The audit event names the importer and the time."""
    problems = []
    if photo.landmarks is not None:
        problem = photo.landmarks.problem(photo.width, photo.height)
        if problem is not None:
            problems.append(problem)
    if photo.withdrawn_at is not None and not photo.withdrawn_reason.strip():
        problems.append(Violation("withdrawn", "", "a reason", "a withdrawn photo must say why"))
    raise_if_any(problems)
    cap, marks = photo.capture, photo.landmarks
    values = {
        "session_id": session_id,
        "view": photo.view,
        "after": photo.after,
        "sha256": photo.sha256,
        "original_name": photo.original_name[:255],
        "ext": photo.ext,
        "media_type": photo.media_type,
        "byte_size": photo.byte_size,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "flash_fired": cap.flash_fired,
        "exposure_time_s": cap.exposure_time_s,
        "f_number": cap.f_number,
        "iso": cap.iso,
        "focal_length_mm": cap.focal_length_mm,
        "taken_at": cap.taken_at,
        "camera": cap.camera,
        "landmark_x1": None if marks is None else marks.x1,
        "landmark_y1": None if marks is None else marks.y1,
        "landmark_x2": None if marks is None else marks.x2,
        "landmark_y2": None if marks is None else marks.y2,
        "withdrawn_at": photo.withdrawn_at,
        "withdrawn_by": photo.withdrawn_by if photo.withdrawn_at else "",
        "withdrawn_reason": photo.withdrawn_reason if photo.withdrawn_at else "",
        "created_at": photo.created_at,
        "created_by": photo.created_by,
    }
    photo_id = conn.execute(_INSERT, values).inserted_primary_key[0]  # type: ignore[index]
    names = ("session_id", "view", "after", "sha256", "original_name", "width", "height",
             "withdrawn_at", "withdrawn_reason")  # fmt: skip
    audit.append(
        conn,
        actor,
        "photo",
        photo_id,
        "import",
        {k: [None, values[k]] for k in names if values[k] not in (None, "")},
        at=now,
        patient_id=_patient_of(conn, session_id),
    )
    return int(photo_id)


def _current(conn: Connection, photo_id: int) -> dict:
    row = conn.execute(select(_photos).where(_photos.c.id == photo_id)).mappings().first()
    if row is None:
        raise NotFound(f"no photo with id {photo_id}")
    return dict(row)


def withdraw(conn: Connection, photo_id: int, reason: str, actor: str, now: datetime) -> None:
    """Withdraw a photo (it leaves every view, report and export but the file and the
    record stay); the reason is required and kept in the audit trail."""
    reason = reason.strip()
    problems = []
    if not reason:
        problems.append(Violation("reason", reason, "a reason", "say why the photo is withdrawn"))
    elif len(reason) > REASON_MAX:
        problems.append(
            Violation(
                "reason",
                reason[:20] + "…",
                f"at most {REASON_MAX} characters",
                f"the reason is longer than {REASON_MAX} characters",
            )
        )
    raise_if_any(problems)
    row = _current(conn, photo_id)
    if row["withdrawn_at"] is not None:
        raise_if_any(
            [Violation("photo", photo_id, "a photo in use", "this photo was withdrawn already")]
        )
    conn.execute(
        update(_photos)
        .where(_photos.c.id == photo_id)
        .values(withdrawn_at=now, withdrawn_by=actor, withdrawn_reason=reason)
    )
    audit.append(
        conn,
        actor,
        "photo",
        photo_id,
        "withdraw",
        {"withdrawn_at": [None, now], "withdrawn_reason": ["", reason]},
        at=now,
        patient_id=_patient_of(conn, row["session_id"]),
    )


def withdraw_all_of(
    conn: Connection, patient_id: int, reason: str, actor: str, now: datetime
) -> int:
    """Withdraw every photo of the patient still in use (an anonymisation); answers how
    many. The records and files stay, as for any withdrawal."""
    in_use = conn.execute(
        select(_photos.c.id)
        .join(_sessions, _sessions.c.id == _photos.c.session_id)
        .where(_sessions.c.patient_id == patient_id, _photos.c.withdrawn_at.is_(None))
        .order_by(_photos.c.id)
    ).scalars()
    ids = list(in_use)
    for photo_id in ids:
        withdraw(conn, photo_id, reason, actor, now)
    return len(ids)


def set_landmarks(
    conn: Connection, photo_id: int, marks: Landmarks | None, actor: str, now: datetime
) -> None:
    """Store (or clear) a photo's two alignment landmarks, in displayed pixels."""
    row = _current(conn, photo_id)
    if marks is not None:
        problem = marks.problem(row["width"], row["height"])
        if problem is not None:
            raise_if_any([problem])
    new = (None, None, None, None) if marks is None else (marks.x1, marks.y1, marks.x2, marks.y2)
    names = ("landmark_x1", "landmark_y1", "landmark_x2", "landmark_y2")
    old = tuple(row[n] for n in names)
    if old == new:
        return
    conn.execute(
        update(_photos).where(_photos.c.id == photo_id).values(dict(zip(names, new, strict=True)))
    )
    audit.append(
        conn,
        actor,
        "photo",
        photo_id,
        "landmarks",
        {"landmarks": [old, new]},
        at=now,
        patient_id=_patient_of(conn, row["session_id"]),
    )


def set_uses(
    conn: Connection,
    patient_id: int,
    agreed: Iterable[PhotoUse],
    agreed_on: date,
    actor: str,
    now: datetime,
) -> None:
    """Record which uses of their photos a patient agreed to (replacing the previous
    answer; the audit trail keeps both)."""
    wanted = {PhotoUse(u) for u in agreed}
    old = {
        PhotoUse(u)
        for u in conn.execute(select(_uses.c.use).where(_uses.c.patient_id == patient_id)).scalars()
        if u in PhotoUse.__members__.values() or u in {m.value for m in PhotoUse}
    }
    if old == wanted:
        return
    gone = old - wanted
    if gone:
        conn.execute(
            delete(_uses).where(
                _uses.c.patient_id == patient_id, _uses.c.use.in_([u.value for u in gone])
            )
        )
    for use in sorted(wanted - old):
        conn.execute(
            insert(_uses).values(
                patient_id=patient_id,
                use=use.value,
                agreed_on=agreed_on,
                recorded_by=actor,
                created_at=now,
            )
        )
    audit.append(
        conn,
        actor,
        "patient",
        patient_id,
        "photo_uses",
        {"photo_uses": [sorted(u.value for u in old), sorted(u.value for u in wanted)]},
        at=now,
    )


def remove_made_up(conn: Connection, patient_ids: list[int]) -> set[str]:
    """Delete the photo records and photo uses of made-up (demo) patients, for the demo's
    removal only: clinical photos are withdrawn, never deleted. Answers the checksums
    of the originals they used (``services.photos.remove_demo_files`` takes out those
    no other record uses, once this is committed)."""
    sessions = tables.treatment_sessions
    of_patients = select(sessions.c.id).where(sessions.c.patient_id.in_(patient_ids))
    used = set(
        conn.execute(
            select(_photos.c.sha256).where(_photos.c.session_id.in_(of_patients)).distinct()
        ).scalars()
    )
    conn.execute(delete(_photos).where(_photos.c.session_id.in_(of_patients)))
    conn.execute(delete(_uses).where(_uses.c.patient_id.in_(patient_ids)))
    return used
