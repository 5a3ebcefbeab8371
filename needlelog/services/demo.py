"""Fill a database with demo patients, and take them out again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from needlelog.domain.accounts import Permission
from needlelog.domain.consent import ConsentMethod
from needlelog.services import (
    access,
    audit,
    clock,
    consent_query,
    consent_writer,
    demo_photos,
    patients,
    photo_writer,
    photos,
    recall,
    session_writer,
    sessions,
    signature_image,
)
from needlelog.services.demo_data import DEMO_PREFIX, DemoConsent, generate
from needlelog.services.settings import protocol_in
from needlelog.store.database import Database
from needlelog.store.models import PatientRow

ACTOR = "demo"
DEMO_WITNESS = "Dr. Amelia Hart (demo)"


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
    made_ids: list[int] = []
    chunk = 200
    batch = list(generate(count, seed, today, start))
    for offset in range(0, len(batch), chunk):
        with db.write() as s:
            protocol = protocol_in(s)
            for demo in batch[offset : offset + chunk]:
                pid = patients.add_in(s, demo.data, actor, today)
                made_ids.append(pid)
                for data in demo.sessions:
                    sessions.add_in(s, pid, data, actor, now=now, protocol=protocol, refresh=False)
                    made_sessions += 1
                if demo.sessions:
                    sessions.refresh_summary(s, pid, protocol)
                _sign_demo_consents(s.connection(), pid, demo.consents, actor)
        if progress is not None:
            progress(min(offset + chunk, len(batch)), len(batch))
    demo_photos.add_demo_photos(db, made_ids, seed, actor)  # a few patients: drawn, not real
    return DemoResult(len(batch), made_sessions)


def _sign_demo_consents(
    conn: Connection, patient_id: int, made: tuple[DemoConsent, ...], witness: str
) -> None:
    """The demo patient's consents, written through the one writer (signature drawn from
    the made-up strokes), witnessed by the demo's practitioner."""
    now = clock.utc_now()
    for consent in made:
        form = consent_query.template_for(conn, consent.kind)
        consent_writer.insert_consent(
            conn, patient_id, form, consent.answers, ConsentMethod.ON_SCREEN,
            consent.signature, signature_image.png(consent.signature), "", "",
            consent.signed_at, DEMO_WITNESS, "", witness, now,
        )  # fmt: skip


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
        # demo photos first: they name sessions
        drawn = photo_writer.remove_made_up(s.connection(), ids)
        consent_writer.remove_made_up(s.connection(), ids)
        session_writer.remove_made_up(s.connection(), ids)
        recall.remove_made_up(s, ids)
        patients.remove_made_up(s, ids)
        audit.append(s, _actor(), "demo", 0, "remove", {"patients": len(ids)}, at=clock.utc_now())
    # once the records are gone for good: their drawn photos, unless a record uses one
    photos.remove_demo_files(db, drawn)
    return len(ids)
