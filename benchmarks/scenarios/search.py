"""Search: ``services.patients.search`` for typed prefixes, a typo, a record number and
a date of birth, beside the best plain-SQL query over the same indexes."""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any

from benchmarks.harness import (
    KEYSTROKE_BUDGET,
    Context,
    Row,
    Scenario,
    open_db,
    raw_connect,
    timed,
)
from needlelog.domain.search import DENSE

SEARCH_TEXTS = ("m", "mu", "mül", "müller", "müller j", "xq")  # "xq": a typo, no match
REPEATS = 30
RAW_SEARCH = """
SELECT * FROM patients AS p
WHERE p.archived = 0 AND ({match})
ORDER BY p.family_name, p.given_name, p.id
LIMIT {limit}
"""
TOP = "\U0010ffff"


def _raw_candidates(text: str) -> tuple[str, list[Any]]:
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    parts = ["SELECT id FROM patients WHERE record_no >= ? AND record_no < ?"]
    params: list[Any] = [q.text, q.text + TOP]
    if q.birth_date is not None:
        parts.append("SELECT id FROM patients WHERE date_of_birth = ?")
        params.append(q.birth_date.isoformat())
    if q.words:
        words = " INTERSECT ".join(
            ["SELECT patient_id FROM patient_name_tokens WHERE token >= ? AND token < ?"]
            * len(q.words)
        )
        parts.append(f"SELECT patient_id FROM ({words})")
        params += [x for w in q.words for x in (w, w + TOP)]
    return " UNION ".join(parts), params


def _raw_exists(text: str) -> tuple[str, list[Any]]:
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    parts = ["(p.record_no >= ? AND p.record_no < ?)"]
    params: list[Any] = [q.text, q.text + TOP]
    if q.birth_date is not None:
        parts.append("p.date_of_birth = ?")
        params.append(q.birth_date.isoformat())
    if q.words:
        exists = (
            "EXISTS (SELECT 1 FROM patient_name_tokens AS t WHERE t.patient_id = p.id "
            "AND t.token >= ? AND t.token < ?)"
        )
        parts.append("(" + " AND ".join([exists] * len(q.words)) + ")")
        params += [x for w in q.words for x in (w, w + TOP)]
    return " OR ".join(parts), params


def raw_search(conn: sqlite3.Connection, text: str, limit: int = 100) -> list[Any]:
    """The best plain-SQL search over the same indexes: collect the matches from the
    indexes when they are few, walk the name order when they are many."""
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    conn.execute("BEGIN")

    def capped(sql: str, params: list[Any]) -> int:
        return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {DENSE})", params).fetchone()[0]

    total = capped(
        "SELECT id FROM patients WHERE record_no >= ? AND record_no < ?", [q.text, q.text + TOP]
    )
    if q.birth_date is not None:
        total += capped(
            "SELECT id FROM patients WHERE date_of_birth = ?", [q.birth_date.isoformat()]
        )
    if q.words:
        total += min(
            capped(
                "SELECT patient_id FROM patient_name_tokens WHERE token >= ? AND token < ?",
                [w, w + TOP],
            )
            for w in q.words
        )
    if total == 0:  # the indexes already said there is nothing (needlelog stops here too)
        conn.execute("COMMIT")
        return []
    if total >= DENSE:
        match, params = _raw_exists(text)
    else:
        cand, params = _raw_candidates(text)
        match = f"p.id IN ({cand})"
    rows = conn.execute(RAW_SEARCH.format(match=match, limit=limit), params).fetchall()
    conn.execute("COMMIT")
    return rows


def search_texts(args: argparse.Namespace) -> list[str]:
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    born, record_no = conn.execute(
        "SELECT date_of_birth, record_no FROM patients WHERE id = ?", (args.patient_id,)
    ).fetchone()
    conn.close()
    return [*SEARCH_TEXTS, record_no[:-2], born]


def w_search(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    texts = search_texts(args)
    times: dict[str, dict[str, Any]] = {}
    hits: dict[str, int] = {}
    if variant == "needlelog":
        from needlelog.services import patients

        db = open_db(args.db)
        for text in texts:
            times[text] = timed(lambda t=text: patients.search(db, t, limit=100), REPEATS)
            hits[text] = len(patients.search(db, text, limit=100))
    else:
        conn = raw_connect(args.db)
        for text in texts:
            times[text] = timed(lambda t=text: raw_search(conn, t), REPEATS)
            hits[text] = len(raw_search(conn, text))
    return {"times": times, "hits": hits}


def rows(ctx: Context) -> list[Row]:
    mine, raw = ctx.pair("search")
    return [
        Row(
            f"search {text!r} ({mine['hits'][text]} shown)",
            timing["seconds"],
            raw["times"][text]["seconds"],
            mine["peak_rss_mb"],
            raw["peak_rss_mb"],
            KEYSTROKE_BUDGET,
            p95=timing["p95"],
        )
        for text, timing in mine["times"].items()
    ]


SCENARIO = Scenario("search", {"search": w_search}, rows)
