"""Consents travel in the JSON archive (and come back exactly as signed, every text
checked), in the FHIR bundle as R4 ``Consent`` resources, and in backups with their
paper scans; the CSV files stay as they were."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.organization import Organization

from needlelog.domain.consent import Consent, ConsentKind, text_sha256
from needlelog.domain.photos import PhotoUse
from needlelog.exchange.backup import make_backup, restore_backup
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_format import PATIENT_COLUMNS, PATIENT_EXTRA_COLUMNS
from needlelog.exchange.fhir_export import export_fhir, urn
from needlelog.exchange.json_export import export_json
from needlelog.exchange.json_import import import_json
from needlelog.exchange.loader import ImportRefused
from needlelog.services import check, consents, patients, photos
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from needlelog.store.photo_files import PhotoStore
from tests.consenting import SCRIBBLE, sign_consent
from tests.factories import make_patient

PDF = b"%PDF-1.4\n% the signed paper form, scanned\n%%EOF\n"
NO_TEACHING = {
    PhotoUse.CLINICAL_RECORD: True,
    PhotoUse.OWN_REPORT: True,
    PhotoUse.TEACHING: False,
    PhotoUse.PUBLICATION: False,
}


@dataclasses.dataclass
class Clinic:
    json: Path
    consents: dict[str, list[Consent]]
    scan: str


def _kept(c: Consent) -> tuple:
    """What an archive must keep of a consent (ids are the database's; the form's
    version id and who saved the form are the receiving database's)."""
    t = c.template
    w = c.withdrawal
    return (
        c.kind, (t.key, t.kind, t.language, t.title, t.version, t.text, t.sha256), c.answers,
        c.method, c.signature, c.signature_png, c.scan_sha256, c.scan_media_type, c.signed_at,
        c.witness, c.witness_account, None if w is None else (w.withdrawn_on, w.reason),
    )  # fmt: skip


def _all_consents(db: Database) -> dict[str, list[tuple]]:
    return {
        p.record_no: sorted((_kept(c) for c in consents.for_patient(db, p.id)), key=repr)
        for p in patients.search(db, limit=100, include_archived=True)
    }


@pytest.fixture
def clinic(db: Database, tmp_path: Path) -> Clinic:
    """Three patients: one signed on screen (treatment, and photos without teaching,
    then withdrawn), one on paper with a scan, one on an edited (version 2) form."""
    first = patients.register(db, make_patient("P-0001"), "t").id
    sign_consent(db, first, on=date(2026, 3, 1))
    photo = sign_consent(db, first, on=date(2026, 3, 1), kind=ConsentKind.PHOTO,
                         answers=NO_TEACHING)  # fmt: skip
    consents.withdraw(db, photo.id, date(2026, 5, 4), "moved away", "Dr. Amelia Hart")
    second = patients.register(db, make_patient("P-0002", family_name="Okafor"), "t").id
    (tmp_path / "scan.pdf").write_bytes(PDF)
    treatment = consents.template_for(db, ConsentKind.TREATMENT)
    paper = consents.record_paper(
        db, second, treatment.id, {}, tmp_path / "scan.pdf", date(2026, 2, 20), "Dr. Hart"
    )
    consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "en", treatment.title,
        treatment.text + "\nThe clinic may call me the day after.\n", "admin",
    )  # fmt: skip
    third = patients.register(db, make_patient("P-0003", family_name="Lindqvist"), "t").id
    sign_consent(db, third, on=date(2026, 4, 2))
    out = tmp_path / "archive" / "all.json"
    out.parent.mkdir()
    export_json(db, out)
    return Clinic(out, _all_consents(db), paper.scan_sha256)


def _other(tmp_path: Path) -> Database:
    path = tmp_path / "newpc" / "clinic.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return open_database(f"sqlite:///{path}")


