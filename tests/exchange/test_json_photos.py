"""A JSON export carries its photographs beside it, and its import brings them back
verified; the demo's removal takes its drawn photos out of the store."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from needlelog.domain.photos import Photo
from needlelog.exchange.json_export import export_json
from needlelog.exchange.json_import import import_json
from needlelog.exchange.loader import ImportRefused
from needlelog.services import check, demo, patients, photos, sessions
from needlelog.services.photo_images import prepare_bytes
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from needlelog.store.photo_files import PhotoStore
from tests import camera_files as cam
from tests.consenting import register_consenting
from tests.exchange.test_consent_exchange import _all_consents
from tests.factories import make_patient, make_session


def _kept(p: Photo) -> tuple:
    """Every field of a photo that must survive an archive (ids are the database's)."""
    skip = {"id", "patient_id", "session_id"}
    return tuple(getattr(p, f.name) for f in dataclasses.fields(p) if f.name not in skip)


def _all_photos(db: Database) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for p in patients.search(db, limit=1000, include_archived=True):
        found = photos.for_patient(db, p.id, include_withdrawn=True)
        if found:
            out[p.record_no] = sorted(_kept(x) for x in found)
    return out


def _uses(db: Database) -> dict[str, frozenset]:
    return {
        p.record_no: photos.uses(db, p.id).agreed
        for p in patients.search(db, limit=1000, include_archived=True)
    }


def _photographed(db: Database) -> list[list[Photo]]:
    """The photos of each demo patient who has any."""
    found = [
        photos.for_patient(db, p.id, include_withdrawn=True)
        for p in patients.search(db, limit=1000, include_archived=True)
        if p.record_no.startswith("DEMO-")
    ]
    return [f for f in found if f]


@pytest.fixture
def archive(db: Database, tmp_path: Path) -> tuple[Path, dict[str, list[tuple]]]:
    """A demo clinic with drawn photos (one withdrawn), exported as JSON."""
    demo.fill(db, 4, seed=2)
    first = _photographed(db)[0]
    photos.withdraw(db, first[1].id, "patient asked", "t")
    out = tmp_path / "archive" / "all.json"
    out.parent.mkdir()
    result = export_json(db, out)
    held = _all_photos(db)
    assert result.photos == len({x[3] for rows in held.values() for x in rows}) > 4
    return out, held


def _other(tmp_path: Path) -> Database:
    path = tmp_path / "newpc" / "clinic.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return open_database(f"sqlite:///{path}")


def test_json_round_trip_brings_the_photos_back_verified(
    db: Database, tmp_path: Path, archive: tuple[Path, dict[str, list[tuple]]]
) -> None:
    out, held = archive
    doc = json.loads(out.read_text(encoding="utf-8"))
    beside = PhotoStore(out.parent / "needlelog-photos")
    assert sorted(beside.checksums()) == sorted({p["sha256"] for p in doc["photos"]})
    assert any(p["landmarks"] for p in doc["photos"])
    uses_before = {k: v for k, v in _uses(db).items() if v}
    other = _other(tmp_path)
    try:
        result = import_json(other, out, "tester")
        assert result.photos_added == len(doc["photos"])
        assert f"{result.photos_added} photos" in result.summary()
        assert _all_photos(other) == held  # checksums, landmarks, capture, withdrawals
        withdrawn = [x for rows in held.values() for x in rows if x[-3] is not None]
        assert len(withdrawn) == 1
        assert {k: v for k, v in _uses(other).items() if v} == uses_before
        signed = _all_consents(db)
        assert sum(map(len, signed.values())) >= 4  # the demo's consents came along
        assert _all_consents(other) == signed
        store = PhotoStore(tmp_path / "newpc" / "photos")
        assert sorted(store.checksums()) == sorted(beside.checksums())
        report = check.run(other)
        assert report.ok, report.problems
        # the same archive again adds nothing
        again = import_json(other, out, "tester")
        assert (again.photos_added, again.photos_skipped) == (0, len(doc["photos"]))
        assert _all_photos(other) == held
    finally:
        other.dispose()


@pytest.mark.parametrize("damage", ["flip", "remove"])
def test_an_import_with_a_missing_or_altered_photo_is_refused_whole(
    tmp_path: Path, archive: tuple[Path, dict[str, list[tuple]]], damage: str
) -> None:
    out, _held = archive
    doc = json.loads(out.read_text(encoding="utf-8"))
    victim_item = doc["photos"][2]
    victim = PhotoStore(out.parent / "needlelog-photos").path_for(victim_item["sha256"])
    if damage == "flip":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(data))
    else:
        victim.unlink()
    other = _other(tmp_path)
    try:
        with pytest.raises(ImportRefused) as info:
            import_json(other, out, "tester")
        (problem,) = info.value.problems
        line = str(problem)
        assert "\n" not in line
        assert line.startswith("all.json photos row 3, column sha256: the photo ")
        assert victim_item["sha256"][:12] in line
        assert f"({victim_item['record_no']}, {victim_item['performed_on']} " in line
        assert ("does not match its checksum" if damage == "flip" else "is missing") in line
        assert patients.search(other, "", include_archived=True) == []
        assert photos.count(other) == 0
        assert not (tmp_path / "newpc" / "photos").exists()
    finally:
        other.dispose()


