"""The command line of a patient's rights: ``record-copy RECORD_NO --out DIR`` (the
complete record for a subject access request), ``access-log RECORD_NO [--out
FILE.csv]`` (the accounting of disclosures) and ``anonymise RECORD_NO`` (once the
retention period has run). A refusal is one line on stderr: exit 2 for input that
cannot be used, 1 for an erasure the retention period still forbids."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def add_rights_parsers(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    copy = command("record-copy", "write a patient's complete record (report, JSON, photos)")
    copy.add_argument("record_no", metavar="RECORD_NO")
    copy.add_argument("--out", required=True, type=Path, metavar="DIR")
    log = command("access-log", "list who opened, printed, exported or backed up a record")
    log.add_argument("record_no", metavar="RECORD_NO")
    log.add_argument("--out", type=Path, metavar="FILE.csv", help="write the log as CSV")
    anon = command("anonymise", "anonymise a patient once the retention period has run")
    anon.add_argument("record_no", metavar="RECORD_NO")


def run_rights(args: argparse.Namespace, db_open: Callable[[], object]) -> int:
    from needlelog import config
    from needlelog.services import disclosures, patients, rights
    from needlelog.services.errors import NotFound, Refused, UsageError
    from needlelog.store.database import Database

    db = db_open()
    assert isinstance(db, Database)
    try:
        try:
            patient = patients.find_by_record_no(db, args.record_no)
        except NotFound:
            raise UsageError(f"no patient with record number {args.record_no}") from None
        if args.command == "record-copy":
            from needlelog.subject_access import export_complete_record

            if args.out.exists() and not args.out.is_dir():
                raise UsageError(f"{args.out} is a file; give a folder for the record")
            made = export_complete_record(db, args.record_no, args.out)
            extra = f" and {made.photos} photo(s)" if made.photos else ""
            print(f"Wrote {made.report.name}, {made.record.name}{extra} to {made.folder}")
            if made.photos_missing:
                for line in made.photos_missing:
                    print(f"needlelog record-copy: {line}", file=sys.stderr)
                return 1
        elif args.command == "access-log":
            if args.out is not None:
                n = disclosures.export_patient_log(db, patient.id, args.out)
                print(f"Wrote {n} access(es) of {args.record_no} to {args.out}")
            else:
                for e in disclosures.patient_log(db, patient.id):
                    print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor}  {e.described}  {e.what}")
        else:
            try:
                rights.anonymise(db, patient.id, config.current_user())
            except Refused as exc:
                print(f"needlelog anonymise: {exc}", file=sys.stderr)
                return 1
            print(f"Patient {args.record_no} is anonymised.")
    finally:
        db.dispose()
    return 0
