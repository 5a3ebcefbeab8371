"""Reading a camera file into what the photo store keeps: the original with its
private metadata removed, its capture metadata, its displayed size, a thumbnail.

What the stored original keeps, by type:

- JPEG: the camera's bytes, never re-encoded. The marker segments before the
  first scan are walked: the EXIF segment is rewritten with a short list of
  capture tags (no GPS, serial numbers, owner, maker notes or embedded
  thumbnail); XMP, IPTC/Photoshop, comments, multi-picture previews and
  vendor segments are dropped; JFIF, ICC colour profile, Adobe colour
  transform, quantisation and Huffman tables, frame headers and the
  entropy-coded scans are copied byte for byte. Anything after the end-of-image
  marker (phones append preview images there) is dropped.
- PNG: chunk by chunk the same way: text chunks (XMP, author, comments) go,
  ``eXIf`` is rewritten, image data chunks are copied byte for byte.
- TIFF: decoded and written again losslessly (Deflate) with the same pixels;
  only orientation and the colour profile travel with it.
- HEIC/HEIF: decoded and stored as a lossless PNG of exactly the decoded pixels
  (a HEIF cannot be re-encoded without loss at a sensible speed); the original
  file name is kept in the record.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from needlelog.domain.photos import FORMATS, CaptureInfo
from needlelog.store.photo_files import sha256_of

THUMBNAIL_SIZE = 256
MAX_PIXELS = 200_000_000  # refuses decompression bombs; a 100 MP medium-format file passes
MAX_FILE_BYTES = 400 * 1024 * 1024

Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_heif_ready = False


def _register_heif() -> None:
    global _heif_ready
    if not _heif_ready:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_ready = True


class UnreadableImage(ValueError):
    """The file is not an image needlelog can take (one sentence, naming the file)."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A camera file made ready for the store; nothing is stored yet."""

    source_name: str  # the file name the camera or phone gave it
    data: bytes  # the original as stored (private metadata removed)
    sha256: str
    ext: str
    media_type: str
    width: int  # as displayed
    height: int
    orientation: int
    capture: CaptureInfo
    thumbnail: bytes  # JPEG, THUMBNAIL_SIZE on the long side


# -- EXIF: what stays ------------------------------------------------------------------

_IFD0_KEEP = frozenset(
    {
        0x010F,  # Make
        0x0110,  # Model
        0x0112,  # Orientation
        0x011A,  # XResolution
        0x011B,  # YResolution
        0x0128,  # ResolutionUnit
        0x0132,  # DateTime
        0x0213,  # YCbCrPositioning
    }
)
_EXIF_KEEP = frozenset(
    {
        0x829A,  # ExposureTime
        0x829D,  # FNumber
        0x8822,  # ExposureProgram
        0x8827,  # ISOSpeedRatings
        0x9000,  # ExifVersion
        0x9003,  # DateTimeOriginal
        0x9004,  # DateTimeDigitized
        0x9010,  # OffsetTime
        0x9011,  # OffsetTimeOriginal
        0x9012,  # OffsetTimeDigitized
        0x9201,  # ShutterSpeedValue
        0x9202,  # ApertureValue
        0x9204,  # ExposureBiasValue
        0x9207,  # MeteringMode
        0x9208,  # LightSource
        0x9209,  # Flash
        0x920A,  # FocalLength
        0xA001,  # ColorSpace
        0xA002,  # PixelXDimension
        0xA003,  # PixelYDimension
        0xA402,  # ExposureMode
        0xA403,  # WhiteBalance
        0xA405,  # FocalLengthIn35mmFilm
        0xA406,  # SceneCaptureType
    }
)