def test_the_json_archive_carries_consents_as_signed(clinic: Clinic) -> None:
    doc = json.loads(clinic.json.read_text(encoding="utf-8"))
    forms = {(v["key"], v["language"], v["version"]): v for v in doc["consent_templates"]}
    assert set(forms) == {("photo", "en", 1), ("treatment", "en", 1), ("treatment", "en", 2)}
    for v in forms.values():
        assert v["sha256"] == text_sha256(v["text"])
    assert doc["counts"]["consents"] == len(doc["consents"]) == 4
    on_screen = next(c for c in doc["consents"] if c["kind"] == "photo")
    assert on_screen["template"] == {"key": "photo", "language": "en", "version": 1,
                                     "sha256": forms[("photo", "en", 1)]["sha256"]}  # fmt: skip
    assert on_screen["answers"] == {"clinical_record": True, "own_report": True,
                                    "teaching": False, "publication": False}  # fmt: skip
    assert on_screen["method"] == "on_screen" and on_screen["witness"] == "Dr. Amelia Hart"
    assert on_screen["signature"] == SCRIBBLE.to_json()
    assert base64.b64decode(on_screen["signature_png"]).startswith(b"\x89PNG")
    assert on_screen["withdrawal"]["withdrawn_on"] == "2026-05-04"
    assert on_screen["withdrawal"]["reason"] == "moved away"
    paper = next(c for c in doc["consents"] if c["method"] == "paper")
    assert (paper["scan_sha256"], paper["scan_media_type"]) == (clinic.scan, "application/pdf")
    assert paper["signature"] is None and paper["signature_png"] == ""
    assert paper["signed_at"] == "2026-02-20T00:00:00"
    # the paper scan travels beside the file, like the photos
    beside = PhotoStore(clinic.json.parent / "needlelog-photos")
    assert beside.read(clinic.scan) == PDF


def test_json_import_brings_every_consent_back_unchanged(clinic: Clinic, tmp_path: Path) -> None:
    other = _other(tmp_path)
    try:
        result = import_json(other, clinic.json, "tester")
        assert (result.patients_added, result.consents_added) == (3, 4)
        assert "4 consents" in result.summary()
        assert _all_consents(other) == clinic.consents
        store = photos.photo_store(other)
        assert store.read(clinic.scan) == PDF
        report = check.run(other)
        assert report.ok, report.problems
        # the photo uses follow the imported (withdrawn) photo consent
        first = patients.find_by_record_no(other, "P-0001").id
        uses = photos.uses(other, first)
        assert uses.agreed == frozenset() and "withdrew photo consent" in uses.why_not(
            PhotoUse.OWN_REPORT
        )
        # the edited form is version 2 in the new database too, the next to be signed
        assert consents.template_for(other, ConsentKind.TREATMENT).version == 2
        again = import_json(other, clinic.json, "tester")
        assert (again.consents_added, again.consents_skipped) == (0, 4)
        assert _all_consents(other) == clinic.consents
    finally:
        other.dispose()


def test_a_consent_whose_text_no_longer_matches_its_checksum_is_refused(
    clinic: Clinic, tmp_path: Path
) -> None:
    doc = json.loads(clinic.json.read_text(encoding="utf-8"))
    form = next(v for v in doc["consent_templates"] if v["version"] == 2)
    form["text"] = form["text"].replace("call me", "text me")
    clinic.json.write_text(json.dumps(doc), encoding="utf-8")
    other = _other(tmp_path)
    try:
        with pytest.raises(ImportRefused) as info:
            import_json(other, clinic.json, "tester")
        (problem,) = info.value.problems
        line = str(problem)
        assert line.startswith("all.json consents row 4, column template: the text of ")
        assert line.endswith(
            "(treatment, en) version 2 in the treatment consent of P-0003 signed on "
            "2026-04-02 no longer matches its checksum"
        )
        assert patients.search(other, "", include_archived=True) == []
        assert consents.template_for(other, ConsentKind.TREATMENT).version == 1
    finally:
        other.dispose()


def test_a_missing_paper_scan_refuses_the_import(clinic: Clinic, tmp_path: Path) -> None:
    PhotoStore(clinic.json.parent / "needlelog-photos").path_for(clinic.scan).unlink()
    other = _other(tmp_path)
    try:
        with pytest.raises(ImportRefused) as info:
            import_json(other, clinic.json, "tester")
        (problem,) = info.value.problems
        assert str(problem).startswith(
            "all.json consents row 3, column scan_sha256: the scan of the treatment consent "
            "of P-0002 signed on 2026-02-20 is missing"
        )
        assert patients.search(other, "", include_archived=True) == []
    finally:
        other.dispose()


