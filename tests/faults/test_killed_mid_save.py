"""A needlelog killed (power cut, task manager) in the middle of a stream of saves."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from needlelog.services import check
from needlelog.store.migrate import open_database
from tests.faults.helpers import integrity, session_ids, start_saver


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
