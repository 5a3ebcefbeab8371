"""The yardstick for CSV export speed: plain ``sqlite3`` + ``csv`` writing the same files.

It writes the same two files as ``export_csv`` (every column, children joined
per session, multi-valued cells escaped, formula-looking cells protected),
with all of that done in SQL so that Python only hands rows to ``csv.writer``:
the fastest a hand-written exporter of the same output could be. It reads the
raw stored text (SQLite's date format) and assumes valid stored values
(known codes, depths on 0.01 mm, no negative numbers), which is what the
bulk benchmark data holds; the benchmark checks both outputs are identical.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from needlelog.domain.contraindications import Contraindication
from needlelog.exchange import csv_format as f

_RISKY = ", ".join(
    "char(9)" if c == "\t" else "char(13)" if c == "\r" else "'" + c.replace("'", "''") + "'"
    for c in (*f.FORMULA_STARTS, f.QUOTE)
)


def _protect(expr: str) -> str:
    return f"(CASE WHEN substr({expr}, 1, 1) IN ({_RISKY}) THEN '''' || {expr} ELSE {expr} END)"


def _escape(expr: str) -> str:
    for ch in f.SPECIAL:
        expr = f"replace({expr}, '{ch}', '\\{ch}')"
    return expr


def _yes(expr: str) -> str:
    return f"(CASE WHEN {expr} THEN 'yes' ELSE 'no' END)"


def _score(scale: str, item: str) -> str:
    return (
        f"(SELECT score FROM assessments WHERE session_id = s.id AND scale = '{scale}' "
        f"AND item = '{item}')"
    )


_KEY = f"(CASE WHEN area = 'other' THEN 'other(' || {_escape('label')} || ')' ELSE area END)"
_AREAS = f"(SELECT {_KEY} AS k, * FROM treated_areas WHERE session_id = s.id ORDER BY position)"
_SHARED = "count(DISTINCT coalesce(passes, -1)) = 1 AND max(passes) IS NOT NULL"
_VSS = (
    "EXISTS (SELECT 1 FROM assessments WHERE session_id = s.id AND scale = 'vancouver_scar_scale')"
)
_SCREEN_ORDER = " ".join(f"WHEN '{c.value}' THEN {i}" for i, c in enumerate(Contraindication))
_GRADE = "CASE {0} WHEN 0 THEN 'none' WHEN 1 THEN 'mild' WHEN 2 THEN 'moderate' "
_GRADE += "WHEN 3 THEN 'severe' END"
_SERUM = (
    f"CASE WHEN lot <> '' OR expiry IS NOT NULL THEN {_escape('name')} || '|' || "
    f"{_escape('lot')} || '|' || coalesce(expiry, '') ELSE {_escape('name')} END"
)

SESSIONS_SQL = f"""
SELECT {_protect("p.record_no")},
       CASE WHEN substr(s.performed_at, 12) = '00:00:00.000000' THEN substr(s.performed_at, 1, 10)
            WHEN substr(s.performed_at, 21) = '000000'
            THEN substr(s.performed_at, 1, 10) || 'T' || substr(s.performed_at, 12, 8)
            ELSE substr(s.performed_at, 1, 10) || 'T' || substr(s.performed_at, 12) END,
       {_protect("s.practitioner")},
       s.indications,
       (SELECT group_concat(k || ':' || printf('%.2f', depth_um / 1000.0), ';') FROM {_AREAS}),
       (SELECT printf('%.2f', max(depth_um) / 1000.0) FROM treated_areas
         WHERE session_id = s.id GROUP BY session_id),
       (SELECT CASE WHEN {_SHARED} THEN max(passes) END FROM treated_areas
         WHERE session_id = s.id),
       (SELECT g FROM (SELECT group_concat({_SERUM}, ';') AS g FROM
         (SELECT * FROM session_products WHERE session_id = s.id ORDER BY position))),
       CASE WHEN s.numbing_product <> '' AND s.numbing_minutes IS NOT NULL
            THEN {_protect(_escape("s.numbing_product"))} || ':' || s.numbing_minutes END,
       {_GRADE.format("s.redness")}, {_GRADE.format("s.bruising")},
       {_GRADE.format("s.swelling")},
       s.pain,
       {_score("goodman_baron_qualitative", "grade")},
       {_score("gais", "score")},
       {_protect("s.notes")},
       s.next_due,
       (SELECT CASE WHEN ({_SHARED}) OR count(*) < 2 THEN ''
               ELSE group_concat(k || ':' || passes, ';') END FROM {_AREAS}),
       (SELECT group_concat(k || ':' || endpoint, ';') FROM {_AREAS}),
       {_protect("s.device")},
       s.cartridge_needles,
       {_protect("s.cartridge_lot")},
       s.pen_speed,
       {_yes("s.pinpoint_bleeding")},
       {_yes("s.acne_flare")},
       {_protect("s.adverse_events")},
       {_score("satisfaction_nrs", "score")},
       {
    ", ".join(
        f"CASE WHEN {_VSS} THEN coalesce({_score('vancouver_scar_scale', i)}, 0) END"
        for i in ("vascularity", "pigmentation", "pliability", "height")
    )
},
       {_yes("s.aftercare_given")},
       (SELECT group_concat(item || ':' || {_yes("present")} || coalesce(':' || since, ''), ';')
          FROM (SELECT * FROM screening_answers WHERE session_id = s.id
                ORDER BY CASE item {_SCREEN_ORDER} END)),
       {_yes("s.cautions_acknowledged")},
       {_protect("s.override_reason")}
  FROM treatment_sessions s JOIN patients p ON p.id = s.patient_id
 ORDER BY s.id
"""

PATIENTS_SQL = f"""
SELECT {_protect("record_no")}, {_protect("family_name")}, {_protect("given_name")},
       date_of_birth, sex, {_protect("phone")}, {_protect("email")}, fitzpatrick,
       contraindications, {_protect("notes")}, planned_sessions, {_yes("archived")}
  FROM patients ORDER BY id
"""


def plain_export(db_path: Path, out_dir: Path) -> tuple[int, int]:
    """Write patients.csv and sessions.csv; return how many rows each holds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path)
    counts = []
    try:
        for name, header, sql in (
            (f.PATIENTS_FILE, f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS, PATIENTS_SQL),
            (f.SESSIONS_FILE, f.SESSION_COLUMNS + f.SESSION_EXTRA_COLUMNS, SESSIONS_SQL),
        ):
            with open(out_dir / name, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                rows = 0
                for row in conn.execute(sql):
                    writer.writerow(row)
                    rows += 1
            counts.append(rows)
    finally:
        conn.close()
    return counts[0], counts[1]
