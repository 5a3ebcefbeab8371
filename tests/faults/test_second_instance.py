"""Two copies of needlelog on one SQLite file (two windows, two PCs on a shared folder).

The design is safe sharing, not a lock-out: WAL lets readers go on while one
writes, every save takes the write lock at its start (BEGIN IMMEDIATE) and
waits up to the busy timeout for the other to finish, so saves from both
copies interleave whole. Neither copy corrupts the file or waits forever.
"""

from __future__ import annotations

import time
from pathlib import Path

from needlelog.services import check, patients
from needlelog.store.migrate import open_database
from tests.faults.helpers import integrity, session_ids, start_saver

SAVES = 25


def test_two_processes_saving_at_once_both_succeed(clinic: tuple[Path, int]) -> None:
    path, patient_id = clinic
    url = f"sqlite:///{path}"
    before = session_ids(path)
    # Both save to the same patient, so both rewrite the same course summary.
    first = start_saver(url, patient_id, SAVES, 0)
    second = start_saver(url, patient_id, SAVES, 1000)
    outputs = []
    for child in (first, second):
        out, err = child.communicate(timeout=120)  # bounded: a hang fails the test
        assert child.returncode == 0, err
        outputs.append([int(x) for x in out.split()])

    assert all(len(ids) == SAVES for ids in outputs)
    assert set(outputs[0]).isdisjoint(outputs[1])
    assert session_ids(path) - before == set(outputs[0]) | set(outputs[1])
    assert integrity(path) == ["ok"]
    db = open_database(url)
    try:
        assert patients.get(db, patient_id).sessions_total == 2 * SAVES
        report = check.run(db)
    finally:
        db.dispose()
    assert report.ok, report.problems


def test_a_second_copy_reads_while_the_first_is_saving(clinic: tuple[Path, int]) -> None:
    path, patient_id = clinic
    url = f"sqlite:///{path}"
    reader = open_database(url)
    writer = start_saver(url, patient_id, SAVES, 0)
    try:
        seen = 0
        give_up = time.monotonic() + 120  # a bound, so a hang fails instead of waiting forever
        while writer.poll() is None:
            assert time.monotonic() < give_up, "the saving copy never finished"
            # Never blocked by the writer, never a half-saved session.
            found = patients.get(reader, patient_id).sessions_total
            assert found >= seen
            seen = found
        assert writer.returncode == 0
        assert patients.get(reader, patient_id).sessions_total == SAVES
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.communicate(timeout=60)
        reader.dispose()
