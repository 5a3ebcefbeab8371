"""The streaming CSV export writes, byte for byte, what the record-based encoders write.

The reference is the export as it was before it read plain rows: every
stored record mapped to its domain record (``source.iter_patients`` /
``iter_sessions``), then encoded by ``patient_cells`` / ``session_cells``.
"""

from __future__ import annotations

import csv
import itertools
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    PatientData,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.exchange import csv_format as f
from needlelog.exchange import source
from needlelog.exchange.csv_export import export_csv, patient_cells, session_cells
from needlelog.services import demo, mapping
from needlelog.store.database import Database
from needlelog.store.models import PatientRow, SessionRow
from tests.exchange.records import fill_rich


def _reference(db: Database, out_dir: Path, record_no: str | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.read() as s:
        with open(out_dir / f.PATIENTS_FILE, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS)
            for patient in source.iter_patients(s, record_no):
                writer.writerow(patient_cells(patient))
        with open(out_dir / f.SESSIONS_FILE, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(f.SESSION_COLUMNS + f.SESSION_EXTRA_COLUMNS)
            for stored in source.iter_sessions(s, record_no):
                writer.writerow(session_cells(stored))


def _assert_same_files(db: Database, out: Path, record_no: str | None = None) -> int:
    result = export_csv(db, out / "fast", record_no)
    _reference(db, out / "reference", record_no)
    for name in (f.PATIENTS_FILE, f.SESSIONS_FILE):
        fast = (out / "fast" / name).read_bytes()
        assert fast == (out / "reference" / name).read_bytes(), name
    return result.sessions


def test_demo_clinic_exports_the_same_bytes(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.fill(db, 40, seed=11, today=date(2026, 3, 2))
    assert _assert_same_files(db, tmp_path / "whole") > 100
    # Batches that end in the middle of a patient's sessions change nothing.
    monkeypatch.setattr(source, "BATCH", 7)
    _assert_same_files(db, tmp_path / "small-batches")


def test_awkward_records_export_the_same_bytes(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    assert _assert_same_files(db, tmp_path / "all") == 3
    # One patient's export selects sessions by a list of ids, not a range.
    assert _assert_same_files(db, tmp_path / "one", "P-0001") == 2
    text = (tmp_path / "all" / "fast" / f.SESSIONS_FILE).read_text(encoding="utf-8")
    assert "other(Left shoulder \\(upper\\)\\; scar\\: a\\|b \\\\ c):1.00" in text
    assert "'=C2026" in text


# --- any stored values, valid or not, take the same path -------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
risky_text = st.one_of(text, st.sampled_from((*f.FORMULA_STARTS, f.QUOTE)).map(lambda c: c + "x"))
small_int = st.none() | st.integers(-3, 12)
day = st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))

patients_data = st.builds(
    PatientData,
    record_no=st.just("set later"),
    family_name=risky_text,
    given_name=risky_text,
    date_of_birth=day,
    sex=st.none() | st.sampled_from(Sex),
    phone=risky_text,
    email=text,
    fitzpatrick=small_int,
    contraindications=st.lists(st.sampled_from(Contraindication), max_size=3).map(tuple),
    notes=risky_text,
    planned_sessions=small_int,
)

areas = st.builds(
    TreatedArea,
    area=st.sampled_from(Area),
    # Any whole number of micrometres, including ones that round to 0.01 mm.
    depth_mm=st.integers(-50, 3000).map(lambda um: Decimal(um) / 1000),
    passes=st.none() | st.integers(-1, 6) | st.just(3),
    endpoint=st.none() | st.sampled_from(Endpoint),
    label=risky_text,
)

sessions_data = st.builds(
    SessionData,
    performed_at=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))
    | st.dates().map(lambda d: datetime.combine(d, time())),
    practitioner=risky_text,
    areas=st.lists(areas, max_size=4).map(tuple),
    indications=st.lists(st.sampled_from(Indication), max_size=3).map(tuple),
    device=risky_text,
    cartridge_needles=small_int,
    cartridge_lot=risky_text,
    pen_speed=small_int,
    numbing=st.none() | st.builds(Numbing, risky_text, st.integers(-1, 60)),
    products=st.lists(st.builds(Product, risky_text, risky_text, day), max_size=3).map(tuple),
    redness=st.none() | st.sampled_from(Grade),
    bruising=st.none() | st.sampled_from(Grade),
    swelling=st.none() | st.sampled_from(Grade),
    pinpoint_bleeding=st.booleans(),
    acne_flare=st.booleans(),
    adverse_events=risky_text,
    pain=small_int,
    scar_grade=small_int,
    gais=small_int,
    satisfaction=small_int,
    vss=st.none() | st.builds(VancouverScarScale, *(st.integers(-1, 5),) * 4),
    notes=risky_text,
    aftercare_given=st.booleans(),
    next_due=day,
    screening=st.lists(st.sampled_from(Contraindication), unique=True, max_size=4).flatmap(
        lambda items: st.tuples(
            *(st.builds(ScreeningAnswer, st.just(i), st.booleans(), day) for i in items)
        )
    ),
    cautions_acknowledged=st.booleans(),
    override_reason=risky_text,
)

_numbers = itertools.count(1)


def _store(db: Database, patient: PatientData, archived: bool, sessions: list[SessionData]) -> str:
    """Store rows as given, without the services' checks: the export must not care."""
    record_no = f"H-{next(_numbers):05d}"
    stamp = datetime(2026, 1, 1)
    with db.write() as s:
        row = PatientRow(archived=archived, created_at=stamp, updated_at=stamp)
        mapping.patient_to_row(patient, row)
        row.record_no = record_no
        s.add(row)
        s.flush()
        for data in sessions:
            stored = SessionRow(patient_id=row.id, created_at=stamp, updated_at=stamp)
            mapping.session_to_row(data, stored)
            s.add(stored)
    return record_no


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    patient=patients_data,
    archived=st.booleans(),
    sessions=st.lists(sessions_data, min_size=1, max_size=3),
)
def test_any_stored_values_export_the_same_bytes(
    db: Database,
    tmp_path_factory: pytest.TempPathFactory,
    patient: PatientData,
    archived: bool,
    sessions: list[SessionData],
) -> None:
    record_no = _store(db, patient, archived, sessions)
    out = tmp_path_factory.mktemp("same")
    assert _assert_same_files(db, out, record_no) == len(sessions)
