"""Lot recall: which patients received a lot, from the service and the command line."""

from __future__ import annotations

import csv
import stat
from datetime import date, datetime
from pathlib import Path

import pytest

from needlelog.domain.records import Product
from needlelog.services import sessions
from needlelog.store.database import Database
from tests.cli_runner import run_cli
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

RECALLED = Product("Hyaluronic acid serum", "HA-2291", date(2027, 5, 31))


@pytest.fixture
def clinic(db: Database) -> Database:
    zoe = register_consenting(
        db, make_patient("R-1", phone="+44 20 7946 0001", email="zoe@example.org"), "t"
    ).id
    other = register_consenting(
        db,
        make_patient("R-2", family_name="=Okafor", given_name="Chidi", phone="+44 20 7946 0002"),
        "t",
    ).id
    sessions.record(
        db,
        zoe,
        make_session(next_due=None, performed_at=datetime(2026, 3, 2, 10), products=(RECALLED,)),
        "t",
    )
    sessions.record(
        db,
        other,
        make_session(
            performed_at=datetime(2026, 4, 6, 10),
            next_due=None,
            products=(Product("PRP", "P1", None),),
            device="Dermapen 4",
            cartridge_lot="ha-2291 ",  # a cartridge with the same code, typed differently
        ),
        "t",
    )
    sessions.record(
        db, other, make_session(next_due=None, performed_at=datetime(2026, 5, 4, 10)), "t"
    )
    return db


def test_lot_uses_finds_products_and_cartridges_whatever_the_case(clinic: Database) -> None:
    uses = sessions.lot_uses(clinic, " Ha-2291")
    assert [(u.record_no, u.performed_at.date(), u.product) for u in uses] == [
        ("R-1", date(2026, 3, 2), "Hyaluronic acid serum"),
        ("R-2", date(2026, 4, 6), "Cartridge (Dermapen 4)"),
    ]
    assert uses[0].phone == "+44 20 7946 0001" and uses[0].email == "zoe@example.org"
    assert uses[0].areas == ("Cheek (left)", "Forehead")
    assert uses[0].expiry == date(2027, 5, 31)
    assert sessions.lot_uses(clinic, "NOT-A-LOT") == []
    assert sessions.lot_uses(clinic, "   ") == []


def test_lots_command_writes_the_recall_csv(
    clinic: Database, db_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "recall.csv"
    done = run_cli("--db", str(db_path), "lots", "HA-2291", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Lot HA-2291: 2 session(s) of 2 patient(s).",
        f"Wrote {out}",
    ]
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["record_no"], r["performed_on"], r["product"], r["lot"]) for r in rows] == [
        ("R-1", "2026-03-02", "Hyaluronic acid serum", "HA-2291"),
        ("R-2", "2026-04-06", "Cartridge (Dermapen 4)", "ha-2291 "),
    ]
    assert rows[0]["areas"] == "Cheek (left);Forehead"
    assert rows[0]["given_name"] == "Zoë" and rows[0]["expiry"] == "2027-05-31"
    assert rows[1]["family_name"] == "'=Okafor"  # a spreadsheet must not run it
    # A phone holds only digits, spaces and + ( ) . / - (checked on entry): it is
    # written as typed, so a text-message service can dial it.
    assert rows[1]["phone"] == "+44 20 7946 0002"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # health data: the owner's only


def test_lots_command_prints_the_list_without_out(clinic: Database, db_path: Path) -> None:
    done = run_cli("--db", str(db_path), "lots", "ha-2291")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Lot ha-2291: 2 session(s) of 2 patient(s)."
    assert lines[1].startswith("2026-03-02  R-1  Lefèvre, Zoë  +44 20 7946 0001 · zoe@example.org")


def test_an_unknown_lot_is_an_empty_list_with_a_message(
    clinic: Database, db_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "none.csv"
    done = run_cli("--db", str(db_path), "lots", "XX-0000", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "No session used lot XX-0000: nobody to recall."
    assert out.read_text(encoding="utf-8").splitlines() == [
        "record_no,family_name,given_name,phone,email,performed_on,product,lot,expiry,areas,"
        "archived"
    ]


def test_lots_refuses_an_empty_lot(clinic: Database, db_path: Path, tmp_path: Path) -> None:
    done = run_cli("--db", str(db_path), "lots", "  ", "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 2
    assert done.stderr.strip() == "needlelog lots: error: the lot must not be empty"
    assert not (tmp_path / "x.csv").exists()


def test_lots_into_a_missing_folder_is_refused_in_one_line(
    clinic: Database, db_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "deeper" / "r.csv"
    out.parent.parent.write_text("a file where a folder should be", encoding="utf-8")
    done = run_cli("--db", str(db_path), "lots", "HA-2291", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"needlelog lots: error: {out} cannot be written: a part of the path is not a folder"
    )


def test_lots_needs_a_lot(db_path: Path) -> None:
    done = run_cli("--db", str(db_path), "lots")
    assert done.returncode == 2
    assert "LOT" in done.stderr
