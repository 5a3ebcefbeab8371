"""A needlelog killed (power cut, task manager) in the middle of a stream of saves."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from needlelog.services import check
from needlelog.store.migrate import open_database
from tests.faults.helpers import ROOT, child_env, integrity, session_ids, start_saver


@pytest.mark.parametrize("kill_after", [3, 17])
def test_sigkill_keeps_every_returned_save_and_a_sound_file(
    clinic: tuple[Path, int], kill_after: int
) -> None:
    path, patient_id = clinic
    before = session_ids(path)
    child = start_saver(f"sqlite:///{path}", patient_id, 10_000, 0)
    assert child.stdout is not None
    printed: list[int] = []
    try:
        while len(printed) < kill_after:
            line = child.stdout.readline()
            assert line, f"the saver stopped early: {child.stderr.read() if child.stderr else ''}"
            printed.append(int(line))
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: the next save is under way
        rest, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    printed += [int(x) for x in rest.split()]
    assert child.returncode == -signal.SIGKILL

    assert integrity(path) == ["ok"]
    saved = session_ids(path) - before
    assert set(printed) <= saved  # every save that returned is on disk
    assert len(saved) - len(printed) <= 1  # at most the one under way when killed

    db = open_database(f"sqlite:///{path}")
    try:
        report = check.run(db)  # course summaries match the sessions: no half-saves
    finally:
        db.dispose()
    assert report.ok, report.problems


def test_sigkill_during_a_bulk_fill_keeps_whole_transactions_only(tmp_path: Path) -> None:
    # Demo data (like an import) is written 200 patients per transaction: a kill
    # leaves whole batches, each patient with all its sessions and a true summary.
    path = tmp_path / "bulk.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    child = subprocess.Popen(
        [sys.executable, "-m", "needlelog", "--db", str(path), "demo", "--patients", "5000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_env(),
        cwd=ROOT,
    )
    try:
        give_up = time.monotonic() + 120  # a bound, not a timing assertion
        while patient_count(path) < 200:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < give_up, "no batch was ever written"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert integrity(path) == ["ok"]
    count = patient_count(path)
    assert 0 < count < 5000
    assert count % 200 == 0  # whole batches only
    db = open_database(f"sqlite:///{path}")
    try:
        report = check.run(db)
    finally:
        db.dispose()
    assert report.ok, report.problems


def patient_count(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0]
    finally:
        conn.close()
