"""Photos through the services: private metadata gone, the camera's pixels kept, the
orientation recorded, write-once storage, withdrawal, landmarks, uses, check."""

from __future__ import annotations

import io
import json
import stat
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from needlelog import config
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.photos import (
    Landmarks,
    PhotoProtocol,
    PhotoUse,
    similarity,
)
from needlelog.services import audit, photos, sessions
from needlelog.services.photo_images import UnreadableImage, prepare, scan_data
from needlelog.store.database import Database
from tests import camera_files as cam
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


@pytest.fixture
def visit(db: Database) -> tuple[int, int, int]:
    """(patient id, first session id, second session id)"""
    pid = register_consenting(db, make_patient("P-1"), "t").id
    s1 = sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2, 10)), "t").id
    s2 = sessions.record(
        db, pid, make_session(performed_at=datetime(2026, 5, 4, 10), next_due=None), "t"
    ).id
    return pid, s1, s2


def _exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as im:
        return im.getexif()


def test_camera_jpeg_loses_private_metadata_and_keeps_its_scan_data(tmp_path: Path) -> None:
    source = cam.camera_jpeg(tmp_path / "DSC_0001.JPG", orientation=6)
    raw = source.read_bytes()
    # the test file really carries what must go
    assert cam.SERIAL.encode() in raw and cam.MAKER_NOTE in raw and b"GPSLatitude" in raw
    assert _exif_of(raw).get_ifd(0x8825)

    prepared = prepare(source)

    stored = prepared.data
    exif = _exif_of(stored)
    assert not exif.get_ifd(0x8825)  # GPS
    sub = exif.get_ifd(0x8769)
    assert 0xA431 not in sub and 0xA430 not in sub and 0x927C not in sub
    assert 0x013B not in exif  # Artist
    for secret in (
        cam.SERIAL.encode(),
        cam.OWNER.encode(),
        cam.MAKER_NOTE,
        cam.XMP_GPS,
        cam.IPTC_OWNER,
        cam.COMMENT,
        b"Jane",
    ):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert im.getexif().get_ifd(0x8825) == {}
        assert "thumbnail" not in im.info
        assert im.applist == [a for a in im.applist if a[0] in ("APP0", "APP1", "APP2", "APP14")]
    # no embedded thumbnail: only one JPEG start inside the file
    assert stored.count(b"\xff\xd8") == 1
    # the compressed image data is the camera's, byte for byte
    assert scan_data(stored) == scan_data(raw)
    # capture settings kept as data; orientation recorded and the displayed size turned
    assert prepared.orientation == 6
    assert (prepared.width, prepared.height) == (480, 640)
    assert prepared.capture.flash_fired is False
    assert prepared.capture.exposure_time_s == pytest.approx(1 / 125)
    assert prepared.capture.f_number == pytest.approx(5.6)
    assert prepared.capture.iso == 200
    assert prepared.capture.focal_length_mm == 50
    assert prepared.capture.taken_at == datetime(2026, 11, 2, 10, 11, 12)
    assert prepared.capture.camera == "NIKON D850"
    assert exif.get(0x0112) == 6
    # displayed upright: the thumbnail is portrait
    with Image.open(io.BytesIO(prepared.thumbnail)) as thumb:
        assert thumb.height > thumb.width and max(thumb.size) == 256
    # the pixels decode the same as the camera's file
    with Image.open(io.BytesIO(raw)) as a, Image.open(io.BytesIO(stored)) as b:
        assert a.tobytes() == b.tobytes()