def clean_exif(exif: Image.Exif) -> Image.Exif:
    """A new EXIF block holding only the capture tags of the lists above: no GPS, no
    serial numbers, no owner, no maker notes, no thumbnail (IFD1), no interop IFD."""
    out = Image.Exif()
    for tag, value in exif.items():
        if tag in _IFD0_KEEP:
            out[tag] = value
    sub = {t: v for t, v in exif.get_ifd(ExifTags.IFD.Exif).items() if t in _EXIF_KEEP}
    if sub:
        out[ExifTags.IFD.Exif] = sub
    return out


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if number == number and number > 0 else None  # not NaN, not 0


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def capture_info(exif: Image.Exif) -> CaptureInfo:
    """The capture metadata a comparison needs, from an image's EXIF."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    flash = sub.get(0x9209)
    iso = sub.get(0x8827)
    if isinstance(iso, tuple):
        iso = iso[0] if iso else None
    make = str(exif.get(0x010F) or "").strip("\x00 ")
    model = str(exif.get(0x0110) or "").strip("\x00 ")
    brand = make.split()[0].lower() if make else ""
    camera = model if model.lower().startswith(brand) else f"{make} {model}".strip()
    iso_value = _number(iso)
    return CaptureInfo(
        flash_fired=None if not isinstance(flash, int) else bool(flash & 1),
        exposure_time_s=_number(sub.get(0x829A)),
        f_number=_number(sub.get(0x829D)),
        iso=None if iso_value is None else round(iso_value),
        focal_length_mm=_number(sub.get(0x920A)),
        taken_at=_when(sub.get(0x9003)) or _when(exif.get(0x0132)),
        camera=camera[:200],
    )


# -- JPEG: walk the markers, rewrite the metadata, copy the rest ------------------------

_KEEP_APP = {
    0xE0: (b"JFIF\x00",),  # JFIF (rewritten without its thumbnail)
    0xE2: (b"ICC_PROFILE\x00",),  # colour profile
    0xEE: (b"Adobe",),  # colour transform: needed to decode CMYK/YCCK correctly
}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise UnreadableImage("a metadata segment is too long")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def strip_jpeg(data: bytes, exif: Image.Exif) -> bytes:
    """The JPEG ``data`` with its metadata segments replaced as the module says; every
    byte from the first scan header to the end-of-image marker is the camera's."""
    if data[:2] != b"\xff\xd8":
        raise UnreadableImage("not a JPEG file")
    out = bytearray(b"\xff\xd8")
    pos, end = 2, len(data)
    while True:
        # Fill bytes (0xFF repeated) may stand before a marker.
        while pos < end and data[pos] == 0xFF and pos + 1 < end and data[pos + 1] == 0xFF:
            pos += 1
        if pos + 4 > end or data[pos] != 0xFF:
            raise UnreadableImage("the JPEG file is damaged (a marker is missing)")
        marker = data[pos + 1]
        if marker in _STANDALONE:
            out += data[pos : pos + 2]
            pos += 2
            continue
        if marker == 0xD9:
            raise UnreadableImage("the JPEG file holds no image data")
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > end:
            raise UnreadableImage("the JPEG file is damaged (a segment runs past its end)")
        payload = data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:  # start of scan: the rest is copied as it is
            scans_end = _end_of_image(data, pos)
            clean = clean_exif(exif)
            if len(clean):
                out += _segment(0xE1, clean.tobytes())
            out += data[pos:scans_end]
            return _place_exif_first(bytes(out))
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            keep = _KEEP_APP.get(marker, ())
            if any(payload.startswith(sig) for sig in keep):
                if marker == 0xE0 and len(payload) >= 14:
                    payload = payload[:12] + b"\x00\x00"  # no JFIF thumbnail
                out += _segment(marker, payload)
        else:  # tables, frame header, restart interval: image data, kept
            out += data[pos : pos + 2 + length]
        pos += 2 + length


def _place_exif_first(data: bytes) -> bytes:
    """Move the new EXIF segment (added at the end of the headers) right after SOI and
    a JFIF segment, where readers look for it. Headers only: the scans stay as they are."""
    pos = 2
    insert_at = 2
    exif_seg: tuple[int, int] | None = None
    while pos + 4 <= len(data):
        marker = data[pos + 1]
        if marker == 0xDA:
            break
        if marker in _STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker == 0xE0 and pos == 2:
            insert_at = pos + 2 + length
        if marker == 0xE1:
            exif_seg = (pos, pos + 2 + length)
        pos += 2 + length
    if exif_seg is None:
        return data
    start, stop = exif_seg
    seg = data[start:stop]
    rest = data[:start] + data[stop:]
    return rest[:insert_at] + seg + rest[insert_at:]


def _end_of_image(data: bytes, pos: int) -> int:
    """The offset just past the EOI marker, walking scans and the segments between
    them (progressive JPEGs); data after it is not part of the image."""
    end = len(data)
    while pos + 4 <= end:
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker != 0xDA:
            if pos + 2 <= end and data[pos] == 0xFF:
                if data[pos + 1] == 0xD9:
                    return pos + 2
                continue
            raise UnreadableImage("the JPEG file is damaged")
        # entropy-coded data: runs to the next marker that is not stuffing or a restart
        while True:
            pos = data.find(b"\xff", pos)
            if pos < 0 or pos + 1 >= end:
                raise UnreadableImage("the JPEG file is cut short (no end of image)")
            nxt = data[pos + 1]
            if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                pos += 1 if nxt == 0xFF else 2
                continue
            break
        if nxt == 0xD9:
            return pos + 2
    raise UnreadableImage("the JPEG file is cut short (no end of image)")


def scan_data(data: bytes) -> bytes:
    """The bytes from the first scan header to the end-of-image marker (what a strip
    must never change; for tests and for ``check``)."""
    pos = 2
    while pos + 4 <= len(data):
        marker = data[pos + 1]
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker == 0xDA:
            return data[pos : _end_of_image(data, pos)]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    raise UnreadableImage("no image data")


# -- PNG: the same chunk by chunk -------------------------------------------------------

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_DROP = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def strip_png(data: bytes, exif: Image.Exif) -> bytes:
    if not data.startswith(_PNG_SIG):
        raise UnreadableImage("not a PNG file")
    out = bytearray(_PNG_SIG)
    pos = len(_PNG_SIG)
    clean = clean_exif(exif)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        stop = pos + 12 + length
        if stop > len(data):
            raise UnreadableImage("the PNG file is cut short")
        if kind == b"IDAT" and len(clean):
            out += _chunk(b"eXIf", clean.tobytes()[6:])
            clean = Image.Exif()  # written once, before the first image data
        if kind not in _PNG_DROP:
            out += data[pos:stop]
        pos = stop
        if kind == b"IEND":
            return bytes(out)
    raise UnreadableImage("the PNG file is cut short (no end chunk)")


