"""Photographs in the window, driven as a user would: files dropped onto a view slot,
a picture arriving in the import folder and filed from the inbox, the comparison in
wipe and overlay, landmarks clicked and the alignment kept after reopening."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.consent import ConsentKind
from needlelog.domain.photos import Photo, PhotoUse
from needlelog.domain.records import Patient, TreatmentSession
from needlelog.services import photos, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.photos.canvas import Mode
from needlelog.ui.photos.compare import ComparisonWindow, aligning
from needlelog.ui.photos.inbox import IMPORTED_FOLDER, InboxList, save_folder
from needlelog.ui.photos.landmarks import LandmarksDialog
from needlelog.ui.photos.slots import SessionPhotosWindow, SlotKey
from needlelog.ui.photos.strip import EntryRole
from tests.consenting import register_consenting, sign_consent
from tests.factories import make_patient, make_session
from tests.ui.photo_files import draw_face

MakeWindow = Callable[[Database], MainWindow]
# Where the pupils are drawn in each session's front photo (upright pixels).
EYES = (((450, 700), (750, 700)), ((520, 760), (770, 730)))


@pytest.fixture
def clinic(db: Database, tmp_path: Path) -> tuple[Patient, list[TreatmentSession]]:
    """A patient with two sessions; the first has front and left 45° photos, the second
    a front photo taken with the flash (the first without)."""
    patient = register_consenting(db, make_patient("P-0001"), "test")
    made = []
    for when in (datetime(2026, 1, 5, 10), datetime(2026, 3, 9, 10)):
        made.append(
            sessions.record(
                db,
                patient.id,
                make_session(performed_at=when, next_due=None),
                "test",
                now=datetime(2026, 3, 10, 12),
            )
        )
    camera = tmp_path / "camera"
    camera.mkdir()
    first = draw_face(camera / "IMG_0001.jpg", EYES[0], flash=False)
    side = draw_face(camera / "IMG_0002.jpg", EYES[0], tint=(215, 175, 150))
    later = draw_face(camera / "IMG_0107.jpg", EYES[1], tint=(235, 200, 185), flash=True, scars=4)
    photos.add_files(db, made[0].id, "front", False, [first], "test")
    photos.add_files(db, made[0].id, "left_45", False, [side], "test")
    photos.add_files(db, made[1].id, "front", False, [later], "test")
    return patient, made


def _open_record(qtbot: QtBot, window: MainWindow) -> None:
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    photos_part = window.record.photos
    qtbot.waitUntil(lambda: photos_part.patient is not None and not photos_part.pending)


def _drop(qtbot: QtBot, target: QWidget, mime: object) -> None:
    """A drop as the file manager makes it: enter, then drop, at the widget's centre."""
    centre = QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = QDragEnterEvent(
        centre.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the slot refused the drag"
    drop = QDropEvent(
        centre, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def _session_window(
    qtbot: QtBot, window: MainWindow, session: TreatmentSession
) -> SessionPhotosWindow:
    window.record.photos.open_session(session)
    opened = [w for w in window.record.photos.open_windows() if isinstance(w, SessionPhotosWindow)]
    panel = opened[-1]
    qtbot.waitUntil(lambda: panel.store is not None and bool(panel.slots))
    return panel


def test_a_file_dropped_onto_a_view_slot_is_stored_as_that_view(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    assert window.record.photos.strip.photo_count() == 3
    panel = _session_window(qtbot, window, made[1])
    slot = panel.slots[SlotKey("right_45", after=False)]
    assert not slot.photos

    dropped = draw_face(tmp_path / "from the file manager.jpg", EYES[1])
    from needlelog.ui.photos.inbox import InboxList

    _drop(qtbot, slot, InboxList.mime_for([dropped]))
    qtbot.waitUntil(lambda: not panel.importing, timeout=10_000)
    assert panel.status.text() == "Stored 1 photo as Right 45°, before."
    stored = photos.for_session(db, made[1].id)
    assert [(p.view, p.after, p.original_name) for p in stored if p.view == "right_45"] == [
        ("right_45", False, "from the file manager.jpg")
    ]
    qtbot.waitUntil(lambda: len(slot.photos) == 1)
    qtbot.waitUntil(
        lambda: slot.picture.pixmap() is not None and not slot.picture.pixmap().isNull()
    )
    # The record's strip follows without being asked.
    qtbot.waitUntil(lambda: window.record.photos.strip.photo_count() == 4)
    assert dropped.exists(), "a file dropped from the file manager stays where it was"


def test_a_file_that_is_no_picture_is_refused_with_its_name_and_nothing_is_stored(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    panel = _session_window(qtbot, window, made[1])
    good = draw_face(tmp_path / "good.jpg")
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a photograph")
    before = photos.for_session(db, made[1].id)

    _drop(qtbot, panel.slots[SlotKey("front", after=True)], InboxList.mime_for([good, bad]))
    qtbot.waitUntil(lambda: panel.status.text().startswith("Nothing stored"), timeout=10_000)
    assert "notes.jpg" in panel.status.text()
    assert photos.for_session(db, made[1].id) == before
    assert not panel.importing


def test_a_picture_in_the_import_folder_appears_in_the_inbox_and_is_filed_from_it(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    folder = tmp_path / "Phone sync"
    folder.mkdir()
    save_folder(folder)  # the clinic pointed this PC at its phone's sync folder
    window = make_window(db)
    _open_record(qtbot, window)
    panel = _session_window(qtbot, window, made[1])
    inbox = panel.inbox
    assert inbox.folder == folder
    qtbot.waitUntil(lambda: "New pictures" in inbox.hint.text())
    assert inbox.files() == []

    # The phone's sync writes a picture (written a moment ago, so it is complete).
    arrived = draw_face(folder / "IMG_2041.JPG", EYES[1])
    past = time.time() - 5
    os.utime(arrived, (past, past))
    qtbot.waitUntil(lambda: inbox.files() == [arrived], timeout=10_000)
    item = inbox.item_for(arrived)
    assert item is not None
    qtbot.waitUntil(lambda: inbox.has_thumbnail(arrived))

    # Dragged from the inbox onto the "left 45°, before" slot.
    mime = inbox.list.mimeData([item])
    slot = panel.slots[SlotKey("left_45", after=False)]
    _drop(qtbot, slot, mime)
    qtbot.waitUntil(lambda: panel.status.text().startswith("Stored 1 photo"), timeout=10_000)
    stored = [p for p in photos.for_session(db, made[1].id) if p.view == "left_45"]
    assert [p.original_name for p in stored] == ["IMG_2041.JPG"]
    # Filed pictures leave the inbox for its Imported folder; nothing is deleted.
    qtbot.waitUntil(lambda: inbox.files() == [])
    qtbot.waitUntil(lambda: (folder / IMPORTED_FOLDER / "IMG_2041.JPG").exists())
    assert not arrived.exists()

    # Without a mouse: a picture selected in the inbox goes to the selected view.
    second = draw_face(folder / "IMG_2042.JPG", EYES[1], scars=2)
    os.utime(second, (past, past))
    qtbot.waitUntil(lambda: inbox.files() == [second], timeout=10_000)
    panel.choose_slot(SlotKey("right_45", after=False))
    assert not inbox.assign_button.isEnabled()
    inbox.item_for(second).setSelected(True)
    assert inbox.assign_button.isEnabled()
    qtbot.mouseClick(inbox.assign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status.text() == "Stored 1 photo as Right 45°, before.")
    right = [p for p in photos.for_session(db, made[1].id) if p.view == "right_45"]
    assert [p.original_name for p in right] == ["IMG_2042.JPG"]
    qtbot.waitUntil(lambda: inbox.files() == [])


def _comparison(qtbot: QtBot, window: MainWindow, photo: Photo | None = None) -> ComparisonWindow:
    window.record.photos.open_comparison(photo)
    opened = [w for w in window.record.photos.open_windows() if isinstance(w, ComparisonWindow)]
    compare = opened[-1]
    compare.resize(1000, 640)
    compare.show()
    qtbot.waitExposed(compare)
    qtbot.waitUntil(lambda: compare.both_loaded, timeout=10_000)
    return compare


def _pixel(widget: QWidget, x: int, y: int) -> int:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return image.pixel(x, y)


def test_the_comparison_opens_on_first_and_latest_and_warns_of_the_flash(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    compare = _comparison(qtbot, window)
    first, second = compare.pair()
    assert first is not None and second is not None
    assert (first.view, first.performed_on.isoformat()) == ("front", "2026-01-05")
    assert second.performed_on.isoformat() == "2026-03-09"
    assert compare.warning.isVisibleTo(compare)
    assert compare.warning.text() == "Compare with care: flash fired on one photo only."
    # Arrow keys step through the sessions: the later photo back to the first session.
    qtbot.keyClick(compare.canvas, Qt.Key.Key_Left)
    assert compare.pair()[1] == first
    assert not compare.warning.isVisibleTo(compare)
    qtbot.keyClick(compare.canvas, Qt.Key.Key_Right)
    assert compare.pair()[1] == second


def test_wipe_and_overlay_change_what_is_drawn_with_the_slider(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    compare = _comparison(qtbot, window)
    canvas = compare.canvas
    height = canvas.height()
    y = height // 2 + 20  # through the cheeks, below the eyes

    compare.set_mode(Mode.WIPE)
    assert compare.slider.isVisibleTo(compare) and compare.slider_label.text() == "Wipe"
    compare.slider.setValue(100)  # the earlier photo whole
    earlier_only = canvas.grab().toImage()
    compare.slider.setValue(0)  # the later photo whole
    later_only = canvas.grab().toImage()
    row = [x for x in range(0, canvas.width(), 4)]
    changed = [x for x in row if earlier_only.pixel(x, y) != later_only.pixel(x, y)]
    assert len(changed) > len(row) // 10, "the wipe did not change the picture"
    compare.slider.setValue(50)
    half = canvas.grab().toImage()
    split = canvas.wipe_x(canvas._targets()[0])
    left_x, right_x = int(split) - 30, int(split) + 30
    assert half.pixel(left_x, y) == earlier_only.pixel(left_x, y)
    assert half.pixel(right_x, y) == later_only.pixel(right_x, y)

    compare.set_mode(Mode.OVERLAY)
    assert compare.slider_label.text() == "Later photo's opacity"
    compare.slider.setValue(0)
    faint = canvas.grab().toImage()
    compare.slider.setValue(100)
    full = canvas.grab().toImage()
    compare.slider.setValue(50)
    blend = canvas.grab().toImage()
    differs = [x for x in row if faint.pixel(x, y) != full.pixel(x, y)]
    assert len(differs) > len(row) // 10
    x = differs[len(differs) // 2]
    # At half opacity each channel lies between the two photos'.
    for shift in (16, 8, 0):
        low, high = sorted(((faint.pixel(x, y) >> shift) & 255, (full.pixel(x, y) >> shift) & 255))
        assert low - 2 <= (blend.pixel(x, y) >> shift) & 255 <= high + 2

    # Zoom and pan move both pictures together (side by side: the same spot in each half).
    compare.set_mode(Mode.SIDE_BY_SIDE)
    canvas.zoom_by(2.0)
    canvas.pan_by(40, -25)
    left, right = canvas._targets()
    assert canvas.view_transform(left).map(QPointF(600, 700)) - left.topLeft() == (
        canvas.view_transform(right).map(QPointF(600, 700)) - right.topLeft()
    )


def _click_landmarks(qtbot: QtBot, dialog: LandmarksDialog, eyes: tuple) -> None:
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    picker = dialog.picker
    for point in eyes:
        at = picker.widget_point(point).toPoint()
        qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=at)
    assert len(picker.points) == 2
    dialog.save()


def test_landmarks_clicked_once_per_photo_align_the_comparison_and_are_kept(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    compare = _comparison(qtbot, window)
    assert compare.notes.text().startswith(
        "Not aligned: set the landmarks on the earlier and later"
    )
    assert not compare.aligned.isVisibleTo(compare)

    for which in (0, 1):
        compare.open_landmarks(which)
        dialog = compare.open_dialogs()[-1]
        assert isinstance(dialog, LandmarksDialog)
        assert (
            dialog.prompt.text().startswith("Click the patient's right pupil")
            or dialog.loaded is False
        )
        _click_landmarks(qtbot, dialog, EYES[which])
        qtbot.waitUntil(lambda: not compare.open_dialogs(), timeout=10_000)

    assert compare.aligned.isVisibleTo(compare) and compare.aligned.isChecked()
    assert compare.notes.text().startswith("Aligned on the landmarks.")
    compare.close()
    qtbot.waitUntil(lambda: not window.record.photos.pending)

    # Reopened later: the landmarks were stored, the alignment is there again.
    again = _comparison(qtbot, window)
    first, second = again.pair()
    assert first is not None and second is not None
    assert first.landmarks is not None and second.landmarks is not None
    transform = aligning(first, second)
    assert transform is not None
    for (x2, y2), (x1, y1) in zip(EYES[1], EYES[0], strict=True):
        mapped = transform.map(QPointF(x2, y2))
        # clicks land on whole screen pixels: within a few photo pixels
        assert abs(mapped.x() - x1) < 8 and abs(mapped.y() - y1) < 8
    assert again.aligned.isVisibleTo(again) and again.notes.text().startswith("Aligned")


def test_a_comparison_is_saved_only_for_a_use_the_patient_agreed_to(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    patient, _made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    record = window.record.photos
    assert record.left_out.isVisibleTo(record)
    assert "no signed photo consent" in record.left_out.text()
    compare = _comparison(qtbot, window)
    assert not compare.save_button.isEnabled()
    assert "no signed photo consent" in compare.left_out.text()
    target = tmp_path / "comparison.png"
    compare.save_to(target)
    assert not target.exists()
    compare.close()

    answers = {use: use is PhotoUse.OWN_REPORT for use in PhotoUse}
    sign_consent(db, patient.id, kind=ConsentKind.PHOTO, answers=answers)
    window.record.photos.reload()
    qtbot.waitUntil(lambda: not record.pending)
    assert not record.left_out.isVisibleTo(record)
    compare = _comparison(qtbot, window)
    assert compare.save_button.isEnabled()
    teaching = compare.use_box.findData(PhotoUse.TEACHING.value)
    compare.use_box.setCurrentIndex(teaching)
    assert not compare.save_button.isEnabled()
    assert "used for teaching" in compare.save_button.toolTip()
    compare.use_box.setCurrentIndex(compare.use_box.findData(PhotoUse.OWN_REPORT.value))
    compare.set_mode(Mode.WIPE)
    compare.save_to(target)
    qtbot.waitUntil(lambda: compare.saved_to == target, timeout=10_000)
    saved = QImage(str(target))
    assert (saved.width(), saved.height()) == (2000, 1125)
    if os.name == "posix":
        assert target.stat().st_mode & 0o077 == 0, "a saved comparison is private"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_the_patient_signs_photo_consent_from_the_record_and_the_strip_follows(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    from needlelog.ui.consent.signing_view import SigningView
    from tests.ui.consent_helpers import answer_all, read_to_end, sign_with_pen

    patient, _made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    record = window.record.photos
    assert record.left_out.text() == (
        "Photographs left out (shown in the patient's own report): no signed photo consent."
    )
    assert record.strip.delegate.left_out
    tip = record.strip.strip_model.index(1).data(Qt.ItemDataRole.ToolTipRole)
    assert "no signed photo consent" in tip

    # The consent panel above the strip signs a new photo consent: one answer per use.
    panel = window.record.consents
    qtbot.waitUntil(lambda: panel.view is not None and not panel.pending)
    qtbot.mouseClick(window.record.consents.sign_photo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(SigningView) is not None, timeout=10_000)
    view = window.findChild(SigningView)
    qtbot.waitExposed(view)
    assert view.kind is ConsentKind.PHOTO
    read_to_end(qtbot, view)
    answer_all(qtbot, view, {PhotoUse.OWN_REPORT, PhotoUse.CLINICAL_RECORD})
    sign_with_pen(view.pad)
    assert view.witness_name.currentText() == "Dr. Amelia Hart", "the last session's"
    qtbot.waitUntil(view.sign_button.isEnabled)
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.consent is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not record.left_out.isVisibleTo(record), timeout=10_000)
    assert photos.uses(db, patient.id).agreed == {PhotoUse.OWN_REPORT, PhotoUse.CLINICAL_RECORD}
    assert not record.strip.delegate.left_out
    qtbot.waitUntil(lambda: "agreed: kept in the clinical record" in panel.photo.text())


def test_double_clicking_a_sessions_card_in_the_strip_opens_its_photos(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    strip = window.record.photos.strip
    card = strip.strip_model.index(0)  # the newest session's card
    qtbot.waitUntil(lambda: strip.visualRect(card).isValid())
    at = strip.visualRect(card).center()
    assert strip.indexAt(at) == card, (strip.visualRect(card), strip.isVisible())
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseDClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=at)
    opened = [w for w in window.record.photos.open_windows() if isinstance(w, SessionPhotosWindow)]
    assert len(opened) == 1 and opened[0].session.id == made[1].id
    qtbot.waitUntil(lambda: opened[0].store is not None)

    # A photo opens the comparison on its view; Enter does the same from the keyboard.
    photo_index = strip.strip_model.index(1)
    at = strip.visualRect(photo_index).center()
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseDClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=at)
    compares = [w for w in window.record.photos.open_windows() if isinstance(w, ComparisonWindow)]
    assert len(compares) == 1
    assert compares[0].pair()[1] == photo_index.data(EntryRole)
    compares[0].close()
    qtbot.waitUntil(
        lambda: (
            not any(isinstance(w, ComparisonWindow) for w in window.record.photos.open_windows())
        )
    )
    qtbot.keyClick(strip, Qt.Key.Key_Return)
    compares = [w for w in window.record.photos.open_windows() if isinstance(w, ComparisonWindow)]
    assert len(compares) == 1


def test_several_files_show_their_progress_and_are_stored_together(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    panel = _session_window(qtbot, window, made[1])
    files = [draw_face(tmp_path / f"DSC_{n}.jpg", EYES[1], scars=n) for n in range(3)]
    seen: list[int] = []
    panel.progress.valueChanged.connect(seen.append)
    panel.import_files(SlotKey("front", after=True), files)
    assert panel.importing and panel.progress.isVisibleTo(panel)
    assert panel.progress.maximum() == 3
    qtbot.waitUntil(lambda: not panel.importing, timeout=10_000)
    assert seen[-3:] == [1, 2, 3]
    assert panel.status.text() == "Stored 3 photos as Front, after."
    assert not panel.progress.isVisibleTo(panel)
    after = [p for p in photos.for_session(db, made[1].id) if p.view == "front" and p.after]
    assert sorted(p.original_name for p in after) == ["DSC_0.jpg", "DSC_1.jpg", "DSC_2.jpg"]


def test_an_import_folder_that_is_gone_is_said_and_a_text_file_is_not_taken(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    save_folder(tmp_path / "Card reader")  # the card is not in the reader
    window = make_window(db)
    _open_record(qtbot, window)
    panel = _session_window(qtbot, window, made[1])
    qtbot.waitUntil(lambda: "cannot be found" in panel.inbox.where.text())
    assert panel.inbox.where.text().endswith("cannot be found (is the drive connected?).")
    assert panel.inbox.files() == []

    notes = tmp_path / "notes.txt"
    notes.write_text("not a photograph")
    slot = panel.slots[SlotKey("front", after=False)]
    mime = InboxList.mime_for([notes])  # kept: the event does not own it
    enter = QDragEnterEvent(
        slot.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter.ignore()
    QApplication.sendEvent(slot, enter)
    assert not enter.isAccepted()


def test_a_photo_is_withdrawn_with_a_reason_not_deleted(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    text_questions: list[str],
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    panel = _session_window(qtbot, window, made[0])
    slot = panel.slots[SlotKey("left_45", after=False)]
    qtbot.waitUntil(lambda: len(slot.photos) == 1)
    photo = slot.photos[0]
    panel.withdraw(photo)  # as the slot's menu "Withdraw this photo…" asks it
    assert text_questions and text_questions[-1].startswith("Why is this photo (Left 45°, before)")
    qtbot.waitUntil(lambda: panel.status.text().startswith("Withdrawn"), timeout=10_000)
    qtbot.waitUntil(lambda: not slot.photos)
    kept = photos.for_session(db, made[0].id, include_withdrawn=True)
    gone = next(p for p in kept if p.id == photo.id)
    assert gone.withdrawn and gone.withdrawn_reason == "Corrected a typing error"
    assert photo.id not in {p.id for p in photos.for_session(db, made[0].id)}
    qtbot.waitUntil(lambda: window.record.photos.strip.photo_count() == 2)


def test_the_history_menu_opens_that_sessions_photos(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
) -> None:
    _patient, made = clinic
    window = make_window(db)
    _open_record(qtbot, window)
    oldest = window.record.history_model.session_at(1)
    assert oldest is not None and oldest.id == made[0].id
    menu = window.record.history_menu(oldest)
    photos_action = next(a for a in menu.actions() if a.text() == "Photos…")
    photos_action.trigger()
    opened = [w for w in window.record.photos.open_windows() if isinstance(w, SessionPhotosWindow)]
    assert [w.session.id for w in opened] == [made[0].id]
    qtbot.waitUntil(lambda: opened[0].store is not None)
    assert opened[0].windowTitle().endswith("session of 5 Jan 2026")


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch, db: Database) -> Callable[[str], None]:
    """The clinic's accounts (one per role, light hashing); signs the named one in."""
    from argon2 import PasswordHasher

    from needlelog.services import accounts
    from tests.accounts.helpers import PASSWORD, add_clinic_accounts

    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    add_clinic_accounts(db)
    return lambda name: (accounts.sign_in(db, name, PASSWORD), None)[1]


def test_reception_sees_no_photograph_and_none_is_read(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    signed_in: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed_in("rita")
    asked: list[int] = []
    real = photos.for_patient
    monkeypatch.setattr(
        photos, "for_patient", lambda db, pid, *a: (asked.append(pid), real(db, pid, *a))[1]
    )
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading and not window.record.photos.pending)
    part = window.record.photos
    assert not part.isVisible()
    assert part.photos == [] and part.strip.photo_count() == 0
    assert asked == []  # not even asked (the service would refuse it anyway)


def test_an_administrator_reads_the_photos_but_adds_none(
    qtbot: QtBot,
    db: Database,
    clinic: tuple[Patient, list[TreatmentSession]],
    make_window: MakeWindow,
    signed_in: Callable[[str], None],
    tmp_path: Path,
) -> None:
    _patient, made = clinic
    signed_in("ada")
    window = make_window(db)
    _open_record(qtbot, window)
    assert window.record.photos.isVisible()
    assert window.record.photos.strip.photo_count() == 3
    panel = _session_window(qtbot, window, made[1])
    slot = panel.slots[SlotKey("right_45", after=False)]
    from needlelog.ui.photos.inbox import InboxList

    _drop(qtbot, slot, InboxList.mime_for([draw_face(tmp_path / "new.jpg", EYES[1])]))
    qtbot.waitUntil(lambda: not panel.importing, timeout=10_000)
    assert panel.status.text() == (
        "Nothing stored: ada (administrator) may not record sessions and clinical details; "
        "allowed for: practitioner, assistant"
    )
    signed_in("amelia")
    assert [p.view for p in photos.for_session(db, made[1].id)] == ["front"]
