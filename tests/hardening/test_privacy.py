"""Issue 13, point 7: health data stays private on a shared PC.

The attacks: the database, backups, exports, reports and kept copies were
created readable by every user (644, folder 755); ``backup`` staged a plain
copy of the whole database in the system temp folder and left it there when
killed; a report's PDF title held the patient's full name.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from needlelog.domain.records import PatientData
from needlelog.exchange.backup import make_backup, restore_backup
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import export_json
from needlelog.reports.progress import write_progress_report
from needlelog.services import patients
from needlelog.store.migrate import open_database
from tests.cli_runner import ROOT
from tests.factories import make_patient
from tests.hardening.conftest import run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_the_command_line_writes_is_private(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Encrypted to a key (a passphrase's scrypt would take 1 GiB in this process).
    identity = pyrage.x25519.Identity.generate()
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n", encoding="utf-8")
    os.umask(0o022)  # a PC's usual default: files readable by everyone
    data = tmp_path / "data" / "clinic"
    db = data / "needlelog.sqlite3"
    out = tmp_path / "out"
    out.mkdir()
    steps = [
        ("demo", "--patients", "3"),
        ("export", "--format", "csv", "--out", str(out / "csv")),
        ("export", "--format", "json", "--out", str(out / "r.json")),
        ("export", "--format", "fhir", "--out", str(out / "f.json")),
        ("backup", "--recipient", str(identity.to_public()), "--out", str(out / "b.zip")),
        ("report", "DEMO-000001", "--out", str(out / "r.pdf")),
        ("restore", str(out / "b.zip"), "--identity", str(key)),
    ]
    for step in steps:
        code, _out, err = run(capsys, "--db", str(db), *step)
        assert code == 0, (step, err)
    assert _mode(tmp_path / "data") == 0o700 and _mode(data) == 0o700
    written = [p for p in data.rglob("*") if p.is_file()] + [
        p for p in out.rglob("*") if p.is_file()
    ]
    assert len(written) >= 8
    assert any(p.parent.parent.name == "photos" for p in written)  # the demo's photos
    for path in written:
        assert _mode(path) == 0o600, path
    for folder in [p for p in data.rglob("*") if p.is_dir()] + [
        p for p in out.rglob("*") if p.is_dir()
    ]:
        assert _mode(folder) == 0o700, folder
    assert _mode(out / "csv") == 0o700


def test_services_write_private_files_whatever_the_umask(tmp_path: Path) -> None:
    os.umask(0o022)
    path = tmp_path / "new folder" / "needlelog.sqlite3"
    db = open_database(f"sqlite:///{path}")
    try:
        patient = patients.register(db, _patient(), "nurse")
        export_json(db, tmp_path / "r.json")
        export_fhir(db, tmp_path / "f.json")
        export_csv(db, tmp_path / "csv")
        make_backup(db, tmp_path / "b.zip")
        write_progress_report(db, patient.id, tmp_path / "r.pdf")
        for side in ("-wal", "-shm"):
            assert _mode(Path(f"{path}{side}")) == 0o600
    finally:
        db.dispose()
    kept = restore_backup(f"sqlite:///{path}", tmp_path / "b.zip").replaced_kept_as
    assert kept is not None
    assert _mode(path.parent) == 0o700
    files = [path, kept, tmp_path / "r.json", tmp_path / "f.json", tmp_path / "b.zip",
             tmp_path / "r.pdf", tmp_path / "csv" / "patients.csv",
             tmp_path / "csv" / "sessions.csv"]  # fmt: skip
    assert {str(p): _mode(p) for p in files} == {str(p): 0o600 for p in files}


def _patient() -> PatientData:
    return make_patient("P-PRIV", family_name="Hartwell", given_name="Imogen")


KILLED_BACKUP = """
import sys, time
from pathlib import Path
from needlelog.domain.records import PatientData
from needlelog.exchange.backup import make_backup
from needlelog.store.migrate import open_database

db = open_database(sys.argv[1])
def stop_here() -> None:
    print("copying", flush=True)
    time.sleep(120)
make_backup(db, Path(sys.argv[2]), check=stop_here)
"""


def test_a_killed_backup_leaves_no_copy_outside_and_is_cleaned_at_next_start(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_BACKUP, f"sqlite:///{clinic}", str(tmp_path / "b.zip")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(system_temp)),
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "copying"
        staged = [p for p in clinic.parent.iterdir() if p.name.startswith(".needlelog-backup-")]
        assert len(staged) == 1 and _mode(staged[0]) == 0o700
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert list(system_temp.iterdir()) == []  # no plain copy in the shared temp folder
    assert staged[0].exists()  # what the killed process left
    code, _out, err = run(capsys, "--db", str(clinic), "check")
    assert code == 0, err
    assert not staged[0].exists()
    assert not (tmp_path / "b.zip").exists()


def _pdf_info(pdf: bytes) -> str:
    """The document information dictionary (title, author...) as text."""
    match = re.search(rb"<<\s*/Author .*?/Title .*?>>", pdf, re.S)
    assert match is not None
    return match.group(0).decode("latin-1")


def test_the_reports_properties_carry_no_patient_name(db_path: Path, tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{db_path}")
    try:
        patient = patients.register(db, _patient(), "nurse")
        write_progress_report(db, patient.id, tmp_path / "r.pdf")
    finally:
        db.dispose()
    pdf = (tmp_path / "r.pdf").read_bytes()
    info = _pdf_info(pdf)
    assert "P-PRIV" in info
    assert "Hartwell" not in info and "Imogen" not in info
    assert b"Hartwell" not in pdf  # the name is on the pages, in compressed streams only


def test_an_old_versions_copy_in_the_temp_folder_is_removed(
    capsys: pytest.CaptureFixture[str],
    clinic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tempfile
    import time

    system_temp = tmp_path / "system-temp"
    old = system_temp / "needlelog-backup-abc123"
    recent = system_temp / "needlelog-backup-def456"
    other = system_temp / "someone-elses"
    for folder in (old, recent, other):
        folder.mkdir(parents=True)
        (folder / "needlelog.sqlite3").write_bytes(b"records")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    code, _out, err = run(capsys, "--db", str(clinic), "check")
    assert code == 0, err
    assert not old.exists()  # a day untouched: what a killed earlier version left
    assert recent.exists() and other.exists()  # may belong to a backup under way


def test_folders_an_earlier_version_left_open_are_closed(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    data = isolated_home / "data"
    backups = isolated_home / "backups"
    for folder in (data, backups):
        folder.mkdir(parents=True)
        folder.chmod(0o755)
    code, _out, err = run(capsys, "demo", "--patients", "1")
    assert code == 0, err
    assert _mode(data) == 0o700 and _mode(backups) == 0o700
