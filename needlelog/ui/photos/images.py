"""Pictures for the screen: decoded off the GUI thread at the size they are shown.

A camera's 24-megapixel original is never held whole for display: a JPEG is
decoded straight at a half, a quarter or an eighth of its size, then reduced to the
longest side asked for, turned upright as the camera recorded it, and handed to the
window as a ``QImage`` (safe to build on a worker thread).

JPEGs (nearly every camera file) are read by Qt's own reader: it runs in C++ without
Python's lock, so the window keeps painting and answering keys while a worker
decodes (Pillow's copy of the pixels into Python bytes and the conversion after it
held the lock for tens of milliseconds per 24 MP photo, and the window waited for
it). Every other kind of file (HEIC, TIFF, PNG...) and any JPEG Qt cannot read go
through Pillow, whose errors are the ones a user is told. What was decoded is kept in a small cache bounded by its bytes, so going
back and forth between photos costs no decoding and browsing hundreds of photos
does not grow the memory.
"""

from __future__ import annotations

import ctypes
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader

# The comparison view: sharp on a large screen, a fraction of a 24 MP frame.
DISPLAY_SIDE = 2048
THUMBNAIL_SIDE = 160
# Decoded pictures kept for going back: ten comparison pictures (11 MB each at
# 2048 px) or hundreds of thumbnails; browsing 200 photos stays under 400 MB.
CACHE_BYTES = 120 * 1024 * 1024
_EXIF_ORIENTATION = 0x0112
_TURNED = (5, 6, 7, 8)  # orientations that swap width and height
# Read by Qt: the one Qt image plugin the desktop bundle keeps for photographs
# (build.spec drops the TIFF, WebP and others); PNG is left to Pillow, which also
# reads the orientation a PNG may carry.
_QT_FORMATS = (b"jpeg",)


