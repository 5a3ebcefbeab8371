"""The screening codes in CSV: a file written before the longer list imports unchanged,
the new codes read and write, and a depth outside an area's range is refused on import
with the same words as in the window."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from needlelog.domain.codes import Area
from needlelog.domain.contraindications import (
    FIRST_LIST,
    SCREENING_LIST_CURRENT,
    Contraindication,
    ScreeningAnswer,
)
from needlelog.domain.protocol import Protocol
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import ImportRefused, import_csv
from needlelog.exchange.json_export import export_json
from needlelog.exchange.json_import import import_json
from needlelog.services import patients, sessions, settings
from needlelog.services.errors import NotFound
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

OLD_PATIENTS = (
    "record_no,family_name,given_name,date_of_birth,sex,phone,email,fitzpatrick,"
    "contraindications,notes\n"
    "N-1,Nowak,Ola,1990-02-03,female,,,2,"
    "open_lesions;pregnancy;radiation_therapy;eczema;psoriasis,\n"
    "N-2,Okafor,Chidi,1985-11-30,male,,,5,"
    "keloid_tendency;isotretinoin;anticoagulants;herpes_simplex;recent_fillers_or_toxin,\n"
)
OLD_SESSIONS = (
    "record_no,performed_on,practitioner,indications,areas,needle_depth_mm,passes,serums,"
    "numbing,redness,bruising,swelling,pain,scar_grade,gais,notes,next_due,screening,"
    "cautions_acknowledged\n"
    "N-1,2026-01-10,Dr. Hart,acne_scars,cheek_left:0.75,,,,,mild,,,,,,,,"
    "pregnancy:no;eczema:yes;isotretinoin:yes:2025-09-01,yes\n"
)


def test_an_old_csv_imports_with_every_code_and_answer(db: Database, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(OLD_PATIENTS, encoding="utf-8")
    (tmp_path / "s.csv").write_text(OLD_SESSIONS, encoding="utf-8")
    import_csv(db, tmp_path / "p.csv", tmp_path / "s.csv", "tester")
    one = patients.find_by_record_no(db, "N-1")
    two = patients.find_by_record_no(db, "N-2")
    codes = [c.value for c in one.data.contraindications + two.data.contraindications]
    assert codes == [
        "open_lesions", "pregnancy", "radiation_therapy", "eczema", "psoriasis",
        "keloid_tendency", "isotretinoin", "anticoagulants", "herpes_simplex",
        "recent_fillers_or_toxin",
    ]  # fmt: skip
    (session,) = sessions.history(db, one.id)
    assert [(a.item.value, a.present) for a in session.data.screening] == [
        ("pregnancy", False),
        ("eczema", True),
        ("isotretinoin", True),
    ]
    assert session.data.screening_list == 0  # imported: judged as it was recorded


def test_new_codes_read_and_an_unknown_one_is_refused(db: Database, tmp_path: Path) -> None:
    new = ";".join(c.value for c in Contraindication if c not in FIRST_LIST)
    (tmp_path / "p.csv").write_text(
        OLD_PATIENTS.splitlines()[0] + f"\nN-3,Lee,Mia,,,,,,{new},\n", encoding="utf-8"
    )
    import_csv(db, tmp_path / "p.csv", None, "tester")
    kept = patients.find_by_record_no(db, "N-3").data.contraindications
    assert [c.value for c in kept] == new.split(";")
    (tmp_path / "q.csv").write_text(
        OLD_PATIENTS.splitlines()[0] + "\nN-4,Lee,Mia,,,,,,cold_sore,\n", encoding="utf-8"
    )
    with pytest.raises(ImportRefused, match="cold_sore"):
        import_csv(db, tmp_path / "q.csv", None, "tester")


def test_a_depth_outside_its_areas_range_is_refused_on_import(db: Database, tmp_path: Path) -> None:
    settings.set_protocol(
        db, Protocol().with_area_range(Area.THIGHS, Decimal("1.50"), Decimal("2.00")), "admin"
    )
    (tmp_path / "p.csv").write_text(OLD_PATIENTS, encoding="utf-8")
    head = OLD_SESSIONS.splitlines()[0]
    (tmp_path / "s.csv").write_text(
        head + "\nN-1,2026-01-10,Dr. Hart,,thighs:2.5,,,,,,,,,,,,,,\n"
        "N-2,2026-01-10,Dr. Hart,,thighs:1.75;forehead:1.5,,,,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as refused:
        import_csv(db, tmp_path / "p.csv", tmp_path / "s.csv", "tester")
    text = "\n".join(str(p) for p in refused.value.problems)
    assert "needle depth for Thighs is 2.50 mm; allowed: 1.50 to 2.00 mm" in text
    assert "needle depth for Forehead is 1.50 mm; allowed: 0.50 to 1.00 mm" in text
    with pytest.raises(NotFound):
        patients.find_by_record_no(db, "N-1")


def test_the_screening_round_trips_with_its_list_attestation_and_allergy_name(
    db: Database, tmp_path: Path
) -> None:

    pid = register_consenting(db, make_patient("R-1"), "t").id
    answers = tuple(
        ScreeningAnswer(
            i,
            i is Contraindication.ALLERGY,
            None,
            "Lidocaine; 5%: cream" * (i is Contraindication.ALLERGY),
        )
        for i in Contraindication
    )
    answered = make_session(
        screening=answers, screening_list=SCREENING_LIST_CURRENT, cautions_acknowledged=True
    )
    attested = replace(
        make_session(performed_at=datetime(2026, 4, 2, 10), next_due=None),
        screening_list=SCREENING_LIST_CURRENT,
        screening_attested_by="dr.hart",
        screening_attested_at=datetime(2026, 4, 2, 9, 55),
    )
    for data in (answered, attested):
        sessions.record(db, pid, data, "t", now=datetime(2026, 6, 1))
    export_csv(db, tmp_path)
    export_json(db, tmp_path / "all.json")
    before = [s.data for s in sessions.history(db, pid, newest_first=False)]
    for name, load in (
        ("csv", lambda o: import_csv(o, tmp_path / "patients.csv", tmp_path / "sessions.csv", "t")),
        ("json", lambda o: import_json(o, tmp_path / "all.json", "t")),
    ):
        other = open_database(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        try:
            load(other)
            pid2 = patients.find_by_record_no(other, "R-1").id
            back = [s.data for s in sessions.history(other, pid2, newest_first=False)]
        finally:
            other.dispose()
        assert back == before, name
        assert back[0].screening_for(Contraindication.ALLERGY).detail == "Lidocaine; 5%: cream"
        assert back[1].screening_attested_by == "dr.hart"
