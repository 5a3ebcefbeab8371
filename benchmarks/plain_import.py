"""The limit of the "CSV import" scenario: the rows of patients.csv and sessions.csv
put into the same tables with ``csv`` and ``sqlite3``'s ``executemany`` in one
transaction, with the connection settings needlelog uses.

It writes the same rows needlelog writes: patients with their name search words,
sessions, treated areas (with passes and endpoint per area), products, scores,
screening answers, and one audit event per patient and per session, chained by
SHA-256 as the trail is (its changes: the row as read, in JSON). What it leaves out
is every check (codes, ranges, dates, contraindications, duplicates), the course
summary and the refusal report, which needlelog does on every row, and the VSS
items (none in the benchmark clinic). The file format's names (files, columns,
separators, grade words) come from the app's own modules.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from needlelog.domain.chain import GENESIS, event_hash
from needlelog.domain.codes import Grade
from needlelog.exchange import csv_format as f
from needlelog.services.mapping import GAIS, GOODMAN_BARON, SATISFACTION

_GRADES = {g.word: int(g) for g in Grade}
STAMP = datetime(2026, 1, 1).isoformat(" ")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {k: f.unprotect(v) for k, v in row.items()}


def _int(cell: str) -> int | None:
    return int(cell) if cell else None


def _depth_um(text: str) -> int:
    return round(float(text) * 1000)


def _per_area(cell: str) -> dict[str, str]:
    return dict(item.split(":", 1) for item in f.items(cell))


class _Trail:
    """Audit events chained as the trail chains them."""

    def __init__(self) -> None:
        self.prev, self.rows = GENESIS, []
        self.at = datetime(2026, 1, 1)

    def add(self, entity: str, entity_id: int, row: dict[str, str], patient_id: int) -> None:
        text = json.dumps(row, ensure_ascii=False, sort_keys=True)
        digest = event_hash(self.prev, self.at, "plain", entity, entity_id, "create", text,
                            patient_id)  # fmt: skip
        self.rows.append((STAMP, "plain", entity, entity_id, "create", text, patient_id,
                          self.prev, digest))  # fmt: skip
        self.prev = digest


def plain_import(db_path: Path, patients_csv: Path, sessions_csv: Path) -> int:
    """Insert every row; return how many sessions went in."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        ids: dict[str, int] = {}
        patients, tokens, trail = [], [], _Trail()
        for i, p in enumerate(_rows(patients_csv), start=1):
            ids[p["record_no"]] = i
            words = set(re.findall(r"\w+", f"{p['family_name']} {p['given_name']}".casefold()))
            tokens.extend((i, w) for w in sorted(words))
            trail.add("patient", i, p, i)
            patients.append(
                (i, p["record_no"], p["family_name"], p["given_name"], p["date_of_birth"] or None,
                 p["sex"] or None, p["phone"], p["email"], _int(p["fitzpatrick"]),
                 p["contraindications"], p["notes"], _int(p["planned_sessions"]),
                 p["archived"] == "yes", STAMP, STAMP)
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO patients (id, record_no, family_name, given_name, date_of_birth, sex, "
            "phone, email, fitzpatrick, contraindications, notes, planned_sessions, archived, "
            "course_sessions, sessions_total, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, 1)",
            patients,
        )
        conn.executemany(
            "INSERT INTO patient_name_tokens (patient_id, token) VALUES (?, ?)", tokens
        )
        sessions, areas, products, scores, answers = [], [], [], [], []
        for sid, s in enumerate(_rows(sessions_csv), start=1):
            trail.add("session", sid, s, ids[s["record_no"]])
            numbing, _, minutes = s["numbing"].rpartition(":")
            sessions.append(
                (sid, ids[s["record_no"]], s["performed_on"].replace("T", " "), s["practitioner"],
                 s["indications"], s["device"], _int(s["cartridge_needles"]), s["cartridge_lot"],
                 _int(s["pen_speed"]), numbing, _int(minutes),
                 *(_GRADES.get(s[g]) for g in ("redness", "bruising", "swelling")),
                 s["pinpoint_bleeding"] == "yes", s["acne_flare"] == "yes", s["adverse_events"],
                 _int(s["pain"]), s["notes"], s["aftercare_given"] == "yes", s["next_due"] or None,
                 s["cautions_acknowledged"] == "yes", s["override_reason"], STAMP, STAMP)
            )  # fmt: skip
            passes, endpoints = _per_area(s["area_passes"]), _per_area(s["area_endpoints"])
            for n, item in enumerate(f.items(s["areas"])):
                area, _, depth = item.partition(":")
                areas.append((sid, n, area, _depth_um(depth or s["needle_depth_mm"]),
                              _int(passes.get(area, s["passes"])), endpoints.get(area)))  # fmt: skip
            for item in f.items(s["screening"]):
                code, answer, *rest = item.split(":")
                answers.append((sid, code, answer == "yes", (rest[0] if rest else "") or None,
                                rest[1] if len(rest) > 1 else ""))  # fmt: skip
            for n, item in enumerate(f.items(s["serums"])):
                name, _, rest = item.partition("|")
                lot, _, expiry = rest.partition("|")
                products.append((sid, n, name, lot, expiry or None))
            for (scale, version), item, cell in (
                (GOODMAN_BARON, "grade", s["scar_grade"]),
                (GAIS, "score", s["gais"]),
                (SATISFACTION, "score", s["satisfaction"]),
            ):
                if cell:
                    scores.append((sid, scale, item, version, int(cell)))
        conn.executemany(
            "INSERT INTO treatment_sessions (id, patient_id, performed_at, practitioner, "
            "indications, device, cartridge_needles, cartridge_lot, pen_speed, numbing_product, "
            "numbing_minutes, redness, bruising, swelling, pinpoint_bleeding, acne_flare, "
            "adverse_events, pain, notes, aftercare_given, next_due, cautions_acknowledged, "
            "override_reason, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO treated_areas (session_id, position, area, label, depth_um, passes, "
            "endpoint) VALUES (?, ?, ?, '', ?, ?, ?)",
            areas,
        )
        conn.executemany(
            "INSERT INTO session_products (session_id, position, name, lot, expiry) "
            "VALUES (?, ?, ?, ?, ?)",
            products,
        )
        conn.executemany(
            "INSERT INTO assessments (session_id, scale, item, scale_version, score) "
            "VALUES (?, ?, ?, ?, ?)",
            scores,
        )
        conn.executemany(
            "INSERT INTO screening_answers (session_id, item, present, since, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            answers,
        )
        conn.executemany(
            "INSERT INTO audit_events (at, actor, entity, entity_id, action, changes, "
            "patient_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            trail.rows,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(sessions)
