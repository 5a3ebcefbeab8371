"""A clinic-chain-size database: the demo clinic at 100,000 patients and a million sessions.

The records come from the demo generator (same names, zones, products and
depth logic), with longer histories: about ten sessions per patient on
average, up to 60 for long-standing maintenance patients, and 150 for every
thousandth (the long record the open and report scenarios measure). Rows are written
with plain ``executemany`` in large transactions into a file whose schema
was made by needlelog's own Alembic migrations, and every derived value
(name search words, course summary, default next-due dates, audit creation
events) is computed as the services compute it, so ``needlelog check``
passes on the result.

    python -m benchmarks.generate [--patients N] [--sessions M] [--seed S]

The file is cached under ``benchmarks/data/`` keyed by size and seed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from alembic import command

from needlelog.domain import course
from needlelog.domain.chain import GENESIS, event_hash, without_identifying
from needlelog.domain.protocol import DEFAULT_PROTOCOL
from needlelog.domain.records import PatientData, SessionData
from needlelog.domain.search import name_words
from needlelog.services.audit import plain as _plain
from needlelog.services.demo_data import generate
from needlelog.services.mapping import (
    GAIS,
    GOODMAN_BARON,
    SATISFACTION,
    VSS,
    VSS_ITEMS,
    depth_to_um,
    join_codes,
)
from needlelog.store.database import Database
from needlelog.store.migrate import alembic_config, current_revision, head_revision, open_database

DATA_DIR = Path(os.environ.get("NEEDLELOG_BENCH_DATA") or Path(__file__).resolve().parent / "data")
# Bump when the generated content changes, so stale cached files are not reused.
FORMAT = 2
# The clinic's "today": fixed so the same size and seed give the same file.
TODAY = date(2026, 11, 1)
ACTOR = "import"
LONG_HISTORY = 150  # sessions of the patients the record/report scenarios open
ADULT_AT_FIRST_SESSION = 18  # years
CHUNK = 2000  # patients per unit of work handed to a worker

# How many sessions a patient has: most a course or two, some years of maintenance.
COUNTS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 60)
WEIGHTS = (4, 6, 8, 12, 12, 9, 8, 7, 6, 6, 5, 5, 4, 3, 3, 2)

PATIENT_COLS = (
    "id, record_no, family_name, given_name, date_of_birth, sex, phone, email, fitzpatrick, "
    "contraindications, notes, planned_sessions, archived, last_session_on, course_sessions, "
    "sessions_total, next_due, created_at, updated_at, version"
)
SESSION_COLS = (
    "id, patient_id, performed_at, practitioner, indications, device, cartridge_needles, "
    "cartridge_lot, pen_speed, numbing_product, numbing_minutes, redness, bruising, swelling, "
    "pinpoint_bleeding, acne_flare, adverse_events, pain, notes, aftercare_given, next_due, "
    "cautions_acknowledged, override_reason, consent_override_reason, created_at, updated_at, "
    "version, status"
)
INSERTS = {
    "patients": f"INSERT INTO patients ({PATIENT_COLS}) VALUES ({', '.join('?' * 20)})",
    "tokens": "INSERT INTO patient_name_tokens (patient_id, token) VALUES (?, ?)",
    "sessions": f"INSERT INTO treatment_sessions ({SESSION_COLS}) VALUES ({', '.join('?' * 28)})",
    "areas": "INSERT INTO treated_areas (session_id, position, area, label, depth_um, passes, "
    "endpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "products": "INSERT INTO session_products (session_id, position, name, lot, expiry) "
    "VALUES (?, ?, ?, ?, ?)",
    "screening": "INSERT INTO screening_answers (session_id, item, present, since) "
    "VALUES (?, ?, ?, ?)",
    "assessments": "INSERT INTO assessments (session_id, scale, item, scale_version, score) "
    "VALUES (?, ?, ?, ?, ?)",
    "audit": "INSERT INTO audit_events (at, actor, entity, entity_id, action, changes, "
    "patient_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
}
SESSION_FIELDS = tuple(f.name for f in fields(SessionData))
PATIENT_FIELDS = tuple(f.name for f in fields(PatientData))


@dataclass(frozen=True)
class Clinic:
    """Where a generated clinic lives and what it holds."""

    path: Path
    patients: int
    sessions: int
    seed: int
    long_history_ids: tuple[int, ...]  # patients with exactly LONG_HISTORY sessions

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def session_counts(patients: int, sessions: int, seed: int) -> list[int]:
    """Sessions per patient, summing to exactly ``sessions``; every 1000th patient
    (and the first) has a long history of ``LONG_HISTORY`` sessions."""
    rng = random.Random(f"{seed}:counts")
    counts = rng.choices(COUNTS, weights=WEIGHTS, k=patients)
    pinned = set(range(0, patients, 1000)) if sessions >= LONG_HISTORY else set()
    for i in pinned:
        counts[i] = LONG_HISTORY
    free = [i for i in range(patients) if i not in pinned]
    diff = sessions - sum(counts)
    if diff and not free:
        raise ValueError("too few patients for that many sessions")
    while diff:
        i = rng.choice(free)
        if diff > 0 and counts[i] < COUNTS[-1]:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > 0:
            counts[i] -= 1
            diff += 1
    return counts


def _stamp(at: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format, so ordering and reading match.
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond:06d}"


def _changes(data: Any, names: tuple[str, ...], extra: dict[str, Any]) -> str:
    # Same content as audit.diff({}, as_dict(data)) for a creation, without the
    # deep copy of dataclasses.asdict.
    changes = dict(extra)
    for name in names:
        value = _plain(getattr(data, name))
        if value is not None:
            changes[name] = [None, value]
    return json.dumps(changes, ensure_ascii=False, sort_keys=True)


def _patient_changes(data: PatientData) -> str:
    """A patient's creation as the app writes it: identifying values kept out."""
    whole = json.loads(_changes(data, PATIENT_FIELDS, {}))
    return json.dumps(without_identifying("patient", whole), ensure_ascii=False, sort_keys=True)


