"""Compare whole databases: 'nothing was written' means every table is as it was."""

from __future__ import annotations

from sqlalchemy import text

from needlelog.store.database import Database
from needlelog.store.models import Base

# Stamps that differ between two runs made at different moments.
# Times, and the audit chain's hashes (computed over each event's time).
VOLATILE = {"created_at", "updated_at", "at", "prev_hash", "hash"}


def dump(db: Database, skip_volatile: bool = False) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c.name for c in table.columns if not (skip_volatile and c.name in VOLATILE)]
            rows = conn.execute(
                text(f"SELECT {', '.join(cols)} FROM {table.name} ORDER BY 1, 2")
            ).all()
            out[table.name] = [tuple(r) for r in rows]
        conn.rollback()
    return out
