"""Write patients.csv and sessions.csv (the interchange format of docs/csv-format.md).

``patient_cells`` and ``session_cells`` define each row from the domain
records. ``export_csv`` streams plain stored rows instead
(``source.iter_patient_rows`` / ``iter_session_batches``) and encodes the
same cells straight from them: building a record object per session cost
more than reading and writing together, a million sessions took minutes.
Both paths write the same bytes (tests/exchange/test_csv_fast.py).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from enum import Enum
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication
from needlelog.exchange import csv_format as f
from needlelog.exchange import source
from needlelog.exchange.files import Progress, atomic_path
from needlelog.services.mapping import (
    GAIS,
    GOODMAN_BARON,
    SATISFACTION,
    VSS,
    VSS_ITEMS,
    split_codes,
    um_to_depth,
)
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


def session_cells(s: source.StoredSession) -> list[str]:
    d = s.data
    shared = f.common_passes(d.areas)
    vss = f.enc_vss(d.vss)
    cells = [
        s.record_no,
        f.enc_datetime(d.performed_at),
        d.practitioner,
        f.enc_codes(d.indications),
        f.enc_areas(d.areas),
        f.enc_depth(d.deepest_mm),
        f.enc_int(shared),
        f.enc_serums(d.products),
        f.enc_numbing(d.numbing),
        f.enc_grade(d.redness),
        f.enc_grade(d.bruising),
        f.enc_grade(d.swelling),
        f.enc_int(d.pain),
        f.enc_int(d.scar_grade),
        f.enc_int(d.gais),
        d.notes,
        f.enc_date(d.next_due),
        # extras
        "" if shared is not None or len(d.areas) < 2 else f.enc_area_values(d.areas, "passes"),
        f.enc_area_values(d.areas, "endpoint"),
        d.device,
        f.enc_int(d.cartridge_needles),
        d.cartridge_lot,
        f.enc_int(d.pen_speed),
        f.enc_bool(d.pinpoint_bleeding),
        f.enc_bool(d.acne_flare),
        d.adverse_events,
        f.enc_int(d.satisfaction),
        *(vss[c] for c in f.VSS_COLUMNS),
        f.enc_bool(d.aftercare_given),
        f.enc_screening(d.screening),
        f.enc_bool(d.cautions_acknowledged),
        d.override_reason,
    ]
    return [f.protect(c) for c in cells]


# --- cells straight from stored rows -------------------------------------------
#
# Every function here gives exactly what the record-based encoders above give
# for the same stored values. Codes are still checked against their enums (a
# value the domain does not know fails the export as it did through the
# records); the result for each distinct stored value is remembered, as a
# clinic uses few distinct codes, depths and code lists.

_RISKY = frozenset((*f.FORMULA_STARTS, f.QUOTE))
_QUOTE = f.QUOTE
_MEMO_LIMIT = 4096
_YES = ("no", "yes")
_NO_AREAS = ("", "", "", "", "")
_NO_SCORES = ("", "", "", "", "", "", "")
_SCREEN_RANK = {c.value: i for i, c in enumerate(Contraindication)}
_SESSION_ID = itemgetter(0)


class _Memo(dict[Any, Any]):
    """The encoding of each stored value, computed once by ``make`` (bounded in size)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self.make(key)
        if len(self) < _MEMO_LIMIT:
            self[key] = value
        return value


def _code_list(enum: type[Enum]) -> _Memo:
    return _Memo(lambda text: ";".join(enum(c).value for c in split_codes(text)))


_INDICATIONS = _code_list(Indication)
_CONTRAINDICATIONS = _code_list(Contraindication)
_SEX = _Memo(lambda code: Sex(code).value if code else "")
_AREA = _Memo(lambda code: Area(code).value)
_ENDPOINT = _Memo(lambda code: Endpoint(code).value)
_DEPTH = _Memo(lambda um: f"{um_to_depth(um):.2f}")
_GRADE = _Memo(lambda value: "" if value is None else Grade(value).word)


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _area_key(code: str, label: str) -> str:
    key = _AREA[code]
    return f"other({f.escape(label)})" if key == Area.OTHER.value else key


# Each of these encodes one session's children (its rows without the session
# id, in stored order). Sessions of a clinic mostly repeat the same areas,
# serums and scores, so whole groups are remembered too.


def _areas(rows: tuple[tuple[Any, ...], ...]) -> tuple[str, str, str, str, str]:
    """areas, needle_depth_mm, passes, area_passes and area_endpoints."""
    depth = _DEPTH
    areas = [(_area_key(code, label), um, n, end) for code, label, um, n, end in rows]
    kinds = {n for _, _, n, _ in areas}
    shared = kinds.pop() if len(kinds) == 1 else None
    return (
        ";".join([f"{key}:{depth[um]}" for key, um, _, _ in areas]),
        # The deepest as the record reports it: compared at 0.01 mm, first of equals.
        depth[max((um for _, um, _, _ in areas), key=um_to_depth)],
        _text(shared),
        ""
        if shared is not None or len(areas) < 2
        else ";".join([f"{key}:{n}" for key, _, n, _ in areas if n is not None]),
        ";".join([f"{key}:{_ENDPOINT[end]}" for key, _, _, end in areas if end]),
    )


def _serums(rows: tuple[tuple[Any, ...], ...]) -> str:
    esc = f.escape
    return ";".join(
        [
            f"{esc(name)}|{esc(lot)}|{_day(expiry)}" if lot or expiry else esc(name)
            for name, lot, expiry in rows
        ]
    )


