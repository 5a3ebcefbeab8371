"""Cell encoders and decoders of the CSV interchange format (docs/csv-format.md).

Export and import both use these, so what one writes the other reads back
to the same value. Decoders raise ``CellError`` with the message a person
sees (what was found, what is allowed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import TypeVar

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    Product,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.domain.validation import BadNumber, excerpt, parse_depth, parse_whole

PATIENTS_FILE = "patients.csv"
SESSIONS_FILE = "sessions.csv"

# The named columns are a public contract (ARCHITECTURE.md); extras follow them.
PATIENT_COLUMNS = (
    "record_no", "family_name", "given_name", "date_of_birth", "sex", "phone", "email",
    "fitzpatrick", "contraindications", "notes",
)  # fmt: skip
PATIENT_EXTRA_COLUMNS = ("planned_sessions", "archived")
PATIENT_REQUIRED = ("record_no", "family_name")

SESSION_COLUMNS = (
    "record_no", "performed_on", "practitioner", "indications", "areas", "needle_depth_mm",
    "passes", "serums", "numbing", "redness", "bruising", "swelling", "pain", "scar_grade",
    "gais", "notes", "next_due",
)  # fmt: skip
SESSION_EXTRA_COLUMNS = (
    "area_passes", "area_endpoints", "device", "cartridge_needles", "cartridge_lot",
    "pen_speed", "pinpoint_bleeding", "acne_flare", "adverse_events", "satisfaction",
    "vss_vascularity", "vss_pigmentation", "vss_pliability", "vss_height",
    "aftercare_given", "screening", "cautions_acknowledged", "override_reason",
    "screening_list", "screening_attested_by", "screening_attested_at",
)  # fmt: skip
SESSION_REQUIRED = ("record_no", "performed_on", "practitioner", "areas")

VSS_COLUMNS = ("vss_vascularity", "vss_pigmentation", "vss_pliability", "vss_height")

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_RISKY = frozenset((*FORMULA_STARTS, QUOTE))
# Characters with a meaning inside multi-valued cells; a backslash escapes them.
SPECIAL = "\\;|:()"


E = TypeVar("E", bound=Enum)


class CellError(ValueError):
    """A cell that cannot be read; the message says what is allowed.

    ``partial`` holds what could be read (the readable items of a list), so
    the rest of the row can still be checked.
    """

    def __init__(self, message: str, partial: object = None) -> None:
        super().__init__(message)
        self.partial = partial


# --- whole cells ----------------------------------------------------------


def protect(cell: str) -> str:
    """Neutralise a formula-looking cell; a leading quote is doubled so it survives too."""
    return QUOTE + cell if cell[:1] in _RISKY else cell


def unprotect(cell: str) -> str:
    """Undo ``protect``: one leading quote is always removed."""
    return cell[1:] if cell.startswith(QUOTE) else cell


_ESCAPES = str.maketrans({ch: "\\" + ch for ch in SPECIAL})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def unescape(text: str) -> str:
    if "\\" not in text:  # most cells: nothing to undo
        return text
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        out.append(next(chars, "\\") if ch == "\\" else ch)
    return "".join(out)


def split_escaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not escaped; parts keep their escapes."""
    if "\\" not in text:  # most cells: a plain split
        return text.split(sep)
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(ch)
            current.append(next(chars, ""))
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def items(cell: str) -> list[str]:
    """The non-empty ``;``-separated items of a cell, escapes kept."""
    return [p.strip() for p in split_escaped(cell, ";") if p.strip()]


# --- scalars --------------------------------------------------------------


def enc_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def dec_date(cell: str, what: str) -> date | None:
    text = cell.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(
            f"{what} {excerpt(text)} is not a date; allowed: an ISO date like 2026-03-02"
        ) from None


def enc_datetime(value: datetime) -> str:
    if value.hour == value.minute == value.second == value.microsecond == 0:
        return value.date().isoformat()
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def dec_datetime(cell: str, what: str) -> datetime:
    text = cell.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            f"{what} {excerpt(text)} is not a date; allowed: an ISO date or date-time like "
            "2026-03-02 or 2026-03-02T10:30"
        ) from None
    if value.tzinfo is not None:  # stored as the clinic's wall-clock time
        value = value.astimezone().replace(tzinfo=None)
    return value


def enc_int(value: int | None) -> str:
    return "" if value is None else str(value)


def dec_int(cell: str, what: str) -> int | None:
    try:
        return parse_whole(cell, what)
    except BadNumber as exc:
        raise CellError(str(exc)) from None


def enc_bool(value: bool) -> str:
    return "yes" if value else "no"


_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0", ""}


def dec_bool(cell: str, what: str) -> bool:
    text = cell.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{what} {excerpt(cell)} is not yes or no; allowed: yes, no or empty (no)")


