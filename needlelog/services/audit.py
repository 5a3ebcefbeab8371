"""The append-only audit trail written beside every change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, select

from needlelog.domain.chain import GENESIS, event_hash, without_identifying
from needlelog.store import bulk
from needlelog.store.tables import audit_events as _table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_SCALARS = frozenset((str, int, float, bool, type(None)))
# The field names of each record type met, in declaration order, looked up once.
_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``value`` as plain JSON values, as the audit trail stores it."""
    if type(value) in _SCALARS:  # most values, and never an Enum: no need to look further
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    try:
        return plain(_json_default(value))
    except TypeError:
        return value


_plain = plain  # the name other modules knew


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = plain(before.get(key)), plain(after.get(key))
        if old != new:
            out[key] = [old, new]
    return out


def created(after: dict[str, Any]) -> dict[str, list[Any]]:
    """What ``diff({}, after)`` answers, for a new record: every field with a value.
    Values are left as they are; ``append`` writes them as plain JSON."""
    return {key: [None, value] for key, value in after.items() if value is not None}


def _json_default(value: Any) -> Any:
    """One step towards plain JSON for a value the encoder cannot write itself (it
    writes str and int enums, lists, tuples and dicts on its own)."""
    names = _FIELDS.get(type(value))
    if names is not None:  # a record's child (area, product, answer): the most frequent
        return {k: getattr(value, k) for k in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        names = _FIELDS[type(value)] = tuple(value.__dataclass_fields__)
        return {k: getattr(value, k) for k in names}
    raise TypeError(f"{type(value).__name__} is not written to the audit trail")


def _as_json(entity: str, changes: dict[str, Any]) -> str:
    """The event's changes as stored: identifying values kept out (``domain.chain``),
    then plain JSON. Single and batched events go through here alike."""
    changes = without_identifying(entity, changes)
    try:
        return json.dumps(changes, ensure_ascii=False, sort_keys=True, default=_json_default)
    except TypeError:  # keys the encoder does not take: the slow, general way
        return json.dumps(plain(changes), ensure_ascii=False, sort_keys=True)


_LAST_HASH = select(_table.c.hash).order_by(_table.c.id.desc()).limit(1)


def append(
    session: Session | Connection,
    actor: str,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any],
    at: datetime | None = None,
    patient_id: int | None = None,
) -> None:
    """Append one event, chained to the last one. ``patient_id`` names whose record it
    concerns (for the patient's access log); a patient's own events default to it.
    Identifying values of a patient are kept out (``domain.chain``)."""
    # A plain insert: an event is never changed afterwards, so it needs no place in
    # the unit of work (and is written at once, in call order). The write transaction
    # holds the database's write lock, so no other event slips in between.
    conn = session if isinstance(session, Connection) else session.connection()
    append_many(conn, actor, [(entity, entity_id, action, changes, patient_id)], at)


def append_many(
    conn: Connection,
    actor: str,
    events: list[tuple[str, int, str, dict[str, Any], int | None]],
    at: datetime | None = None,
) -> None:
    """Append several events (entity, entity_id, action, changes, patient_id) in one
    statement, chained in list order exactly as ``append`` chains one event, with the
    same identifying values kept out."""
    if not events:
        return
    when = (at or datetime.now(UTC)).replace(tzinfo=None)
    prev = conn.execute(_LAST_HASH).scalar() or GENESIS
    rows = []
    for entity, entity_id, action, changes, patient_id in events:
        if patient_id is None and entity == "patient":
            patient_id = entity_id
        text = _as_json(entity, changes)
        digest = event_hash(prev, when, actor, entity, entity_id, action, text, patient_id)
        rows.append(
            {
                "at": when,
                "actor": actor,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "changes": text,
                "patient_id": patient_id,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    bulk.insert_many(conn, _table, rows)


def events_for(conn: Session | Connection, entity: str, entity_id: int) -> list[Row[Any]]:
    """The events of one entity, oldest first (rows with the audit table's columns)."""
    stmt = (
        select(_table)
        .where(_table.c.entity == entity, _table.c.entity_id == entity_id)
        .order_by(_table.c.id)
    )
    return list(conn.execute(stmt))


_CHAIN_BATCH = 5000
_CHAIN_PAGE = select(_table).where(_table.c.id > bindparam("last")).order_by(_table.c.id)


@dataclass(frozen=True)
class Break:
    """The first event of the trail that does not match its chain."""

    event_id: int
    at: datetime
    entity: str
    entity_id: int
    action: str
    what: str

    def __str__(self) -> str:
        return (
            f"audit event {self.event_id} ({self.action} of {self.entity} {self.entity_id} "
            f"at {self.at:%Y-%m-%d %H:%M:%S}) {self.what}"
        )


def verify_chain(conn: Connection) -> Break | None:
    """Walk the trail in order and answer the first event whose stored hashes do not
    match its content and the event before it (changed, removed or inserted outside
    the app), or None when the whole chain holds. Reads in batches: memory stays flat."""
    prev, last = GENESIS, 0
    while True:
        rows = conn.execute(_CHAIN_PAGE.limit(_CHAIN_BATCH), {"last": last}).all()
        if not rows:
            return None
        for row in rows:
            if row.prev_hash != prev:
                what = "does not follow the event before it (one was removed or changed)"
                return Break(row.id, row.at, row.entity, row.entity_id, row.action, what)
            digest = event_hash(
                prev, row.at, row.actor, row.entity, row.entity_id, row.action, row.changes,
                row.patient_id,
            )  # fmt: skip
            if digest != row.hash:
                what = "was changed after it was written (its content does not match its hash)"
                return Break(row.id, row.at, row.entity, row.entity_id, row.action, what)
            prev = row.hash
        last = rows[-1].id
