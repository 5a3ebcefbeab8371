"""Many rows into one table with one statement: how every batch of rows is written.

``Connection.execute(insert, rows)`` builds a fresh parameter dictionary for every
row before the driver sees it; for the rows of an import (1.8 million child rows and
audit events for 100,000 sessions) that bookkeeping cost more than the inserts. Here
the statement is compiled once per dialect, table and column set; each row's values
are taken by column name, converted by the columns' own types for that dialect
(dates and times on SQLite) and handed to the driver's ``executemany`` through the
same connection, so the transaction, its events and the translation of database
errors are those of every other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select


@dataclass(frozen=True)
class _Plan:
    sql: str
    order: tuple[str, ...]  # the columns in the order the statement takes them
    convert: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, the type's conversion)
    positional: bool
    # Columns the rows leave out that have a fixed default: filled in as a Core insert
    # fills them.
    defaults: dict[str, Any]


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def _plan(conn: Connection, table: Table, keys: tuple[str, ...]) -> _Plan:
    dialect = conn.dialect
    cache_key = (f"{dialect.name}+{dialect.driver}", table.name, keys)  # drivers differ in style
    found = _plans.get(cache_key)
    if found is not None:
        return found
    compiled = insert(table).values(dict.fromkeys(keys)).compile(dialect=dialect)
    order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.params)
    defaults: dict[str, Any] = {}
    for key in set(order) - set(keys):
        default = table.c[key].default
        if default is None or not default.is_scalar:
            raise ValueError(f"{table.name}.{key} has no fixed default; name it in every row")
        defaults[key] = default.arg  # type: ignore[attr-defined]
    convert = []
    for i, key in enumerate(order):
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            convert.append((i, process))
    plan = _Plan(compiled.string, order, tuple(convert), compiled.positional, defaults)
    _plans[cache_key] = plan
    return plan


def _column(values: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    return [None if v is None else process(v) for v in values]


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings of column name to value, all naming the same columns)
    into ``table`` in one statement; nothing when there are none."""
    if not rows:
        return
    plan = _plan(conn, table, tuple(rows[0]))
    if plan.defaults:
        rows = [{**plan.defaults, **r} for r in rows]
    params: list[Any]
    if plan.positional:
        take = itemgetter(*plan.order)
        params = [(take(r),) for r in rows] if len(plan.order) == 1 else [take(r) for r in rows]
        if plan.convert:  # column by column: most rows have no date, or the same few
            columns = list(zip(*params, strict=True))
            for i, process in plan.convert:
                columns[i] = _column(columns[i], process)  # type: ignore[call-overload]
            params = list(zip(*columns, strict=True))
    else:
        params = [dict(r) for r in rows]
        for i, process in plan.convert:
            key = plan.order[i]
            for row in params:
                if row[key] is not None:
                    row[key] = process(row[key])
    conn.exec_driver_sql(plan.sql, params)


def insert_many_numbered(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` into ``table`` (whose key is ``id``) and answer their new ids in
    the order given.

    On SQLite every write holds the database's write lock from its first statement
    (``BEGIN IMMEDIATE``), so the ids after the largest one stored are free and are
    the ones SQLite would choose: they are set on the rows, which then go in as one
    statement. A server numbers rows from its sequence: there they go in with
    ``RETURNING``, in the order given."""
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in conn.execute(stmt, list(rows)).scalars()]
    start = int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
    ids = list(range(start + 1, start + 1 + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_many(conn, table, rows)
    return ids
