"""A second needlelog process that saves sessions one after another, printing each id.

    python -m tests.faults.saver URL PATIENT_ID COUNT FIRST_DAY

Each id is printed (and flushed) only after ``sessions.record`` returned, so
every printed id is a save the user was told had succeeded.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from needlelog.services import sessions
from needlelog.store.migrate import open_database
from tests.factories import make_session

BASE = datetime(2020, 1, 6, 9, 0)


def main(url: str, patient_id: int, count: int, first_day: int) -> int:
    db = open_database(url)
    try:
        for i in range(count):
            data = make_session(performed_at=BASE + timedelta(days=first_day + i), next_due=None)
            saved = sessions.record(db, patient_id, data, "saver")
            print(saved.id, flush=True)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    url, pid, count, first = sys.argv[1:5]
    sys.exit(main(url, int(pid), int(count), int(first)))
