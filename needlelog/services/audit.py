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
    if type(value) in _SCALARS:  # most values, and never an Enum: no need to look further
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
        if old != new:
            out[key] = [old, new]
    return out


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
            "changes": json.dumps(_plain(changes), ensure_ascii=False, sort_keys=True),
        },
    )


def events_for(session: Session, entity: str, entity_id: int) -> list[AuditEventRow]:
    stmt = (
        select(AuditEventRow)
        .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
        .order_by(AuditEventRow.id)
    )
    return list(session.scalars(stmt))
