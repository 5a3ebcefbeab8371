"""The command line's exchange commands: call one exchange function, return the message.

Refused input (an import with problems, a bad backup file, a database that
cannot be backed up as a file) becomes ``services.errors.UsageError``: exit 2 with one
line. For an import, every problem is first written to stderr, one a line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from needlelog import config
from needlelog.exchange.backup import BackupRefused, BackupUnsupported, make_backup, restore_backup
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import ImportRefused, import_csv
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import export_json
from needlelog.services.errors import UsageError
from needlelog.store.database import Database


def export_command(db: Database, fmt: str, out: Path, record_no: str | None = None) -> str:
    if fmt == "csv":
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out} is a file; for --format csv give a folder")
        result = export_csv(db, out, record_no)
        return (
            f"Wrote {result.patients} patients and {result.sessions} sessions to "
            f"{out / 'patients.csv'} and {out / 'sessions.csv'}"
        )
    if out.is_dir():
        raise UsageError(f"{out} is a folder; for --format {fmt} give a file name")
    if fmt == "json":
        j = export_json(db, out, record_no)
        return f"Wrote {j.patients} patients and {j.sessions} sessions to {out}"
    if fmt == "fhir":
        r = export_fhir(db, out, record_no)
        return (
            f"Wrote a FHIR R4 bundle of {r.resources} resources ({r.patients} patients, "
            f"{r.sessions} sessions) to {out}"
        )
    raise UsageError(f"unknown format {fmt!r}; allowed: csv, json, fhir")


def import_command(db: Database, patients_csv: Path, sessions_csv: Path | None) -> str:
    actor = f"{config.current_user()} (import)"
    try:
        result = import_csv(db, patients_csv, sessions_csv, actor)
    except ImportRefused as exc:
        for problem in exc.problems:
            print(f"needlelog import: {problem}", file=sys.stderr)
        raise UsageError(f"nothing was imported: {exc}") from None
    lines = [result.summary(), *result.notes]
    return "\n".join(lines)


def backup_command(db: Database, out: Path) -> str:
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give the backup file's name")
    try:
        info = make_backup(db, out)
    except BackupUnsupported as exc:
        raise UsageError(str(exc)) from None
    return (
        f"Backed up {info.patients} patients and {info.sessions} sessions to {info.path} "
        f"({info.size:,} bytes)"
    )


def restore_command(url: str, file: Path) -> str:
    try:
        info = restore_backup(url, file)
    except (BackupRefused, BackupUnsupported) as exc:
        raise UsageError(str(exc)) from None
    kept = (
        f"; the replaced database is kept as {info.replaced_kept_as}"
        if info.replaced_kept_as
        else ""
    )
    return (
        f"Restored {info.patients} patients and {info.sessions} sessions from the backup of "
        f"{info.created_at} into {info.database}{kept}"
    )
