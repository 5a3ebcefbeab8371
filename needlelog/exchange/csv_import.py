"""Read patients.csv and sessions.csv and import them through the app's rules.

Reading turns each row into plain records, collecting every cell that
cannot be read; ``loader`` then applies the domain rules and writes all or
nothing. Row numbers in problems count data rows: row 1 is the first row
below the header (row 2 in a spreadsheet), whatever line breaks notes hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from needlelog.domain.accounts import Permission
from needlelog.domain.codes import Endpoint, Indication
from needlelog.domain.contraindications import Contraindication
from needlelog.domain.records import PatientData, SessionData
from needlelog.domain.validation import excerpt
from needlelog.exchange import csv_format as f
from needlelog.exchange.loader import (
    ImportProblem,
    ImportRefused,
    ImportResult,
    PatientIn,
    SessionIn,
    load,
)
from needlelog.services import access
from needlelog.store.database import Database

__all__ = ["ImportProblem", "ImportRefused", "ImportResult", "import_csv", "preview_import"]

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}


@dataclass
class _Table:
    name: str
    header: dict[str, int]
    rows: list[tuple[int, list[str]]]
    # Decoded cells by column and text: a file repeats the same practitioners, codes,
    # grades and answers row after row, so each distinct cell is decoded once (a cell
    # that cannot be read is decoded, and reported, every time).
    decoded: dict[str, dict[str, Any]] = field(default_factory=dict)


def _read(path: Path, required: tuple[str, ...], known: tuple[str, ...]) -> tuple[_Table, list]:
    """Read a whole CSV file (imports are spreadsheet-sized); report header problems."""
    name = path.name
    problems: list[ImportProblem] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return _Table(name, {}, []), [ImportProblem(name, None, "", "", "file not found")]
    except UnicodeDecodeError as exc:
        return _Table(name, {}, []), [
            ImportProblem(
                name,
                None,
                "",
                "",
                f"not UTF-8 text (byte {exc.start}); save the sheet as 'CSV UTF-8'",
            )
        ]
    except OSError as exc:
        return _Table(name, {}, []), [
            ImportProblem(name, None, "", "", f"cannot be read: {exc.strerror}")
        ]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        return _Table(name, {}, []), [ImportProblem(name, None, "", "", f"is not valid CSV: {exc}")]
    if not records:
        return _Table(name, {}, []), [
            ImportProblem(name, None, "", "", "is empty; allowed: a header row, then rows")
        ]
    header: dict[str, int] = {}
    for i, cell in enumerate(records[0]):
        key = cell.strip().lower()
        if key in header:
            problems.append(ImportProblem(name, None, key, key, f"column {key} appears twice"))
        elif key:
            header[key] = i
    for column in required:
        if column not in header:
            problems.append(
                ImportProblem(
                    name,
                    None,
                    column,
                    "",
                    f"required column {column} is missing; the header must name "
                    f"{', '.join(required)} (optional: "
                    f"{', '.join(c for c in known if c not in required)})",
                )
            )
    rows = []
    for number, cells in enumerate(records[1:], start=1):
        if any(c.strip() for c in cells):
            rows.append((number, cells))
    return _Table(name, header, rows), problems


class _Row:
    """Cells of one row by column name, with problems collected instead of raised."""

    def __init__(self, table: _Table, number: int, cells: list[str]) -> None:
        self.table, self.number, self.cells = table, number, cells
        self.problems: list[ImportProblem] = []
        if len(cells) > len(table.header) and any(c.strip() for c in cells[len(table.header) :]):
            self.problems.append(
                ImportProblem(
                    table.name,
                    number,
                    "",
                    "",
                    f"row has {len(cells)} cells but the header names {len(table.header)} "
                    "columns; check for a stray comma or quote",
                )
            )

    def raw(self, column: str) -> str:
        i = self.table.header.get(column)
        if i is None or i >= len(self.cells):
            return ""
        cell = self.cells[i]
        return cell[1:] if cell[:1] == f.QUOTE else cell  # f.unprotect, the hottest call

    def get(
        self, column: str, decode: Callable[[str], Any], default: Any = None, *, alone: bool = True
    ) -> Any:
        """The cell of ``column`` decoded; ``alone``: the result depends on the cell's
        text alone, so a text met before is not decoded again."""
        value = self.raw(column)
        if alone:
            known = self.table.decoded.setdefault(column, {})
            if value in known:
                return known[value]
        try:
            result = decode(value)
        except f.CellError as exc:
            self.problems.append(
                ImportProblem(self.table.name, self.number, column, value, str(exc))
            )
            return default if exc.partial is None else exc.partial
        if alone:
            known[value] = result
        return result


def _fitzpatrick(cell: str) -> int | None:
    text = cell.strip().lower()
    if text in ROMAN:
        return ROMAN[text]
    return f.dec_int(text, "Fitzpatrick skin type")


def _patients(table: _Table) -> Iterator[PatientIn]:
    for number, cells in table.rows:
        r = _Row(table, number, cells)
        data = PatientData(
            record_no=r.raw("record_no").strip(),
            family_name=r.raw("family_name"),
            given_name=r.raw("given_name"),
            date_of_birth=r.get("date_of_birth", lambda c: f.dec_date(c, "date of birth")),
            sex=r.get("sex", f.dec_sex),
            phone=r.raw("phone"),
            email=r.raw("email").strip(),
            fitzpatrick=r.get("fitzpatrick", _fitzpatrick),
            contraindications=r.get(
                "contraindications",
                lambda c: f.dec_codes(c, Contraindication, "contraindication"),
                (),
            ),
            notes=r.raw("notes"),
            planned_sessions=r.get("planned_sessions", lambda c: f.dec_int(c, "planned sessions")),
        )
        archived = r.get("archived", lambda c: f.dec_bool(c, "archived"), False)
        if r.problems:
            yield PatientIn(number, data.record_no, None, archived, tuple(r.problems), data)
        else:
            yield PatientIn(number, data.record_no, data, archived)


def _endpoints(cell: str) -> dict[str, Endpoint]:
    out: dict[str, Endpoint] = {}
    for key, value in f.dec_area_values(cell, "area endpoint").items():
        try:
            out[key] = Endpoint(value.strip().lower())
        except ValueError:
            allowed = ", ".join(e.value for e in Endpoint)
            raise f.CellError(
                f"endpoint {excerpt(value)} is not known; allowed: {allowed}"
            ) from None
    return out


def _area_passes(cell: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in f.dec_area_values(cell, "area passes").items():
        number = f.dec_int(value, f"passes for {key}")
        if number is not None:
            out[key] = number
    return out


# Stands in for an unreadable session date while the rest of the row is checked.
UNKNOWN_DATE_STAND_IN = datetime(2000, 1, 1, 12, 0)


def _performed(cell: str) -> Any:
    if not cell.strip():
        raise f.CellError("session date is required; allowed: an ISO date or date-time")
    return f.dec_datetime(cell, "session date")


def _sessions(table: _Table) -> Iterator[SessionIn]:
    for number, cells in table.rows:
        r = _Row(table, number, cells)
        depth = r.get(
            "needle_depth_mm",
            lambda c: f.dec_depth(c, "needle_depth_mm") if c.strip() else None,
        )
        passes = r.get("passes", lambda c: f.dec_int(c, "passes"))
        area_passes = r.get("area_passes", _area_passes, {})
        endpoints = r.get("area_endpoints", _endpoints, {})
        areas = r.get(
            "areas",
            lambda c, d=depth, ap=area_passes, p=passes, e=endpoints: f.dec_areas(c, d, ap, p, e),
            (),
            alone=False,
        )
        performed = r.get("performed_on", _performed, alone=False)
        extra = {c: r.raw(c) for c in f.VSS_COLUMNS}
        data_values: dict[str, Any] = {
            "performed_at": performed,
            "practitioner": r.raw("practitioner"),
            "areas": areas,
            "indications": r.get(
                "indications", lambda c: f.dec_codes(c, Indication, "indication"), ()
            ),
            "device": r.raw("device"),
            "cartridge_needles": r.get(
                "cartridge_needles", lambda c: f.dec_int(c, "cartridge needles")
            ),
            "cartridge_lot": r.raw("cartridge_lot"),
            "pen_speed": r.get("pen_speed", lambda c: f.dec_int(c, "pen speed")),
            "numbing": r.get("numbing", f.dec_numbing),
            "products": r.get("serums", f.dec_serums, ()),
            "redness": r.get("redness", lambda c: f.dec_grade(c, "redness")),
            "bruising": r.get("bruising", lambda c: f.dec_grade(c, "bruising")),
            "swelling": r.get("swelling", lambda c: f.dec_grade(c, "swelling")),
            "pinpoint_bleeding": r.get(
                "pinpoint_bleeding", lambda c: f.dec_bool(c, "pinpoint bleeding"), False
            ),
            "acne_flare": r.get("acne_flare", lambda c: f.dec_bool(c, "acne flare"), False),
            "adverse_events": r.raw("adverse_events"),
            "pain": r.get("pain", lambda c: f.dec_int(c, "pain")),
            "scar_grade": r.get("scar_grade", lambda c: f.dec_int(c, "scar grade")),
            "gais": r.get("gais", lambda c: f.dec_int(c, "GAIS score")),
            "satisfaction": r.get("satisfaction", lambda c: f.dec_int(c, "satisfaction")),
            "notes": r.raw("notes"),
            "aftercare_given": r.get(
                "aftercare_given", lambda c: f.dec_bool(c, "aftercare given"), False
            ),
            "next_due": r.get("next_due", lambda c: f.dec_date(c, "next due date")),
            "screening": r.get("screening", f.dec_screening, ()),
            "cautions_acknowledged": r.get(
                "cautions_acknowledged", lambda c: f.dec_bool(c, "cautions acknowledged"), False
            ),
            "override_reason": r.raw("override_reason"),
            "screening_list": r.get(
                "screening_list", lambda c: f.dec_int(c, "screening list") or 0, 0
            ),
            "screening_attested_by": r.raw("screening_attested_by"),
            "screening_attested_at": r.get(
                "screening_attested_at",
                lambda c: f.dec_datetime(c, "attested at") if c.strip() else None,
                None,
            ),
        }
        try:
            data_values["vss"] = f.dec_vss(extra)
        except f.CellError as exc:
            r.problems.append(ImportProblem(table.name, number, "vss_vascularity", "", str(exc)))
        treated = {f.unescape(f.area_key(a)) for a in areas} if areas else set()
        for column, given in (("area_passes", area_passes), ("area_endpoints", endpoints)):
            for key in given:
                if areas and f.unescape(key) not in treated:
                    r.problems.append(
                        ImportProblem(
                            table.name,
                            number,
                            column,
                            key,
                            f"{f.area_name(key)} is not among the treated areas",
                        )
                    )
        record_no = r.raw("record_no").strip()
        if not r.problems:
            yield SessionIn(number, record_no, SessionData(**data_values))
            continue
        # The rest of the row is still checked against the rules, so one pass over
        # the file lists every problem; without a readable date the checks that
        # depend on it are left out (the loader drops them).
        data_values.setdefault("vss", None)
        if performed is None:
            data_values["performed_at"] = UNKNOWN_DATE_STAND_IN
        partial = SessionData(**data_values)
        yield SessionIn(number, record_no, None, tuple(r.problems), partial)


def _run(
    db: Database,
    patients_csv: Path,
    sessions_csv: Path | None,
    actor: str,
    commit: bool,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    known_p = f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS
    known_s = f.SESSION_COLUMNS + f.SESSION_EXTRA_COLUMNS
    p_table, problems = _read(patients_csv, f.PATIENT_REQUIRED, known_p)
    s_table = _Table(sessions_csv.name if sessions_csv else f.SESSIONS_FILE, {}, [])
    if sessions_csv is not None:
        s_table, more = _read(sessions_csv, f.SESSION_REQUIRED, known_s)
        problems += more
    if problems:
        # Without the named columns the rows cannot be read; still report every
        # unreadable cell of a file whose header is complete.
        broken = {p.file for p in problems if p.row_number is None}
        if p_table.header and p_table.name not in broken:
            for row in _patients(p_table):
                problems += row.problems
        if s_table.header and s_table.name not in broken:
            for srow in _sessions(s_table):
                problems += srow.problems
        raise ImportRefused(problems)
    return load(
        db,
        _patients(p_table),
        _sessions(s_table),
        actor,
        commit,
        patients_file=p_table.name,
        sessions_file=s_table.name,
        progress=progress,
        total=len(p_table.rows) + len(s_table.rows),
    )


def import_csv(
    db: Database,
    patients_csv: Path,
    sessions_csv: Path | None,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import both files in one transaction, or raise ``ImportRefused`` listing every problem."""
    access.require(db, Permission.IMPORT)  # refused before any file is begun
    return _run(db, patients_csv, sessions_csv, actor, True, progress)


def preview_import(
    db: Database,
    patients_csv: Path,
    sessions_csv: Path | None,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """A dry run: every check of ``import_csv`` and the same counts, nothing written."""
    return _run(db, patients_csv, sessions_csv, actor, False, progress)
