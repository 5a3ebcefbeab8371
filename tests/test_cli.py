"""The command line contract: names, exit codes, one clear line on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlelog import __version__
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.snapshots import dump


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_demo_then_check(tmp_path: Path) -> None:
    db = url(tmp_path / "demo.sqlite3")
    made = run_cli("--db", db, "demo", "--patients", "200", "--seed", "1")
    assert made.returncode == 0, made.stderr
    assert "Added 200 demo patients" in made.stdout
    checked = run_cli("--db", db, "check")
    assert checked.returncode == 0, checked.stderr
    assert "200 patients" in checked.stdout


def test_demo_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    for path in (first, second):
        result = run_cli("--db", url(path), "demo", "--patients", "40", "--seed", "7")
        assert result.returncode == 0, result.stderr
    a, b = open_database(url(first)), open_database(url(second))
    try:
        dump_a, dump_b = dump(a, skip_volatile=True), dump(b, skip_volatile=True)
        assert dump_a["patients"] and dump_a["treatment_sessions"]
        assert dump_a == dump_b
        names = {row[3] for row in dump_a["patients"]}  # accented and non-Latin names occur
        assert any(not n.isascii() for n in names)
    finally:
        a.dispose()
        b.dispose()


def test_db_may_be_given_after_the_command_and_as_a_path(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    result = run_cli("demo", "--patients", "3", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert path.exists()


def test_environment_names_the_database(tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite3"
    result = run_cli("demo", "--patients", "2", env={"NEEDLELOG_DB": url(path)})
    assert result.returncode == 0, result.stderr
    assert path.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["demo", "--patients", "0"], "argument --patients: 0 is out of range; allowed: 1 to 1000000"),
        (["demo", "--patients", "many"], "argument --patients: 'many' is not a whole number"),
        (["demo", "--seed", "x"], "argument --seed: 'x' is not a whole number"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["export", "--format", "xml", "--out", "x"], "argument --format: invalid choice: 'xml'"),
        (["report", "P-1"], "the following arguments are required: --out"),
    ],
)  # fmt: skip
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    db_file = tmp_path / "untouched.sqlite3"
    result = run_cli("--db", url(db_file), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert not db_file.exists()


def test_check_reports_a_damaged_file_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    result = run_cli("--db", url(path), "check")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "damaged" in result.stderr and "backup" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_finds_an_inconsistency(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "c.sqlite3"
    assert run_cli("--db", url(path), "demo", "--patients", "5").returncode == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE patients SET sessions_total = sessions_total + 5 WHERE id = 1")
    conn.close()
    result = run_cli("--db", url(path), "check")
    assert result.returncode == 1
    assert "course summary" in result.stderr


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"needlelog {__version__}"
