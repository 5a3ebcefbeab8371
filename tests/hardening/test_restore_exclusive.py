"""Issue 13, point 2: restore is exclusive and keeps every copy.

The attacks: ``restore good.zip`` while another needlelog was saving; the other
process went on saving into the old, unlinked file and 17 of its 30 saves were
lost. Two restores in the same second reused one ``.replaced-<time>`` name and
the second overwrote the first kept copy.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from needlelog.exchange.backup import make_backup, restore_backup
from needlelog.services import patients, sessions
from needlelog.store.errors import DatabaseInUse, DatabaseReplaced
from needlelog.store.migrate import open_database
from tests.cli_runner import ROOT, run_cli
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.hardening.conftest import sha256


def _session_ids(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM treatment_sessions")}
    finally:
        conn.close()


def _backup(clinic: Path, out: Path) -> int:
    db = open_database(f"sqlite:///{clinic}")
    try:
        make_backup(db, out)
        return patients.find_by_record_no(db, "P-0001").id
    finally:
        db.dispose()


def test_restore_while_another_process_saves_is_refused_and_loses_nothing(
    clinic: Path, tmp_path: Path
) -> None:
    patient_id = _backup(clinic, tmp_path / "good.zip")
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.exchange.writer", f"sqlite:///{clinic}", str(patient_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert writer.stdout is not None
        saved = {int(writer.stdout.readline()) for _ in range(15)}
        done = run_cli("--db", str(clinic), "restore", str(tmp_path / "good.zip"))
        saved |= {int(writer.stdout.readline()) for _ in range(15)}
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1
    assert "is in use by another needlelog" in done.stderr
    assert "Nothing was changed" in done.stderr
    assert saved <= _session_ids(clinic)
    assert [p.name for p in clinic.parent.iterdir() if ".replaced-" in p.name] == []


def test_a_window_whose_database_was_replaced_stops_saving(clinic: Path, tmp_path: Path) -> None:
    _backup(clinic, tmp_path / "good.zip")
    window = open_database(f"sqlite:///{clinic}")
    try:
        patient = patients.find_by_record_no(window, "P-0001")
        first = sessions.record(window, patient.id, make_session(), "nurse")  # its own file
        # A restore from a place whose locks this process cannot see (another PC).
        restore_backup(f"sqlite:///{clinic}", tmp_path / "good.zip")
        restored = sha256(clinic)
        with pytest.raises(DatabaseReplaced, match=r"was replaced .* nothing more is saved"):
            register_consenting(window, make_patient("P-LATE"), "nurse")
        with pytest.raises(DatabaseReplaced):
            sessions.record(window, patient.id, make_session(practitioner="Dr. B"), "nurse")
        with pytest.raises(DatabaseReplaced):  # every write, whichever way it is made
            sessions.amend(window, first.id, first.data, first.version, "nurse", reason="x")
        assert sha256(clinic) == restored
    finally:
        window.dispose()


def test_the_in_use_probe_sees_an_idle_connection_of_another_process(
    clinic: Path, tmp_path: Path
) -> None:
    from needlelog.store.inuse import ensure_unused

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from patients').fetchall()\n"
         "print('open', flush=True); time.sleep(60)",
         str(clinic)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseInUse):
            ensure_unused(clinic)
    finally:
        holder.terminate()
        holder.wait(timeout=30)
    ensure_unused(clinic)


def test_two_restores_in_one_second_keep_both_copies(clinic: Path, tmp_path: Path) -> None:
    _backup(clinic, tmp_path / "good.zip")
    db = open_database(f"sqlite:///{clinic}")
    try:
        register_consenting(db, make_patient("P-ONLY-HERE"), "nurse")  # not in the backup
    finally:
        db.dispose()
    first = restore_backup(f"sqlite:///{clinic}", tmp_path / "good.zip").replaced_kept_as
    second = restore_backup(f"sqlite:///{clinic}", tmp_path / "good.zip").replaced_kept_as
    assert first is not None and second is not None and first != second
    assert first.exists() and second.exists()
    kept = open_database(f"sqlite:///{first}")
    try:
        assert patients.find_by_record_no(kept, "P-ONLY-HERE")  # the original records
    finally:
        kept.dispose()
