"""Search collects rare matches from the indexes and walks the name order for common
ones; both ways must give the same patients in the same order, page by page."""

from __future__ import annotations

import pytest

from needlelog.domain.search import parse_query
from needlelog.services import demo, patients
from needlelog.store.database import Database
from needlelog.store.tables import patients as patient_table
from tests.conftest import SERVER_URL

QUERIES = [
    "", "m", "mu", "mül", "MÜLLER", "zoe", "zoë lef", "ó briain", "иван", "王", "DEMO-0001",
    "demo-00", "xq", "1990-01-01", "e a", "smith emma",
]  # fmt: skip


@pytest.fixture
def filled(db: Database) -> Database:
    demo.fill(db, 120, seed=11)
    first = patients.search(db, "", limit=1)[0]
    patients.set_archived(db, first.id, True, "test")
    return db


def _pages(db: Database, text: str, include_archived: bool) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        page = patients.search(db, text, limit=7, after=after, include_archived=include_archived)
        out += [p.record_no for p in page]
        if len(page) < 7:
            return out
        after = patients.page_key(page[-1])


@pytest.mark.parametrize("include_archived", [False, True])
def test_both_plans_give_the_same_pages(
    filled: Database, monkeypatch: pytest.MonkeyPatch, include_archived: bool
) -> None:
    born = patients.search(filled, "", limit=5)[3].data.date_of_birth
    assert born is not None
    queries = [*QUERIES, born.isoformat(), born.strftime("%d.%m.%Y")]
    monkeypatch.setattr(patients, "DENSE", 10**9)  # always collect from the indexes
    collected = {q: _pages(filled, q, include_archived) for q in queries}
    counted = {q: patients.count(filled, q, include_archived) for q in queries}
    monkeypatch.setattr(patients, "DENSE", 1)  # always walk the name order
    walked = {q: _pages(filled, q, include_archived) for q in queries}
    assert collected == walked
    assert counted == {q: len(v) for q, v in walked.items()}
    assert collected["xq"] == []
    assert len(collected["m"]) > 7  # several pages
    assert collected[born.isoformat()]  # a date of birth finds its patient


def test_a_pasted_paragraph_finds_nothing_instead_of_failing(filled: Database) -> None:
    paragraph = " ".join(f"word{i}" for i in range(1200))
    assert patients.search(filled, paragraph) == []
    assert patients.count(filled, paragraph) == 0


def test_a_word_that_begins_another_adds_nothing(filled: Database) -> None:
    some = patients.search(filled, "", limit=3)[2]
    family = some.data.family_name.split()[0]
    full = patients.search(filled, family)
    assert some.id in {p.id for p in full}
    assert patients.search(filled, f"{family[:1]} {family}") == full
    assert patients.count(filled, f"{family[:1]} {family}") == len(full)


@pytest.mark.skipif(bool(SERVER_URL), reason="SQLite's plan")
def test_walking_the_name_order_reads_the_index_alone(db: Database) -> None:
    """A letter that matches thousands walks the name order and tests each patient it
    passes: every column it tests is in the name-order index, so the table is read
    only for the page's own rows (the walk for the page's ids never reads it)."""
    query = parse_query("m")
    walk = patients._search_statement(patients._shape(query), True, False, False, 200)
    with db.transaction() as conn:
        ids = walk.with_only_columns(patient_table.c.id).compile(dialect=conn.dialect)
        values = {**ids.params, **patients._params(query)}
        args = tuple(values[name] for name in ids.positiontup or ())
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {ids}", args)]
    assert "SCAN patients USING COVERING INDEX ix_patients_sort_name" in plan, plan
