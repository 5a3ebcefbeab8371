"""The progress report's Photographs page: only with the patient's agreement, first and
latest of each view, aligned, at print resolution, and small."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from needlelog.domain.photos import Landmarks, PhotoUse
from needlelog.reports import photo_page
from needlelog.reports.progress import build_progress_report
from needlelog.services import photos, sessions
from needlelog.services.demo_photos import draw_face
from needlelog.services.photo_images import prepare_bytes
from needlelog.store.database import Database
from tests import camera_files as cam
from tests.reports.helpers import page_texts, patient_with_sessions

NOW = datetime(2026, 11, 20, 9, 15)


def _pdf(db: Database, patient_id: int) -> bytes:
    buffer = io.BytesIO()
    build_progress_report(db, patient_id, buffer, now=NOW)
    return buffer.getvalue()


def _numbered(text: str) -> str:
    return re.sub(r"Page (\d+) of \d+", r"Page \1 of N", text)


def _images(pdf: bytes) -> list[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(im.image.width, im.image.height) for page in reader.pages for im in page.images]


def _camera_photo(size: tuple[int, int], view: str, progress: float) -> bytes:
    """A big camera-like JPEG of a drawn face (the report must not embed it as it is)."""
    picture, _marks = draw_face(view, progress, seed=3)
    buf = io.BytesIO()
    picture.resize(size).save(buf, "JPEG", quality=92, exif=cam.camera_exif(1))
    return buf.getvalue()


def _patient_with_photos(db: Database, tmp_path: Path) -> int:
    patient = patient_with_sessions(db, 4)
    history = sessions.history(db, patient.id, newest_first=False)
    for i, visit in enumerate(history):
        for view in ("front", "left_45"):
            data = _camera_photo((3000, 3750), view, i / 3)  # 11 MP
            (photo,) = photos.add(
                db, visit.id, view, False, [prepare_bytes(data, f"{view}{i}.jpg")], "t"
            )
            scale = 3000 / 800
            photos.set_landmarks(
                db, photo.id, Landmarks(316 * scale, 405 * scale, 504 * scale, 405 * scale), "t"
            )
    return patient.id


def test_photo_page_only_with_agreement_and_otherwise_the_same_pdf(
    db: Database, tmp_path: Path
) -> None:
    pid = _patient_with_photos(db, tmp_path)
    photos.set_uses(db, pid, [PhotoUse.CLINICAL_RECORD, PhotoUse.TEACHING], "t")
    without = _pdf(db, pid)
    assert _images(without) == []
    assert "Photographs" not in "".join(page_texts(without))
    assert photo_page.left_out_because(db, pid).startswith("Photographs left out")

    photos.set_uses(db, pid, [PhotoUse.CLINICAL_RECORD, PhotoUse.OWN_REPORT], "t")
    with_photos = _pdf(db, pid)
    texts_with, texts_without = page_texts(with_photos), page_texts(without)
    photo_pages = len(texts_with) - len(texts_without)
    assert photo_pages >= 1
    # the pages before the photographs are the same, page numbers apart ("of N")
    for a, b in zip(texts_without, texts_with, strict=False):
        assert _numbered(a) == _numbered(b)
    photo_text = "\n".join(texts_with[len(texts_without) :])
    assert "Photographs" in photo_text and "Front" in photo_text and "Left 45°" in photo_text
    assert "First session" in photo_text and "Latest session" in photo_text
    # two views, first and latest: four pictures, downscaled to ~300 dpi of the placed size
    sizes = _images(with_photos)
    assert len(sizes) == 4
    for w, h in sizes:
        assert max(w, h) < 1200  # 88 mm at 300 dpi is 1039 px; the original is 3750
    assert len(with_photos) < 5 * 1024 * 1024
    assert photo_page.left_out_because(db, pid) == ""


def test_latest_photo_is_aligned_onto_the_first_by_landmarks(db: Database, tmp_path: Path) -> None:
    patient = patient_with_sessions(db, 2)
    first_visit, last_visit = sessions.history(db, patient.id, newest_first=False)
    # the same scene; the later one shifted and smaller, as a camera held farther away
    base, marks = draw_face("front", 0.0, seed=5)
    moved = Image.new("RGB", base.size, (206, 214, 220))
    small = base.resize((640, 800))
    moved.paste(small, (120, 60))
    stored = []
    for visit, picture in ((first_visit, base), (last_visit, moved)):
        buf = io.BytesIO()
        picture.save(buf, "JPEG", quality=95)
        (p,) = photos.add(
            db, visit.id, "front", False, [prepare_bytes(buf.getvalue(), "x.jpg")], "t"
        )
        stored.append(p)
    photos.set_landmarks(db, stored[0].id, marks, "t")
    photos.set_landmarks(
        db,
        stored[1].id,
        Landmarks(
            120 + marks.x1 * 0.8, 60 + marks.y1 * 0.8, 120 + marks.x2 * 0.8, 60 + marks.y2 * 0.8
        ),
        "t",
    )
    (pair,) = photos.first_and_latest(db, patient.id)
    first, latest, aligned, _w, _h = photo_page.pair_images(photos.photo_store(db), pair)
    assert aligned
    a = Image.open(first).convert("L")
    b = Image.open(latest).convert("L")
    assert a.size == b.size
    # aligned: the pictures agree closely inside the frame (borders may be filled)
    w, h = a.size
    box = (w // 8, h // 8, w * 7 // 8, h * 7 // 8)
    diff = sum(
        abs(x - y) for x, y in zip(a.crop(box).tobytes(), b.crop(box).tobytes(), strict=True)
    )
    assert diff / ((box[2] - box[0]) * (box[3] - box[1])) < 6
    # the stored original was not touched
    assert photos.photo_store(db).verify(stored[1].sha256) is None
