"""``needlelog photos add|export`` and ``check`` on photos, through the real command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from needlelog.services import patients, photos, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests import camera_files as cam
from tests.cli_runner import ROOT, run_cli
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


@pytest.fixture
def clinic(db: Database, db_path: Path) -> tuple[str, ...]:
    pid = register_consenting(db, make_patient("P-7"), "t").id
    sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2, 10)), "t")
    db.dispose()
    return ("--db", str(db_path))


def _photos(db_path: Path) -> list:  # type: ignore[type-arg]
    db = open_database(f"sqlite:///{db_path}")
    try:
        pid = patients.find_by_record_no(db, "P-7").id
        return photos.for_patient(db, pid)
    finally:
        db.dispose()


def test_add_and_export(clinic: tuple[str, ...], db_path: Path, tmp_path: Path) -> None:
    a = cam.camera_jpeg(tmp_path / "DSC_1.JPG")
    b = cam.heic_file(tmp_path / "IMG_2.HEIC")
    done = run_cli(*clinic, "photos", "add", "P-7", "--session", "2026-03-02", "--view", "front",
                   str(a))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout
        == "Added 1 photo(s) (front, before) to the session of 2026-03-02 of patient P-7.\n"
    )
    done = run_cli(*clinic, "photos", "add", "P-7", "--session", "2026-03-02", "--view",
                   "abdomen_back", "--after", str(b))  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    done = run_cli(*clinic, "photos", "export", "P-7", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "2026-03-02_abdomen_back_after.png",
        "2026-03-02_front_before.jpg",
    ]
    stored = (out / "2026-03-02_front_before.jpg").read_bytes()
    assert cam.SERIAL.encode() not in stored
    done = run_cli(*clinic, "check")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("NOPE", "--session", "2026-03-02", "--view", "front"), "no patient with record number NOPE"),
        (("P-7", "--session", "2026-03-03", "--view", "front"), "patient P-7 has no session on 2026-03-03"),
        (("P-7", "--session", "2026-03-02", "--view", "top"), "view 'top' is not in the photo protocol"),
        (("P-7", "--session", "2026-13-02", "--view", "front"), "is not a date like 2026-03-02"),
    ],
)  # fmt: skip
def test_add_refusals_store_nothing(
    clinic: tuple[str, ...], db_path: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    good = cam.camera_jpeg(tmp_path / "a.jpg")
    done = run_cli(*clinic, "photos", "add", *args, str(good))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert _photos(db_path) == []
    assert not (db_path.parent / "photos").exists() or not any(
        (db_path.parent / "photos").rglob("*")
    )


def test_one_unreadable_file_refuses_all(
    clinic: tuple[str, ...], db_path: Path, tmp_path: Path
) -> None:
    good = [cam.camera_jpeg(tmp_path / f"{i}.jpg", seed=i) for i in range(3)]
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    done = run_cli(*clinic, "photos", "add", "P-7", "--session", "2026-03-02", "--view", "front",
                   *map(str, [*good, bad]))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "needlelog photos: error: notes.jpg is not a readable image; allowed: JPEG, PNG, TIFF, "
        "HEIC/HEIF; nothing was stored"
    ]
    assert _photos(db_path) == []
    assert not (db_path.parent / "photos").exists()


def test_export_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    done = run_cli("--db", str(missing), "photos", "export", "P-7", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert not missing.exists() and not (tmp_path / "o").exists()


def test_check_reports_flipped_byte_and_missing_photo(
    clinic: tuple[str, ...], db_path: Path, tmp_path: Path
) -> None:
    files = [cam.camera_jpeg(tmp_path / f"{i}.jpg", seed=i) for i in range(3)]
    done = run_cli(*clinic, "photos", "add", "P-7", "--session", "2026-03-02", "--view", "front",
                   *map(str, files))  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second, _third = _photos(db_path)
    store = photos.PhotoStore(db_path.parent / "photos")
    path = store.path_for(first.sha256)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x20
    path.write_bytes(bytes(data))
    store.path_for(second.sha256).unlink()
    done = run_cli(*clinic, "check")
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("problem: photo")]
    assert len(lines) == 2
    assert f"photo {first.id} " in lines[0] and "checksum mismatch" in lines[0]
    assert f"photo {second.id} " in lines[1] and "missing" in lines[1]


@pytest.mark.slow
def test_sigkill_during_add_leaves_no_record_without_its_file(
    clinic: tuple[str, ...], db_path: Path, tmp_path: Path
) -> None:
    files = [
        cam.camera_jpeg(tmp_path / f"{i}.jpg", size=(1600, 1200), seed=i + 1) for i in range(10)
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    store = photos.PhotoStore(db_path.parent / "photos")
    command = [sys.executable, "-m", "needlelog", *clinic, "photos", "add", "P-7",
               "--session", "2026-03-02", "--view", "front", *map(str, files)]  # fmt: skip
    outcomes = set()
    # Kill it at different moments: while reading, while storing, around the commit.
    for stored_before_kill in (0, 3, 7, 10):
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if stored_before_kill == 0 or len(list(store.checksums())) >= stored_before_kill:
                break
            time.sleep(0.001)
        if stored_before_kill == 0:
            time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes.add(proc.returncode)
        for photo in _photos(db_path):
            assert store.verify(photo.sha256) is None, photo
        assert len(_photos(db_path)) % 10 == 0  # all ten records or none, per run
    # a last run to the end: the files already stored are taken as they are
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    check = run_cli(*clinic, "check")
    assert check.returncode == 0, check.stderr
    assert -signal.SIGKILL in outcomes
