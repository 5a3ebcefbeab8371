"""Pictures for the screen: upright as the camera said, reduced, cached within a budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage

from needlelog.ui.photos.images import ImageCache, Shown, decode

ORIENTATION = 0x0112


def _camera_file(path: Path, orientation: int) -> Path:
    """A 3000x2000 frame as the sensor saw it: the left third red, the rest blue."""
    image = Image.new("RGB", (3000, 2000), (20, 40, 200))
    image.paste((220, 30, 30), (0, 0, 1000, 2000))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, quality=92, exif=exif)
    return path


def test_a_turned_camera_file_is_shown_upright_and_reduced(tmp_path: Path) -> None:
    # Orientation 6: the camera was turned; shown turned a quarter clockwise, the
    # sensor's left (red) edge ends up at the top.
    shown = decode(_camera_file(tmp_path / "turned.jpg", 6), 600)
    assert (shown.image.width(), shown.image.height()) == (400, 600)
    assert (shown.original_width, shown.original_height) == (2000, 3000)
    assert shown.scale == pytest.approx(5.0)
    top = QColor(shown.image.pixel(200, 20))
    bottom = QColor(shown.image.pixel(200, 580))
    assert top.red() > 150 and top.blue() < 100
    assert bottom.blue() > 150 and bottom.red() < 100


def test_an_upright_file_keeps_its_shape(tmp_path: Path) -> None:
    shown = decode(_camera_file(tmp_path / "upright.jpg", 1), 600)
    assert (shown.image.width(), shown.image.height()) == (600, 400)
    assert QColor(shown.image.pixel(20, 200)).red() > 150


def test_a_file_that_is_no_picture_raises_an_os_error_naming_nothing_of_ours(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    with pytest.raises(OSError):
        decode(bad, 600)


def test_the_cache_drops_the_least_recently_used_beyond_its_budget() -> None:
    def picture() -> Shown:
        image = QImage(100, 100, QImage.Format.Format_RGB888)  # 30,000 bytes
        return Shown(image, 100, 100)

    cache = ImageCache(budget=70_000)
    cache.put("a", picture())
    cache.put("b", picture())
    assert cache.get("a") is not None  # "a" used again: "b" is now the oldest
    cache.put("c", picture())
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.bytes_held <= 70_000


def _camera_scene(path: Path, orientation: int) -> Path:
    """A 3000x2000 frame with smooth gradients, flat patches and fine marks, as skin is."""
    from PIL import ImageDraw, ImageFilter

    small = Image.linear_gradient("L").resize((300, 200)).convert("RGB")
    draw = ImageDraw.Draw(small)
    draw.ellipse((90, 20, 210, 190), fill=(225, 175, 150))
    draw.rectangle((0, 0, 60, 60), fill=(30, 160, 60))
    for i in range(20):
        draw.ellipse((100 + 5 * i, 120, 103 + 5 * i, 123), fill=(170, 100, 90))
    image = small.resize((3000, 2000), Image.Resampling.BILINEAR).filter(ImageFilter.SMOOTH)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, quality=90, exif=exif)
    return path


def _pixels(image: QImage) -> Image.Image:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())[: rgb.bytesPerLine() * rgb.height()]
    return Image.frombytes("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB",
                           rgb.bytesPerLine())  # fmt: skip


@pytest.mark.parametrize("orientation", [1, 6, 3, 8])
def test_a_jpeg_read_by_qt_shows_what_pillow_shows(tmp_path: Path, orientation: int) -> None:
    # The window's JPEGs are decoded by Qt (without Python's lock); any other file by
    # Pillow. The two must show the same picture: same size, same way up, same colours.
    from PIL import ImageChops, ImageStat

    from needlelog.ui.photos import images

    path = _camera_scene(tmp_path / f"scene{orientation}.jpg", orientation)
    by_qt = images._decode_with_qt(path, 600)
    by_pillow = images._decode_with_pillow(path, 600)
    assert by_qt is not None
    assert by_qt.image.size() == by_pillow.image.size()
    assert (by_qt.original_width, by_qt.original_height) == (
        by_pillow.original_width,
        by_pillow.original_height,
    )
    assert by_qt.image.format() == by_pillow.image.format() == QImage.Format.Format_RGB32
    difference = ImageChops.difference(_pixels(by_qt.image), _pixels(by_pillow.image))
    mean = ImageStat.Stat(difference.convert("L")).mean[0]
    assert mean < 3.0  # of 255: resampling differs a little, nothing more
    # A picture turned the wrong way would differ by tens on average.
    turned = _pixels(by_pillow.image).transpose(Image.Transpose.ROTATE_180)
    assert (
        ImageStat.Stat(ImageChops.difference(_pixels(by_qt.image), turned).convert("L")).mean[0]
        > 20
    )


def test_a_cut_off_jpeg_is_said_to_be_damaged_not_shown_half(tmp_path: Path) -> None:
    whole = _camera_file(tmp_path / "whole.jpg", 1).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(OSError, match="truncated"):
        decode(cut, 600)


def test_a_file_qt_is_not_asked_to_read_goes_through_pillow_upright(tmp_path: Path) -> None:
    # TIFF (and HEIC): the desktop bundle keeps no Qt reader for them.
    from needlelog.ui.photos import images

    path = tmp_path / "scan.tiff"
    with Image.open(_camera_file(tmp_path / "turned.jpg", 6)) as camera:
        camera.save(path, exif=camera.getexif())
    assert images._decode_with_qt(path, 600) is None
    shown = decode(path, 600)
    assert (shown.image.width(), shown.image.height()) == (400, 600)
    assert QColor(shown.image.pixel(200, 20)).red() > 150