def test_a_form_version_the_receiving_clinic_holds_with_another_text_is_refused(
    clinic: Clinic, tmp_path: Path
) -> None:
    other = _other(tmp_path)
    try:
        mine = consents.template_for(other, ConsentKind.TREATMENT)
        consents.save_template(
            other, "treatment", ConsentKind.TREATMENT, "en", mine.title, "Our own text.", "a"
        )
        with pytest.raises(ImportRefused) as info:
            import_json(other, clinic.json, "tester")
        assert any(
            "'treatment' (en) version 2 differs from this clinic's version 2" in str(p)
            for p in info.value.problems
        )
        assert patients.search(other, "", include_archived=True) == []
        assert consents.template_for(other, ConsentKind.TREATMENT).text == "Our own text."
    finally:
        other.dispose()


def test_fhir_bundle_has_a_valid_r4_consent_per_consent(
    db: Database, clinic: Clinic, tmp_path: Path
) -> None:
    export_fhir(db, tmp_path / "bundle.json")
    doc = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    Bundle.parse_obj(doc)
    urls = {e["fullUrl"] for e in doc["entry"]}
    found = [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Consent"]
    (org,) = [
        e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Organization"
    ]
    Organization.parse_obj(org)
    assert len(found) == 4
    for resource in found:
        FhirConsent.parse_obj(resource)  # raises on anything that is not R4 (R4B)
        assert resource["patient"]["reference"] in urls
        assert resource["performer"][0]["reference"] == resource["patient"]["reference"]
        assert resource["organization"][0]["reference"] == f"urn:uuid:{org['id']}"
    first = urn("patient", patients.find_by_record_no(db, "P-0001").id)
    mine = [r for r in found if r["patient"]["reference"] == first]
    treatment = next(r for r in mine if r["scope"]["coding"][0]["code"] == "treatment")
    assert treatment["status"] == "active"
    text = base64.b64decode(treatment["sourceAttachment"]["data"]).decode("utf-8")
    assert text_sha256(text) == treatment["identifier"][0]["value"]
    assert treatment["sourceAttachment"]["hash"] == base64.b64encode(
        hashlib.sha1(text.encode("utf-8")).digest()
    ).decode("ascii")
    assert treatment["dateTime"] == "2026-03-01T09:00:00+00:00"
    photo = next(r for r in mine if r["scope"]["coding"][0]["code"] == "patient-privacy")
    assert photo["status"] == "inactive"
    assert photo["provision"]["period"]["end"] == "2026-05-04"
    per_use = {
        p["code"][0]["coding"][0]["code"]: p["type"] for p in photo["provision"]["provision"]
    }
    assert per_use == {"clinical_record": "permit", "own_report": "permit",
                       "teaching": "deny", "publication": "deny"}  # fmt: skip
    paper = next(r for r in found if r["sourceAttachment"]["contentType"] == "application/pdf")
    assert paper["sourceAttachment"]["hash"] == base64.b64encode(hashlib.sha1(PDF).digest()).decode(
        "ascii"
    )
    assert {"system": "urn:needlelog:consent-scan-sha256", "value": clinic.scan} in paper[
        "identifier"
    ]
    assert "data" not in paper["sourceAttachment"]


def test_a_backup_carries_paper_scans_and_restore_brings_them_back(
    db: Database, clinic: Clinic, tmp_path: Path
) -> None:
    folder = tmp_path / "drive"
    folder.mkdir()
    info = make_backup(db, folder / "b.zip")
    assert info.photos == 1  # the scan: no photos in this clinic
    assert PhotoStore(folder / "needlelog-photos").read(clinic.scan) == PDF
    db.dispose()
    target = tmp_path / "restored" / "clinic.sqlite3"
    restore_backup(f"sqlite:///{target}", folder / "b.zip")
    restored = open_database(f"sqlite:///{target}")
    try:
        assert PhotoStore(target.parent / "photos").read(clinic.scan) == PDF
        report = check.run(restored)
        assert report.ok, report.problems
    finally:
        restored.dispose()


def test_the_csv_files_are_unchanged_by_consents(
    db: Database, clinic: Clinic, tmp_path: Path
) -> None:
    export_csv(db, tmp_path / "csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["patients.csv", "sessions.csv"]
    lines = (tmp_path / "csv" / "patients.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == [*PATIENT_COLUMNS, *PATIENT_EXTRA_COLUMNS]
    assert len(lines) == 4 and not any("consent" in line.lower() for line in lines)
