"""Camera files made in the test, as a phone or a camera writes them: EXIF with GPS
position, body serial number, owner name, maker notes, orientation and an embedded
thumbnail, plus XMP, IPTC and a comment segment."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import Image, ImageDraw

SERIAL = "BODY-SN-4412731"
OWNER = "Jane Q. Photographer"
MAKER_NOTE = b"NIKON\x00\x02MAKERNOTE-SECRET-LENS-SERIAL-99812"
XMP_GPS = b"<x:xmpmeta><exif:GPSLatitude>52,31.2N</exif:GPSLatitude></x:xmpmeta>"
IPTC_OWNER = b"IPTC-BYLINE-Jane-Q"
COMMENT = b"owner: Jane Q. Photographer"

# (tag, type, values as bytes); types: 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 7 UNDEFINED
_SIZES = {2: 1, 3: 2, 4: 4, 5: 8, 7: 1}


def _ascii(text: str) -> tuple[int, bytes]:
    return 2, text.encode() + b"\x00"


def _short(value: int) -> tuple[int, bytes]:
    return 3, struct.pack("<H", value)


def _long(value: int) -> tuple[int, bytes]:
    return 4, struct.pack("<I", value)


def _rational(num: int, den: int) -> tuple[int, bytes]:
    return 5, struct.pack("<II", num, den)


def _ifd_size(entries: dict[int, tuple[int, bytes]]) -> int:
    extra = sum(len(v) for _t, v in entries.values() if len(v) > 4)
    return 2 + 12 * len(entries) + 4 + extra


def _ifd(entries: dict[int, tuple[int, bytes]], offset: int, next_ifd: int) -> bytes:
    head = bytearray(struct.pack("<H", len(entries)))
    data = bytearray()
    data_at = offset + 2 + 12 * len(entries) + 4
    for tag in sorted(entries):
        kind, value = entries[tag]
        count = len(value) // _SIZES[kind]
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", data_at + len(data))
            data += value
        head += struct.pack("<HHI", tag, kind, count) + field
    head += struct.pack("<I", next_ifd)
    return bytes(head + data)


def camera_exif(orientation: int, flash: bool = False, thumbnail: bytes | None = None) -> bytes:
    """An EXIF block (``Exif\\0\\0`` + TIFF) as a camera writes it."""
    ifd0: dict[int, tuple[int, bytes]] = {
        0x010F: _ascii("NIKON CORPORATION"),
        0x0110: _ascii("NIKON D850"),
        0x0112: _short(orientation),
        0x013B: _ascii(OWNER),  # Artist
        0x8769: _long(0),  # Exif IFD, set below
        0x8825: _long(0),  # GPS IFD, set below
    }
    exif: dict[int, tuple[int, bytes]] = {
        0x829A: _rational(1, 125),
        0x829D: _rational(56, 10),
        0x8827: _short(200),
        0x9003: _ascii("2026:11:02 10:11:12"),
        0x9209: _short(1 if flash else 16),
        0x920A: _rational(50, 1),
        0x927C: (7, MAKER_NOTE),
        0xA430: _ascii(OWNER),  # CameraOwnerName
        0xA431: _ascii(SERIAL),  # BodySerialNumber
    }
    gps: dict[int, tuple[int, bytes]] = {
        0x0001: _ascii("N"),
        0x0002: (5, b"".join(_rational(n, 1)[1] for n in (52, 31, 12))),
        0x0003: _ascii("E"),
        0x0004: (5, b"".join(_rational(n, 1)[1] for n in (13, 24, 36))),
    }
    at0 = 8
    at_exif = at0 + _ifd_size(ifd0)
    at_gps = at_exif + _ifd_size(exif)
    at1 = at_gps + _ifd_size(gps)
    ifd0[0x8769] = _long(at_exif)
    ifd0[0x8825] = _long(at_gps)
    parts = [
        _ifd(ifd0, at0, at1 if thumbnail else 0),
        _ifd(exif, at_exif, 0),
        _ifd(gps, at_gps, 0),
    ]
    if thumbnail:
        ifd1 = {0x0103: _short(6), 0x0201: _long(0), 0x0202: _long(len(thumbnail))}
        at_thumb = at1 + _ifd_size(ifd1)
        ifd1[0x0201] = _long(at_thumb)
        parts.append(_ifd(ifd1, at1, 0) + thumbnail)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + b"".join(parts)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def face_picture(size: tuple[int, int] = (640, 480), seed: int = 1) -> Image.Image:
    """A drawn picture with detail, so the JPEG has real scan data."""
    im = Image.new("RGB", size, (224, 180, 150))
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.ellipse(
        (w * 0.25, h * 0.1, w * 0.75, h * 0.9), fill=(232, 190, 160), outline=(120, 80, 60)
    )
    for i in range(40):
        x = (i * 37 * seed) % w
        y = (i * 53 + seed) % h
        draw.ellipse((x, y, x + 6, y + 5), fill=(190, 110, 100))
    return im


def camera_jpeg(
    path: Path,
    orientation: int = 6,
    size: tuple[int, int] = (640, 480),
    flash: bool = False,
    seed: int = 1,
) -> Path:
    """A JPEG as a camera writes it: EXIF (GPS, serial, owner, maker notes, orientation,
    embedded thumbnail), XMP with a GPS position, IPTC, a comment."""
    picture = face_picture(size, seed)
    small = io.BytesIO()
    picture.resize((160, 120)).save(small, "JPEG", quality=70)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90, exif=camera_exif(orientation, flash, small.getvalue()))
    data = buf.getvalue()
    extra = (
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_GPS)
        + _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + IPTC_OWNER)
        + _segment(0xFE, COMMENT)
    )
    data = data[:2] + extra + data[2:]
    path.write_bytes(data)
    return path


def heic_file(path: Path, orientation: int = 6, size: tuple[int, int] = (320, 240)) -> Path:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif.load(camera_exif(orientation)[6:])
    face_picture(size).save(path, "HEIF", exif=camera_exif(orientation), quality=90)
    return path


def png_file(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", OWNER)
    info.add_itxt("XML:com.adobe.xmp", XMP_GPS.decode())
    face_picture(size).save(path, "PNG", pnginfo=info, exif=camera_exif(1))
    return path


def tiff_file(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    exif = Image.Exif()
    exif.load(camera_exif(3)[6:])
    face_picture(size).save(path, "TIFF", exif=exif)
    return path
