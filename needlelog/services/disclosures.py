"""The access log: who opened a patient's record, printed or saved a report, exported
or backed up, and when. Access events are audit events (entity "access"), so they are
append-only and in the same hash chain. A patient's log (the accounting of
disclosures) is every access to their record plus every clinic-wide export and backup,
which carried their record too."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, bindparam, or_, select

from needlelog.domain.accounts import Permission
from needlelog.services import access, audit
from needlelog.store.database import Database
from needlelog.store.files import PRIVATE_FILE
from needlelog.store.tables import audit_events as _t
from needlelog.store.tables import patients as _patients

ENTITY = "access"
OPEN = "open"
REPORT = "report"
EXPORT = "export"
BACKUP = "backup"
SUBJECT_ACCESS = "subject access export"
ACTIONS = {
    OPEN: "opened the record",
    REPORT: "printed or saved a report",
    EXPORT: "exported records",
    BACKUP: "backed up the records",
    SUBJECT_ACCESS: "exported the complete record for the patient",
}


@dataclass(frozen=True)
class Access:
    at: datetime
    actor: str
    action: str
    what: str
    whole_clinic: bool

    @property
    def described(self) -> str:
        return ACTIONS.get(self.action, self.action)


def log_in(
    conn: Connection, actor: str, action: str, patient_id: int | None = None, what: str = ""
) -> None:
    """Append one access event inside an open write transaction."""
    audit.append(
        conn, actor, ENTITY, patient_id or 0, action, {"what": what}, patient_id=patient_id
    )


_BY_RECORD_NO = select(_patients.c.id).where(_patients.c.record_no == bindparam("record_no"))


def log(
    db: Database,
    actor: str,
    action: str,
    patient_id: int | None = None,
    what: str = "",
    record_no: str | None = None,
) -> None:
    """Append one access event in its own transaction (the patient given by id or by
    ``record_no``; neither: the whole clinic)."""
    with db.transaction(write=True) as conn:
        if patient_id is None and record_no is not None:
            patient_id = conn.execute(_BY_RECORD_NO, {"record_no": record_no}).scalar()
        log_in(conn, actor, action, patient_id, what)


_PATIENT_LOG = (
    select(_t.c.at, _t.c.actor, _t.c.action, _t.c.changes, _t.c.patient_id)
    .where(
        _t.c.entity == ENTITY,
        or_(
            _t.c.patient_id == bindparam("patient_id"),
            # Clinic-wide exports and backups since the record existed carried it too.
            (_t.c.patient_id.is_(None) & (_t.c.at >= bindparam("since"))),
        ),
    )
    .order_by(_t.c.id)
)
_CREATED = select(_patients.c.created_at).where(_patients.c.id == bindparam("patient_id"))


def patient_log(db: Database, patient_id: int) -> list[Access]:
    """Every access to this patient's record, oldest first (an administrator's)."""
    import json

    access.require(db, Permission.ACCESS_LOG)
    with db.transaction() as conn:
        since = conn.execute(_CREATED, {"patient_id": patient_id}).scalar()
        if since is None:
            from needlelog.services.errors import NotFound

            raise NotFound(f"no patient with id {patient_id}")
        rows = conn.execute(_PATIENT_LOG, {"patient_id": patient_id, "since": since}).all()
    return [
        Access(r.at, r.actor, r.action, str(json.loads(r.changes).get("what", "")),
               r.patient_id is None)
        for r in rows
    ]  # fmt: skip


def _safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def export_patient_log(db: Database, patient_id: int, out: Path) -> int:
    """Write the patient's access log as CSV (a private file); answers the row count."""
    entries = patient_log(db, patient_id)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["at_utc", "who", "action", "what", "whole_clinic"])
        for e in entries:
            writer.writerow(
                [e.at.isoformat(sep=" ", timespec="seconds"), _safe(e.actor), e.described,
                 _safe(e.what), "yes" if e.whole_clinic else "no"]
            )  # fmt: skip
    tmp.chmod(PRIVATE_FILE)
    tmp.replace(out)
    return len(entries)
