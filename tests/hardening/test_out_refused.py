"""Issue 13, point 1: ``--out`` never overwrites what it must not.

The attack: ``export --format json --out <the clinic's database>`` exited 0 and
replaced the database; backup and report did the same; ``--out /dev/null``
replaced the device with a file of patient data.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from needlelog.exchange.backup import restore_backup
from needlelog.store.files import OutputRefused, atomic_path
from tests.cli_runner import run_cli
from tests.hardening.conftest import run, sha256

WRITERS = (
    ("export", "--format", "json"),
    ("export", "--format", "fhir"),
    ("backup",),
    ("report", "P-0001"),
)


def _refused(capsys: pytest.CaptureFixture[str], db: Path, out: Path, command: tuple) -> str:
    before = sha256(db)
    code, stdout, stderr = run(capsys, "--db", str(db), *command, "--out", str(out))
    assert code == 2, (command, out, stdout, stderr)
    assert stdout == "" and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert sha256(db) == before
    return stderr


def test_export_over_the_database_is_refused_on_the_command_line(clinic: Path) -> None:
    before = sha256(clinic)
    done = run_cli("--db", str(clinic), "export", "--format", "json", "--out", str(clinic))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "will not be overwritten: it is the open database" in done.stderr
    assert sha256(clinic) == before
    assert run_cli("--db", str(clinic), "check").returncode == 0


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: "-".join(c[:3]))
@pytest.mark.parametrize("side", ["", "-wal", "-shm", "-journal"])
def test_database_and_its_journal_files_are_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, command: tuple, side: str
) -> None:
    out = Path(f"{clinic}{side}")
    existed = out.exists()
    err = _refused(capsys, clinic, out, command)
    assert "will not be overwritten" in err
    assert out.exists() == existed


def test_the_database_through_another_path_is_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    hard = tmp_path / "same-file.json"
    os.link(clinic, hard)
    assert "it is the open database" in _refused(capsys, clinic, hard, WRITERS[0])
    dotted = clinic.parent / ".." / clinic.parent.name / clinic.name
    assert "it is the open database" in _refused(capsys, clinic, dotted, WRITERS[2])


def test_a_kept_copy_beside_the_database_is_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    code, _out, err = run(
        capsys, "--db", str(clinic), "backup", "--no-encrypt", "--out", str(tmp_path / "b.zip")
    )
    assert code == 0, err
    kept = restore_backup(f"sqlite:///{clinic}", tmp_path / "b.zip").replaced_kept_as
    assert kept is not None
    kept_hash = sha256(kept)
    err = _refused(capsys, clinic, kept, WRITERS[0])
    assert "kept by a restore" in err
    assert sha256(kept) == kept_hash


def test_links_devices_pipes_and_folders_are_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    assert "is a link" in _refused(capsys, clinic, link, WRITERS[0])
    assert not (tmp_path / "elsewhere.json").exists()
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    assert "not an ordinary file" in _refused(capsys, clinic, fifo, WRITERS[2])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    folder = tmp_path / "reports"
    folder.mkdir()
    assert "is a folder" in _refused(capsys, clinic, folder, WRITERS[3])
    assert folder.is_dir() and not any(folder.iterdir())


def test_dev_null_stays_a_device(capsys: pytest.CaptureFixture[str], clinic: Path) -> None:
    devnull = Path(os.devnull)
    for command in WRITERS:
        assert "not an ordinary file" in _refused(capsys, clinic, devnull, command)
    assert stat.S_ISCHR(os.stat(devnull).st_mode)


def test_an_existing_regular_file_is_still_replaced_whole(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    out = tmp_path / "records.json"
    out.write_text("old", encoding="utf-8")
    code, _out, err = run(capsys, "--db", str(clinic), "export", "--format", "json", "--out",
                          str(out))  # fmt: skip
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("{")
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_link_put_in_place_while_writing_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    with pytest.raises(OutputRefused), atomic_path(target) as temp:
        temp.write_text("data", encoding="utf-8")
        target.symlink_to(victim)
    assert victim.read_text(encoding="utf-8") == "keep" and target.is_symlink()


def test_an_automatic_backup_is_not_overwritten(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    auto = tmp_path / "backups" / "needlelog-auto-20260301T101500Z.zip"
    auto.parent.mkdir()
    auto.write_bytes(b"yesterday's records")
    err = _refused(capsys, clinic, auto, WRITERS[2])
    assert "automatic daily backups" in err
    assert auto.read_bytes() == b"yesterday's records"
