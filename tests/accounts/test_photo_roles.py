"""Photographs as each role meets them: the photo services themselves refuse, with a
sentence that says who may, and nothing is read, stored or changed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from needlelog.domain.accounts import AccessRefused
from needlelog.domain.photos import Landmarks, PhotoProtocol, PhotoUse
from needlelog.exchange.photo_export import export_photos
from needlelog.services import accounts, photos, sessions
from needlelog.services.photo_images import prepare
from needlelog.store.database import Database
from tests import camera_files as cam
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

READ = r"may not see clinical details"
WRITE = r"may not record sessions and clinical details"
SETTINGS = r"may not change the clinic settings"


@pytest.fixture
def clinic(db: Database, tmp_path: Path) -> tuple[Database, int, int, int]:
    """(db, patient id, session id, photo id): one photo taken before accounts existed."""
    pid = register_consenting(db, make_patient("P-1"), "setup").id
    sid = sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2, 10)), "t").id
    (photo,) = photos.add_files(db, sid, "front", False, [cam.camera_jpeg(tmp_path / "a.jpg")], "t")
    add_clinic_accounts(db)
    return db, pid, sid, photo.id


def _reads(db: Database, pid: int, sid: int, photo_id: int) -> dict[str, object]:
    accounts.sign_in(db, "amelia", PASSWORD)
    photo = photos.get(db, photo_id)
    accounts.sign_out()
    return {
        "get": lambda: photos.get(db, photo_id),
        "for_session": lambda: photos.for_session(db, sid),
        "for_patient": lambda: photos.for_patient(db, pid),
        "first_and_latest": lambda: photos.first_and_latest(db, pid),
        "uses": lambda: photos.uses(db, pid),
        "thumbnail": lambda: photos.thumbnail(db, photo),
        "original_path": lambda: photos.original_path(db, photo),
        "session_on": lambda: photos.session_on(db, "P-1", date(2026, 3, 2)),
    }


def test_reception_reads_no_photo(clinic: tuple[Database, int, int, int]) -> None:
    db, pid, sid, photo_id = clinic
    reads = _reads(db, pid, sid, photo_id)
    accounts.sign_in(db, "rita", PASSWORD)
    for name, read in reads.items():
        with pytest.raises(AccessRefused, match=rf"rita \(reception\) {READ}"):
            read()  # type: ignore[operator]
        assert name  # every read is refused, each by the service itself
    # every clinical role reads them
    for name in ("amelia", "sam", "ada"):
        accounts.sign_in(db, name, PASSWORD)
        assert [p.id for p in photos.for_patient(db, pid)] == [photo_id]
        assert photos.thumbnail(db, photos.get(db, photo_id)).is_file()


def test_nobody_signed_in_reads_no_photo(clinic: tuple[Database, int, int, int]) -> None:
    db, pid, sid, photo_id = clinic
    for read in _reads(db, pid, sid, photo_id).values():
        with pytest.raises(AccessRefused, match="sign in first"):
            read()  # type: ignore[operator]


@pytest.mark.parametrize("name", ["rita", "ada"])
def test_only_clinical_writers_add_or_change_photos(
    clinic: tuple[Database, int, int, int], tmp_path: Path, name: str
) -> None:
    db, pid, sid, photo_id = clinic
    store = photos.photo_store(db)
    files_before = sorted(store.checksums())
    new = cam.camera_jpeg(tmp_path / "b.jpg", seed=7)
    prepared = [prepare(new)]
    accounts.sign_in(db, name, PASSWORD)
    with pytest.raises(AccessRefused, match=WRITE):
        photos.add_files(db, sid, "front", False, [new], name)
    with pytest.raises(AccessRefused, match=WRITE):
        photos.add(db, sid, "left_45", False, prepared, name)
    with pytest.raises(AccessRefused, match=WRITE):
        photos.withdraw(db, photo_id, "wrong patient", name)
    with pytest.raises(AccessRefused, match=WRITE):
        photos.set_landmarks(db, photo_id, Landmarks(10, 10, 50, 10), name)
    with pytest.raises(AccessRefused, match=WRITE):
        photos.set_uses(db, pid, [PhotoUse.TEACHING], name)
    # nothing stored, nothing changed
    assert sorted(store.checksums()) == files_before
    accounts.sign_in(db, "amelia", PASSWORD)
    photo = photos.get(db, photo_id)
    assert not photo.withdrawn and photo.landmarks is None
    assert [p.id for p in photos.for_session(db, sid)] == [photo_id]
    assert not photos.uses(db, pid).allows(PhotoUse.TEACHING)


def test_an_assistant_prepares_photos(
    clinic: tuple[Database, int, int, int], tmp_path: Path
) -> None:
    db, _pid, sid, _photo = clinic
    accounts.sign_in(db, "sam", PASSWORD)
    added = photos.add_files(
        db, sid, "left_45", False, [cam.camera_jpeg(tmp_path / "c.jpg")], "sam"
    )
    photos.set_landmarks(db, added[0].id, Landmarks(10, 10, 50, 10), "sam")
    assert photos.get(db, added[0].id).landmarks is not None
    assert {p.view for p in photos.for_session(db, sid)} == {"front", "left_45"}


@pytest.mark.parametrize("name", ["amelia", "sam", "rita"])
def test_only_an_administrator_sets_the_protocol_and_folder(
    clinic: tuple[Database, int, int, int], tmp_path: Path, name: str
) -> None:
    db, *_ = clinic
    before = photos.photo_protocol(db)
    root = photos.photo_store(db).root
    accounts.sign_in(db, name, PASSWORD)
    with pytest.raises(AccessRefused, match=SETTINGS):
        photos.set_photo_protocol(db, PhotoProtocol(face_views=("front",)), name)
    with pytest.raises(AccessRefused, match=SETTINGS):
        photos.set_photo_folder(db, str(tmp_path / "elsewhere"), name)
    assert photos.photo_protocol(db) == before
    assert photos.photo_store(db).root == root
    accounts.sign_in(db, "ada", PASSWORD)
    photos.set_photo_protocol(db, PhotoProtocol(face_views=("front",)), "ada")
    assert photos.photo_protocol(db).face_views == ("front",)


def test_reception_exports_no_photo(clinic: tuple[Database, int, int, int], tmp_path: Path) -> None:
    db, *_ = clinic
    out = tmp_path / "out"
    accounts.sign_in(db, "rita", PASSWORD)
    with pytest.raises(AccessRefused, match="may not export records"):
        export_photos(db, "P-1", out)
    assert not out.exists()
    accounts.sign_in(db, "ada", PASSWORD)
    assert len(export_photos(db, "P-1", out).written) == 1
