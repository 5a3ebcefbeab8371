"""The limit of the "CSV import" scenario: the rows of patients.csv and sessions.csv
put into the same tables with ``csv`` and ``sqlite3``'s ``executemany`` in one
transaction, with the connection settings needlelog uses.

What it leaves out, and why that is fair to compare: every check (codes, ranges,
dates, contraindications, duplicates), the audit trail, the course summary and
the refusal report, which needlelog does on every row; and the smaller per-area
and per-answer cells (passes and endpoint per area, area labels, screening
answers, VSS items), so it writes somewhat fewer rows than needlelog does. The file format's
names (files, columns, separators, grade words) come from the app's own modules.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

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


def plain_import(db_path: Path, patients_csv: Path, sessions_csv: Path) -> int:
    """Insert every row; return how many sessions went in."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        ids: dict[str, int] = {}
        patients = []
        for i, p in enumerate(_rows(patients_csv), start=1):
            ids[p["record_no"]] = i
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
        sessions, areas, products, scores = [], [], [], []
        for sid, s in enumerate(_rows(sessions_csv), start=1):
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
            for n, item in enumerate(f.items(s["areas"])):
                area, _, depth = item.partition(":")
                areas.append((sid, n, area, _depth_um(depth or s["needle_depth_mm"])))
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
            "INSERT INTO treated_areas (session_id, position, area, label, depth_um) "
            "VALUES (?, ?, ?, '', ?)",
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
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(sessions)