def _screening_rank(row: tuple[Any, ...]) -> int:
    rank = _SCREEN_RANK.get(row[0])
    # An unknown item fails here, as it did when mapped to the domain record.
    return _SCREEN_RANK[Contraindication(row[0]).value] if rank is None else rank


def _screening(rows: tuple[tuple[Any, ...], ...]) -> str:
    return ";".join(
        [
            f"{item}:{_YES[bool(present)]}" + ("" if since is None else f":{since.isoformat()}")
            for item, present, since in sorted(rows, key=_screening_rank)
        ]
    )


def _scores(rows: tuple[tuple[Any, ...], ...]) -> tuple[str, ...]:
    """scar_grade, gais, satisfaction and the four Vancouver items."""
    scores = {(scale, item): score for scale, item, score in rows}
    vss = any(scale == VSS[0] for scale, _ in scores)
    return (
        _text(scores.get((GOODMAN_BARON[0], "grade"))),
        _text(scores.get((GAIS[0], "score"))),
        _text(scores.get((SATISFACTION[0], "score"))),
        *(str(scores.get((VSS[0], i), 0)) if vss else "" for i in VSS_ITEMS),
    )


_AREAS = _Memo(_areas)
_SERUMS = _Memo(_serums)
_SCREENING = _Memo(_screening)
_SCORES = _Memo(_scores)


def _per_session(rows: Iterable[Sequence[Any]], encoded: _Memo) -> dict[int, Any]:
    """Child rows (ordered by session id) encoded per session id."""
    return {
        session_id: encoded[tuple([tuple(row[1:]) for row in group])]
        for session_id, group in groupby(rows, _SESSION_ID)
    }


def patient_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[str]]:
    """CSV rows for stored ``source.PATIENT_ROW`` rows (as ``patient_cells``)."""
    risky, quote, yes = _RISKY, _QUOTE, _YES
    for (
        record_no, family_name, given_name, date_of_birth, sex, phone, email, fitzpatrick,
        contraindications, notes, planned_sessions, archived,
    ) in rows:  # fmt: skip
        cells = [
            record_no,
            family_name,
            given_name,
            _day(date_of_birth),
            _SEX[sex],
            phone,
            email,
            _text(fitzpatrick),
            _CONTRAINDICATIONS[contraindications],
            notes,
            _text(planned_sessions),
            yes[bool(archived)],
        ]
        yield [quote + c if c[:1] in risky else c for c in cells]


def session_rows(batch: source.SessionBatch) -> Iterator[list[str]]:
    """CSV rows for one batch of stored sessions (as ``session_cells``)."""
    risky, quote, yes, grade, esc = _RISKY, _QUOTE, _YES, _GRADE, f.escape
    areas = _per_session(batch.areas, _AREAS)
    serums = _per_session(batch.products, _SERUMS)
    screening = _per_session(batch.screening, _SCREENING)
    scores = _per_session(batch.assessments, _SCORES)
    for (
        record_no, session_id, performed_at, practitioner, indications, device,
        cartridge_needles, cartridge_lot, pen_speed, numbing_product, numbing_minutes,
        redness, bruising, swelling, pinpoint_bleeding, acne_flare, adverse_events, pain,
        notes, aftercare_given, next_due, cautions_acknowledged, override_reason,
    ) in batch.sessions:  # fmt: skip
        area_cell, deepest, passes, area_passes, endpoints = areas.get(session_id, _NO_AREAS)
        scar, gais, satisfaction, *vss = scores.get(session_id, _NO_SCORES)
        cells = [
            record_no,
            f.enc_datetime(performed_at),
            practitioner,
            _INDICATIONS[indications],
            area_cell,
            deepest,
            passes,
            serums.get(session_id, ""),
            f"{esc(numbing_product)}:{numbing_minutes}"
            if numbing_product and numbing_minutes is not None
            else "",
            grade[redness],
            grade[bruising],
            grade[swelling],
            _text(pain),
            scar,
            gais,
            notes,
            _day(next_due),
            area_passes,
            endpoints,
            device,
            _text(cartridge_needles),
            cartridge_lot,
            _text(pen_speed),
            yes[bool(pinpoint_bleeding)],
            yes[bool(acne_flare)],
            adverse_events,
            satisfaction,
            *vss,
            yes[bool(aftercare_given)],
            screening.get(session_id, ""),
            yes[bool(cautions_acknowledged)],
            override_reason,
        ]
        yield [quote + c if c[:1] in risky else c for c in cells]


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
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = (out_dir / f.PATIENTS_FILE, out_dir / f.SESSIONS_FILE)
    with db.direct() as s, ExitStack() as stack:
        p_total, s_total = source.count(s, record_no)
        total = p_total + s_total
        if progress is not None:
            progress(0, total)
        temp_p = stack.enter_context(atomic_path(targets[0]))
        temp_s = stack.enter_context(atomic_path(targets[1]))
        patient_rows_in = (
            row for batch in source.iter_patient_rows(s, record_no) for row in patient_rows(batch)
        )
        patients = _write(
            temp_p, f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS, patient_rows_in, progress, 0, total
        )
        session_rows_in = (
            row
            for batch in source.iter_session_batches(s, record_no)
            for row in session_rows(batch)
        )
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
    return ExportResult(targets, patients, sessions)
