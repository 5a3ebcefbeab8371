"""Fonts for the PDF documents, and the markup that picks a font per script.

DejaVu Sans covers Latin, Greek, Cyrillic and Arabic; Droid Sans Fallback
covers Chinese but has no Latin letters, so only runs of CJK characters are
set in it. Fonts are registered ``shapable`` so that, in a paragraph style
with ``shaping=1``, HarfBuzz joins Arabic letters and lays them out right to
left; reordering them again on top of that would reverse them twice.
Shaping is switched on only for paragraphs that hold Arabic (it costs time),
and without discretionary ligatures: ReportLab asks HarfBuzz for them, and
DejaVu Sans then draws a Latin "st" as a decorative ligature.
"""

from __future__ import annotations

import functools
import re
import threading
from html import escape as _html_escape

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from needlelog import resource_files

BASE = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"
BOLD_ITALIC = "DejaVuSans-BoldOblique"
CJK = "DroidSansFallback"

_FILES = {
    BASE: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    CJK: "DroidSansFallbackFull.ttf",
}

_lock = threading.Lock()
_loaded: set[str] = set()
_families = False


def _need(*names: str) -> None:
    """Parse and register these faces, each once per process: parsing a TrueType file
    is most of a short report's time (the Chinese fallback alone is 4 MB), so a face
    is read only when a document sets text in it."""
    with _lock:
        for name in names:
            if name not in _loaded:
                filename = _FILES[name]
                font_file = resource_files.path("fonts", filename)
                try:
                    font = TTFont(name, str(font_file), shapable=True)
                except TTFError as exc:
                    raise resource_files.damaged(("fonts", filename), exc) from exc
                pdfmetrics.registerFont(font)
                _loaded.add(name)


def register() -> None:
    """Make the report fonts usable (safe to call from any thread): the regular and bold
    faces every document sets; the italic faces and the CJK fallback follow when
    ``markup`` first needs them."""
    global _families
    _need(BASE, BOLD)
    with _lock:
        if _families:
            return
        pdfmetrics.registerFontFamily(
            BASE, normal=BASE, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
        # Droid Sans Fallback has one style: <b>/<i> around Chinese keep the same face.
        pdfmetrics.registerFontFamily(CJK, normal=CJK, bold=CJK, italic=CJK, boldItalic=CJK)
        _no_discretionary_ligatures()
        _families = True


def _no_discretionary_ligatures() -> None:
    # ReportLab offers no option for the HarfBuzz features it requests; its
    # default is a keyword default of shapeFragWord. Drop "dlig" from it when
    # the function still has that shape, and leave it alone otherwise.
    shape = getattr(ttfonts, "shapeFragWord", None)
    defaults = getattr(shape, "__defaults__", None)
    if defaults and isinstance(defaults[0], dict) and "dlig" in defaults[0]:
        features = {k: v for k, v in defaults[0].items() if k != "dlig"}
        shape.__defaults__ = (features, *defaults[1:])  # type: ignore[union-attr]


# The code point ranges of each script the report treats apart. Kept as
# regular expression classes: a search runs in C, so plain Latin text (almost
# every cell) is told apart without a Python call per character.
_CJK_RANGES = (
    "\u2e80-\u2fdf"  # radicals
    "\u3000-\u30ff"  # CJK punctuation, kana
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\uff00-\uffef"  # full-width forms
    "\U00020000-\U0002fa1f"  # supplementary ideographs
)
_ARABIC_RANGES = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff"
_CJK = re.compile(f"[{_CJK_RANGES}]")
_ARABIC = re.compile(f"[{_ARABIC_RANGES}]")
_SPECIAL = re.compile(f"[{_CJK_RANGES}{_ARABIC_RANGES}]")


def _is_cjk(ch: str) -> bool:
    return _CJK.match(ch) is not None


def _is_arabic(ch: str) -> bool:
    return _ARABIC.match(ch) is not None


def has_arabic(text: str) -> bool:
    return _ARABIC.search(text) is not None


def is_plain(text: str) -> bool:
    """True when ``text`` needs neither the CJK font nor Arabic shaping."""
    return _SPECIAL.search(text) is None


def _script(ch: str) -> str:
    if _is_cjk(ch):
        return "cjk"
    if _is_arabic(ch):
        return "arabic"
    return "other"


def _runs(text: str) -> list[tuple[str, str]]:
    if is_plain(text):
        return [("other", text)] if text else []
    runs: list[tuple[str, str]] = []
    for ch in text:
        kind = _script(ch)
        # Spaces and punctuation stay with an Arabic run, so a name of several
        # words is shaped and ordered as one; never with a CJK run, whose font
        # has no Latin punctuation.
        neutral = kind == "other" and not ch.isalnum()
        if runs and (kind == runs[-1][0] or (neutral and runs[-1][0] == "arabic")):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((kind, ch))
    return runs


def _escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities, as Paragraph markup needs (quotes stay as
    they are). ``html`` rather than ``xml.sax.saxutils``: that one imports
    ``urllib.request`` and the HTTP client with it, a cost every report would pay."""
    return _html_escape(text, quote=False)


def markup(text: object, italic: bool = False, bold: bool = False) -> str:
    """User text as safe Paragraph markup, with CJK runs in the CJK font.

    Arabic runs are never italicised: the oblique faces have no Arabic glyphs.
    """
    return _markup(str(text), italic, bold)


@functools.lru_cache(maxsize=4096)
def _markup(text: str, italic: bool, bold: bool) -> str:
    # Cached: a report repeats the same names, products and lots row after row.
    out: list[str] = []
    for kind, run in _runs(text):
        piece = _escape(run)
        if kind == "cjk":
            _need(CJK)
            piece = f'<font name="{CJK}">{piece}</font>'
        elif italic and kind == "other":
            _need(ITALIC, BOLD_ITALIC)
            piece = f"<i>{piece}</i>"
        out.append(piece)
    joined = "".join(out)
    return f"<b>{joined}</b>" if bold else joined


def lines_markup(text: str, italic: bool = False) -> str:
    """Multi-line user text (notes, addresses) with its line breaks kept."""
    return "<br/>".join(markup(line, italic=italic) for line in text.strip().splitlines())
