"""Statements on the driver's own connection (store.driver, Database.direct) must read
and write exactly what the same statements do through SQLAlchemy, on every database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import bindparam, func, insert, select

from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.store.errors import DatabaseUnavailable
from needlelog.store.models import AuditEventRow, PatientRow, SessionRow
from tests.conftest import SERVER_URL
from tests.factories import make_patient, make_session
from tests.snapshots import dump

_PATIENT = select(PatientRow.__table__).where(PatientRow.id == bindparam("pid"))
_AUDIT = insert(AuditEventRow.__table__).values(
    {c.key: bindparam(c.key) for c in AuditEventRow.__table__.columns if c.key != "id"}
)


def _event(entity_id: int = 1) -> dict[str, object]:
    from datetime import datetime

    return {
        "at": datetime(2026, 3, 2, 10, 30, 15, 123456),
        "actor": "test",
        "entity": "patient",
        "entity_id": entity_id,
        "action": "note",
        "changes": "{}",
    }


def test_rows_read_directly_are_the_rows_sqlalchemy_reads(db: Database) -> None:
    born = date(1961, 12, 31)
    made = patients.register(db, make_patient(date_of_birth=born), "test")
    patients.set_archived(db, made.id, True, "test")
    with db.read() as s:
        expected = s.execute(_PATIENT, {"pid": made.id}).all()
    with db.direct() as conn:
        result = conn.execute(_PATIENT, {"pid": made.id})
        keys, got = result.keys(), result.all()
    assert [tuple(r) for r in expected] == got
    assert keys == list(PatientRow.__table__.c.keys())
    row = dict(zip(keys, got[0], strict=True))
    # Values arrive as Python's types, whatever the database stores them as.
    assert row["date_of_birth"] == born
    assert row["archived"] is True
    assert type(row["created_at"]).__name__ == "datetime"


def test_a_search_page_holds_the_patients_as_read_one_by_one(db: Database) -> None:
    for i, (family, given) in enumerate([("Müller", "Jörg"), ("Muller", "Ann"), ("Moss", "")]):
        patients.register(db, make_patient(f"P-{i}", family_name=family, given_name=given), "test")
    found = patients.search(db, "mu")
    assert [p.data.family_name for p in found] == ["Muller", "Müller"]
    assert found == [patients.find_by_record_no(db, p.data.record_no) for p in found]
    assert [patients.get(db, p.id) for p in found] == found


def test_a_written_session_reads_back_as_saved(db: Database) -> None:
    patient = patients.register(db, make_patient(), "test")
    saved = sessions.record(db, patient.id, make_session(), "test")
    assert sessions.get(db, saved.id) == saved
    assert sessions.history(db, patient.id) == [saved]


def test_an_error_inside_writes_nothing_and_the_connection_serves_again(db: Database) -> None:
    patients.register(db, make_patient(), "test")
    before = dump(db)
    with pytest.raises(RuntimeError, match="stop"), db.direct(write=True) as conn:
        conn.execute(_AUDIT, _event())
        conn.execute(_AUDIT, [_event(2), _event(3)])
        raise RuntimeError("stop")
    assert dump(db) == before
    with db.direct() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEventRow)).scalar_one() == 1


def test_an_insert_gives_the_new_rows_id(db: Database) -> None:
    with db.direct(write=True) as conn:
        new_id = conn.execute(_AUDIT, _event()).inserted_primary_key[0]
    with db.read() as s:
        assert s.get(AuditEventRow, new_id) is not None
        assert s.get(AuditEventRow, new_id).at.microsecond == 123456


def test_a_missing_value_is_named_and_nothing_is_written(db: Database) -> None:
    before = dump(db)
    values = _event()
    del values["actor"]
    with pytest.raises(KeyError, match="actor"), db.direct(write=True) as conn:
        conn.execute(_AUDIT, values)
    assert dump(db) == before


def test_a_statement_with_an_expanding_list_is_refused(db: Database) -> None:
    stmt = select(SessionRow.id).where(SessionRow.id.in_([1, 2, 3]))
    with pytest.raises(ValueError, match="IN-lists"), db.direct() as conn:
        conn.execute(stmt)


def test_after_dispose_no_connection_is_kept(db: Database) -> None:
    with db.direct() as conn:
        conn.execute(_PATIENT, {"pid": 1})
    assert db.engine.pool.checkedout() == 1  # kept for the next call
    db.dispose()
    assert db.engine.pool.checkedout() == 0
    with db.direct() as conn:  # still usable, the connection is given back at once
        assert conn.execute(_PATIENT, {"pid": 1}).all() == []
    assert db.engine.pool.checkedout() == 0


@pytest.mark.skipif(not SERVER_URL, reason="a server connection to lose")
def test_a_lost_server_connection_is_reported_and_replaced(db: Database) -> None:
    patients.register(db, make_patient(), "test")
    with db.direct() as conn:  # the connection that then waits for the next call
        backend = conn.execute(select(func.pg_backend_pid())).scalar_one()
    with db.engine.connect() as other:
        other.execute(select(func.pg_terminate_backend(backend)))
    with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
        patients.search(db, "lef")
    assert [p.data.family_name for p in patients.search(db, "lef")] == ["Lefèvre"]