@dataclass(frozen=True)
class Shown:
    """A picture as shown: upright, reduced; with the upright size of the original, so
    points clicked on it are kept in the original's pixels."""

    image: QImage
    original_width: int
    original_height: int

    @property
    def scale(self) -> float:
        """Original pixels per shown pixel."""
        return self.original_width / max(1, self.image.width())


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _give_back_large_buffers() -> None:
    """On Linux (glibc), have every buffer of 1 MB or more mapped on its own, so a
    decoded picture's memory goes back to the system when it is freed.

    glibc otherwise raises that threshold to the largest buffer freed so far: after
    the first picture, the decoder's many-megabyte buffers come from the heaps of
    the worker threads, which keep them, and browsing 200 photos held ~160 MB more
    (benchmarks/photo_ui.py). Windows and macOS hand large blocks back by themselves."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)
    except (OSError, AttributeError):  # not glibc (musl): nothing to tune
        return


_give_back_large_buffers()


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # without it HEIC files are refused by Pillow with its own error
        return
    register_heif_opener()


_register_heif()


def decode(path: Path, max_side: int = DISPLAY_SIDE) -> Shown:
    """Read ``path`` upright at most ``max_side`` pixels on its long side (worker thread).

    Raises ``OSError`` (Pillow's ``UnidentifiedImageError`` among them) for a file
    that is missing or is not a picture."""
    from PIL import Image

    try:
        return _decode(path, max_side)
    except Image.DecompressionBombError as exc:
        raise OSError(f"{path.name} is too large to be a photograph") from exc


def _decode(path: Path, max_side: int) -> Shown:
    shown = _decode_with_qt(path, max_side)
    return shown if shown is not None else _decode_with_pillow(path, max_side)


def _decode_with_qt(path: Path, max_side: int) -> Shown | None:
    """A JPEG read by Qt (Python's lock released while it decodes); ``None`` for any
    other file, or one Qt could not read, so Pillow reads it or says why."""
    from PIL import Image

    if not _ends_whole(path):
        return None
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # the EXIF orientation, as Pillow's exif_transpose
    if bytes(reader.format().data()) not in _QT_FORMATS:
        return None
    size = reader.size()
    width, height = size.width(), size.height()
    limit = Image.MAX_IMAGE_PIXELS
    if width <= 0 or height <= 0 or (limit and width * height > 2 * limit):
        return None  # Pillow refuses it with its own words (decode says "too large")
    # The size wanted, in the file's own orientation (Qt turns it after scaling); the
    # JPEG decoder then decodes at the 1/2, 1/4 or 1/8 that covers it and smooths down.
    ratio = max_side / max(width, height)
    if ratio < 1:
        reader.setScaledSize(QSize(max(1, round(width * ratio)), max(1, round(height * ratio))))
    image = reader.read()
    if image.isNull():
        return None
    if reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90:
        width, height = height, width
    screen = (
        QImage.Format.Format_ARGB32_Premultiplied
        if image.hasAlphaChannel()
        else QImage.Format.Format_RGB32
    )
    if image.format() != screen:  # a grey or CMYK JPEG
        image = image.convertToFormat(screen)
    return Shown(image, width, height)


def _ends_whole(path: Path) -> bool:
    """Whether the file ends with a JPEG's end-of-image marker. Qt shows a cut-off JPEG
    with its missing part grey; Pillow refuses it ("image file is truncated"), and a
    damaged photo is said to be damaged, not shown half."""
    try:
        with path.open("rb") as file:
            file.seek(-2, 2)
            return file.read(2) == b"\xff\xd9"
    except OSError:  # missing, or too short to be a picture: Pillow says which
        return False


def _decode_with_pillow(path: Path, max_side: int) -> Shown:
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        width, height = opened.size
        orientation = opened.getexif().get(_EXIF_ORIENTATION, 1)
        if orientation in _TURNED:
            width, height = height, width
        # JPEG: the decoder itself scales down, to the smallest of 1/2, 1/4, 1/8 that
        # still covers the size wanted (a box of max_side would ask the long side of
        # the short one too, and decode a 24 MP frame whole).
        ratio = max_side / max(opened.size)
        if ratio < 1:
            opened.draft("RGB", (int(opened.width * ratio), int(opened.height * ratio)))
        # Reduced first, then turned upright: the turn copies the small picture only.
        opened.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        picture = ImageOps.exif_transpose(opened)
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
        if picture.mode == "RGBA":
            fmt, depth = QImage.Format.Format_RGBA8888, 4
        else:
            fmt, depth = QImage.Format.Format_RGB888, 3
        data = picture.tobytes()
        image = QImage(data, picture.width, picture.height, picture.width * depth, fmt)
        # Converted here, on the worker, to the format the screen paints without a
        # conversion, so a step through the sessions costs the GUI thread no copy
        # (it also gives the QImage its own pixels once ``data`` is gone).
        screen = (
            QImage.Format.Format_ARGB32_Premultiplied
            if fmt == QImage.Format.Format_RGBA8888
            else QImage.Format.Format_RGB32
        )
        return Shown(image.convertToFormat(screen), width, height)


def image_bytes(image: QImage) -> int:
    return image.sizeInBytes()


class ImageCache:
    """Decoded pictures, least recently used dropped first (GUI thread only)."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self._items: OrderedDict[object, Shown] = OrderedDict()
        self._bytes = 0

    def get(self, key: object) -> Shown | None:
        shown = self._items.get(key)
        if shown is not None:
            self._items.move_to_end(key)
        return shown

    def put(self, key: object, shown: Shown) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= image_bytes(old.image)
        self._items[key] = shown
        self._bytes += image_bytes(shown.image)
        while self._bytes > self.budget and len(self._items) > 1:
            _key, dropped = self._items.popitem(last=False)
            self._bytes -= image_bytes(dropped.image)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


_shared: ImageCache | None = None


def shared_cache() -> ImageCache:
    """The window's one cache, so the strip, the slots and the comparison share it."""
    global _shared
    if _shared is None:
        _shared = ImageCache()
    return _shared
