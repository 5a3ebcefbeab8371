"""The append-only audit trail written beside every change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.orm import Session

from needlelog.store.models import AuditEventRow

_SCALARS = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> Any:
    """``value`` as plain JSON values, as the audit trail stores it."""
    if type(value) in _SCALARS:  # most values, and never an Enum: no need to look further
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    try:
        return _plain(_json_default(value))
    except TypeError:
        return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
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
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"{type(value).__name__} is not written to the audit trail")


def _as_json(changes: dict[str, Any]) -> str:
    try:
        return json.dumps(changes, ensure_ascii=False, sort_keys=True, default=_json_default)
    except TypeError:  # keys the encoder does not take: the slow, general way
        return json.dumps(_plain(changes), ensure_ascii=False, sort_keys=True)


_INSERT = insert(AuditEventRow.__table__).values(
    {c.key: bindparam(c.key) for c in AuditEventRow.__table__.columns if c.key != "id"}
)


def append(
    session: Session | Connection,
    actor: str,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any],
    at: datetime | None = None,
) -> None:
    # A plain insert: an event is never changed afterwards, so it needs no place in
    # the unit of work (and is written at once, in call order).
    session.execute(
        _INSERT,
        {
            "at": (at or datetime.now(UTC)).replace(tzinfo=None),
            "actor": actor,
            "entity": entity,
            "entity_id": entity_id,
            "action": action,
            "changes": _as_json(changes),
        },
    )


def append_many(
    conn: Connection,
    actor: str,
    events: list[tuple[str, int, str, dict[str, Any]]],
    at: datetime | None = None,
) -> None:
    """Append several events (entity, entity_id, action, changes) in one statement."""
    if not events:
        return
    when = (at or datetime.now(UTC)).replace(tzinfo=None)
    conn.execute(
        _INSERT,
        [
            {
                "at": when,
                "actor": actor,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "changes": _as_json(changes),
            }
            for entity, entity_id, action, changes in events
        ],
    )


def events_for(session: Session, entity: str, entity_id: int) -> list[AuditEventRow]:
    stmt = (
        select(AuditEventRow)
        .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
        .order_by(AuditEventRow.id)
    )
    return list(session.scalars(stmt))
