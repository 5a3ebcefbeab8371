"""Issue 13, point 3: ``--db`` opens only needlelog's own databases.

The attacks: ``--db another-app.sqlite3 check`` added needlelog's tables to
another program's database and said OK; a database of a newer needlelog was
refused but switched to WAL mode (its bytes changed); a mistyped
``--db /mistyped/clinc.sqlite3 backup`` created folders and an empty database
and "backed up 0 patients" with exit 0.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from needlelog.store.errors import ForeignDatabase, NoDatabase
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.hardening.conftest import run, sha256

READ_ONLY = (
    ("check",),
    ("backup", "--out", "{tmp}/nightly.zip"),
    ("export", "--format", "json", "--out", "{tmp}/r.json"),
    ("export", "--format", "csv", "--out", "{tmp}/csv"),
    ("report", "P-0001", "--out", "{tmp}/r.pdf"),
)


def _args(command: tuple[str, ...], tmp: Path) -> list[str]:
    return [a.format(tmp=tmp) for a in command]


def test_a_mistyped_path_makes_no_empty_backup(tmp_path: Path) -> None:
    mistyped = tmp_path / "mistyped" / "clinc.sqlite3"
    done = run_cli("--db", str(mistyped), "backup", "--out", str(tmp_path / "nightly.zip"))
    assert done.returncode == 2
    assert done.stderr == f"needlelog backup: error: no needlelog database at {mistyped}\n"
    assert not (tmp_path / "mistyped").exists()
    assert not (tmp_path / "nightly.zip").exists()


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: "-".join(c[:3]))
def test_read_only_commands_never_create_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "no" / "such" / "needlelog.sqlite3"
    code, out, err = run(capsys, "--db", str(missing), *_args(command, tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no needlelog database at" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_file_is_no_database_for_a_read_only_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    code, _out, err = run(capsys, "--db", str(empty), "check")
    assert code == 2 and "no needlelog database at" in err
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == [
        "empty.sqlite3"
    ]


def test_commands_that_fill_a_database_create_it_where_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = tmp_path / "new clinic" / "db" / "needlelog.sqlite3"
    code, out, err = run(capsys, "--db", str(new), "demo", "--patients", "2")
    assert code == 0, err
    assert "Added 2 demo patients" in out
    assert new.is_file()


def _other_app(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL);"
        "INSERT INTO invoices (amount) VALUES (12.5), (99);"
    )
    conn.commit()
    conn.close()


FOREIGN_COMMANDS = (
    *READ_ONLY,
    ("demo", "--patients", "2"),
    ("import", "--patients", "{tmp}/patients.csv"),
    ("restore", "{tmp}/b.zip"),
)


def _backup_of(clinic: Path, out: Path) -> None:
    from needlelog.exchange.backup import make_backup

    db = open_database(f"sqlite:///{clinic}")
    try:
        make_backup(db, out)
    finally:
        db.dispose()


@pytest.mark.parametrize("command", FOREIGN_COMMANDS, ids=lambda c: "-".join(c[:3]))
def test_another_programs_database_is_never_changed(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    clinic: Path,
    command: tuple[str, ...],
) -> None:
    if command[0] == "restore":
        _backup_of(clinic, tmp_path / "b.zip")
    other = tmp_path / "another-app.sqlite3"
    _other_app(other)
    (tmp_path / "patients.csv").write_text("record_no,family_name\nP-1,Smith\n", encoding="utf-8")
    before = sha256(other)
    code, out, err = run(capsys, "--db", str(other), *_args(command, tmp_path))
    assert code == 2, (out, err)
    assert "is not a needlelog database" in err and "did not change it" in err
    assert err.count("\n") == 1
    assert sha256(other) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "another-app.sqlite3",
        *(["b.zip"] if command[0] == "restore" else []),
        "patients.csv",
    ]


def test_another_programs_database_is_refused_by_the_service(tmp_path: Path) -> None:
    other = tmp_path / "another-app.sqlite3"
    _other_app(other)
    before = sha256(other)
    with pytest.raises(ForeignDatabase):
        open_database(f"sqlite:///{other}")
    with pytest.raises(NoDatabase):
        open_database(f"sqlite:///{tmp_path / 'none.sqlite3'}", create=False)
    assert sha256(other) == before


def test_a_newer_database_keeps_its_bytes(clinic: Path) -> None:
    conn = sqlite3.connect(clinic)
    conn.execute("PRAGMA journal_mode = DELETE")  # as a newer version might leave it
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = sha256(clinic)
    for command in (("check",), ("demo", "--patients", "1")):
        done = run_cli("--db", str(clinic), *command)
        assert done.returncode == 1
        assert "newer version of needlelog" in done.stderr
        assert done.stderr.count("\n") == 1
    assert sha256(clinic) == before
    assert sorted(p.name for p in clinic.parent.iterdir()) == [clinic.name]


def test_an_empty_server_database_is_not_filled_by_a_read_only_command(tmp_path: Path) -> None:
    # A SQLite URI takes the path a server database takes: asked over its connection.
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    url = f"sqlite:///file:{empty}?uri=true"
    with pytest.raises(NoDatabase, match="no needlelog database at"):
        open_database(url, create=False)
    conn = sqlite3.connect(empty)
    try:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        conn.close()
    _other_app(tmp_path / "other.sqlite3")
    with pytest.raises(ForeignDatabase):
        open_database(f"sqlite:///file:{tmp_path / 'other.sqlite3'}?uri=true")
