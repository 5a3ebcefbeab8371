"""Issue 13, point 5: paths are paths.

The attacks: ``backup`` in a folder with ``#`` failed with a traceback and left a
stray file; ``--db clinic/100%41/needlelog.sqlite3`` opened ``clinic/100A/...``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from needlelog import config
from tests.cli_runner import run_cli
from tests.hardening.conftest import run

AWKWARD = "Clinic #2 100%41 a?b"


def test_every_command_works_in_an_awkward_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / AWKWARD
    db = folder / "needlelog.sqlite3"
    out = folder / "out #1?"
    steps = [
        ("demo", "--patients", "3"),
        ("check",),
        ("export", "--format", "csv", "--out", str(out / "csv")),
        ("export", "--format", "json", "--out", str(out / "r.json")),
        ("export", "--format", "fhir", "--out", str(out / "f.json")),
        ("backup", "--no-encrypt", "--out", str(out / "b%41.zip")),
        ("restore", str(out / "b%41.zip")),
        ("import", "--patients", str(out / "csv" / "patients.csv"), "--sessions",
         str(out / "csv" / "sessions.csv")),
        ("report", "DEMO-000001", "--out", str(out / "r.pdf")),
        ("check",),
    ]  # fmt: skip
    for step in steps:
        code, _out, err = run(capsys, "--db", str(db), *step)
        assert code == 0, (step, err)
        assert "Traceback" not in err
    assert db.is_file()
    assert not (tmp_path / "Clinic #2 100A a?b").exists()
    written = {p.name for p in out.iterdir()}
    assert {"csv", "r.json", "f.json", "b%41.zip", "r.pdf"} <= written
    assert [p for p in tmp_path.iterdir() if p.name != AWKWARD] == []
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_percent_escapes_in_a_db_path_are_not_decoded(tmp_path: Path) -> None:
    db = tmp_path / "clinic" / "100%41" / "needlelog.sqlite3"
    done = run_cli("--db", str(db), "demo", "--patients", "2")
    assert done.returncode == 0, done.stderr
    assert db.is_file()
    assert not (tmp_path / "clinic" / "100A").exists()
    assert config.sqlite_file(config.resolve_db_url(str(db))) == db


def test_the_default_database_in_an_awkward_home(tmp_path: Path) -> None:
    home = tmp_path / AWKWARD
    env = {"NEEDLELOG_HOME": str(home)}
    assert run_cli("demo", "--patients", "2", env=env).returncode == 0
    done = run_cli("backup", "--no-encrypt", "--out", str(home / "nightly #1.zip"), env=env)
    assert done.returncode == 0, done.stderr
    assert (home / "data" / "needlelog.sqlite3").is_file()
    assert (home / "nightly #1.zip").is_file()
