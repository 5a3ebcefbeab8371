"""The progress report's "Photographs" page: for each view, the first and the latest
session's photo side by side, aligned by their landmarks, with dates.

Only for a patient who agreed to their photos being shown in their own report;
otherwise the report has no photo and is otherwise the same. Photos are placed at
about 300 dpi of their placed size (downscaled copies, never the 24-megapixel
originals), so a report with photos stays a few megabytes. Alignment is a
similarity transform applied to the downscaled copy of the later photo while
drawing; the stored originals are never changed.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageOps
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle
from reportlab.platypus import Image as PdfImage

from needlelog.domain.photos import Photo, PhotoUse, ViewPair, similarity
from needlelog.reports import styles as st
from needlelog.services import photos
from needlelog.store.database import Database
from needlelog.store.photo_files import PhotoStore

DPI = 300
GAP = 6 * mm
CELL_WIDTH = (st.WIDTH - GAP) / 2
MAX_HEIGHT = 88 * mm  # two views to a page with their captions
JPEG_QUALITY = 82


def _pixels(points: float) -> int:
    return max(1, round(points / 72 * DPI))


def _load(store: PhotoStore, photo: Photo, longest: int) -> Image.Image:
    """The photo upright, decoded at no more than about ``longest`` pixels (a JPEG is
    decoded at a reduced scale directly)."""
    im = Image.open(io.BytesIO(store.read(photo.sha256)))
    if im.format == "JPEG":
        im.draft("RGB", (longest, longest))
    im = ImageOps.exif_transpose(im)
    return im.convert("RGB")


def _placed_size(first: Photo) -> tuple[float, float]:
    """Placed width and height in points of each photo of a pair (the first's shape)."""
    aspect = first.height / first.width
    width = CELL_WIDTH
    height = width * aspect
    if height > MAX_HEIGHT:
        height = MAX_HEIGHT
        width = height / aspect
    return width, height


def _jpeg(im: Image.Image) -> io.BytesIO:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    buf.seek(0)
    return buf


def pair_images(
    store: PhotoStore, pair: ViewPair
) -> tuple[io.BytesIO, io.BytesIO, bool, float, float]:
    """Both photos of a pair as JPEGs at print resolution, the latest aligned onto the
    first when both have landmarks: (first, latest, aligned, width pt, height pt)."""
    width_pt, height_pt = _placed_size(pair.first)
    out_w, out_h = _pixels(width_pt), _pixels(height_pt)
    first = _load(store, pair.first, max(out_w, out_h))
    first = first.resize((out_w, out_h), Image.Resampling.LANCZOS)
    first_scale = out_w / pair.first.width  # first's displayed pixels -> output pixels
    a, b = pair.first.landmarks, pair.latest.landmarks
    latest_full = max(pair.latest.width, pair.latest.height)
    want = round(latest_full * first_scale * 1.5) if a and b else max(out_w, out_h)
    latest = _load(store, pair.latest, max(want, 1))
    if a is not None and b is not None:
        # latest (displayed px) -> first (displayed px), then both to the copies' scales
        to_first = similarity(b, a)
        latest_scale = latest.width / pair.latest.width
        drawn = to_first.then_scale(latest_scale, first_scale).inverse()
        ca, sa_, _cs, _cc, tx, ty = drawn.matrix()
        # Pillow's AFFINE maps each output pixel to an input pixel: x_in = a*x + b*y + c
        coeffs = (ca, -sa_, tx, sa_, ca, ty)
        latest = latest.transform(
            (out_w, out_h),
            Image.Transform.AFFINE,
            coeffs,
            resample=Image.Resampling.BICUBIC,
            fillcolor=(255, 255, 255),
        )
        aligned = True
    else:
        latest = ImageOps.pad(
            latest, (out_w, out_h), Image.Resampling.LANCZOS, color=(255, 255, 255)
        )
        aligned = False
    return _jpeg(first), _jpeg(latest), aligned, width_pt, height_pt


def _caption(photo: Photo, which: str) -> Flowable:
    return st.para(f"<b>{which}</b> · {st.fmt_date(photo.performed_on)}", st.SMALL)


def _row(store: PhotoStore, pair: ViewPair) -> Flowable:
    first, latest, aligned, w, h = pair_images(store, pair)
    table = Table(
        [
            [_caption(pair.first, "First session"), _caption(pair.latest, "Latest session")],
            [PdfImage(first, width=w, height=h), PdfImage(latest, width=w, height=h)],
        ],
        colWidths=[CELL_WIDTH + GAP / 2, CELL_WIDTH + GAP / 2],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    notes = [] if aligned else ["not aligned: landmarks not set on both photos"]
    notes += pair.warnings
    parts: list[Flowable] = [st.para(pair.first.view_label, st.H2), table]
    if notes:
        text = "; ".join(notes)
        parts.append(st.para(f'<font color="{st.css(st.WARN)}">Note: {text}.</font>', st.SMALL))
    parts.append(Spacer(1, 3 * mm))
    return KeepTogether(parts)


def photographs(
    db: Database, patient_id: int, check: Callable[[], None] | None = None
) -> list[Flowable]:
    """The "Photographs" page(s), or nothing when the patient did not agree to their
    photos in their own report or no view was photographed in two sessions."""
    if not photos.uses(db, patient_id).allows(PhotoUse.OWN_REPORT):
        return []
    pairs = photos.first_and_latest(db, patient_id)
    if not pairs:
        return []
    store = photos.photo_store(db)
    story: list[Flowable] = [
        PageBreak(),
        st.para("Photographs", st.H2),
        st.para(
            "The first and the latest session's photo of each view, taken before treatment. "
            "Shown with the patient's agreement.",
            st.SMALL,
        ),
        Spacer(1, 2 * mm),
    ]
    for pair in pairs:
        if check is not None:
            check()
        try:
            story.append(_row(store, pair))
        except (OSError, ValueError) as exc:  # a missing or damaged original
            story.append(
                st.para(
                    f'<font color="{st.css(st.WARN)}">{pair.first.view_label}: the photo '
                    f"could not be read ({type(exc).__name__}); run needlelog check.</font>",
                    st.SMALL,
                )
            )
    return story


def left_out_because(db: Database, patient_id: int) -> str:
    """Why the report shows no photographs (for the window); empty when it shows them."""
    return photos.uses(db, patient_id).why_not(PhotoUse.OWN_REPORT)
