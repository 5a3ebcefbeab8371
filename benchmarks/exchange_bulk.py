"""Fill a migrated SQLite database with many plain sessions fast (scale tests, benchmarks).

Rows go in with executemany, bypassing the services: this is for measuring
exports of big tables, never for clinical data.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

AREAS = ("cheek_left", "cheek_right", "forehead")


def fill(path: Path, sessions: int, per_patient: int = 10) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        stamp = "2026-01-01 00:00:00.000000"
        n_patients = max(1, sessions // per_patient)
        conn.executemany(
            "INSERT INTO patients (id, record_no, family_name, given_name, date_of_birth, sex, "
            "phone, email, fitzpatrick, contraindications, notes, archived, course_sessions, "
            "sessions_total, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, 'female', '+44 20 7946 0000', 'a@example.org', 3, '', "
            "'Rolling scars, \"both\" cheeks', 0, 0, 0, ?, ?, 1)",
            (
                (i, f"B-{i:07d}", f"Family{i}", "Zoë", "1980-01-01", stamp, stamp)
                for i in range(1, n_patients + 1)
            ),
        )
        base = datetime(2020, 1, 1, 9, 0)

        def session_rows():
            for sid in range(1, sessions + 1):
                at = base + timedelta(minutes=sid)
                yield (
                    sid,
                    (sid - 1) % n_patients + 1,
                    at.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    (at.date() + timedelta(days=28)).isoformat(),
                    stamp,
                    stamp,
                )

        conn.executemany(
            "INSERT INTO treatment_sessions (id, patient_id, performed_at, practitioner, "
            "indications, device, cartridge_lot, numbing_product, numbing_minutes, redness, "
            "bruising, swelling, pinpoint_bleeding, acne_flare, adverse_events, pain, notes, "
            "aftercare_given, next_due, cautions_acknowledged, override_reason, created_at, "
            "updated_at, version) VALUES (?, ?, ?, 'Dr. Amelia Hart', 'acne_scars', 'Pen', "
            "'C1', 'Lidocaine 5% cream', 25, 2, 0, 1, 0, 0, '', 4, 'Went well, no issues', 0, "
            "?, 0, '', ?, ?, 1)",
            session_rows(),
        )
        conn.executemany(
            "INSERT INTO treated_areas (session_id, position, area, label, depth_um, passes) "
            "VALUES (?, ?, ?, '', ?, 3)",
            (
                (sid, pos, area, 500 + 50 * pos)
                for sid in range(1, sessions + 1)
                for pos, area in enumerate(AREAS)
            ),
        )
        conn.executemany(
            "INSERT INTO session_products (session_id, position, name, lot, expiry) "
            "VALUES (?, 0, 'Vitamin C serum', 'VC2291', ?)",
            ((sid, date(2030, 1, 1).isoformat()) for sid in range(1, sessions + 1)),
        )
        conn.executemany(
            "INSERT INTO assessments (session_id, scale, item, scale_version, score) "
            "VALUES (?, 'goodman_baron_qualitative', 'grade', '1996', 3)",
            ((sid,) for sid in range(1, sessions + 1)),
        )
        conn.commit()
    finally:
        conn.close()
