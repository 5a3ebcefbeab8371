"""``Database.transaction``, the one way statements run: all or nothing, connections
from the engine's pool and back, known failures as messages a person can read."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, create_engine, func, insert, select
from sqlalchemy.exc import StatementError

from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.store.models import AuditEventRow
from tests.conftest import SERVER_URL
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.snapshots import dump

_AUDIT = insert(AuditEventRow.__table__).values(
    {
        c.key: bindparam(c.key)
        for c in AuditEventRow.__table__.columns
        if c.key not in ("id", "patient_id", "prev_hash", "hash")
    }
)


def _event(entity_id: int = 1) -> dict[str, object]:
    return {
        "at": datetime(2026, 3, 2, 10, 30, 15, 123456),
        "actor": "test",
        "entity": "patient",
        "entity_id": entity_id,
        "action": "note",
        "changes": "{}",
    }


def test_an_error_inside_writes_nothing_and_the_next_transaction_works(db: Database) -> None:
    patients.register(db, make_patient(), "test")
    before = dump(db)
    with pytest.raises(RuntimeError, match="stop"), db.transaction(write=True) as conn:
        conn.execute(_AUDIT, _event())
        conn.execute(_AUDIT, [_event(2), _event(3)])
        raise RuntimeError("stop")
    assert dump(db) == before
    with db.transaction() as conn:
        # the two default consent forms (revision 0009) and the patient
        assert conn.execute(select(func.count()).select_from(AuditEventRow)).scalar_one() == 3


def test_an_insert_gives_the_new_rows_id_and_values_come_back_as_written(db: Database) -> None:
    with db.transaction(write=True) as conn:
        new_id = conn.execute(_AUDIT, _event()).inserted_primary_key[0]
    with db.read() as s:
        stored = s.get(AuditEventRow, new_id)
        assert stored is not None
        assert stored.at == datetime(2026, 3, 2, 10, 30, 15, 123456)


def test_connections_go_back_to_the_pool(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "test")
    sessions.record(db, patient.id, make_session(), "test")
    patients.search(db, "lef")
    sessions.history(db, patient.id)
    assert db.engine.pool.checkedout() == 0
    with pytest.raises(RuntimeError), db.transaction():
        raise RuntimeError("stop")
    assert db.engine.pool.checkedout() == 0


def test_a_missing_value_is_named_and_nothing_is_written(db: Database) -> None:
    before = dump(db)
    values = _event()
    del values["actor"]
    with pytest.raises(StatementError, match="actor"), db.transaction(write=True) as conn:
        conn.execute(_AUDIT, values)
    assert dump(db) == before


def test_after_dispose_the_database_still_serves(db: Database) -> None:
    register_consenting(db, make_patient(), "test")
    db.dispose()
    assert db.engine.pool.checkedout() == 0
    assert [p.data.family_name for p in patients.search(db, "lef")] == ["Lefèvre"]
    assert db.engine.pool.checkedout() == 0


@pytest.mark.skipif(not SERVER_URL, reason="a server connection to lose")
def test_a_server_restart_costs_nothing_but_the_next_try(db: Database) -> None:
    register_consenting(db, make_patient(), "test")
    with db.transaction() as conn:  # the connection that then waits in the pool
        backend = conn.execute(select(func.pg_backend_pid())).scalar_one()
    other = create_engine(SERVER_URL)  # the server's administrator, not one of the app's
    with other.connect() as admin:
        admin.execute(select(func.pg_terminate_backend(backend)))
    other.dispose()
    # The pool checks an idle connection before handing it out, and replaces it.
    assert [p.data.family_name for p in patients.search(db, "lef")] == ["Lefèvre"]
