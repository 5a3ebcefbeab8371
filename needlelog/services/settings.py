"""Clinic settings stored with the clinic's data: protocol, letterhead, aftercare."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update

from needlelog.domain.accounts import Permission
from needlelog.domain.consent import ConsentPolicy, consent_policy_violations
from needlelog.domain.document_text import (
    DEFAULT_AFTERCARE,
    DEFAULT_CLINIC_NAME,
    DEFAULT_CONFIDENTIALITY,
)
from needlelog.domain.errors import raise_if_any
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol, protocol_violations
from needlelog.services import access, audit
from needlelog.store.database import Database
from needlelog.store.tables import settings as _settings

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy.orm import Session

    # A Session or the Connection of a transaction: the protocol is read by every save
    # and every opened record. Settings are read and written with plain statements on
    # the settings table, the same in either.
    Executor: TypeAlias = Session | Connection


@dataclass(frozen=True)
class ClinicInfo:
    """The letterhead of reports and handouts."""

    name: str = DEFAULT_CLINIC_NAME
    address: str = ""
    phone: str = ""
    email: str = ""
    logo_path: str = ""
    confidentiality: str = DEFAULT_CONFIDENTIALITY


_VALUE = select(_settings.c.value).where(_settings.c.key == bindparam("key"))
_INSERT = insert(_settings)
_UPDATE = update(_settings).where(_settings.c.key == bindparam("row_key"))


def value_in(conn: Executor, key: str) -> Any | None:
    """The stored value of a setting (decoded JSON); None when the clinic never set it.
    The one reader of setting rows: other modules' settings are read through it."""
    text = conn.execute(_VALUE, {"key": key}).scalar()
    return None if text is None else json.loads(text)


@lru_cache(maxsize=8)
def _protocol_from(text: str) -> Protocol:
    return Protocol.from_json(json.loads(text))


def _put(conn: Executor, key: str, value: Any, actor: str) -> None:
    stored = conn.execute(_VALUE, {"key": key}).scalar()
    now = datetime.now(UTC).replace(tzinfo=None)
    text = json.dumps(value, ensure_ascii=False)
    if stored is None:
        conn.execute(_INSERT, {"key": key, "value": text, "updated_at": now})
    else:
        conn.execute(_UPDATE, {"row_key": key, "value": text, "updated_at": now})
    old = None if stored is None else json.loads(stored)
    audit.append(conn, actor, "setting", 0, "update", {key: [old, value]})


def put_in(conn: Executor, key: str, value: Any, actor: str) -> None:
    """Store a setting inside an open transaction (imports of a full record set)."""
    _put(conn, key, value, actor)


def stored_keys(conn: Executor) -> set[str]:
    return set(conn.execute(select(_settings.c.key)).scalars())


def all_values(conn: Executor) -> dict[str, Any]:
    """Every stored setting, for a full export."""
    rows = conn.execute(select(_settings.c.key, _settings.c.value))
    return {key: json.loads(value) for key, value in rows}


def protocol_in(conn: Executor) -> Protocol:
    text = conn.execute(_VALUE, {"key": "protocol"}).scalar()
    return DEFAULT_PROTOCOL if text is None else _protocol_from(text)


def get_protocol(db: Database) -> Protocol:
    with db.transaction() as conn:
        return protocol_in(conn)


def set_protocol(db: Database, protocol: Protocol, actor: str) -> None:
    """Store the clinic's protocol (audited), or refuse it with every reason."""
    access.require(db, Permission.CLINIC_SETTINGS)
    raise_if_any(protocol_violations(protocol))
    with db.transaction(write=True) as conn:
        _put(conn, "protocol", protocol.to_json(), actor)


CONSENT_POLICY_KEY = "consent_policy"


def consent_policy_in(conn: Executor) -> ConsentPolicy:
    """The clinic's consent setting (the gate on, valid for the course, by default)."""
    text = conn.execute(_VALUE, {"key": CONSENT_POLICY_KEY}).scalar()
    return ConsentPolicy.from_json(None if text is None else json.loads(text))


def get_consent_policy(db: Database) -> ConsentPolicy:
    with db.transaction() as conn:
        return consent_policy_in(conn)


def set_consent_policy(db: Database, policy: ConsentPolicy, actor: str) -> None:
    """Store the clinic's consent setting (audited), or refuse an unusable one."""
    access.require(db, Permission.CLINIC_SETTINGS)
    raise_if_any(consent_policy_violations(policy))
    with db.transaction(write=True) as conn:
        _put(conn, CONSENT_POLICY_KEY, policy.to_json(), actor)


def get_clinic(db: Database) -> ClinicInfo:
    with db.transaction() as conn:
        data = value_in(conn, "clinic") or {}
    known = {f.name for f in fields(ClinicInfo)}
    return ClinicInfo(**{k: v for k, v in data.items() if k in known})


def set_clinic(db: Database, info: ClinicInfo, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.transaction(write=True) as conn:
        _put(conn, "clinic", asdict(info), actor)


def get_aftercare(db: Database) -> str:
    with db.transaction() as conn:
        text = value_in(conn, "aftercare")
    return DEFAULT_AFTERCARE if not text else str(text)


def set_aftercare(db: Database, text: str, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.transaction(write=True) as conn:
        _put(conn, "aftercare", text.strip(), actor)


def set_clinic_and_aftercare(
    db: Database,
    info: ClinicInfo,
    aftercare: str,
    actor: str,
    protocol: Protocol | None = None,
) -> None:
    """Save the letterhead, the aftercare advice and (when given) the protocol
    together: all, or none. Only what changed is written and audited."""
    access.require(db, Permission.CLINIC_SETTINGS)
    if protocol is not None:
        raise_if_any(protocol_violations(protocol))
    with db.transaction(write=True) as conn:
        for key, value in (
            ("clinic", asdict(info)),
            ("aftercare", aftercare.strip()),
            ("protocol", None if protocol is None else protocol.to_json()),
        ):
            if value is not None and value_in(conn, key) != value:
                _put(conn, key, value, actor)


def get_value(db: Database, key: str, default: Any = None) -> Any:
    """A free-form setting (for example ``backup_keep`` or ``demo_data``)."""
    with db.transaction() as conn:
        value = value_in(conn, key)
    return default if value is None else value


def set_value(db: Database, key: str, value: Any, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.transaction(write=True) as conn:
        _put(conn, key, value, actor)
