"""The exchange commands through the real command line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from needlelog.store.database import Database
from tests.cli_runner import run_cli
from tests.exchange.records import fill_rich


def test_export_import_backup_restore_round(db: Database, db_path: Path, tmp_path: Path) -> None:
    fill_rich(db)
    db.dispose()
    base = ("--db", str(db_path))
    done = run_cli(*base, "export", "--format", "csv", "--out", str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote 4 patients and 3 sessions to ")
    done = run_cli(*base, "export", "--format", "json", "--out", str(tmp_path / "r.json"))
    counts = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["counts"]
    assert done.returncode == 0 and (counts["patients"], counts["sessions"]) == (4, 3)
    done = run_cli(*base, "export", "--format", "fhir", "--out", str(tmp_path / "f.json"))
    assert done.returncode == 0 and "FHIR R4 bundle" in done.stdout
    done = run_cli(*base, "backup", "--no-encrypt", "--out", str(tmp_path / "b.zip"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(" bytes, not encrypted)\n")
    assert zipfile.ZipFile(tmp_path / "b.zip").namelist() == ["manifest.json", "needlelog.sqlite3"]

    other = ("--db", str(tmp_path / "other.sqlite3"))
    args = ("import", "--patients", str(tmp_path / "csv/patients.csv"), "--sessions",
            str(tmp_path / "csv/sessions.csv"))  # fmt: skip
    done = run_cli(*other, *args)
    assert (done.returncode, done.stdout) == (0, "Imported 4 new patients and 3 sessions.\n")
    done = run_cli(*other, *args)
    assert done.stdout == (
        "Imported 0 new patients and 0 sessions; 4 patients already present; "
        "3 sessions already present, skipped.\n"
    )
    done = run_cli(*other, "restore", str(tmp_path / "b.zip"))
    assert done.returncode == 0, done.stderr
    assert "the replaced database is kept as" in done.stdout
    assert run_cli(*other, "check").returncode == 0


def test_export_csv_into_a_file_is_refused(db: Database, db_path: Path, tmp_path: Path) -> None:
    db.dispose()
    (tmp_path / "taken.csv").write_text("x", encoding="utf-8")
    done = run_cli("--db", str(db_path), "export", "--format", "csv", "--out",
                   str(tmp_path / "taken.csv"))  # fmt: skip
    assert done.returncode == 2
    assert "is a file; for --format csv give a folder" in done.stderr
