"""Consistency checks of a clinic database: SQLite's own and needlelog's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, Date, bindparam, cast, func, select, text

from needlelog.domain.accounts import Permission
from needlelog.domain.codes import Area
from needlelog.domain.protocol import PEN_MAX_DEPTH_MM, PEN_MIN_DEPTH_MM
from needlelog.services import access, audit, session_query, session_writer
from needlelog.services.settings import protocol_in
from needlelog.store.database import Database
from needlelog.store.errors import DatabaseDamaged
from needlelog.store.migrate import current_revision, head_revision
from needlelog.store.models import AuditEventRow, PatientRow, SessionRow, TreatedAreaRow


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[Problem, ...]
    patients: int
    sessions: int
    photos: int = 0
    unused_photo_files: tuple[str, ...] = ()  # in the photo store, used by no record

    @property
    def ok(self) -> bool:
        return not self.problems


def _area_name(code: str) -> str:
    """An area as the practitioner reads it; a code no version knows is shown as stored."""
    try:
        return Area(code).label
    except ValueError:
        return code


def run(db: Database, photo_files: bool = True) -> CheckReport:
    """``photo_files``: also verify the photo store (not for a backup's copy, whose
    photos are verified by the restore)."""
    access.require(db, Permission.CHECK)
    problems: list[Problem] = []
    revision = current_revision(db)
    if revision != head_revision():
        problems.append(Problem("schema", f"revision {revision}, expected {head_revision()}"))
    # Damage bad enough that SQLite stops the check itself leaves as DatabaseDamaged:
    # the user's answer is the same (restore from a backup), never a traceback.
    if db.is_sqlite:
        with db.transaction() as conn:
            for (line,) in conn.exec_driver_sql("PRAGMA integrity_check").all():
                if line != "ok":
                    problems.append(Problem("sqlite integrity", str(line)))
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check").all():
                problems.append(Problem("foreign key", f"table {row[0]} row {row[1]} -> {row[2]}"))
    if any(p.where == "sqlite integrity" for p in problems):
        # Damaged pages make the queries below fail half-way; report what SQLite found.
        return CheckReport(tuple(problems), 0, 0)

    with db.read() as s:
        protocol = protocol_in(s)
        patients = int(s.scalar(select(func.count()).select_from(PatientRow)) or 0)
        sessions = int(s.scalar(select(func.count()).select_from(SessionRow)) or 0)

        lo, hi = int(PEN_MIN_DEPTH_MM * 1000), int(PEN_MAX_DEPTH_MM * 1000)
        for sid, area, depth in s.execute(
            select(TreatedAreaRow.session_id, TreatedAreaRow.area, TreatedAreaRow.depth_um).where(
                (TreatedAreaRow.depth_um < lo) | (TreatedAreaRow.depth_um > hi)
            )
        ):
            problems.append(
                Problem(
                    f"session {sid}",
                    f"depth {depth / 1000} mm in {_area_name(area)} is outside what any pen can do",
                )
            )

        no_area = (
            s.execute(
                text(
                    "SELECT id FROM treatment_sessions s WHERE NOT EXISTS "
                    "(SELECT 1 FROM treated_areas a WHERE a.session_id = s.id)"
                )
            )
            .scalars()
            .all()
        )
        problems += [Problem(f"session {sid}", "has no treated area") for sid in no_area]

        # SQLite keeps dates as text, where CAST would turn them into numbers.
        performed_day = (
            func.date(SessionRow.performed_at)
            if db.is_sqlite
            else cast(SessionRow.performed_at, Date)
        )
        before_birth = s.execute(
            select(SessionRow.id, PatientRow.record_no)
            .join(PatientRow, PatientRow.id == SessionRow.patient_id)
            .where(PatientRow.date_of_birth.is_not(None))
            .where(performed_day < PatientRow.date_of_birth)
        ).all()
        problems += [
            Problem(f"session {sid}", f"before the birth of patient {rec}")
            for sid, rec in before_birth
        ]

        # The course summary kept on each patient must match the sessions.
        # (The stored next due date is left out: it follows the protocol of its day.)
        performed: dict[int, list] = defaultdict(list)
        for pid, at, due in session_query.every_course_row(s.connection()):
            performed[pid].append((at, due))
        for pid, rec, last, in_course, total in s.execute(
            select(
                PatientRow.id,
                PatientRow.record_no,
                PatientRow.last_session_on,
                PatientRow.course_sessions,
                PatientRow.sessions_total,
            )
        ):
            summary = session_writer.summary_values(performed.get(pid, []), None, protocol)
            expected = tuple(
                summary[k] for k in ("last_session_on", "course_sessions", "sessions_total")
            )
            if (last, in_course, total) != expected:
                problems.append(
                    Problem(
                        f"patient {rec}",
                        f"course summary (last {last}, {in_course} in course, {total} in all) does "
                        f"not match the sessions (last {expected[0]}, {expected[1]}, {expected[2]})",
                    )
                )

        # Every record has its creation in the audit trail.
        for entity, table in (("patient", PatientRow), ("session", SessionRow)):
            missing = (
                s.execute(
                    select(table.id)
                    .where(
                        ~select(AuditEventRow.id)
                        .where(
                            AuditEventRow.entity == entity,
                            AuditEventRow.entity_id == table.id,
                            AuditEventRow.action == "create",
                        )
                        .exists()
                    )
                    .limit(20)
                )
                .scalars()
                .all()
            )
            problems += [
                Problem(f"{entity} {i}", "has no creation event in the audit trail")
                for i in missing
            ]
        # The trail is a hash chain: the first event that does not match is named.
        broken = audit.verify_chain(s.connection())
        if broken is not None:
            problems.append(Problem("audit trail", str(broken)))
        # A signed session still holds the content its signature sealed.
        problems += _signatures(s.connection())
    photo_problems, unused, photo_count = _photo_files(db) if photo_files else ([], [], 0)
    problems += photo_problems
    return CheckReport(tuple(problems), patients, sessions, photo_count, tuple(unused))


def _photo_files(db: Database) -> tuple[list[Problem], list[str], int]:
    """Every photo present and matching its checksum; files no record uses."""
    from needlelog.services import photos

    found, unused = photos.check_files(db)
    return [Problem(where, what) for where, what in found], unused, photos.count(db)


_SIGNED = (
    select(SessionRow.id, SessionRow.signed_sha256)
    .where(SessionRow.signed_at.is_not(None), SessionRow.id > bindparam("last"))
    .order_by(SessionRow.id)
    .limit(500)
)


def _signatures(conn: Connection) -> list[Problem]:
    out: list[Problem] = []
    last = 0
    while len(out) < 20:
        rows = conn.execute(_SIGNED, {"last": last}).all()
        if not rows:
            break
        for sid, sealed in rows:
            stored = session_query.one(conn, sid)
            if session_query.content_sha256(stored) != sealed:
                out.append(
                    Problem(
                        f"session {sid}",
                        f"of {stored.data.performed_at:%Y-%m-%d} differs from the content its "
                        "signature sealed (changed outside the app)",
                    )
                )
        last = rows[-1][0]
    return out


def quick(db: Database) -> None:
    """SQLite's page-level check of the whole file, for a background task after start.

    Raises ``DatabaseDamaged`` (restore from a backup) when the file is damaged. It
    reads every page (seconds for a clinic-chain database: benchmarks/), so it is
    not run before the window opens; damage is also reported whenever a damaged
    page is read.
    """
    if not db.is_sqlite:
        return
    with db.transaction() as conn:
        first = conn.exec_driver_sql("PRAGMA quick_check(1)").scalar()
    if first != "ok":
        raise DatabaseDamaged(
            f"the database {db.display_name} is damaged ({first}). Restore it from a backup "
            "(needlelog restore FILE)."
        )
