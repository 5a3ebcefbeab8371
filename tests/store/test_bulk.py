"""Rows written by ``store.bulk`` are stored exactly as a Core insert stores them, and
numbered rows answer the ids they were stored under (SQLite and, with
NEEDLELOG_TEST_SERVER_DB, PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import CompileError, IntegrityError

from needlelog.store import bulk, tables
from needlelog.store.database import Database

_STAMP = datetime(2026, 3, 2, 10, 30)  # no microseconds: SQLite's text form still has them


def _event(n: int, at: datetime = _STAMP, patient_id: int | None = None) -> dict[str, object]:
    return {"at": at, "actor": "nurse", "entity": "session", "entity_id": n,
            "action": "create", "changes": "{}", "patient_id": patient_id,
            "prev_hash": "", "hash": f"h{n}"}  # fmt: skip


def _stored_text(db: Database, table: str, column: str, order: str) -> list[object]:
    with db.transaction() as conn:
        sql = f"SELECT CAST({column} AS TEXT) FROM {table} ORDER BY {order}"
        return [r[0] for r in conn.exec_driver_sql(sql)]


def _count(db: Database) -> int:
    with db.transaction() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.audit_events)).scalar())


def test_rows_are_stored_as_a_core_insert_stores_them(db: Database) -> None:
    before = _count(db)  # the forms seeded by the migrations have their events
    with db.transaction(write=True) as conn:
        conn.execute(
            insert(tables.audit_events), [_event(1), _event(2, _STAMP.replace(microsecond=5))]
        )
        bulk.insert_many(
            conn, tables.audit_events, [_event(3), _event(4, _STAMP.replace(microsecond=5), 7)]
        )
    texts = _stored_text(db, "audit_events", "at", "id")[before:]
    assert texts[0] == texts[2] and texts[1] == texts[3]
    with db.transaction() as conn:
        rows = conn.execute(select(tables.audit_events).order_by(tables.audit_events.c.id)).all()
    rows = rows[before:]
    assert [r.at for r in rows] == [_STAMP, _STAMP.replace(microsecond=5)] * 2
    assert [r.patient_id for r in rows] == [None, None, None, 7]
    assert [r.hash for r in rows] == ["h1", "h2", "h3", "h4"]


def test_dates_and_yes_no_values_keep_their_type(db: Database) -> None:
    with db.transaction(write=True) as conn:
        conn.execute(insert(tables.patients).values(
            record_no="P-1", family_name="Hart", given_name="Ada", phone="", email="",
            contraindications="", notes="", archived=False, course_sessions=0,
            sessions_total=0, created_at=_STAMP, updated_at=_STAMP, version=1))  # fmt: skip
        (pid,) = conn.execute(select(tables.patients.c.id)).one()
        (sid,) = bulk.insert_many_numbered(conn, tables.treatment_sessions, [{
            "patient_id": pid, "performed_at": _STAMP, "practitioner": "Dr. Hart",
            "created_at": _STAMP, "updated_at": _STAMP, "version": 1}])  # fmt: skip
        answers = [
            {"session_id": sid, "item": "pregnancy", "present": False, "since": None, "detail": ""},
            {"session_id": sid, "item": "isotretinoin", "present": True,
             "since": date(2025, 9, 1), "detail": "stopped"},
        ]  # fmt: skip
        bulk.insert_many(conn, tables.screening_answers, answers)
    with db.transaction() as conn:
        got = conn.execute(
            select(tables.screening_answers).order_by(tables.screening_answers.c.item)
        ).all()
        performed = conn.execute(select(tables.treatment_sessions.c.performed_at)).scalar()
    assert [(r.item, r.present, r.since, r.detail) for r in got] == [
        ("isotretinoin", True, date(2025, 9, 1), "stopped"),
        ("pregnancy", False, None, ""),
    ]
    assert performed == _STAMP


def test_numbered_rows_answer_their_ids_in_order_after_the_stored_ones(db: Database) -> None:
    with db.transaction(write=True) as conn:
        first = bulk.insert_many_numbered(conn, tables.audit_events, [_event(n) for n in range(3)])
        more = bulk.insert_many_numbered(
            conn, tables.audit_events, [_event(n) for n in range(3, 5)]
        )
        assert bulk.insert_many_numbered(conn, tables.audit_events, []) == []
    with db.transaction() as conn:
        events = conn.execute(select(tables.audit_events.c.id, tables.audit_events.c.hash))
        stored = {row.id: row.hash for row in events}
    assert len(set(first + more)) == 5
    assert first == sorted(first) and more == sorted(more) and min(more) > max(first)
    assert [stored[i] for i in first + more] == [f"h{n}" for n in range(5)]


def test_a_refused_row_writes_none_of_the_rows(db: Database) -> None:
    before = _count(db)
    broken = _event(2)
    broken["actor"] = None  # the column is required
    with pytest.raises(IntegrityError), db.transaction(write=True) as conn:
        bulk.insert_many(conn, tables.audit_events, [_event(1), broken])
    assert _count(db) == before


def test_rows_naming_unknown_columns_are_refused_before_anything_is_written(db: Database) -> None:
    before = _count(db)
    with pytest.raises(CompileError, match="colour"), db.transaction(write=True) as conn:
        bulk.insert_many(conn, tables.audit_events, [{**_event(1), "colour": "red"}])
    assert _count(db) == before