def test_heic_png_and_tiff_import_with_their_pixels(tmp_path: Path) -> None:
    heic = prepare(cam.heic_file(tmp_path / "IMG_0042.HEIC", orientation=6))
    assert heic.ext == "png" and heic.orientation == 6
    assert (heic.width, heic.height) == (240, 320)  # upright as displayed
    assert cam.SERIAL.encode() not in heic.data
    png = prepare(cam.png_file(tmp_path / "scan.png"))
    assert png.ext == "png" and cam.OWNER.encode() not in png.data
    assert cam.XMP_GPS not in png.data and cam.SERIAL.encode() not in png.data
    with Image.open(tmp_path / "scan.png") as a, Image.open(io.BytesIO(png.data)) as b:
        assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()
    tif = prepare(cam.tiff_file(tmp_path / "scan.tif"))
    assert tif.ext == "tif" and tif.orientation == 3
    assert cam.SERIAL.encode() not in tif.data and cam.OWNER.encode() not in tif.data
    with Image.open(tmp_path / "scan.tif") as a, Image.open(io.BytesIO(tif.data)) as b:
        assert a.tobytes() == b.tobytes()
        assert ImageOps.exif_transpose(b).size == (320, 240)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not a readable image"),
        (b"this is a letter, not a photo", "not a readable image"),
        (b"GIF89a" + b"\x00" * 40, "not a readable image"),
    ],
)
def test_unreadable_files_are_refused_by_name(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage, match=r"^holiday\.jpg") as info:
        prepare(path)
    assert words in str(info.value) or "allowed" in str(info.value)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    raw = cam.camera_jpeg(tmp_path / "a.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UnreadableImage, match=r"^cut\.jpg"):
        prepare(cut)


def test_add_stores_once_named_by_checksum_private_and_unchanging(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    pid, s1, _s2 = visit
    files = [cam.camera_jpeg(tmp_path / f"{i}.jpg", seed=i + 1) for i in range(3)]
    added = photos.add_files(db, s1, "front", False, files, "nurse")
    store = photos.photo_store(db)
    # Beside a SQLite file; in the data folder for a server database with no folder set.
    beside = db.sqlite_path.parent if db.sqlite_path is not None else config.paths().data
    assert store.root == beside / "photos"
    assert [p.view for p in added] == ["front"] * 3
    for p in added:
        path = store.path_for(p.sha256)
        assert path.name == p.sha256 and store.verify(p.sha256) is None
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert p.original_name.endswith(".jpg") and p.ext == "jpg"
        assert photos.thumbnail(db, p).is_file()
    assert [p.id for p in photos.for_patient(db, pid)] == [p.id for p in added]
    with _session(db) as orm:  # closed, or a server keeps it in a transaction
        events = audit.events_for(orm, "photo", added[0].id)
    assert [e.action for e in events] == ["create"]


def _session(db: Database):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    return Session(db.engine)


def test_an_unreadable_file_among_several_stores_nothing(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    _pid, s1, _s2 = visit
    good = cam.camera_jpeg(tmp_path / "good.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 nonsense")
    with pytest.raises(UnreadableImage, match=r"^bad\.jpg"):
        photos.add_files(db, s1, "front", False, [good, bad], "nurse")
    assert photos.for_session(db, s1) == []
    assert list(photos.photo_store(db).checksums()) == []


def test_unknown_view_is_refused_before_anything_is_read(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    _pid, s1, _s2 = visit
    with pytest.raises(InvalidRecord, match="'upside_down' is not in the photo protocol"):
        photos.add_files(db, s1, "upside_down", False, [tmp_path / "none.jpg"], "nurse")
    assert photos.for_session(db, s1) == []


def test_body_views_follow_area_codes_and_the_protocol_is_a_setting(db: Database) -> None:
    default = photos.photo_protocol(db)
    assert default.face_views == ("front", "left_45", "right_45", "left_profile", "right_profile")
    assert default.knows("abdomen_front") and default.knows("back_back")
    assert not default.knows("elbow_front")
    assert default.views_for_areas(["cheek_left", "abdomen"]) == (
        "front",
        "left_45",
        "right_45",
        "left_profile",
        "right_profile",
        "abdomen_front",
        "abdomen_back",
    )
    photos.set_photo_protocol(db, PhotoProtocol(face_views=("front", "left_profile")), "admin")
    assert photos.photo_protocol(db).face_views == ("front", "left_profile")
    with pytest.raises(InvalidRecord, match="not a valid code"):
        photos.set_photo_protocol(db, PhotoProtocol(face_views=("Front View",)), "admin")
    assert photos.photo_protocol(db).face_views == ("front", "left_profile")


def test_withdraw_needs_a_reason_and_keeps_file_and_record(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    pid, s1, _s2 = visit
    (p,) = photos.add_files(db, s1, "front", False, [cam.camera_jpeg(tmp_path / "a.jpg")], "n")
    with pytest.raises(InvalidRecord, match="say why"):
        photos.withdraw(db, p.id, "  ", "n")
    assert not photos.get(db, p.id).withdrawn
    done = photos.withdraw(db, p.id, "patient's eyes closed; retaken", "dr")
    assert done.withdrawn and done.withdrawn_by == "dr"
    assert photos.for_patient(db, pid) == []
    assert [x.id for x in photos.for_patient(db, pid, include_withdrawn=True)] == [p.id]
    assert photos.photo_store(db).verify(p.sha256) is None
    with _session(db) as orm:  # closed, or a server keeps it in a transaction
        events = audit.events_for(orm, "photo", p.id)
    assert events[-1].action == "withdraw"
    assert "retaken" in json.loads(events[-1].changes)["withdrawn_reason"][1]


def test_landmarks_are_kept_and_checked(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    _pid, s1, _s2 = visit
    (p,) = photos.add_files(db, s1, "front", False, [cam.camera_jpeg(tmp_path / "a.jpg")], "n")
    marks = Landmarks(150.0, 200.0, 330.0, 205.0)
    assert photos.set_landmarks(db, p.id, marks, "n").landmarks == marks
    with pytest.raises(InvalidRecord, match="outside the photo"):
        photos.set_landmarks(db, p.id, Landmarks(10, 10, 5000, 10), "n")
    assert photos.get(db, p.id).landmarks == marks
    assert photos.set_landmarks(db, p.id, None, "n").landmarks is None


def test_similarity_maps_landmarks_onto_landmarks() -> None:
    a = Landmarks(100, 100, 200, 100)
    b = Landmarks(50, 60, 50, 260)  # rotated 90°, twice the distance
    t = similarity(b, a)
    assert t.apply(50, 60) == pytest.approx((100, 100))
    assert t.apply(50, 260) == pytest.approx((200, 100))
    assert t.scale == pytest.approx(0.5)


def test_uses_are_recorded_and_audited(db: Database, visit: tuple[int, int, int]) -> None:
    pid, _s1, _s2 = visit
    assert not photos.uses(db, pid).allows(PhotoUse.OWN_REPORT)
    got = photos.set_uses(db, pid, [PhotoUse.CLINICAL_RECORD, PhotoUse.OWN_REPORT], "reception")
    assert got.allows(PhotoUse.OWN_REPORT) and not got.allows(PhotoUse.TEACHING)
    photos.set_uses(db, pid, [PhotoUse.CLINICAL_RECORD], "reception")
    assert photos.uses(db, pid).why_not(PhotoUse.OWN_REPORT).startswith("Photographs left out")
    with _session(db) as orm:  # closed, or a server keeps it in a transaction
        changes = [
            json.loads(e.changes)
            for e in audit.events_for(orm, "patient", pid)
            if e.action == "photo_uses"
        ]
    assert changes[-1]["photo_uses"] == [["clinical_record", "own_report"], ["clinical_record"]]


def test_first_and_latest_pairs_each_view(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    pid, s1, s2 = visit
    f1 = photos.add_files(db, s1, "front", False, [cam.camera_jpeg(tmp_path / "1.jpg")], "n")
    photos.add_files(db, s1, "front", True, [cam.camera_jpeg(tmp_path / "1a.jpg", seed=5)], "n")
    f2 = photos.add_files(
        db, s2, "front", False, [cam.camera_jpeg(tmp_path / "2.jpg", seed=3, flash=True)], "n"
    )
    photos.add_files(db, s2, "left_45", False, [cam.camera_jpeg(tmp_path / "3.jpg", seed=4)], "n")
    (pair,) = photos.first_and_latest(db, pid)
    assert (pair.view, pair.first.id, pair.latest.id) == ("front", f1[0].id, f2[0].id)
    assert "flash fired on one photo only" in pair.warnings


def test_check_reports_flipped_byte_missing_file_and_unused_files(
    db: Database, visit: tuple[int, int, int], tmp_path: Path
) -> None:
    _pid, s1, _s2 = visit
    a, b, c = photos.add_files(
        db,
        s1,
        "front",
        False,
        [cam.camera_jpeg(tmp_path / f"{i}.jpg", seed=i) for i in range(3)],
        "n",
    )
    store = photos.photo_store(db)
    assert photos.check_files(db) == ([], [])
    path = store.path_for(a.sha256)
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    store.path_for(b.sha256).unlink()
    stray = store.put(b"not a photo of anyone")
    problems, unused = photos.check_files(db)
    assert [(where.split()[1], what.split(":")[0]) for where, what in problems] == [
        (str(a.id), "checksum mismatch"),
        (str(b.id), "missing"),
    ]
    assert unused == [str(store.path_for(stray))]
    assert c.id not in {int(where.split()[1]) for where, _what in problems}


def test_an_unknown_session_stores_nothing(db: Database, tmp_path: Path) -> None:
    from needlelog.services.errors import NotFound

    prepared = prepare(cam.camera_jpeg(tmp_path / "a.jpg"))
    with pytest.raises(NotFound, match="no session with id 999"):
        photos.add(db, 999, "front", False, [prepared], "n")
    assert list(photos.photo_store(db).checksums()) == []
