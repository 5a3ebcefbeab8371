"""A read-only database, a full disk, a database busy for too long: one clear message,
and the database exactly as it was."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event

from needlelog.services import patients, sessions
from needlelog.store import database as store_database
from needlelog.store.errors import DatabaseBusy, DatabaseReadOnly, DiskFull
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.factories import make_session
from tests.faults.helpers import ROOT, child_env, dump, integrity

READ_ONLY = "is read-only: nothing was saved"
FULL = "is full: nothing was saved"


def _ro_url(path: Path) -> str:
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def _assert_one_clear_line(stderr: str, text: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert text in lines[0]
    assert "Traceback" not in stderr


def test_saving_to_a_read_only_database_says_so_and_changes_nothing(
    clinic: tuple[Path, int],
) -> None:
    path, patient_id = clinic
    before = dump(path)
    db = open_database(_ro_url(path))
    try:
        assert patients.get(db, patient_id).record_no == "FAULT-1"  # reading still works
        with pytest.raises(DatabaseReadOnly) as caught:
            sessions.record(db, patient_id, make_session(), "test")
    finally:
        db.dispose()
    assert str(caught.value) == (
        f"the database {path} is read-only: nothing was saved. Check that the disk or folder "
        "allows writing."
    )
    assert dump(path) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_a_read_only_file_says_so(clinic: tuple[Path, int]) -> None:
    path, patient_id = clinic
    before = dump(path)
    path.chmod(0o444)
    try:
        db = open_database(f"sqlite:///{path}")
        try:
            with pytest.raises(DatabaseReadOnly, match=READ_ONLY):
                sessions.record(db, patient_id, make_session(), "test")
        finally:
            db.dispose()
    finally:
        path.chmod(0o644)
    assert dump(path) == before


def test_cli_on_a_read_only_database_exits_1_with_one_line(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    before = dump(path)
    result = run_cli("--db", _ro_url(path), "demo", "--patients", "3")
    assert result.returncode == 1, result.stderr
    _assert_one_clear_line(result.stderr, READ_ONLY)
    assert str(path) in result.stderr
    assert dump(path) == before


def _limit_growth(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The file may not grow by a single page: what a full disk looks like to SQLite.
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_says_so_keeps_the_database_and_recovers(clinic: tuple[Path, int]) -> None:
    path, patient_id = clinic
    db = open_database(f"sqlite:///{path}")
    db.dispose()
    event.listen(db.engine, "connect", _limit_growth)
    big = make_session(notes="Long observation. " * 200, next_due=None)
    before = dump(path)
    try:
        for _ in range(200):  # until the free space left in the last pages runs out
            before = dump(path)
            try:
                sessions.record(db, patient_id, big, "test")
            except DiskFull as exc:
                message = str(exc)
                break
        else:
            pytest.fail("the database never filled up")
    finally:
        db.dispose()
    assert message == (
        f"The disk holding the database {path} is full: nothing was saved. Free some space."
    )
    assert dump(path) == before  # the failed save left nothing behind
    assert integrity(path) == ["ok"]

    db = open_database(f"sqlite:///{path}")  # space freed: saving works again
    try:
        sessions.record(db, patient_id, big, "test")
    finally:
        db.dispose()


FULL_DISK_CLI = """
import sys
from needlelog.store import database

plain = database._sqlite_pragmas

def full_disk(conn, record):
    plain(conn, record)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")

database._sqlite_pragmas = full_disk
from needlelog.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_cli_on_a_full_disk_exits_1_with_one_line(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    before = dump(path)
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CLI, "--db", str(path), "demo", "--patients", "40"],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    _assert_one_clear_line(result.stderr, FULL)
    assert dump(path) == before


def test_a_database_busy_too_long_says_so_and_changes_nothing(
    clinic: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, patient_id = clinic
    monkeypatch.setattr(store_database, "BUSY_TIMEOUT_MS", 300)
    db = open_database(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program keeps the write lock
        before = dump(path)
        with pytest.raises(DatabaseBusy) as caught:
            sessions.record(db, patient_id, make_session(), "test")
        assert "is busy: another needlelog is saving. Try again in a moment." in str(caught.value)
        holder.execute("ROLLBACK")
        assert dump(path) == before
        sessions.record(db, patient_id, make_session(), "test")  # lock gone: it works
        assert patients.get(db, patient_id).sessions_total == 1
    finally:
        holder.close()
        db.dispose()


UNPRIVILEGED_CLI = """
import os, sys
from needlelog.cli import main
import needlelog.services.check, needlelog.services.demo, needlelog.store.migrate
import alembic.config, alembic.runtime.migration, alembic.script, configparser
import encodings.idna, getpass, platformdirs, sqlalchemy.dialects.sqlite, sqlite3
# Everything is imported first: the interpreter may live where this user cannot read.
os.setgid(65534)
os.setuid(65534)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="needs root to become an unprivileged user"
)
@pytest.mark.parametrize("command", [["demo", "--patients", "2"], ["check"]])
def test_a_read_only_folder_for_an_ordinary_user_says_so(
    clinic: tuple[Path, int], command: list[str]
) -> None:
    # Real permissions: a folder and file the user may read but not write, as on a
    # write-protected share.
    source, _ = clinic
    folder = Path(tempfile.mkdtemp(prefix="needlelog-ro-"))
    try:
        path = folder / "clinic.sqlite3"
        shutil.copyfile(source, path)
        before = dump(path)
        for side in ("-wal", "-shm"):  # left by the read-only dump; the file holds everything
            Path(f"{path}{side}").unlink(missing_ok=True)
        path.chmod(0o644)
        folder.chmod(0o555)
        result = subprocess.run(
            [sys.executable, "-c", UNPRIVILEGED_CLI, "--db", str(path), *command],
            capture_output=True,
            text=True,
            env=child_env() | {"NEEDLELOG_HOME": str(folder / "home")},
            cwd=folder,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        _assert_one_clear_line(result.stderr, READ_ONLY)
        assert dump(path) == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)
