"""Issue 13, points 4 and 8 for the JSON import: the same limits as CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from needlelog.exchange.json_export import export_json
from needlelog.exchange.json_import import import_json
from needlelog.exchange.loader import ImportRefused
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.exchange.records import fill_rich


def _doc(db: Database, tmp_path: Path) -> dict:
    fill_rich(db)
    export_json(db, tmp_path / "r.json")
    return json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))


def _import(doc: dict, tmp_path: Path) -> ImportRefused:
    (tmp_path / "in.json").write_text(json.dumps(doc), encoding="utf-8")
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        with pytest.raises(ImportRefused) as caught:
            import_json(other, tmp_path / "in.json", "tester")
        return caught.value
    finally:
        other.dispose()


@pytest.mark.parametrize("depth", ["1e999999999", "1e99999999999", 1e300, "NaN", "9" * 5000])
def test_a_huge_depth_is_refused_in_a_short_message(
    db: Database, tmp_path: Path, depth: object
) -> None:
    doc = _doc(db, tmp_path)
    doc["sessions"][0]["areas"][0]["depth_mm"] = depth
    refused = _import(doc, tmp_path)
    assert all(len(str(p)) < 300 for p in refused.problems)
    assert any("is not a number in mm" in str(p) for p in refused.problems)


def test_control_characters_are_refused_naming_the_field(db: Database, tmp_path: Path) -> None:
    doc = _doc(db, tmp_path)
    doc["patients"][0]["given_name"] = "Zo\x00ë"
    refused = _import(doc, tmp_path)
    assert [p.column for p in refused.problems] == ["given_name"]
    assert "control character (U+0000)" in str(refused.problems[0])


@pytest.mark.parametrize("key", ["patients", "sessions", "settings"])
def test_parts_of_the_wrong_shape_are_refused(db: Database, tmp_path: Path, key: str) -> None:
    doc = _doc(db, tmp_path)
    doc[key] = 5
    refused = _import(doc, tmp_path)
    assert f"{key} is not" in str(refused.problems[0])
