"""The command line: parse, call one service, print, exit.

Exit codes (a public contract): 0 success; 2 bad usage or invalid input,
with one line on stderr; 1 when the operation itself failed (a damaged or
unreachable database, problems found by ``check``).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from needlelog import __version__, config
from needlelog.cli_rights import add_rights_parsers, run_rights
from needlelog.cli_users import Refused, add_users_parser, run_users, sign_in_for
from needlelog.domain.accounts import AccessRefused, SignInRefused
from needlelog.domain.errors import InvalidRecord
from needlelog.services.errors import NotFound, UsageError
from needlelog.store.errors import (
    BadDatabaseUrl,
    ForeignDatabase,
    NoDatabase,
    OutputError,
    StoreError,
)

if TYPE_CHECKING:
    from needlelog.store.database import Database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def _positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: 1 to {limit}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="needlelog", description="Microneedling treatment records.")
    parser.add_argument("--version", action="version", version=f"needlelog {__version__}")
    db_help = (
        "database: an SQLAlchemy URL or a SQLite file path (default: NEEDLELOG_DB, "
        "else the user data folder)"
    )
    parser.add_argument("--db", metavar="URL", help=db_help)
    user_help = (
        "the account to sign in with, once the database has accounts (the password "
        "from a prompt or NEEDLELOG_PASSWORD)"
    )
    parser.add_argument("--user", metavar="NAME", help=user_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)
        p.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS, help=user_help)
        return p

    demo = command("demo", "fill the database with demo patients and courses")
    demo.add_argument("--patients", type=_positive(1_000_000), default=50, metavar="N")
    demo.add_argument("--seed", type=_seed, default=1, metavar="S")

    report = command("report", "write a patient's progress report as PDF")
    report.add_argument("record_no", metavar="RECORD_NO")
    report.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")

    export = command("export", "export all records")
    export.add_argument("--format", required=True, choices=("csv", "json", "fhir"))
    export.add_argument("--out", required=True, type=Path, metavar="PATH")

    imp = command("import", "import patients and sessions from CSV files (or a JSON export)")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--patients", type=Path, metavar="FILE.csv")
    source.add_argument(
        "--json",
        type=Path,
        metavar="FILE.json",
        help="a JSON export, with its photos and consents (their files beside it)",
    )
    imp.add_argument("--sessions", type=Path, metavar="FILE.csv")

    backup = command("backup", "write a backup of the database to one file")
    backup.add_argument("--out", required=True, type=Path, metavar="FILE")
    backup.add_argument(
        "--recipient",
        action="append",
        default=[],
        metavar="AGE_PUBLIC_KEY",
        help="encrypt to this age public key (age1...) instead of a passphrase; repeatable",
    )
    backup.add_argument(
        "--no-encrypt",
        action="store_true",
        help="write a plain zip (backups are encrypted with age by default; the passphrase "
        "comes from NEEDLELOG_BACKUP_PASSPHRASE or a prompt)",
    )

    restore = command("restore", "replace the database with a verified backup")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument(
        "--identity",
        type=Path,
        metavar="FILE",
        help="age identity file (secret key) for a backup encrypted to a public key; a "
        "passphrase comes from NEEDLELOG_BACKUP_PASSPHRASE or a prompt",
    )

    command("check", "check the database for damage and inconsistencies")

    handout = command("handout", "write the aftercare handout of a session as PDF")
    handout.add_argument("record_no", metavar="RECORD_NO")
    handout.add_argument(
        "--session",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the date of the session (default: the latest)",
    )
    handout.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")

    lots = command("lots", "list the patients who received a product or cartridge lot")
    lots.add_argument("lot", metavar="LOT")
    lots.add_argument("--out", type=Path, metavar="FILE.csv", help="write the list as CSV")

    add_users_parser(command)
    add_rights_parsers(command)
    group = command("photos", "add photographs to a session, or export a patient's photos")
    photo_sub = group.add_subparsers(
        dest="photos_command", metavar="add|export", required=True, parser_class=_Parser
    )
    add = photo_sub.add_parser(
        "add",
        help="add photos of one view to a session",
        description="add photos of one view to a session (every file is checked first)",
    )
    add.add_argument("record_no", metavar="RECORD_NO")
    add.add_argument("--session", required=True, type=_day, metavar="YYYY-MM-DD")
    add.add_argument(
        "--view",
        required=True,
        metavar="VIEW",
        help="front, left_45, right_45, left_profile, right_profile, or AREA_front/AREA_back",
    )
    add.add_argument("--after", action="store_true", help="taken after the treatment")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    pexport = photo_sub.add_parser(
        "export",
        help="copy a patient's photos into a folder",
        description="copy a patient's photos into a folder as DATE_VIEW_before|after.ext",
    )
    pexport.add_argument("record_no", metavar="RECORD_NO")
    pexport.add_argument("--out", required=True, type=Path, metavar="DIR")
    return parser


@contextmanager
def _loading_modules() -> Iterator[None]:
    """Load a command's modules with the collector paused, then freeze what they made.

    Importing SQLAlchemy and ReportLab makes tens of thousands of objects that live as
    long as the process; the collector's full pass over them, which one of those
    imports triggers, frees nothing and costs a short command such as a report a
    tenth of its time. Afterwards they stay out of the collector's passes, as the
    window's start-up objects do (``ui.collector``)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _open(url: str, create: bool = False, args: argparse.Namespace | None = None) -> Database:
    """Open the database; only commands that fill it (``create``) may make a new one.
    With ``args``, a database with accounts signs in ``--user`` for the command."""
    from needlelog.store.migrate import open_database

    db = open_database(url, backup_dir=config.paths().backups, create=create)
    if args is not None:
        try:
            sign_in_for(db, args)
        except BaseException:
            db.dispose()
            raise
    return db


