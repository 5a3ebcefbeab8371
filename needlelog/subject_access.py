"""A patient's complete record for a subject access request: the progress report (PDF,
with signatures and addenda), the record as JSON (every session, its signature and
addenda) and the photos when the clinic keeps any, in one private folder. The access
log records that the copy was made, by whom and when.

It sits above reports and exchange (it uses both), beside the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.exchange.json_export import export_json
from needlelog.exchange.photo_export import export_photos
from needlelog.reports.progress import write_progress_report
from needlelog.services import access, disclosures, patients
from needlelog.store.database import Database
from needlelog.store.files import private_dir


@dataclass(frozen=True)
class CompleteRecord:
    folder: Path
    report: Path
    record: Path
    photos: int
    # Photos on record whose file is missing from the photo store (the copy lacks them).
    photos_missing: tuple[str, ...] = ()


def export_complete_record(db: Database, record_no: str, out_dir: Path) -> CompleteRecord:
    """Write the patient's complete record into ``out_dir`` (created, private)."""
    access.require(db, Permission.EXPORT)
    patient = patients.find_by_record_no(db, record_no)
    private_dir(out_dir)
    report = out_dir / f"{record_no}-progress-report.pdf"
    record = out_dir / f"{record_no}-record.json"
    write_progress_report(db, patient.id, report)
    export_json(db, record, record_no)
    copied = export_photos(db, record_no, out_dir / "photos")
    photos = len(copied.written)
    if not photos and not copied.missing:
        (out_dir / "photos").rmdir()  # the patient has no photos: no empty folder
    disclosures.log(
        db, config.current_user(), disclosures.SUBJECT_ACCESS, patient.id,
        f"report, record{' and photos' if photos else ''} to {out_dir}",
    )  # fmt: skip
    return CompleteRecord(out_dir, report, record, photos, copied.missing)
