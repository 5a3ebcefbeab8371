"""A damaged database file is found and named, with the way out: restore a backup."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlelog.services import check, patients
from needlelog.store.errors import DatabaseDamaged
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.faults.helpers import damage_page, dump, file_digest, leaf_page

RESTORE = "is damaged. Restore it from a backup (needlelog restore FILE)."


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_damaged_header_is_refused_at_start(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    with path.open("r+b") as f:
        f.write(b"this is no good!")  # the 16-byte "SQLite format 3" signature
    digest = file_digest(path)
    with pytest.raises(DatabaseDamaged) as caught:
        open_database(f"sqlite:///{path}")
    assert str(caught.value) == f"{path} {RESTORE}"
    assert file_digest(path) == digest  # nothing written, no upgrade attempted

    result = run_cli("--db", str(path), "check")
    assert result.returncode == 1
    assert _one_line(result.stderr) == f"needlelog check: error: {path} {RESTORE}"
    assert file_digest(path) == digest


def test_a_damaged_page_in_the_middle_is_found_on_first_use(clinic: tuple[Path, int]) -> None:
    # Opening reads only the schema: a full check at every start would cost seconds
    # at clinic-chain size (benchmarks: PRAGMA quick_check). Damage elsewhere is
    # reported the moment a page is read, with the same message.
    path, _ = clinic
    damage_page(path, leaf_page(path, "patients"))
    db = open_database(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseDamaged) as caught:
            patients.search(db, "", limit=100_000)
        assert str(caught.value) == f"the database {path} {RESTORE}"
        with pytest.raises(DatabaseDamaged):
            check.run(db)
    finally:
        db.dispose()


def test_check_reports_a_damaged_page_with_exit_1(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    damage_page(path, leaf_page(path, "treated_areas"))
    before = dump_or_none(path)
    result = run_cli("--db", str(path), "check")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "restore" in result.stderr.lower()
    assert "backup" in result.stderr.lower()
    assert dump_or_none(path) == before


def dump_or_none(path: Path) -> str | None:
    try:
        return dump(path)
    except Exception:  # a damaged file may not dump at all; then compare that
        return None


def test_the_background_check_finds_damage_anywhere(clinic: tuple[Path, int]) -> None:
    path, _ = clinic
    db = open_database(f"sqlite:///{path}")
    try:
        check.quick(db)  # a sound file: nothing to say
    finally:
        db.dispose()
    damage_page(path, leaf_page(path, "audit_events"))  # a table opening a record never reads
    db = open_database(f"sqlite:///{path}")
    try:
        assert patients.get(db, 1).record_no  # daily work does not notice it...
        with pytest.raises(DatabaseDamaged) as caught:
            check.quick(db)  # ...the background check does
        assert "is damaged" in str(caught.value)
        assert str(caught.value).endswith("Restore it from a backup (needlelog restore FILE).")
    finally:
        db.dispose()
