"""Registering, editing, archiving and finding patients."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from needlelog.domain.chain import NOT_KEPT
from needlelog.domain.errors import InvalidRecord
from needlelog.services import audit, patients
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.store.database import Database
from tests.factories import make_patient
from tests.snapshots import dump


def test_register_and_read_back(db: Database) -> None:
    saved = patients.register(db, make_patient(), actor="nurse")
    again = patients.get(db, saved.id)
    assert again.data == make_patient()
    assert again.version == 1
    assert not again.archived
    assert patients.find_by_record_no(db, "P-0001").id == saved.id


def test_duplicate_record_number_is_refused_and_nothing_written(db: Database) -> None:
    patients.register(db, make_patient(), actor="nurse")
    before = dump(db)
    with pytest.raises(InvalidRecord) as caught:
        patients.register(db, make_patient(family_name="Other"), actor="nurse")
    assert str(caught.value) == "record number P-0001 is already used by another patient"
    assert dump(db) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fitzpatrick": 7}, "Fitzpatrick skin type is 7; allowed: 1 to 6 (I to VI)"),
        ({"date_of_birth": date(2999, 1, 1)}, "date of birth 2999-01-01 is in the future"),
    ],
)
def test_invalid_patient_leaves_database_unchanged(
    db: Database, changes: dict[str, object], message: str
) -> None:
    before = dump(db)
    with pytest.raises(InvalidRecord) as caught:
        patients.register(db, make_patient(**changes), actor="nurse")
    assert str(caught.value).startswith(message)
    assert dump(db) == before


def test_update_records_audit_and_bumps_version(db: Database) -> None:
    saved = patients.register(db, make_patient(), actor="nurse")
    edited = patients.update(
        db, saved.id, replace(saved.data, phone="+44 1"), saved.version, actor="dr"
    )
    assert edited.version == 2
    assert edited.data.phone == "+44 1"
    with db.read() as s:
        events = audit.events_for(s, "patient", saved.id)
    assert [(e.action, e.actor) for e in events] == [("create", "nurse"), ("update", "dr")]
    # The trail says the phone changed, never to what: forgetting a patient leaves it as is.
    assert json.loads(events[1].changes) == {"phone": [NOT_KEPT, NOT_KEPT]}
    assert "+44" not in events[0].changes + events[1].changes


def test_stale_edit_is_refused_not_overwritten(db: Database) -> None:
    saved = patients.register(db, make_patient(), actor="nurse")
    patients.update(db, saved.id, replace(saved.data, phone="+44 1"), saved.version, actor="a")
    with pytest.raises(StaleRecord, match="changed by someone else"):
        patients.update(db, saved.id, replace(saved.data, phone="+44 2"), saved.version, actor="b")
    assert patients.get(db, saved.id).data.phone == "+44 1"


def test_renaming_to_a_used_record_number_is_refused(db: Database) -> None:
    patients.register(db, make_patient("A-1"), actor="n")
    second = patients.register(db, make_patient("A-2"), actor="n")
    with pytest.raises(InvalidRecord, match="already used"):
        patients.update(db, second.id, replace(second.data, record_no="A-1"), second.version, "n")


def test_archive_hides_but_keeps(db: Database) -> None:
    saved = patients.register(db, make_patient(), actor="nurse")
    patients.set_archived(db, saved.id, True, actor="nurse")
    assert patients.search(db, "Lefèvre") == []
    assert [p.id for p in patients.search(db, "Lefèvre", include_archived=True)] == [saved.id]
    assert patients.get(db, saved.id).archived
    patients.set_archived(db, saved.id, False, actor="nurse")
    assert [p.id for p in patients.search(db, "Lefèvre")] == [saved.id]


def test_missing_patient(db: Database) -> None:
    with pytest.raises(NotFound):
        patients.get(db, 999)
    with pytest.raises(NotFound):
        patients.find_by_record_no(db, "nope")


@pytest.fixture
def clinic(db: Database) -> Database:
    people = [
        ("P-001", "Lefèvre", "Zoë", date(1988, 4, 12)),
        ("P-002", "Lefebvre", "Anne", date(1990, 1, 2)),
        ("P-003", "García Márquez", "María José", date(1975, 7, 30)),
        ("P-004", "Иванова", "Анна", date(1988, 4, 12)),
        ("P-005", "王", "芳", date(2001, 11, 5)),
        ("Q-100", "Smith", "Grace", None),
    ]
    for rec, family, given, born in people:
        patients.register(
            db,
            make_patient(rec, family_name=family, given_name=given, date_of_birth=born),
            actor="n",
        )
    return db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lef", ["P-002", "P-001"]),
        ("LEFE", ["P-002", "P-001"]),
        ("lefev", ["P-001"]),
        ("zoe", ["P-001"]),
        ("marq", ["P-003"]),
        ("maria jo", ["P-003"]),
        ("анна", ["P-004"]),
        ("王", ["P-005"]),
        ("P-00", ["P-003", "P-002", "P-001", "P-005", "P-004"]),
        ("Q-1", ["Q-100"]),
        ("1988-04-12", ["P-001", "P-004"]),
        ("12.04.1988", ["P-001", "P-004"]),
        ("nobody", []),
        ("", ["P-003", "P-002", "P-001", "Q-100", "P-005", "P-004"]),
    ],
)
def test_search(clinic: Database, text: str, expected: list[str]) -> None:
    found = patients.search(clinic, text)
    assert sorted(p.record_no for p in found) == sorted(expected)
    assert patients.count(clinic, text) == len(expected)


def test_search_is_name_ordered_and_keyset_paged(clinic: Database) -> None:
    everyone = patients.search(clinic, "")
    names = [(p.data.family_name, p.data.given_name) for p in everyone]
    assert names == sorted(names)
    first = patients.search(clinic, "", limit=2)
    rest = patients.search(clinic, "", after=patients.page_key(first[-1]))
    assert [p.id for p in first + rest] == [p.id for p in everyone]


def test_search_uses_an_index_not_a_scan(clinic: Database) -> None:
    from sqlalchemy import text

    if not clinic.is_sqlite:
        pytest.skip("query plan syntax is SQLite's")
    with clinic.engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT patient_id FROM patient_name_tokens "
                "WHERE token >= 'lef' AND token < 'lef\U0010ffff'"
            )
        ).all()
    assert any("USING" in str(row[-1]) and "INDEX" in str(row[-1]) for row in plan)


def test_renaming_updates_search(clinic: Database) -> None:
    (p,) = patients.search(clinic, "Grace")
    patients.update(clinic, p.id, replace(p.data, family_name="Nakamura"), p.version, "n")
    assert patients.search(clinic, "smith") == []
    assert [x.id for x in patients.search(clinic, "naka")] == [p.id]
