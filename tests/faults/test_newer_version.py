"""A database written by a newer needlelog is refused, never downgraded or changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from needlelog.store.errors import DatabaseTooNew
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.faults.helpers import file_digest

NEWER = "9f3c2a1b7d44"


def _stamp_newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (NEWER,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def test_a_newer_schema_is_refused_and_left_as_it_is(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    _stamp_newer(path)
    digest = file_digest(path)
    with pytest.raises(DatabaseTooNew) as caught:
        open_database(f"sqlite:///{path}")
    assert str(caught.value) == (
        f"{path} was written by a newer version of needlelog (schema {NEWER}). Install that "
        "version or newer to open it; this version will not change it."
    )
    assert file_digest(path) == digest
    assert not (path.parent / "backups").exists()  # no upgrade was even prepared


@pytest.mark.parametrize("command", [["check"], ["demo", "--patients", "2"]])
def test_cli_refuses_a_newer_schema_with_one_line(
    clinic: tuple[Path, int], command: list[str]
) -> None:
    path, _ = clinic
    _stamp_newer(path)
    digest = file_digest(path)
    result = run_cli("--db", str(path), *command)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "written by a newer version of needlelog" in lines[0]
    assert "Traceback" not in result.stderr
    assert file_digest(path) == digest
