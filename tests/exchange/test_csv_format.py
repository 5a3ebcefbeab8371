"""Cell encoders and decoders: what export writes, import reads back unchanged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needlelog.domain.codes import Area, Endpoint
from needlelog.domain.records import Numbing, Product, TreatedArea
from needlelog.exchange import csv_format as f

FEW = settings(max_examples=60, deadline=None)

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@FEW
@given(texts)
def test_protect_round_trip_and_never_starts_like_a_formula(value: str) -> None:
    cell = f.protect(value)
    assert not cell.startswith(f.FORMULA_STARTS)
    assert f.unprotect(cell) == value


@FEW
@given(st.lists(texts, max_size=5))
def test_escaped_items_split_back(values: list[str]) -> None:
    cell = ";".join(f.escape(v) for v in values)
    parts = f.split_escaped(cell, ";") if values else []
    assert [f.unescape(p) for p in parts] == values


labels = texts.filter(lambda t: t.strip() == t and t != "")
depths = st.integers(min_value=0, max_value=200).map(lambda n: Decimal(n) * Decimal("0.05"))


@FEW
@given(
    st.lists(
        st.tuples(st.sampled_from(list(Area)), labels, depths, st.sampled_from([None, *Endpoint])),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    )
)
def test_areas_with_labels_round_trip(items: list[tuple]) -> None:
    areas = tuple(
        TreatedArea(a, d.quantize(Decimal("0.01")), None, e, lbl if a is Area.OTHER else "")
        for a, lbl, d, e in items
    )
    cell = f.protect(f.enc_areas(areas))
    endpoints = {
        k: Endpoint(v)
        for k, v in f.dec_area_values(f.enc_area_values(areas, "endpoint"), "x").items()
    }
    assert f.dec_areas(f.unprotect(cell), None, {}, None, endpoints) == areas


@FEW
@given(st.lists(st.tuples(texts.filter(str.strip), texts), min_size=1, max_size=3))
def test_serums_round_trip(items: list[tuple[str, str]]) -> None:
    products = tuple(Product(n.strip(), lot.strip()) for n, lot in items)
    assert f.dec_serums(f.enc_serums(products)) == products


def test_numbing_and_dates() -> None:
    assert f.dec_numbing(f.enc_numbing(Numbing("Lidocaine: 5%", 25))) == Numbing(
        "Lidocaine: 5%", 25
    )
    assert f.dec_datetime("2026-03-02", "d") == datetime(2026, 3, 2)
    assert f.enc_datetime(datetime(2026, 3, 2)) == "2026-03-02"
    assert f.enc_datetime(datetime(2026, 3, 2, 10, 30)) == "2026-03-02T10:30:00"
    with pytest.raises(f.CellError, match="is not a date; allowed: an ISO date or date-time"):
        f.dec_datetime("02/03/2026", "session date")


def test_depth_accepts_a_decimal_comma() -> None:
    (area,) = f.dec_areas("cheek_left:0,75", None, {}, None, {})
    assert area.depth_mm == Decimal("0.75")
    with pytest.raises(f.CellError, match="needle depth for Chin 'deep' is not a number in mm"):
        f.dec_areas("chin:deep", None, {}, None, {})


def test_unknown_codes_say_what_is_allowed() -> None:
    with pytest.raises(f.CellError) as caught:
        f.dec_areas("cheek_left:0.75;elbow:0.5;nose", Decimal("0.5"), {}, None, {})
    assert str(caught.value).startswith("area 'elbow' is not known; allowed: forehead, glabella")
    assert [a.area for a in caught.value.partial] == [Area.CHEEK_LEFT, Area.NOSE]
    with pytest.raises(f.CellError, match="Chin has no depth and needle_depth_mm is empty"):
        f.dec_areas("chin", None, {}, None, {})
    with pytest.raises(f.CellError, match="'sometimes' is not a grade; allowed: none, mild"):
        f.dec_grade("sometimes", "redness")


any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@FEW
@given(family=any_text.filter(str.strip), given_name=any_text, notes=any_text, phone=any_text)
def test_free_text_survives_a_csv_file(
    tmp_path_factory: pytest.TempPathFactory, family: str, given_name: str, notes: str, phone: str
) -> None:
    import csv

    from needlelog.exchange import csv_import, source
    from needlelog.exchange.csv_export import patient_cells
    from tests.factories import make_patient

    data = make_patient(family_name=family, given_name=given_name, notes=notes, phone=phone)
    stored = source.StoredPatient(1, data, False, datetime(2026, 1, 1), datetime(2026, 1, 1), 1)
    path = tmp_path_factory.mktemp("csv") / "patients.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(f.PATIENT_COLUMNS + f.PATIENT_EXTRA_COLUMNS)
        writer.writerow(patient_cells(stored))
    table, problems = csv_import._read(path, f.PATIENT_REQUIRED, f.PATIENT_COLUMNS)
    assert problems == []
    (row,) = list(csv_import._patients(table))
    assert row.problems == () and row.data == data


def test_area_names_in_messages_are_words_not_codes() -> None:
    assert f.area_name("cheek_left") == "Cheek (left)"
    assert f.area_name(" JAWLINE_RIGHT ") == "Jawline (right)"
    assert f.area_name(r"other(Scar\; left temple)") == "Scar; left temple"
    assert f.area_name("elbow(") == "'elbow('"