# -- any file ---------------------------------------------------------------------------


def _lossless_copy(im: Image.Image, kind: str, exif: Image.Exif) -> bytes:
    """TIFF and HEIF: the decoded pixels written again without loss, with only the
    orientation and the colour profile."""
    keep = Image.Exif()
    if exif.get(0x0112):
        keep[0x0112] = exif[0x0112]
    icc = im.info.get("icc_profile")
    # A plain copy of the pixels: no tag of the source file travels with it.
    im = im.copy()
    im.info = {}
    buf = io.BytesIO()
    options: dict[str, object] = {}
    if icc:
        options["icc_profile"] = icc
    if kind == "TIFF":
        if len(keep):
            options["exif"] = keep
        im.save(buf, "TIFF", compression="tiff_adobe_deflate", **options)
    else:
        im.save(buf, "PNG", exif=keep, **options) if len(keep) else im.save(buf, "PNG", **options)
    return buf.getvalue()


def _thumbnail(im: Image.Image, size: int = THUMBNAIL_SIZE) -> tuple[bytes, int, int]:
    """A JPEG thumbnail of ``im`` (orientation applied), and the displayed size."""
    oriented = ImageOps.exif_transpose(im)
    width, height = oriented.size
    oriented.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if oriented.mode not in ("RGB", "L"):
        oriented = oriented.convert("RGB")
    buf = io.BytesIO()
    oriented.save(buf, "JPEG", quality=85)
    return buf.getvalue(), width, height


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def make_thumbnail(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A thumbnail of a stored original (for the cache), orientation applied."""
    _register_heif()
    with Image.open(io.BytesIO(data)) as im:
        if im.format == "JPEG":
            im.draft("RGB", (size, size))
        return _thumbnail(im, size)[0]


def prepare(path: Path, name: str | None = None) -> PreparedPhoto:
    """Read a camera file into a ``PreparedPhoto``; raise ``UnreadableImage`` (naming the
    file) when it is no image needlelog can take. Touches no database and no store."""
    shown = name or path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableImage(f"{shown}: the file is larger than {MAX_FILE_BYTES >> 20} MB")
        data = path.read_bytes()
    except UnreadableImage:
        raise
    except OSError as exc:
        raise UnreadableImage(f"{shown} cannot be read: {exc.strerror or exc}") from None
    return prepare_bytes(data, shown)


def prepare_bytes(data: bytes, name: str) -> PreparedPhoto:
    _register_heif()
    try:
        with Image.open(io.BytesIO(data)) as im:
            kind = im.format or ""
            if kind not in FORMATS:
                raise UnreadableImage(
                    f"{name} is a {kind or 'kind of'} file; allowed: JPEG, PNG, TIFF, HEIC/HEIF"
                )
            exif = im.getexif()
            # pillow-heif applies a HEIF's rotation while decoding and keeps what the
            # camera said as "original_orientation".
            orientation = int(im.info.get("original_orientation") or exif.get(0x0112) or 1)
            if orientation not in range(1, 9):
                orientation = 1
            capture = capture_info(exif)
            if kind == "JPEG":
                stored = strip_jpeg(data, exif)
                ext, media = FORMATS["JPEG"]
                width, height = displayed_size(*im.size, orientation)
                im.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))  # decodes at 1/8 scale
                thumb = _thumbnail(im)[0]
            elif kind == "PNG":
                stored = strip_png(data, exif)
                ext, media = FORMATS["PNG"]
                thumb, width, height = _thumbnail(im)
            else:
                im.load()
                if kind == "HEIF":
                    # libheif applies the file's rotation while decoding: the pixels
                    # are upright, and the orientation kept is what the camera said.
                    im.info.pop("exif", None)
                    upright = Image.Exif()
                    stored = _lossless_copy(im, "PNG", upright)
                    ext, media = FORMATS["PNG"]
                else:
                    stored = _lossless_copy(im, kind, exif)
                    ext, media = FORMATS[kind]
                with Image.open(io.BytesIO(stored)) as again:
                    thumb, width, height = _thumbnail(again)
    except UnreadableImage as exc:
        if str(exc).startswith(name):
            raise
        raise UnreadableImage(f"{name}: {exc}") from None
    except UnidentifiedImageError:
        raise UnreadableImage(
            f"{name} is not a readable image; allowed: JPEG, PNG, TIFF, HEIC/HEIF"
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise UnreadableImage(f"{name} is not a readable image ({exc})") from None
    except Image.DecompressionBombError:
        raise UnreadableImage(f"{name} has more than {MAX_PIXELS:,} pixels") from None
    return PreparedPhoto(
        source_name=name,
        data=stored,
        sha256=sha256_of(stored),
        ext=ext,
        media_type=media,
        width=width,
        height=height,
        orientation=orientation,
        capture=capture,
        thumbnail=thumb,
    )
