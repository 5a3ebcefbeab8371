"""Picture files made in the test: a drawn face (not a person) with its pupils at
known places, written as a camera would (JPEG with EXIF flash and orientation)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

Point = tuple[float, float]
EXIF_IFD = 0x8769
FLASH = 0x9209
ORIENTATION = 0x0112


def draw_face(
    path: Path,
    eyes: tuple[Point, Point] = ((450, 700), (750, 700)),
    size: tuple[int, int] = (1200, 1600),
    tint: tuple[int, int, int] = (225, 180, 150),
    flash: bool | None = None,
    scars: int = 12,
) -> Path:
    """A face whose pupils are at ``eyes`` (upright pixels), with a few marks on the
    cheeks; saved as JPEG (PNG for a .png path) with a flash tag when given."""
    width, height = size
    image = Image.new("RGB", size, (200, 205, 210))
    draw = ImageDraw.Draw(image)
    (x1, y1), (x2, y2) = eyes
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    r = abs(x2 - x1)
    draw.ellipse((cx - r * 1.1, cy - r * 1.2, cx + r * 1.1, cy + r * 1.6), fill=tint)
    for x, y in eyes:
        draw.ellipse((x - 25, y - 15, x + 25, y + 15), fill=(255, 255, 255))
        draw.ellipse((x - 10, y - 10, x + 10, y + 10), fill=(40, 40, 40))
    draw.arc(
        (cx - r * 0.4, cy + r * 0.5, cx + r * 0.4, cy + r * 0.9),
        20,
        160,
        fill=(120, 40, 40),
        width=8,
    )
    for i in range(scars):
        sx = cx + (-1) ** i * r * (0.45 + 0.05 * (i % 4))
        sy = cy + r * (0.25 + 0.06 * (i // 2 % 5))
        draw.ellipse((sx - 6, sy - 5, sx + 6, sy + 5), fill=(170, 110, 95))
    exif = Image.Exif()
    if flash is not None:
        exif[EXIF_IFD] = {FLASH: 1 if flash else 0}
    if path.suffix.lower() == ".png":
        image.save(path, exif=exif)
    else:
        image.save(path, quality=90, exif=exif)
    assert image.size == (width, height)
    return path