def _chained(rows: list[tuple[Any, ...]], prev: str) -> tuple[list[tuple[Any, ...]], str]:
    """Audit rows (at, actor, entity, entity_id, action, changes, patient_id) with the
    chain's hashes, in insertion order, as ``services.audit.append`` writes them."""
    out = []
    for at, actor, entity, eid, action, changes, pid in rows:
        digest = event_hash(
            prev, datetime.fromisoformat(at), actor, entity, eid, action, changes, pid
        )
        out.append((at, actor, entity, eid, action, changes, pid, prev, digest))
        prev = digest
    return out, prev


def session_rows(
    sid: int | None, pid: int, data: SessionData, next_due: date
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows ``services.sessions.record`` writes for one session (``sid`` None: the
    caller fills the session id in after inserting the session row)."""
    at = _stamp(data.performed_at)
    n = data.numbing
    out: dict[str, list[tuple[Any, ...]]] = {}
    out["sessions"] = [
        (
            sid, pid, at, data.practitioner, join_codes(data.indications), data.device,
            data.cartridge_needles, data.cartridge_lot, data.pen_speed,
            n.product if n else "", n.minutes if n else None,
            None if data.redness is None else int(data.redness),
            None if data.bruising is None else int(data.bruising),
            None if data.swelling is None else int(data.swelling),
            data.pinpoint_bleeding, data.acne_flare, data.adverse_events, data.pain,
            data.notes, data.aftercare_given, next_due.isoformat(),
            data.cautions_acknowledged, data.override_reason,
            data.consent_override_reason.strip(), at, at, 1, "draft",
        )
    ]  # fmt: skip
    out["areas"] = [
        (
            sid, i, a.area.value, a.label, depth_to_um(a.depth_mm), a.passes,
            a.endpoint.value if a.endpoint else None,
        )
        for i, a in enumerate(data.areas)
    ]  # fmt: skip
    out["products"] = [
        (sid, i, pr.name, pr.lot, pr.expiry.isoformat() if pr.expiry else None)
        for i, pr in enumerate(data.products)
    ]
    out["screening"] = [
        (sid, a.item.value, a.present, a.since.isoformat() if a.since else None)
        for a in data.screening
    ]
    scores: list[tuple[Any, ...]] = []
    for (scale, version), item, value in (
        (GOODMAN_BARON, "grade", data.scar_grade),
        (GAIS, "score", data.gais),
        (SATISFACTION, "score", data.satisfaction),
    ):
        if value is not None:
            scores.append((sid, scale, item, version, value))
    if data.vss is not None:
        for item in VSS_ITEMS:
            scores.append((sid, VSS[0], item, VSS[1], getattr(data.vss, item)))
    out["assessments"] = scores
    stored = data if data.next_due == next_due else replace(data, next_due=next_due)
    changes = _changes(stored, SESSION_FIELDS, {"patient_id": [None, pid]})
    out["audit"] = [(at, ACTOR, "session", sid, "create", changes, pid)]
    return out


def _chunk(job: tuple[int, int, int, list[int]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of every table for patients ``start .. start+len(counts)-1``."""
    seed, start, first_session_id, counts = job
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in INSERTS}
    protocol = DEFAULT_PROTOCOL
    sid = first_session_id
    demos = generate(len(counts), seed, TODAY, start, sessions_for=lambda n: counts[n - start])
    for number, demo in enumerate(demos, start):
        p = demo.data
        if demo.sessions and p.date_of_birth is not None:
            # A long history spans decades (150 sessions: about 24 years): the
            # patient was an adult at the first session.
            first = demo.sessions[0].performed_at.date()
            adult = first.replace(year=first.year - ADULT_AT_FIRST_SESSION, day=1)
            if p.date_of_birth > adult:
                p = replace(p, date_of_birth=adult)
        pid = number
        planned = p.planned_sessions or protocol.planned_sessions
        first_at = demo.sessions[0].performed_at if demo.sessions else None
        created = (
            first_at - timedelta(days=7, hours=2)
            if first_at
            else datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=9)
        )
        created_s = _stamp(created)
        out["audit"].append((created_s, ACTOR, "patient", pid, "create", _patient_changes(p), pid))
        out["tokens"].extend(
            (pid, w) for w in sorted(name_words(f"{p.family_name} {p.given_name}"))
        )
        days: list[date] = []
        position = 0
        next_due: date | None = None
        for data in demo.sessions:
            on = data.performed_at.date()
            position = 1 if not days or on - days[-1] > course.COURSE_BREAK else position + 1
            days.append(on)
            next_due = data.next_due or course.default_next_due(on, position, planned, protocol)
            rows = session_rows(sid, pid, data, next_due)
            for table, table_rows in rows.items():
                out[table].extend(table_rows)
            sid += 1
        sizes = course.course_sizes(days)
        out["patients"].append(
            (
                pid, p.record_no, p.family_name, p.given_name,
                p.date_of_birth.isoformat() if p.date_of_birth else None,
                p.sex.value if p.sex else None, p.phone, p.email, p.fitzpatrick,
                join_codes(p.contraindications), p.notes, p.planned_sessions, False,
                days[-1].isoformat() if days else None, sizes[-1] if sizes else 0, len(days),
                next_due.isoformat() if next_due else None, created_s, created_s, 1,
            )
        )  # fmt: skip
    return out


