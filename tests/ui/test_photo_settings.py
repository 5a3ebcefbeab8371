"""The Photographs page of Clinic settings as an administrator uses it: the photo protocol
(face views ticked and ordered, body areas and sides, the standard protocol back) and
the photo store folder (chosen, checked, the photos copied and verified before the
switch). Bad input shows its message and changes nothing."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.photos import PhotoProtocol
from needlelog.services import accounts, photos, sessions
from needlelog.store.database import Database
from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings
from needlelog.ui.photos.protocol_tab import UNSAVED_TEXT, PhotoSettingsTab
from tests import camera_files as cam
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.ui.message_box import Pressing


def _open(qtbot: QtBot, db: Database) -> PhotoSettingsTab:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    tab = dialog.findChild(PhotoSettingsTab)
    assert tab is not None
    dialog.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.loaded)
    return tab


def _click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def _untick(tab: PhotoSettingsTab, which: str, code: str) -> None:
    checks = tab.face if which == "face" else tab.areas
    checks.item_of(code).setCheckState(Qt.CheckState.Unchecked)


def _save(qtbot: QtBot, tab: PhotoSettingsTab) -> None:
    _click(qtbot, tab.save_protocol_button)
    qtbot.waitUntil(lambda: not tab.busy)


def test_the_administrator_orders_and_saves_the_protocol(qtbot: QtBot, db: Database) -> None:
    tab = _open(qtbot, db)
    assert tab.face.codes() == ["front", "left_45", "right_45", "left_profile", "right_profile"]
    # Right 45° first, then left profile dropped; abdomen only from the front
    tab.face.list.setCurrentRow(2)
    _click(qtbot, tab.face.up)
    _click(qtbot, tab.face.up)
    _untick(tab, "face", "left_profile")
    assert tab.status.text() == UNSAVED_TEXT and tab.unsaved  # the dialog's Save is not it
    tab.areas.list.setCurrentRow(tab.areas.codes().index("thighs"))
    for _ in range(tab.areas.codes().index("thighs")):
        _click(qtbot, tab.areas.up)
    _untick(tab, "body", "arms")
    tab.sides["back"].setChecked(False)
    qtbot.keyClicks(tab.new_view, "chin up")
    _click(qtbot, tab.add_view_button)
    _save(qtbot, tab)

    saved = photos.photo_protocol(db)
    assert saved.face_views == ("right_45", "front", "left_45", "right_profile", "chin_up")
    assert saved.body_sides == ("front",)
    assert saved.body_areas[0] == "thighs" and "arms" not in saved.body_areas
    assert tab.status.text() == "The photo protocol is saved."
    assert tab.error.isHidden()
    # opened again, the page shows what was saved, unticked views after the ticked
    again = _open(qtbot, db)
    assert again.face.chosen() == saved.face_views
    assert again.face.codes()[-1] == "left_profile"
    assert not again.sides["back"].isChecked()


def test_the_standard_protocol_comes_back(qtbot: QtBot, db: Database) -> None:
    photos.set_photo_protocol(db, PhotoProtocol(face_views=("front",), body_sides=("back",)), "t")
    tab = _open(qtbot, db)
    assert tab.face.chosen() == ("front",)
    _click(qtbot, tab.defaults_button)
    assert tab.protocol() == PhotoProtocol()
    assert tab.status.text() == "The standard protocol is shown; save it to use it."
    assert photos.photo_protocol(db).face_views == ("front",)  # shown, not yet saved
    _save(qtbot, tab)
    assert photos.photo_protocol(db) == PhotoProtocol()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("front", "The view front is already in the list; tick it to use it."),
        ("Left_45", "The view left_45 is already in the list; tick it to use it."),
        (
            "chin-up!",
            "Photo view 'chin-up!' is not a valid code; allowed: lower-case letters, digits and _.",
        ),
        ("  ", "Type the code of the view to add (for example chin_up)."),
    ],
)
def test_a_duplicate_or_bad_view_is_refused(
    qtbot: QtBot, db: Database, typed: str, message: str
) -> None:
    tab = _open(qtbot, db)
    before = tab.face.codes()
    qtbot.keyClicks(tab.new_view, typed)
    _click(qtbot, tab.add_view_button)
    assert tab.error.text() == message and not tab.error.isHidden()
    assert tab.face.codes() == before
    _save(qtbot, tab)
    assert photos.photo_protocol(db) == PhotoProtocol()


def test_an_empty_protocol_is_refused_and_nothing_saved(qtbot: QtBot, db: Database) -> None:
    photos.set_photo_protocol(db, PhotoProtocol(face_views=("front", "left_45")), "t")
    before = photos.photo_protocol(db)
    tab = _open(qtbot, db)
    for code in tab.face.chosen():
        _untick(tab, "face", code)
    for code in tab.areas.chosen():
        _untick(tab, "body", code)
    _click(qtbot, tab.save_protocol_button)
    assert tab.error.text() == (
        "The photo protocol has no view; keep at least one face view or body area. Nothing saved."
    )
    assert photos.photo_protocol(db) == before
    # body areas with no side: refused too
    tab.face.item_of("front").setCheckState(Qt.CheckState.Checked)
    tab.areas.item_of("abdomen").setCheckState(Qt.CheckState.Checked)
    for box in tab.sides.values():
        box.setChecked(False)
    _click(qtbot, tab.save_protocol_button)
    assert "photographed from no side" in tab.error.text()
    assert photos.photo_protocol(db) == before


@pytest.fixture
def stored_photos(db: Database, tmp_path: Path) -> list[str]:
    """Two photos stored in the folder beside the database; their checksums."""
    pid = register_consenting(db, make_patient("P-1"), "t").id
    sid = sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2, 10)), "t").id
    files = [cam.camera_jpeg(tmp_path / f"{i}.jpg", seed=i + 1) for i in range(2)]
    return [p.sha256 for p in photos.add_files(db, sid, "front", False, files, "t")]


def _private_folder(path: Path) -> Path:
    path.mkdir()
    path.chmod(0o700)
    return path


def test_the_photos_are_copied_checked_and_the_old_folder_kept(
    qtbot: QtBot,
    db: Database,
    tmp_path: Path,
    stored_photos: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = photos.photo_store(db)
    new_root = _private_folder(tmp_path / "shared")
    tab = _open(qtbot, db)
    assert str(old.root) in tab.folder_now.text() and "2 photo record(s)" in tab.folder_now.text()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(new_root))
    _click(qtbot, tab.choose_button)
    assert tab.folder.text() == str(new_root)
    pressing = Pressing(["Copy and switch"])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    _click(qtbot, tab.move_button)
    qtbot.waitUntil(lambda: bool(pressing.seen) and not tab.busy)

    assert pressing.seen[0].text == f"Use {new_root} for the clinic's photos?"
    assert "checked against its checksum" in pressing.seen[0].informative
    assert photos.photo_store(db).root == new_root
    for sha in stored_photos:
        assert (new_root / sha[:2] / sha).is_file() and old.verify(sha) is None  # old kept
        assert photos.photo_store(db).verify(sha) is None
    assert tab.status.text() == (
        f"The photos are now kept in {new_root}: 2 copied and 0 already there, every one "
        f"checked. {old.root} was left as it was."
    )
    assert str(new_root) in tab.folder_now.text()


def test_cancelling_the_move_changes_nothing(
    qtbot: QtBot,
    db: Database,
    tmp_path: Path,
    stored_photos: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_root = photos.photo_store(db).root
    new_root = _private_folder(tmp_path / "shared")
    tab = _open(qtbot, db)
    tab.folder.setText(str(new_root))
    pressing = Pressing(["Cancel"])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    _click(qtbot, tab.move_button)
    qtbot.waitUntil(lambda: bool(pressing.seen) and not tab.busy)
    assert tab.status.text() == "The photo folder was not changed."
    assert photos.photo_store(db).root == old_root
    assert list(new_root.iterdir()) == []


def _refused(qtbot: QtBot, db: Database, folder: str, monkeypatch: pytest.MonkeyPatch) -> str:
    old_root = photos.photo_store(db).root
    tab = _open(qtbot, db)
    pressing = Pressing([])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    tab.folder.setText(folder)
    _click(qtbot, tab.move_button)
    qtbot.waitUntil(lambda: not tab.error.isHidden())
    qtbot.waitUntil(lambda: not tab.busy)
    assert pressing.seen == []  # never asked: refused first
    assert photos.photo_store(db).root == old_root
    return tab.error.text()


def test_an_unwritable_folder_is_refused(
    qtbot: QtBot, db: Database, stored_photos: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc cannot be written by anyone, not even the administrator of the computer
    text = _refused(qtbot, db, "/proc", monkeypatch)
    assert text.startswith("The folder /proc cannot be written: ")
    assert text.endswith("The photo folder was not changed.")


def test_a_missing_folder_a_file_and_a_relative_path_are_refused(
    qtbot: QtBot,
    db: Database,
    tmp_path: Path,
    stored_photos: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = tmp_path / "nowhere"
    assert _refused(qtbot, db, str(missing), monkeypatch) == (
        f"The folder {missing} does not exist; create it first (or choose another). "
        "The photo folder was not changed."
    )
    assert not missing.exists()
    a_file = tmp_path / "0.jpg"
    assert _refused(qtbot, db, str(a_file), monkeypatch) == (
        f"{a_file} is a file, not a folder. The photo folder was not changed."
    )
    assert _refused(qtbot, db, "photos", monkeypatch).startswith(
        "The photo folder 'photos' must be a full path"
    )


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_a_folder_open_to_everyone_is_refused(
    qtbot: QtBot,
    db: Database,
    tmp_path: Path,
    stored_photos: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    text = _refused(qtbot, db, str(open_folder), monkeypatch)
    assert text.startswith(f"The folder {open_folder} is open to every account of this computer")
    assert list(open_folder.iterdir()) == []


def test_a_photo_missing_from_the_old_folder_stops_the_move(
    qtbot: QtBot,
    db: Database,
    tmp_path: Path,
    stored_photos: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = photos.photo_store(db)
    old.path_for(stored_photos[1]).unlink()
    new_root = _private_folder(tmp_path / "shared")
    tab = _open(qtbot, db)
    tab.folder.setText(str(new_root))
    pressing = Pressing(["Copy and switch"])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pressing(box))
    _click(qtbot, tab.move_button)
    qtbot.waitUntil(lambda: not tab.error.isHidden())
    assert tab.error.text() == (
        f"1 photo(s) are missing or damaged in {old.root} (run check). Nothing was changed."
    )
    assert photos.photo_store(db).root == old.root


def test_a_practitioner_is_refused_by_the_service(qtbot: QtBot, db: Database) -> None:
    """The dialog is offered to administrators only; were it opened by anyone else, the
    service's sentence is shown and nothing is saved."""
    add_clinic_accounts(db)
    accounts.sign_in(db, "amelia", PASSWORD)
    tab = _open(qtbot, db)
    _untick(tab, "face", "front")
    _save(qtbot, tab)
    assert tab.error.text().startswith("Amelia (practitioner) may not change the clinic settings")
    assert tab.error.text().endswith("Nothing was changed.")
    accounts.sign_in(db, "ada", PASSWORD)
    assert photos.photo_protocol(db) == PhotoProtocol()
