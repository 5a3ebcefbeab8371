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
