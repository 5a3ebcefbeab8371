"""Demo photographs for the demo clinic: drawn stylised faces (not of real people)
whose acne marks fade from session to session, filed through the same import as
a camera's files, with landmarks on the pupils. A few demo patients agree to
their photos in their own report, so the first run shows the whole feature."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFilter

from needlelog.domain.photos import Landmarks
from needlelog.domain.records import TreatmentSession
from needlelog.services import photos, sessions
from needlelog.services.photo_images import prepare_bytes
from needlelog.store.database import Database

SIZE = (800, 1000)
VIEWS = ("front", "left_45", "right_45")
PATIENTS_WITH_PHOTOS = 5
ACTOR = "demo"

_SKIN = ((238, 205, 180), (224, 182, 150), (198, 150, 112), (160, 112, 80), (120, 82, 58))


def _exif(seed: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Demo"
    exif[0x0110] = "Demo Camera"
    exif[0x8769] = {0x9209: 16, 0x829A: 1 / 125, 0x829D: 8.0, 0x8827: 200, 0x920A: 60.0}
    return exif


def draw_face(
    view: str, progress: float, seed: int, shift: tuple[float, float, float] = (0, 0, 1)
) -> tuple[Image.Image, Landmarks]:
    """A stylised face in ``view`` ("front", "left_45", "right_45"); marks fade as
    ``progress`` goes from 0 (first session) to 1 (last). ``shift`` (dx, dy, scale)
    moves the head as a camera held a little differently would. Answers the picture
    and the pupils as landmarks."""
    rng = random.Random(seed)
    w, h = SIZE
    skin = _SKIN[seed % len(_SKIN)]
    im = Image.new("RGB", SIZE, (206, 214, 220))
    draw = ImageDraw.Draw(im)
    dx, dy, scale = shift
    turn = {"front": 0.0, "left_45": -0.28, "right_45": 0.28}.get(view, 0.0)
    cx, cy = w / 2 + dx + turn * 60, h * 0.46 + dy
    rx, ry = w * 0.30 * scale * (1 - abs(turn) * 0.25), h * 0.36 * scale
    # neck and shoulders, hair, head
    draw.rectangle((cx - rx * 0.45, cy + ry * 0.7, cx + rx * 0.45, h), fill=skin)
    draw.ellipse((cx - rx * 2.2, cy + ry * 1.05, cx + rx * 2.2, cy + ry * 2.4), fill=(90, 110, 130))
    draw.ellipse((cx - rx * 1.08, cy - ry * 1.12, cx + rx * 1.08, cy + ry * 0.3), fill=(70, 50, 40))
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=skin)
    # features move towards the turned side
    fx = cx + turn * rx * 0.9
    eye_y = cy - ry * 0.12
    eye_dx = rx * 0.38 * (1 - abs(turn) * 0.6)
    pupils = []
    for side in (-1, 1):
        ex = fx + side * eye_dx
        draw.ellipse((ex - 34 * scale, eye_y - 15 * scale, ex + 34 * scale, eye_y + 15 * scale),
                     fill=(250, 250, 250), outline=(90, 70, 60), width=3)  # fmt: skip
        draw.ellipse((ex - 12 * scale, eye_y - 12 * scale, ex + 12 * scale, eye_y + 12 * scale),
                     fill=(60, 80, 70))  # fmt: skip
        draw.arc((ex - 44 * scale, eye_y - 58 * scale, ex + 44 * scale, eye_y - 20 * scale),
                 200, 340, fill=(80, 60, 45), width=6)  # fmt: skip
        pupils.append((ex, eye_y))
    darker = tuple(max(0, c - 40) for c in skin)
    nose_x = fx + turn * rx * 0.3
    draw.line((nose_x, eye_y + 20, nose_x + turn * 60 - 8, cy + ry * 0.28, nose_x + 10,
               cy + ry * 0.3), fill=darker, width=4)  # fmt: skip
    draw.arc((fx - rx * 0.3, cy + ry * 0.3, fx + rx * 0.3, cy + ry * 0.62), 20, 160,
             fill=(160, 70, 70), width=6)  # fmt: skip
    # acne scars on the cheeks: darker and more at the first session
    marks = Image.new("L", SIZE, 0)
    mark_draw = ImageDraw.Draw(marks)
    strength = int(170 * (1 - 0.8 * progress))
    for _ in range(70):
        side = rng.choice((-1, 1))
        mx = fx + side * rx * rng.uniform(0.3, 0.75)
        my = cy + ry * rng.uniform(0.0, 0.45)
        r = rng.uniform(4, 11) * scale
        if rng.random() < 1 - 0.6 * progress:
            mark_draw.ellipse((mx - r, my - r, mx + r, my + r), fill=strength)
    marks = marks.filter(ImageFilter.GaussianBlur(2.2))
    red = Image.new("RGB", SIZE, (170, 90, 85))
    im = Image.composite(red, im, marks)
    return im, Landmarks(pupils[0][0], pupils[0][1], pupils[1][0], pupils[1][1])


def _jpeg(im: Image.Image, seed: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=82, exif=_exif(seed))
    return buf.getvalue()


def add_demo_photos(db: Database, patient_ids: Sequence[int], seed: int, actor: str = ACTOR) -> int:
    """Photographs for the first few demo patients with two or more sessions; answers
    how many photos were added."""
    rng = random.Random(seed)
    added = 0
    chosen = 0
    for pid in patient_ids:
        if chosen >= PATIENTS_WITH_PHOTOS:
            break
        history: list[TreatmentSession] = sessions.history(db, pid, newest_first=False)
        if len(history) < 2:
            continue
        chosen += 1
        face_seed = rng.randrange(1 << 30)
        for i, visit in enumerate(history):
            progress = i / (len(history) - 1)
            for view in VIEWS if chosen <= 2 else VIEWS[:1]:
                shift = (rng.uniform(-25, 25), rng.uniform(-25, 25), rng.uniform(0.94, 1.06))
                picture, marks = draw_face(view, progress, face_seed, shift)
                name = f"IMG_{visit.data.performed_at:%Y%m%d}_{view}.jpg"
                prepared = prepare_bytes(_jpeg(picture, face_seed), name)
                (photo,) = photos.add(db, visit.id, view, False, [prepared], actor, as_import=True)
                photos.set_landmarks(db, photo.id, marks, actor, as_import=True)
                added += 1
    # Where the photos may appear follows each demo patient's signed photo consent.
    return added
