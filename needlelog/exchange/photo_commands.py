"""The ``photos`` commands of the command line (a public contract):

    needlelog photos add RECORD_NO --session YYYY-MM-DD --view VIEW [--after] FILE...
    needlelog photos export RECORD_NO --out DIR

``add`` checks the record, the session, the view and every file before it stores
any: one bad file refuses them all (exit 2, one line). ``export`` only reads.
"""

from __future__ import annotations

import argparse
import sys

from needlelog import config
from needlelog.exchange.photo_export import export_photos
from needlelog.services import photos
from needlelog.services.errors import NotFound, UsageError
from needlelog.store.database import Database


def add_command(db: Database, args: argparse.Namespace) -> str:
    try:
        visit = photos.session_on(db, args.record_no, args.session)
    except NotFound as exc:
        raise UsageError(str(exc)) from None
    photos.check_view(db, args.view)  # InvalidRecord: one line, exit 2
    try:
        prepared = photos.prepare_all(args.files)
    except photos.UnreadableImage as exc:
        raise UsageError(f"{exc}; nothing was stored") from None
    added = photos.add(
        db, visit.id, args.view, args.after, prepared, f"{config.current_user()} (command line)"
    )
    timing = "after" if args.after else "before"
    return (
        f"Added {len(added)} photo(s) ({args.view}, {timing}) to the session of "
        f"{args.session.isoformat()} of patient {args.record_no}."
    )


def export_command(db: Database, args: argparse.Namespace) -> str:
    try:
        result = export_photos(db, args.record_no, args.out)
    except NotFound as exc:
        raise UsageError(str(exc)) from None
    for line in result.missing:
        print(f"needlelog photos: {line}", file=sys.stderr)
    return f"Wrote {len(result.written)} photo(s) of patient {args.record_no} to {args.out}"