def _jobs(counts: list[int], seed: int) -> Iterator[tuple[int, int, int, list[int]]]:
    starts = [0, *accumulate(counts)]
    for offset in range(0, len(counts), CHUNK):
        part = counts[offset : offset + CHUNK]
        yield (seed, offset + 1, starts[offset] + 1, part)


def _secondary_indexes(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    marks = ",".join("?" * len(tables))
    return conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tables,
    ).fetchall()


def build(path: Path, patients: int, sessions: int, seed: int, workers: int = 2) -> None:
    """Write a new clinic database at ``path`` (replaced if present)."""
    partial = path.with_name(path.name + ".partial")
    for p in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        p.unlink(missing_ok=True)
    open_database(f"sqlite:///{partial}").dispose()  # the schema, by the migrations
    counts = session_counts(patients, sessions, seed)
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        tables = (
            "patients", "patient_name_tokens", "treatment_sessions", "treated_areas",
            "session_products", "screening_answers", "assessments", "audit_events",
        )  # fmt: skip
        # Indexes are dropped for the load and rebuilt from their own SQL after:
        # one sort per index instead of a million random inserts.
        indexes = _secondary_indexes(conn, tables)
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("BEGIN")
        # Chained on after the events the schema revisions wrote (the default consent forms).
        last = conn.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for rows in pool.imap(_chunk, _jobs(counts, seed)):
                rows["audit"], prev = _chained(rows["audit"], prev)
                for table, sql in INSERTS.items():
                    conn.executemany(sql, rows[table])
        conn.execute("COMMIT")
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    partial.replace(path)


def _to_head(path: Path) -> None:
    """Bring a cached clinic made by an older schema up to this one (no backup: the
    file can be generated again)."""
    db = Database(f"sqlite:///{path}")
    try:
        if current_revision(db) != head_revision():
            with db.engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
    finally:
        db.dispose()


def clinic(patients: int = 100_000, sessions: int = 1_000_000, seed: int = 1) -> Clinic:
    """The cached clinic of that size and seed, generated first if needed."""
    path = DATA_DIR / f"clinic-p{patients}-s{sessions}-seed{seed}-v{FORMAT}.sqlite3"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        build(path, patients, sessions, seed)
    else:
        _to_head(path)
    counts = session_counts(patients, sessions, seed)
    long_ids = tuple(i + 1 for i, c in enumerate(counts) if c == LONG_HISTORY)
    return Clinic(path, patients, sessions, seed, long_ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="generate again even if cached")
    args = parser.parse_args(argv)
    path = DATA_DIR / f"clinic-p{args.patients}-s{args.sessions}-seed{args.seed}-v{FORMAT}.sqlite3"
    if args.force:
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    made = clinic(args.patients, args.sessions, args.seed)
    took = time.perf_counter() - started
    size = made.path.stat().st_size / 1e6
    print(f"{made.path}: {made.patients} patients, {made.sessions} sessions, {size:.0f} MB")
    print(f"ready in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
