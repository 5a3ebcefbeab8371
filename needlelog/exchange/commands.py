"""The command line's exchange commands: call one exchange function, return the message.

Refused input (an import with problems, a bad backup file, a database that
cannot be backed up as a file) becomes ``services.errors.UsageError``: exit 2 with one
line. For an import, every problem is first written to stderr, one a line.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from needlelog import config
from needlelog.exchange import encryption as age
from needlelog.exchange.backup import BackupRefused, BackupUnsupported, make_backup, restore_backup
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import ImportRefused, import_csv
from needlelog.exchange.encryption import Decryption, Encryption, KeyProblem
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.files import check_output
from needlelog.exchange.json_export import export_json
from needlelog.exchange.json_import import import_json
from needlelog.exchange.photo_backup import FOLDER
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
        text = f"Wrote {j.patients} patients and {j.sessions} sessions to {out}"
        if j.photos:
            text += f"; their {j.photos} photos beside it in {out.parent / FOLDER}"
        for sha in j.photos_missing:
            print(
                f"needlelog export: warning: the photo {sha[:12]}… is missing from the photo "
                "store; it is listed but not carried (run check)",
                file=sys.stderr,
            )
        return text
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
        _list_problems(exc)
        raise UsageError(f"nothing was imported: {exc}") from None
    lines = [result.summary(), *result.notes]
    return "\n".join(lines)


def _list_problems(refused: ImportRefused) -> None:
    """Every problem of a refused import on its own line, before the line that says
    nothing was imported; a single problem is said by that line alone."""
    if len(refused.problems) > 1:
        for problem in refused.problems:
            print(f"needlelog import: {problem}", file=sys.stderr)


def import_json_command(db: Database, path: Path) -> str:
    """Import a JSON export (its photos and paper scans from beside it)."""
    actor = f"{config.current_user()} (import)"
    try:
        result = import_json(db, path, actor)
    except ImportRefused as exc:
        _list_problems(exc)
        raise UsageError(f"nothing was imported: {exc}") from None
    return "\n".join([result.summary(), *result.notes])


def _passphrase(confirm: bool) -> str | None:
    """The backup passphrase from NEEDLELOG_BACKUP_PASSPHRASE, else asked on the terminal.

    None when it is not set and there is no terminal to ask on.
    """
    value = os.environ.get(age.PASSPHRASE_ENV)
    if value is not None:
        problem = age.passphrase_problem(value)
        if problem:
            raise UsageError(f"{problem} ({age.PASSPHRASE_ENV})")
        return value
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Backup passphrase: ")
    problem = age.passphrase_problem(first)
    if problem:
        raise UsageError(f"{problem}; nothing was written")
    if confirm:
        if getpass.getpass("The same passphrase again: ") != first:
            raise UsageError("the two passphrases differ; nothing was written")
        level, hint = age.strength(first)
        if level == "weak":
            print(f"needlelog backup: {hint}", file=sys.stderr)
    return first


def _backup_encryption(db: Database, recipients: list[str], no_encrypt: bool) -> Encryption | None:
    """How the backup is encrypted: always when a key or passphrase can be had.

    Plain with ``--no-encrypt``, or, with a warning, when nothing can be asked for.
    """
    if no_encrypt:
        if recipients:
            raise UsageError("--no-encrypt and --recipient contradict each other; give one")
        return None
    try:
        if recipients:
            return Encryption(recipients=tuple(recipients))
        if age.PASSPHRASE_ENV not in os.environ:
            clinic_keys = age.clinic_recipients(db)
            if clinic_keys:
                return Encryption(recipients=clinic_keys)
        passphrase = _passphrase(confirm=True)
        if passphrase is None:
            # A script written for the documented `backup --out FILE` keeps working (the
            # command line is a contract), but it is told, every time, what it is making.
            print(
                "needlelog backup: warning: this backup is NOT encrypted: there is no terminal "
                f"to ask for a passphrase; set {age.PASSPHRASE_ENV}, give --recipient "
                "AGE_PUBLIC_KEY, or set the clinic's backup key (--no-encrypt silences this)",
                file=sys.stderr,
            )
            return None
        return Encryption(passphrase=passphrase)
    except KeyProblem as exc:
        raise UsageError(str(exc)) from None


def backup_command(
    db: Database, out: Path, recipients: list[str] | None = None, no_encrypt: bool = False
) -> str:
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give the backup file's name")
    check_output(out)  # refused before anyone types a passphrase
    encryption = _backup_encryption(db, recipients or [], no_encrypt)
    try:
        info = make_backup(db, out, encryption=encryption)
    except BackupUnsupported as exc:
        raise UsageError(str(exc)) from None
    how = info.encrypted or "not encrypted"
    photos = (
        f"; {info.photos} photos in {info.path.parent / 'needlelog-photos'} "
        f"({info.photos_copied} new)"
        if info.photos
        else ""
    )
    return (
        f"Backed up {info.patients} patients and {info.sessions} sessions to {info.path} "
        f"({info.size:,} bytes, {how}){photos}"
    )


def _restore_decryption(file: Path, identity: Path | None) -> Decryption | None:
    if not age.is_encrypted(file):
        return None
    try:
        if age.needs_passphrase(file):
            passphrase = _passphrase(confirm=False)
            if passphrase is None:
                raise UsageError(
                    f"{file.name} is encrypted with a passphrase and there is no terminal to "
                    f"ask for it: set {age.PASSPHRASE_ENV}; nothing was changed"
                )
            return Decryption(passphrase=passphrase)
        if identity is None:
            raise UsageError(
                f"{file.name} is encrypted to a public key: give the matching identity file "
                "with --identity FILE; nothing was changed"
            )
        return age.read_identities(identity)
    except KeyProblem as exc:
        raise UsageError(f"{exc}; nothing was changed") from None
    except OSError:
        return None  # unreadable: restore says so in its own words


def restore_command(url: str, file: Path, identity: Path | None = None) -> str:
    decryption = _restore_decryption(file, identity)
    try:
        info = restore_backup(url, file, decryption)
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
