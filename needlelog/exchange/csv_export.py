"""Write patients.csv and sessions.csv (the interchange format of docs/csv-format.md).

``patient_cells`` and ``session_cells`` define each row from the records
``source`` and ``session_query.every`` stream, as every other export reads them:
each session as the window shows it, with its patient's record number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.records import TreatedArea, VancouverScarScale
from needlelog.exchange import collector, source
from needlelog.exchange import csv_format as f
from needlelog.exchange.files import Progress, atomic_path
from needlelog.services import access, disclosures, session_query
from needlelog.store.database import Database

PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ExportResult:
    paths: tuple[Path, ...]
    patients: int
    sessions: int


def patient_cells(p: source.StoredPatient) -> list[str]:
    d = p.data
    cells = [
        d.record_no,
        d.family_name,
        d.given_name,
        f.enc_date(d.date_of_birth),
        f.enc_sex(d.sex),
        d.phone,
        d.email,
        f.enc_int(d.fitzpatrick),
        f.enc_codes(d.contraindications),
        d.notes,
        f.enc_int(d.planned_sessions),
        f.enc_bool(p.archived),
    ]
    return [f.protect(c) for c in cells]


# An area cell is its areas' items joined by ";". The reader hands out each distinct
# area (name, depth, passes, endpoint) as one shared record, so each area's items
# are encoded once however many sessions list it.
@lru_cache(maxsize=4096)
def _area_items(area: TreatedArea) -> tuple[str, str, str]:
    """The area's item of the areas, passes and endpoints cells ("": none)."""
    one = (area,)
    return f.enc_areas(one), f.enc_area_values(one, "passes"), f.enc_area_values(one, "endpoint")


# Sessions of a course repeat the same areas at the same depths (immutable records):
# their five cells are worked out once for each distinct set.
@lru_cache(maxsize=4096)
def _area_cells(areas: tuple[TreatedArea, ...]) -> tuple[str, str, str, str, str]:
    items = [_area_items(a) for a in areas]
    shared = f.common_passes(areas)
    deepest = max((a.depth_mm for a in areas), default=None)
    return (
        f.protect(";".join([depth for depth, _, _ in items])),
        f.protect(f.enc_depth(deepest)),
        f.protect(f.enc_int(shared)),
        ""
        if shared is not None or len(areas) < 2
        else f.protect(";".join([passes for _, passes, _ in items if passes])),
        f.protect(";".join([endpoint for _, _, endpoint in items if endpoint])),
    )


# A clinic repeats the same screening answers, indications and numbing session after
# session (immutable records): the cell of each distinct one is worked out once (room
# for the serums too: a few thousand distinct lists, as the reader's own cache holds).
@lru_cache(maxsize=16384)
def _cell(encode: Callable[[Any], str], value: Any) -> str:
    return f.protect(encode(value))


class _SharedCells:
    """The cell of each list the reader hands out shared, looked up by identity.

    The reader decodes each distinct stored list of screening answers or products
    once and hands out that one tuple for every session that has it; hashing ten
    answers to find their cell cost more than the rest of the row. An entry keeps
    its tuple, so its id cannot be reused while the entry lives; a tuple met for
    the first time (or an equal copy) goes through ``_cell``."""

    LIMIT = 16384

    def __init__(self, encode: Callable[[Any], str]) -> None:
        self._encode = encode
        self._seen: dict[int, tuple[object, str]] = {}

    def __call__(self, value: tuple[Any, ...]) -> str:
        seen = self._seen.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        cell = _cell(self._encode, value)
        if len(self._seen) >= self.LIMIT:
            self._seen.clear()
        self._seen[id(value)] = (value, cell)
        return cell


_screening_cell = _SharedCells(f.enc_screening)
_serums_cell = _SharedCells(f.enc_serums)


@lru_cache(maxsize=256)
def _vss_cells(vss: VancouverScarScale | None) -> tuple[str, ...]:
    cells = f.enc_vss(vss)
    return tuple(f.protect(cells[c]) for c in f.VSS_COLUMNS)


def _whole(value: int | None) -> str:
    """A whole number's cell: only a negative one begins like a formula."""
    if value is None:
        return ""
    return str(value) if value >= 0 else f.protect(str(value))


def session_cells(s: session_query.Exported) -> list[str]:
    d = s.session.data
    areas, deepest, shared, passes, endpoints = _area_cells(d.areas)
    protect = f.protect
    enc_bool = f.enc_bool
    # Dates, times, grade words and yes/no never begin like a formula; text and numbers might.
    return [
        protect(s.record_no),
        f.enc_datetime(d.performed_at),
        protect(d.practitioner),
        _cell(f.enc_codes, d.indications),
        areas,
        deepest,
        shared,
        _serums_cell(d.products),
        _cell(f.enc_numbing, d.numbing),
        f.enc_grade(d.redness),
        f.enc_grade(d.bruising),
        f.enc_grade(d.swelling),
        _whole(d.pain),
        _whole(d.scar_grade),
        _whole(d.gais),
        protect(d.notes),
        f.enc_date(d.next_due),
        # extras
        passes,
        endpoints,
        protect(d.device),
        _whole(d.cartridge_needles),
        protect(d.cartridge_lot),
        _whole(d.pen_speed),
        enc_bool(d.pinpoint_bleeding),
        enc_bool(d.acne_flare),
        protect(d.adverse_events),
        _whole(d.satisfaction),
        *_vss_cells(d.vss),
        enc_bool(d.aftercare_given),
        _screening_cell(d.screening),
        enc_bool(d.cautions_acknowledged),
        protect(d.override_reason),
        str(d.screening_list) if d.screening_list else "",
        protect(d.screening_attested_by),
        "" if d.screening_attested_at is None else f.enc_datetime(d.screening_attested_at),
    ]


def _write(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    progress: Progress | None,
    done_before: int,
    total: int,
) -> int:
    """Write one file's header and rows; returns how many rows were written."""
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            written += 1
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(done_before + written, total)
    return written


def export_csv(
    db: Database,
    out_dir: Path,
    record_no: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write both files into ``out_dir`` (created if needed); all records or one patient's.

    Both files appear together or not at all: if anything fails (or progress
    raises to cancel), neither file is left behind.
    """
    access.require(db, Permission.EXPORT)  # refused before any file is begun
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = (out_dir / f.PATIENTS_FILE, out_dir / f.SESSIONS_FILE)
    with collector.paused(), db.transaction() as conn, ExitStack() as stack:
        p_total, s_total = source.count(conn, record_no)
        total = p_total + s_total
        if progress is not None:
            progress(0, total)
        temp_p = stack.enter_context(atomic_path(targets[0]))
        temp_s = stack.enter_context(atomic_path(targets[1]))
        patient_rows_in = map(patient_cells, source.iter_patients(conn, record_no))
        patients = _write(
            temp_p, f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS, patient_rows_in, progress, 0, total
        )
        stored = session_query.every(conn, record_no, source.BATCH)
        session_rows_in = map(session_cells, stored)
        sessions = _write(
            temp_s,
            f.SESSION_COLUMNS + f.SESSION_EXTRA_COLUMNS,
            session_rows_in,
            progress,
            patients,
            total,
        )
        if progress is not None:  # last chance to cancel: nothing is in place yet
            progress(patients + sessions, patients + sessions)
    disclosures.log(
        db, config.current_user(), disclosures.EXPORT, what=f"CSV to {out_dir}", record_no=record_no
    )
    return ExportResult(targets, patients, sessions)
