"""Fill a database with demo patients, and take them out again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from needlelog.domain.accounts import Permission
from needlelog.services import access, clock, patients, recall, session_writer, sessions
from needlelog.services.demo_data import DEMO_PREFIX, generate
from needlelog.services.settings import protocol_in
from needlelog.store.database import Database
from needlelog.store.models import (
    AuditEventRow,
    PatientRow,
)

ACTOR = "demo"


def _actor() -> str:
    """ "demo" without accounts; with them, the account that asked for it."""
    account = access.current()
    return ACTOR if account is None else f"{account.name} ({ACTOR})"


@dataclass(frozen=True)
class DemoResult:
    patients: int
    sessions: int


def fill(
    db: Database,
    count: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Add ``count`` demo patients through the same rules as typed records.

    Numbers continue after any demo patients already present, so running it
    twice adds more rather than failing on duplicates.
    """
    access.require(db, Permission.IMPORT)
    actor = _actor()
    today = today or clock.today()
    with db.read() as s:
        start = 1 + int(
            s.scalar(
                select(func.count())
                .select_from(PatientRow)
                .where(PatientRow.record_no.startswith(DEMO_PREFIX))
            )
            or 0
        )
    now = datetime.combine(today, datetime.max.time())
    made_sessions = 0
    chunk = 200
    batch = list(generate(count, seed, today, start))
    for offset in range(0, len(batch), chunk):
        with db.write() as s:
            protocol = protocol_in(s)
            for demo in batch[offset : offset + chunk]:
                pid = patients.add_in(s, demo.data, actor, today)
                for data in demo.sessions:
                    sessions.add_in(s, pid, data, actor, now=now, protocol=protocol, refresh=False)
                    made_sessions += 1
                if demo.sessions:
                    sessions.refresh_summary(s, pid, protocol)
        if progress is not None:
            progress(min(offset + chunk, len(batch)), len(batch))
    return DemoResult(len(batch), made_sessions)


def count_demo(db: Database) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(PatientRow)
                .where(PatientRow.record_no.startswith(DEMO_PREFIX))
            )
            or 0
        )


def remove(db: Database) -> int:
    """Take out every demo patient and their sessions in one step.

    Demo records are made up, so unlike clinical records they are removed,
    not archived; the removal itself is kept in the audit trail.
    """
    access.require(db, Permission.IMPORT)
    with db.write() as s:
        ids = s.scalars(select(PatientRow.id).where(PatientRow.record_no.startswith(DEMO_PREFIX)))
        ids = list(ids)
        if not ids:
            return 0
        session_writer.remove_made_up(s.connection(), ids)
        recall.remove_made_up(s, ids)
        patients.remove_made_up(s, ids)
        s.add(
            AuditEventRow(
                at=clock.utc_now(),
                actor=_actor(),
                entity="demo",
                entity_id=0,
                action="remove",
                changes=f'{{"patients": {len(ids)}}}',
            )
        )
        return len(ids)