def test_photos_already_in_the_store_need_no_folder_beside(
    db: Database, tmp_path: Path, archive: tuple[Path, dict[str, list[tuple]]]
) -> None:
    """Into a database sharing the photo store (a server clinic's one folder), the
    JSON file alone is enough."""
    out, held = archive
    moved = tmp_path / "elsewhere.json"
    moved.write_bytes(out.read_bytes())
    other = open_database(f"sqlite:///{tmp_path / 'same-folder.sqlite3'}")  # store: tmp/photos
    try:
        assert PhotoStore(tmp_path / "photos").root == photos.photo_store(other).root
        import_json(other, moved, "tester")
        assert _all_photos(other) == held
    finally:
        other.dispose()


def test_a_photo_item_that_cannot_be_read_is_named_and_nothing_written(
    tmp_path: Path, archive: tuple[Path, dict[str, list[tuple]]]
) -> None:
    out, _held = archive
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["photos"][0]["sha256"] = "not a checksum"
    doc["photos"][1]["landmarks"] = {"x1": -5, "y1": 1, "x2": 10, "y2": 10}
    doc["photos"][3]["view"] = "ceiling"
    out.write_text(json.dumps(doc), encoding="utf-8")
    other = _other(tmp_path)
    try:
        with pytest.raises(ImportRefused) as info:
            import_json(other, out, "tester")
        lines = [str(p) for p in info.value.problems]
        assert len(lines) == 2, lines
        assert lines[0].startswith("all.json photos row 1: photo cannot be read")
        assert "a landmark lies outside the photo" in lines[1]
        doc["photos"] = doc["photos"][2:]
        out.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(ImportRefused) as info:
            import_json(other, out, "tester")
        (only,) = info.value.problems
        assert str(only).startswith("all.json photos row 2, column view: view 'ceiling'")
        assert patients.search(other, "", include_archived=True) == []
        assert photos.count(other) == 0
    finally:
        other.dispose()


def test_removing_the_demo_removes_its_drawn_photos_but_no_other_file(
    db: Database, tmp_path: Path
) -> None:
    real = register_consenting(db, make_patient("REAL-1"), "n")
    visit = sessions.record(db, real.id, make_session(performed_at=datetime(2026, 3, 2, 10)), "n")
    camera = photos.add_files(
        db, visit.id, "front", False, [cam.camera_jpeg(tmp_path / "c.jpg", seed=4)], "n"
    )
    demo.fill(db, 4, seed=2)
    store = photos.photo_store(db)
    drawn = [p.sha256 for p in _photographed(db)[0]]
    assert len(drawn) >= 2
    # a real record that happens to use one of the drawn files keeps it
    shared = store.read(drawn[0])
    prepared = dataclasses.replace(prepare_bytes(shared, "copy.jpg"), data=shared, sha256=drawn[0])
    photos.add(db, visit.id, "left_45", False, [prepared], "n")
    stray = store.root / "kept-by-hand.txt"
    stray.write_text("not ours", encoding="utf-8")
    demo_files = {p.sha256 for found in _photographed(db) for p in found}
    assert demo.remove(db) == 4
    left = set(store.checksums())
    assert left == {camera[0].sha256, drawn[0]}
    assert not (demo_files - {drawn[0]}) & left
    assert stray.is_file()
    report = check.run(db)
    assert report.ok, report.problems
    _problems, unused = photos.check_files(db)
    assert unused == [str(stray)]


def test_the_command_line_imports_a_json_export_with_its_photos(tmp_path: Path) -> None:
    from tests.cli_runner import run_cli

    source = ("--db", str(tmp_path / "a" / "clinic.sqlite3"))
    assert run_cli(*source, "demo", "--patients", "4", "--seed", "2").returncode == 0
    out = tmp_path / "archive" / "all.json"
    out.parent.mkdir()
    done = run_cli(*source, "export", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    count = len(doc["photos"])
    assert f"their {count} photos beside it in {out.parent / 'needlelog-photos'}" in done.stdout

    target = ("--db", str(tmp_path / "b" / "clinic.sqlite3"))
    victim = PhotoStore(out.parent / "needlelog-photos").path_for(doc["photos"][0]["sha256"])
    kept = victim.read_bytes()
    victim.write_bytes(kept[:-1])
    done = run_cli(*target, "import", "--json", str(out))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines  # one problem: said in the one line
    assert lines[0].startswith(
        "needlelog import: error: nothing was imported: all.json photos row 1, column sha256: "
        "the photo "
    )
    assert lines[0].endswith("does not match its checksum")
    assert not (tmp_path / "b" / "photos").exists()
    assert not (tmp_path / "b" / "clinic.sqlite3").exists()  # a new database is not left behind

    victim.write_bytes(kept)
    done = run_cli(*target, "import", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported 4 new patients and ")
    assert f"; {count} photos" in done.stdout
    assert run_cli(*target, "check").returncode == 0

    done = run_cli(*target, "import", "--json", str(out), "--sessions", "s.csv")
    assert done.returncode == 2 and "--sessions goes with --patients" in done.stderr
    done = run_cli(*target, "import")
    assert done.returncode == 2 and "--patients" in done.stderr and "--json" in done.stderr


def test_a_cancelled_json_export_leaves_neither_file_nor_photo_folder(
    db: Database, tmp_path: Path
) -> None:
    demo.fill(db, 4, seed=2)

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done >= total:  # the last call: the file is written, nothing in place yet
            raise Stop

    out = tmp_path / "archive" / "all.json"
    out.parent.mkdir()
    with pytest.raises(Stop):
        export_json(db, out, progress=progress)
    assert list(out.parent.iterdir()) == []