def cmd_demo(args: argparse.Namespace, url: str) -> int:
    from needlelog.services import demo

    db = _open(url, create=True, args=args)
    try:
        result = demo.fill(db, args.patients, args.seed)
    finally:
        db.dispose()
    print(
        f"Added {result.patients} demo patients with {result.sessions} sessions "
        f"to {db.display_name}."
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace, url: str) -> int:
    from needlelog.services import check

    db = _open(url, args=args)
    try:
        report = check.run(db)
    finally:
        db.dispose()
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if not report.ok:
        print(
            f"{len(report.problems)} problem(s) found in {db.display_name}; "
            "restore from a backup if records look wrong.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    for path in report.unused_photo_files:
        print(f"unused photo file (no record uses it): {path}")
    photos = f", {report.photos} photos" if report.photos else ""
    print(
        f"OK: {db.display_name}: {report.patients} patients, {report.sessions} sessions"
        f"{photos}, integrity and consistency checks passed."
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace, url: str) -> int:
    with _loading_modules():
        from needlelog.reports.progress import write_progress_report
        from needlelog.services import patients
        from needlelog.store import migrate  # noqa: F401 (the database's open, below)

    db = _open(url, args=args)
    try:
        try:
            patient = patients.find_by_record_no(db, args.record_no)
        except NotFound:
            raise UsageError(f"no patient with record number {args.record_no}") from None
        write_progress_report(db, patient.id, args.out)
    finally:
        db.dispose()
    print(f"Wrote {args.out}")
    return EXIT_OK


def cmd_handout(args: argparse.Namespace, url: str) -> int:
    with _loading_modules():
        from needlelog.reports.handout import write_session_handout
        from needlelog.services import patients, sessions
        from needlelog.store import migrate  # noqa: F401 (the database's open, below)

    db = _open(url, args=args)
    try:
        try:
            patient = patients.find_by_record_no(db, args.record_no)
        except NotFound:
            raise UsageError(f"no patient with record number {args.record_no}") from None
        if args.session is None:
            visit = sessions.latest(db, patient.id)
            if visit is None:
                raise UsageError(f"patient {args.record_no} has no sessions yet")
        else:
            visit = sessions.on_day(db, patient.id, args.session)
            if visit is None:
                raise UsageError(
                    f"patient {args.record_no} has no session on {args.session.isoformat()}"
                )
        write_session_handout(db, visit.id, args.out)  # OutputError: one line, exit 2 or 1
    finally:
        db.dispose()
    print(f"Wrote {args.out}")
    return EXIT_OK


def cmd_lots(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange.lot_recall import write_csv
    from needlelog.services import sessions

    lot = args.lot.strip()
    if not lot:
        raise UsageError("the lot must not be empty")
    db = _open(url, args=args)
    try:
        uses = sessions.lot_uses(db, lot)
    finally:
        db.dispose()
    if args.out is not None:
        write_csv(uses, args.out)  # OutputError: one line, exit 2 (1 for a full disk)
    if not uses:
        print(f"No session used lot {lot}: nobody to recall.")
    else:
        people = len({u.patient_id for u in uses})
        print(f"Lot {lot}: {len(uses)} session(s) of {people} patient(s).")
        if args.out is None:
            for u in uses:
                contact = " · ".join(x for x in (u.phone, u.email) if x) or "no contact"
                print(
                    f"{u.performed_at:%Y-%m-%d}  {u.record_no}  {u.family_name}, {u.given_name}"
                    f"  {contact}  {u.product}  {', '.join(u.areas)}"
                )
    if args.out is not None:
        print(f"Wrote {args.out}")
    return EXIT_OK


def _on_open_database(
    url: str, args: argparse.Namespace, work: Callable[[Database], str], create: bool = False
) -> int:
    """Run ``work`` on the database. A command that may make a new database (an
    import into a new file) and then fails leaves no file behind: refused input
    writes nothing, not even an empty database at a mistyped path."""
    from needlelog.store.database import sqlite_file_of

    made = sqlite_file_of(url) if create else None
    if made is not None and made.exists():
        made = None
    db = _open(url, create, args)
    try:
        message = work(db)
    except BaseException:
        db.dispose()
        if made is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{made}{suffix}").unlink(missing_ok=True)
        raise
    db.dispose()
    print(message)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange.commands import export_command

    return _on_open_database(url, args, lambda db: export_command(db, args.format, args.out))


def cmd_import(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange.commands import import_command, import_json_command

    if args.json is not None:
        if args.sessions is not None:
            raise UsageError("--sessions goes with --patients; a JSON export holds its sessions")
        return _on_open_database(
            url, args, lambda db: import_json_command(db, args.json), create=True
        )
    return _on_open_database(
        url, args, lambda db: import_command(db, args.patients, args.sessions), create=True
    )


def cmd_backup(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange.commands import backup_command

    return _on_open_database(
        url, args, lambda db: backup_command(db, args.out, args.recipient, args.no_encrypt)
    )


def cmd_restore(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange.commands import restore_command

    _sign_in_before_restore(url, args)
    print(restore_command(url, args.file, args.identity))
    return EXIT_OK


def _sign_in_before_restore(url: str, args: argparse.Namespace) -> None:
    """A database with accounts is replaced only by an administrator of it. The
    database is only looked at (read-only, no upgrade, no backup made) until it is
    known to have accounts: a missing, unreadable or foreign one, the usual reasons
    to restore, asks nobody and is left exactly as it is."""
    import sqlite3

    from sqlalchemy import inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    from needlelog.store.database import Database

    path = config.sqlite_file(url)
    if path is not None:
        if not path.exists():
            return
        try:
            # Without a write-ahead log beside it the file holds everything and is read
            # as immutable: no lock, no -wal or -shm file made next to it.
            wal = path.with_name(path.name + "-wal").exists()
            query = "mode=ro" if wal else "immutable=1"
            conn = sqlite3.connect(f"{path.as_uri()}?{query}", uri=True)
            try:
                found = conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None
            finally:
                conn.close()
        except sqlite3.Error:
            return
        if not found:
            return
    try:
        db = Database(url)
    except (SQLAlchemyError, StoreError, OSError):
        return
    try:
        try:
            if path is None:
                if not inspect(db.engine).has_table("accounts"):
                    return
                with db.engine.connect() as conn:
                    if conn.execute(text("SELECT 1 FROM accounts LIMIT 1")).first() is None:
                        return
        except (SQLAlchemyError, StoreError, OSError):
            return
        sign_in_for(db, args)
    finally:
        db.dispose()


def cmd_users(args: argparse.Namespace, url: str) -> int:
    create = args.users_action == "add"
    db = _open(url, create=create)
    try:
        print(run_users(db, args))
    finally:
        db.dispose()
    return EXIT_OK


def cmd_photos(args: argparse.Namespace, url: str) -> int:
    from needlelog.exchange import photo_commands

    work = (
        photo_commands.add_command
        if args.photos_command == "add"
        else photo_commands.export_command
    )
    return _on_open_database(url, args, lambda db: work(db, args))


COMMANDS: dict[str, Callable[[argparse.Namespace, str], int]] = {
    "demo": cmd_demo,
    "check": cmd_check,
    "report": cmd_report,
    "export": cmd_export,
    "import": cmd_import,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "handout": cmd_handout,
    "lots": cmd_lots,
    "users": cmd_users,
    "record-copy": lambda args, url: run_rights(args, lambda: _open(url, args=args)),
    "access-log": lambda args, url: run_rights(args, lambda: _open(url, args=args)),
    "anonymise": lambda args, url: run_rights(args, lambda: _open(url, args=args)),
    "photos": cmd_photos,
}


def main(argv: Sequence[str] | None = None) -> int:
    config.make_private_process()
    args = build_parser().parse_args(argv)
    try:
        url = config.resolve_db_url(args.db)
        if args.command is None:
            from needlelog.ui.app import run_app

            return run_app(url)
        return COMMANDS[args.command](args, url)
    except (UsageError, Refused, SignInRefused, AccessRefused) as exc:
        print(f"needlelog {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InvalidRecord as exc:
        print(f"needlelog {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (NoDatabase, ForeignDatabase, BadDatabaseUrl) as exc:
        print(f"needlelog {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"needlelog {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OutputError as exc:
        print(f"needlelog {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{_prog(args)}: stopped (Ctrl+C)", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # anything unforeseen: one sentence here, the trace in the log
        return _unexpected(args, exc)


def _prog(args: argparse.Namespace) -> str:
    return "needlelog" if args.command is None else f"needlelog {args.command}"


def _unexpected(args: argparse.Namespace, exc: Exception) -> int:
    from needlelog import failures

    failure = failures.record(exc, _prog(args))
    print(f"{_prog(args)}: error: {failure.what}; {failure.details}", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
