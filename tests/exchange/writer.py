"""A second process that records sessions in a loop, printing each id once saved."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from needlelog.services import sessions
from needlelog.store.database import Database
from tests.factories import make_session


def main() -> None:
    db = Database(sys.argv[1])
    patient_id = int(sys.argv[2])
    base = datetime(2025, 1, 1, 8, 0)
    for i in range(1_000_000):
        saved = sessions.record(
            db, patient_id, make_session(performed_at=base + timedelta(minutes=i)), "writer"
        )
        print(saved.id, flush=True)


if __name__ == "__main__":
    main()
