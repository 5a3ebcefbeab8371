"""The limit of the "save a session" scenario: the same outcome as
``services.sessions.record``, hand-written with ``sqlite3``.

One durable transaction (BEGIN IMMEDIATE, on a connection with the store's
pragmas) that reads what the stored values depend on (the patient's planned
course, the clinic's protocol setting, the dates of the patient's sessions),
writes the session with its areas, products, screening answers and scores, the
audit event with the same JSON, and the patient's course summary computed as
the store computes it. It leaves out only the validation of the form's values.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from benchmarks.generate import INSERTS, session_rows
from needlelog.domain import course
from needlelog.domain.chain import GENESIS, event_hash
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol
from needlelog.domain.records import SessionData


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond:06d}"


def plain_record(conn: sqlite3.Connection, patient_id: int, data: SessionData, actor: str) -> int:
    """Save a new session for ``patient_id`` and return its id."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute(
            "SELECT archived, planned_sessions FROM patients WHERE id = ?", (patient_id,)
        ).fetchone()
        if found is None or found[0]:
            raise ValueError(f"no active patient with id {patient_id}")
        planned_sessions = found[1]
        setting = conn.execute("SELECT value FROM settings WHERE key = 'protocol'").fetchone()
        protocol = (
            DEFAULT_PROTOCOL if setting is None else Protocol.from_json(json.loads(setting[0]))
        )
        # The new session sorts after any earlier one at the same moment (its id is larger).
        earlier = conn.execute(
            "SELECT performed_at, next_due FROM treatment_sessions WHERE patient_id = ? "
            "ORDER BY performed_at, id",
            (patient_id,),
        ).fetchall()
        on = data.performed_at.date()
        days = [date.fromisoformat(r[0][:10]) for r in earlier]
        planned = planned_sessions or protocol.planned_sessions
        due = data.next_due or course.default_next_due(
            on, course.position_in_course([*days, on], on), planned, protocol
        )
        at = _stamp(data.performed_at)
        last_due = due
        last_on = on
        for stamp, next_due in earlier:
            if stamp > at:  # a session recorded later in time than this one stays the latest
                last_on = date.fromisoformat(stamp[:10])
                last_due = date.fromisoformat(next_due) if next_due else None
        all_days = [*days, on]
        sizes = course.course_sizes(all_days)
        summary = course.status_from_summary(
            last_on, sizes[-1], last_on, protocol, planned_sessions, last_due
        )
        rows = session_rows(None, patient_id, replace(data, next_due=due), due)
        now = _stamp(datetime.now(UTC).replace(tzinfo=None))
        session = list(rows["sessions"][0])
        session[-4:-2] = [now, now]  # created_at, updated_at
        sid = conn.execute(INSERTS["sessions"], session).lastrowid
        assert sid is not None
        for table in ("areas", "products", "screening", "assessments"):
            conn.executemany(INSERTS[table], [(sid, *r[1:]) for r in rows[table]])
        _at, _actor, entity, _sid, action, changes, _pid = rows["audit"][0]
        last = conn.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        digest = event_hash(
            prev, datetime.fromisoformat(now), actor, entity, sid, action, changes, patient_id
        )
        conn.execute(
            INSERTS["audit"],
            (now, actor, entity, sid, action, changes, patient_id, prev, digest),
        )
        conn.execute(
            "UPDATE patients SET last_session_on = ?, course_sessions = ?, sessions_total = ?, "
            "next_due = ? WHERE id = ?",
            (
                last_on.isoformat(),
                sizes[-1],
                len(all_days),
                summary.next_due.isoformat() if summary.next_due else None,
                patient_id,
            ),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return sid


def plain_rows(conn: sqlite3.Connection, session_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of one session (without ids and timestamps), its audit event's
    content and its patient's summary: what a test compares between the two saves."""
    session = conn.execute(
        "SELECT * FROM treatment_sessions WHERE id = ?", (session_id,)
    ).fetchone()
    cols = [d[0] for d in conn.execute("SELECT * FROM treatment_sessions LIMIT 0").description]
    values = dict(zip(cols, session, strict=True))
    pid = values["patient_id"]
    out: dict[str, list[tuple[Any, ...]]] = {
        "session": [
            tuple(v for k, v in values.items() if k not in ("id", "created_at", "updated_at"))
        ]
    }
    for table, order in (
        ("treated_areas", "position"),
        ("session_products", "position"),
        ("screening_answers", "item"),
        ("assessments", "scale, item"),
    ):
        out[table] = [
            tuple(r[1:] if table in ("treated_areas", "session_products") else r)[1:]
            for r in conn.execute(
                f"SELECT * FROM {table} WHERE session_id = ? ORDER BY {order}", (session_id,)
            )
        ]
    out["audit"] = [
        tuple(r)
        for r in conn.execute(
            "SELECT actor, entity, action, changes FROM audit_events "
            "WHERE entity = 'session' AND entity_id = ?",
            (session_id,),
        )
    ]
    out["summary"] = [
        tuple(
            conn.execute(
                "SELECT last_session_on, course_sessions, sessions_total, next_due, version "
                "FROM patients WHERE id = ?",
                (pid,),
            ).fetchone()
        )
    ]
    return out
