"""The photo clinic of issue 16: who gets photos and which ones (the clinic itself is
made from the full-size data by ``python -m benchmarks.photo_clinic``)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter

import pytest

from benchmarks import photo_clinic


@pytest.fixture
def sessions() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE treatment_sessions (id INTEGER PRIMARY KEY, patient_id INTEGER)")
    counts = {1: 3, 2: 60, 3: 45, 4: 12, **{p: 2 for p in range(5, 40)}, 40: 1}
    rows = [(p,) for p, n in counts.items() for _ in range(n)]
    conn.executemany("INSERT INTO treatment_sessions (patient_id) VALUES (?)", rows)
    return conn


def test_scenario_patients_have_the_sessions_their_scenarios_open(
    sessions: sqlite3.Connection,
) -> None:
    strip, switch, memory, background = photo_clinic._choose(sessions, 12)
    assert (strip, memory, switch) == (2, 3, 4)  # patient 1 has too few sessions (3)
    assert len(background) == 9 and not {strip, switch, memory} & set(background)
    assert 40 not in background  # one session: no first and latest to photograph


def test_background_patients_get_the_five_views_before_and_after_at_first_and_latest(
    sessions: sqlite3.Connection,
) -> None:
    jobs = list(photo_clinic._background_jobs(sessions, [4, 5], 20))
    assert len(jobs) == 40
    first, latest = sessions.execute(
        "SELECT MIN(id), MAX(id) FROM treatment_sessions WHERE patient_id = 4"
    ).fetchone()
    mine = [job for job in jobs if job[3][0] == 4]
    assert Counter(job[0] for job in mine) == {first: 10, latest: 10}
    assert {(view, after) for _s, view, after, _j in mine} == {
        (view, after) for view in photo_clinic.FACE_VIEWS for after in (False, True)
    }


def test_background_photos_are_distinct_files() -> None:
    files = [photo_clinic.small_jpeg(patient, n) for patient in (1, 2) for n in range(1, 30)]
    assert all(f.startswith(b"\xff\xd8") for f in files)
    assert len({hashlib.sha256(f).hexdigest() for f in files}) == len(files)
