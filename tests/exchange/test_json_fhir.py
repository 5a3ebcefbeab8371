"""JSON archive round trip, and a FHIR R4 bundle that a FHIR library accepts resource by resource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from needlelog.domain.protocol import Protocol
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import FORMAT, export_json
from needlelog.exchange.json_import import import_json
from needlelog.exchange.loader import ImportRefused
from needlelog.services import settings
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.exchange.records import fill_rich, snapshot


def test_json_round_trip_keeps_every_field_and_settings(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    settings.set_value(db, "backup_keep", 7, "tester")
    result = export_json(db, tmp_path / "all.json")
    assert (result.patients, result.sessions) == (4, 3)
    doc = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert (doc["format"], doc["format_version"]) == (FORMAT, 1)
    assert doc["counts"]["patients"] == 4 and doc["counts"]["sessions"] == 3
    assert doc["counts"]["audit_events"] == len(doc["audit"]) > 7
    assert {(e["entity"], e["action"]) for e in doc["audit"]} >= {
        ("patient", "create"),
        ("session", "create"),
        ("patient", "archive"),
    }
    first = doc["sessions"][0]
    assert {"scale": "goodman_baron_qualitative", "scale_version": "1996", "item": "grade",
            "score": 4} in first["scores"]  # fmt: skip
    assert first["areas"][2]["label"].startswith("Left shoulder")
    assert first["areas"][0]["depth_mm"] == "0.75"
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        imported = import_json(other, tmp_path / "all.json", "tester")
        assert (imported.patients_added, imported.sessions_added) == (4, 3)
        assert snapshot(other) == snapshot(db)
        assert settings.get_value(other, "backup_keep") == 7
    finally:
        other.dispose()


def test_json_import_uses_the_files_protocol_before_checking_depths(
    db: Database, tmp_path: Path
) -> None:
    fill_rich(db)
    settings.set_protocol(db, Protocol(depth_max_mm=__import__("decimal").Decimal("1.50")), "t")
    export_json(db, tmp_path / "all.json")
    doc = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    doc["sessions"][0]["areas"][0]["depth_mm"] = "1.40"
    (tmp_path / "all.json").write_text(json.dumps(doc), encoding="utf-8")
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        assert import_json(other, tmp_path / "all.json", "t").sessions_added == 3
    finally:
        other.dispose()


def test_json_import_refuses_a_foreign_file(db: Database, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"resourceType": "Bundle"}', encoding="utf-8")
    with pytest.raises(ImportRefused, match="not a needlelog-records file"):
        import_json(db, tmp_path / "x.json", "t")


def test_fhir_bundle_is_valid_r4_resource_by_resource(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    result = export_fhir(db, tmp_path / "bundle.json")
    doc = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    bundle = Bundle.parse_obj(doc)
    assert bundle.type == "collection"
    kinds: dict[str, list[dict]] = {}
    urls = {e["fullUrl"] for e in doc["entry"]}
    for entry in doc["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        model.parse_obj(resource)  # raises on anything that is not R4 (R4B) FHIR
        kinds.setdefault(resource["resourceType"], []).append(resource)
        for ref in _references(resource):
            assert ref in urls, f"{resource['resourceType']} points at a missing {ref}"
    assert len(kinds["Patient"]) == 4 and len(kinds["Encounter"]) == 3
    assert len(kinds["Procedure"]) == 3
    assert result.resources == len(doc["entry"])
    rich = next(p for p in kinds["Procedure"] if len(p["bodySite"]) == 3)
    depths = [s["extension"][0]["valueQuantity"]["value"] for s in rich["bodySite"]]
    assert depths == [0.75, 0.5, 1.0]
    assert rich["bodySite"][2]["text"].startswith("Left shoulder (upper)")
    assert {c["text"] for c in rich["complication"]} >= {"Acne flare", "Severe redness"}
    lots = {m.get("batch", {}).get("lotNumber") for m in kinds["Medication"]}
    assert {"VC2291", "+LOT"} <= lots
    assert any(d.get("lotNumber") == "=C2026" for d in kinds["Device"])
    rich_url = f"urn:uuid:{rich['id']}"
    scales = {
        o["code"]["coding"][0]["code"]: o
        for o in kinds["Observation"]
        if o.get("partOf", [{}])[0].get("reference") == rich_url
    }
    assert scales["goodman_baron_qualitative"]["valueInteger"] == 4
    assert scales["goodman_baron_qualitative"]["code"]["coding"][0]["version"] == "1996"
    assert scales["gais"]["valueInteger"] == 2
    assert scales["satisfaction_nrs"]["valueInteger"] == 10
    assert scales["redness"]["valueCodeableConcept"]["text"] == "severe"
    assert {c["code"]["coding"][0]["code"] for c in kinds["Condition"]} == {
        "eczema",
        "anticoagulants",
    }
    names = {p["name"][0]["family"] for p in kinds["Patient"]}
    assert "山田" in names


def _references(value: object) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found += _references(item)
    elif isinstance(value, list):
        for item in value:
            found += _references(item)
    return found