def enc_depth(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def dec_depth(text: str, what: str) -> Decimal:
    """A depth in mm; a decimal comma is read as many clinics type it ("0,75")."""
    try:
        return parse_depth(text, what)
    except BadNumber as exc:
        raise CellError(str(exc)) from None


# A member's ``word`` is two enum property reads (a Python call each on 3.11): an
# export writes three grades per session.
_GRADE_WORDS = {grade: grade.word for grade in Grade}


def enc_grade(value: Grade | None) -> str:
    return "" if value is None else _GRADE_WORDS[value]


def dec_grade(cell: str, what: str) -> Grade | None:
    text = cell.strip().lower()
    if not text:
        return None
    try:
        return Grade.from_word(text)
    except KeyError:
        raise CellError(
            f"{what} {excerpt(cell)} is not a grade; allowed: none, mild, moderate, severe or empty"
        ) from None


def enc_sex(value: Sex | None) -> str:
    return "" if value is None else value.value


# Decoding a cell depends on its text alone, and an import reads the same codes, area
# names and screening answers row after row: each distinct cell is decoded once (a
# cell that cannot be read raises again every time; only results are kept).
@lru_cache(maxsize=1024)
def _code(enum: type[E], text: str, what: str) -> E:
    try:
        return enum(text.strip().lower())
    except ValueError:
        allowed = ", ".join(str(e.value) for e in enum)  # type: ignore[attr-defined]
        raise CellError(
            f"{what} {excerpt(text.strip())} is not known; allowed: {allowed}"
        ) from None


def dec_sex(cell: str) -> Sex | None:
    return _code(Sex, cell, "sex") if cell.strip() else None


def enc_codes(values: Iterable[Indication | Contraindication]) -> str:
    return ";".join(v.value for v in values)


def dec_codes(cell: str, enum: type[E], what: str) -> tuple[E, ...]:
    found: list[E] = []
    errors: list[str] = []
    for item in items(cell):
        try:
            found.append(_code(enum, unescape(item), what))
        except CellError as exc:
            errors.append(str(exc))
    if errors:
        raise CellError("; ".join(errors), partial=tuple(found))
    return tuple(found)


# --- areas ----------------------------------------------------------------


_OTHER = Area.OTHER  # read once: a member read from its enum class is a Python call on 3.11


def area_key(area: TreatedArea) -> str:
    """``cheek_left`` or ``other(Left shoulder)``: names one area within a session."""
    code = area.area
    if code is _OTHER:
        return f"other({escape(area.label)})"
    return str(code)  # a StrEnum's text is its value, without the ``value`` property's call


def enc_areas(areas: Iterable[TreatedArea]) -> str:
    return ";".join(f"{area_key(a)}:{a.depth_mm:.2f}" for a in areas)


_AREA = re.compile(r"^([A-Za-z_]+)\s*(?:\((.*)\))?$", re.DOTALL)


@lru_cache(maxsize=1024)
def _dec_area_key(text: str) -> tuple[Area, str]:
    match = _AREA.match(text.strip())
    if match is None:
        raise CellError(
            f"area {excerpt(unescape(text.strip()))} is not known; allowed: "
            + ", ".join(a.value for a in Area)
            + " (other with a description: other(Left shoulder))"
        )
    area = _code(Area, match.group(1), "area")
    label = unescape(match.group(2) or "").strip()
    if area is not Area.OTHER and match.group(2) is not None:
        raise CellError(f"{area.label} takes no description; only other(...) does")
    return area, label


def area_name(key: str) -> str:
    """How a message names the area of a cell's key: "Cheek (left)" for ``cheek_left``,
    the description for ``other(...)``; text that is no area is quoted as typed."""
    try:
        area, label = _dec_area_key(key)
    except CellError:
        return excerpt(unescape(key.strip()))
    return label or area.label


def dec_areas(
    cell: str,
    default_depth: Decimal | None,
    passes: dict[str, int],
    default_passes: int | None,
    endpoints: dict[str, Endpoint],
) -> tuple[TreatedArea, ...]:
    """Parse ``cheek_left:0.75;forehead;other(Left shoulder):0.5`` (all problems at once)."""
    out: list[TreatedArea] = []
    errors: list[str] = []
    for item in items(cell):
        parts = split_escaped(item, ":")
        try:
            if len(parts) > 2:
                raise CellError(
                    f"area {excerpt(unescape(item))} has more than one depth; allowed: area:depth"
                )
            area, label = _dec_area_key(parts[0])
            key = parts[0].strip()
            where = label or area.label  # the code is in the cell; the message names the place
            if len(parts) == 2 and parts[1].strip():
                depth = dec_depth(parts[1], where)
            elif default_depth is not None:
                depth = default_depth
            else:
                raise CellError(
                    f"{where} has no depth and needle_depth_mm is empty; "
                    "allowed: area:depth or a needle_depth_mm for every area"
                )
            out.append(
                TreatedArea(
                    area=area,
                    depth_mm=depth,
                    passes=passes.get(key, default_passes),
                    endpoint=endpoints.get(key),
                    label=label,
                )
            )
        except CellError as exc:
            errors.append(str(exc))
    if errors:
        raise CellError("; ".join(errors), partial=tuple(out))
    return tuple(out)


def enc_area_values(areas: Iterable[TreatedArea], attr: str) -> str:
    parts = []
    for a in areas:
        value = getattr(a, attr)
        if value is not None:
            parts.append(f"{area_key(a)}:{getattr(value, 'value', value)}")
    return ";".join(parts)


def dec_area_values(cell: str, what: str) -> dict[str, str]:
    """``cheek_left:3;other(Left shoulder):2`` as {area key: value}; each area once."""
    out: dict[str, str] = {}
    for item in items(cell):
        parts = split_escaped(item, ":")
        if len(parts) != 2 or not parts[1].strip():
            raise CellError(f"{what} {excerpt(unescape(item))} is not area:value")
        _dec_area_key(parts[0])
        key = parts[0].strip()
        if key in out:
            raise CellError(f"{what}: {area_name(key)} is listed twice; allowed: each area once")
        out[key] = parts[1].strip()
    return out


def common_passes(areas: tuple[TreatedArea, ...]) -> int | None:
    values = {a.passes for a in areas}
    return values.pop() if len(values) == 1 else None


# --- products, numbing, screening, scales ---------------------------------


def enc_serums(products: Iterable[Product]) -> str:
    out = []
    for p in products:
        if p.lot or p.expiry:
            out.append(f"{escape(p.name)}|{escape(p.lot)}|{enc_date(p.expiry)}")
        else:
            out.append(escape(p.name))
    return ";".join(out)


def dec_serums(cell: str) -> tuple[Product, ...]:
    out: list[Product] = []
    for item in items(cell):
        parts = split_escaped(item, "|")
        if len(parts) > 3:
            raise CellError(
                f"serum {excerpt(unescape(item))} has too many parts; allowed: name or name|lot|expiry"
            )
        parts += [""] * (3 - len(parts))
        name, lot = unescape(parts[0]).strip(), unescape(parts[1]).strip()
        out.append(Product(name, lot, dec_date(parts[2], f"expiry of {name}")))
    return tuple(out)


def enc_numbing(value: Numbing | None) -> str:
    return "" if value is None else f"{escape(value.product)}:{value.minutes}"


def dec_numbing(cell: str) -> Numbing | None:
    if not cell.strip():
        return None
    parts = split_escaped(cell.strip(), ":")
    if len(parts) != 2:
        raise CellError(
            f"numbing {excerpt(cell.strip())} is not product:minutes; allowed: e.g. Lidocaine 5% cream:25"
        )
    minutes = dec_int(parts[1], "numbing minutes")
    if minutes is None:
        raise CellError("numbing minutes are missing; allowed: product:minutes")
    return Numbing(unescape(parts[0]).strip(), minutes)


def enc_screening(answers: Iterable[ScreeningAnswer]) -> str:
    out = []
    for a in answers:
        text = f"{a.item.value}:{enc_bool(a.present)}"
        if a.since is not None or a.detail:
            text += f":{enc_date(a.since)}"
        if a.detail:
            text += f":{escape(a.detail)}"
        out.append(text)
    return ";".join(out)


@lru_cache(maxsize=4096)
def dec_screening(cell: str) -> tuple[ScreeningAnswer, ...]:
    out: list[ScreeningAnswer] = []
    for item in items(cell):
        parts = split_escaped(item, ":")
        if len(parts) not in (2, 3, 4):
            raise CellError(
                f"screening answer {excerpt(item)} is not item:yes|no[:since[:name]]; "
                "allowed: e.g. isotretinoin:yes:2025-09-01"
            )
        code = _code(Contraindication, parts[0], "screening item")
        present = dec_bool(parts[1], f"screening answer for {code.value}")
        since = dec_date(parts[2], f"date for {code.value}") if len(parts) >= 3 else None
        detail = unescape(parts[3]).strip() if len(parts) == 4 else ""
        out.append(ScreeningAnswer(code, present, since, detail))
    return tuple(out)


def enc_vss(vss: VancouverScarScale | None) -> dict[str, str]:
    if vss is None:
        return dict.fromkeys(VSS_COLUMNS, "")
    return {c: str(getattr(vss, c.removeprefix("vss_"))) for c in VSS_COLUMNS}


def dec_vss(cells: dict[str, str]) -> VancouverScarScale | None:
    values = {c: dec_int(cells.get(c, ""), c.replace("_", " ")) for c in VSS_COLUMNS}
    if all(v is None for v in values.values()):
        return None
    missing = [c for c, v in values.items() if v is None]
    if missing:
        raise CellError(
            "Vancouver Scar Scale is partly filled; allowed: all four items or none "
            f"(missing: {', '.join(missing)})"
        )
    return VancouverScarScale(**{c.removeprefix("vss_"): v for c, v in values.items()})  # type: ignore[arg-type]
