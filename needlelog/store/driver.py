"""Statements run on the database driver's own connection.

The operations a practitioner repeats all day (a search keystroke, opening a
record, saving a session) each run a handful of small statements. Through a
SQLAlchemy ``Session`` every call also pays for the unit of work, the
connection's events and the result machinery: several times the database's
own work. Here SQLAlchemy still writes the SQL, once per statement and
dialect (text, parameter order, value conversions), so the statements stay
the same Core statements on SQLite and on a server; after that a call is the
driver's ``execute`` and a loop over the values that need converting.

``DriverConnection.execute`` answers like ``sqlalchemy.Connection.execute``
for the parts services use (``all``, ``first``, ``scalar``, ``scalar_one``,
``keys``, ``inserted_primary_key``), so the same service code runs on either.
Statements with IN-lists expanded at run time are refused: give them a
subquery instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

Convert = Callable[[Any], Any]
_REQUIRED = object()


@dataclass(frozen=True)
class _Plan:
    """One statement made ready for one dialect."""

    statement: Executable  # kept so its id() is not reused while the plan is cached
    sql: str
    positional: bool
    binds: tuple[tuple[str, Any, Convert | None], ...]  # name, value if not given, to driver
    convert_row: Callable[[Any], tuple[Any, ...]] | None  # driver values to Python's
    keys: tuple[str, ...]
    returns_pk: bool

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = []
        for name, default, convert in self.binds:
            value = params.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"the statement needs a value for {name!r}")
            values.append(value if convert is None or value is None else convert(value))
        if self.positional:
            return tuple(values)
        return {name: v for (name, _d, _c), v in zip(self.binds, values, strict=True)}

    def convert_rows(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        return rows if self.convert_row is None else list(map(self.convert_row, rows))


def _row_converter(width: int, converts: dict[int, Convert]) -> Callable[[Any], tuple[Any, ...]]:
    """One function that converts a whole row, written for the statement's columns: a
    long history converts thousands of rows, and a loop over columns per row was a
    third of opening it."""
    names = {f"convert{i}": fn for i, fn in converts.items()}
    parts = [
        f"(None if r[{i}] is None else convert{i}(r[{i}]))" if i in converts else f"r[{i}]"
        for i in range(width)
    ]
    return eval(f"lambda r: ({', '.join(parts)},)", names)


def _single_pk(stmt: Executable) -> Any | None:
    table = getattr(stmt, "table", None)
    if not isinstance(stmt, Insert) or not isinstance(table, Table):
        return None
    pk = list(table.primary_key.columns)
    return pk[0] if len(pk) == 1 and pk[0].autoincrement in (True, "auto") else None


def _make_plan(stmt: Executable, dialect: Dialect, many: bool) -> _Plan:
    pk = None if many or dialect.name == "sqlite" else _single_pk(stmt)
    compiled_stmt = stmt.returning(pk) if pk is not None else stmt  # type: ignore[attr-defined]
    compiled = compiled_stmt.compile(dialect=dialect)
    sql = compiled.string
    if "POSTCOMPILE" in sql:
        raise ValueError("statements with expanding IN-lists cannot be prepared once")
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    binds = []
    for name in names or ():
        param = compiled.binds[name]
        default = _REQUIRED if param.required else param.effective_value
        convert = param.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((name, default, convert))
    converts = {}
    keys: list[str] = []
    for i, column in enumerate(getattr(compiled_stmt, "exported_columns", ())):
        keys.append(column.key)
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None:
            converts[i] = convert
    convert_row = _row_converter(len(keys), converts) if converts else None
    return _Plan(
        stmt, sql, bool(compiled.positional), tuple(binds), convert_row, tuple(keys),
        pk is not None,
    )  # fmt: skip


_plans: dict[tuple[int, str, bool], _Plan] = {}
# Far more than the statements services build; a caller building a new statement per
# call would otherwise fill memory (and would gain nothing from preparing it).
MAX_PLANS = 2048


def plan_for(stmt: Executable, dialect: Dialect, many: bool = False) -> _Plan:
    """The plan of a statement, made on first use. Statements are meant to be built
    once (module constants, or cached per shape); each distinct one is kept."""
    key = (id(stmt), dialect.name, many)
    plan = _plans.get(key)
    if plan is None or plan.statement is not stmt:
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        plan = _plans[key] = _make_plan(stmt, dialect, many)
    return plan


class DriverResult:
    """The answer of one statement, with the parts of SQLAlchemy's ``Result`` in use."""

    __slots__ = ("_keys", "_rows", "inserted_primary_key")

    def __init__(
        self, keys: tuple[str, ...], rows: list[tuple[Any, ...]], inserted: tuple[Any, ...]
    ) -> None:
        self._keys = keys
        self._rows = rows
        self.inserted_primary_key = inserted

    def keys(self) -> list[str]:
        return list(self._keys)

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0][0]

    def __iter__(self) -> Any:
        return iter(self._rows)


_NO_ROWS: list[tuple[Any, ...]] = []
_NO_PARAMS: Mapping[str, Any] = {}


class DriverConnection:
    """Statements of one transaction on a driver connection (see ``Database.direct``)."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect
        self._cursor = connection.cursor()

    def execute(
        self,
        stmt: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> DriverResult:
        cursor = self._cursor
        if params is None:
            params = _NO_PARAMS
        elif isinstance(params, Sequence):  # several rows: one executemany
            if not params:
                return DriverResult((), _NO_ROWS, ())
            plan = plan_for(stmt, self.dialect, many=True)
            cursor.executemany(plan.sql, [plan.arguments(p) for p in params])
            return DriverResult(plan.keys, _NO_ROWS, ())
        plan = plan_for(stmt, self.dialect)
        cursor.execute(plan.sql, plan.arguments(params))
        if plan.returns_pk:
            return DriverResult((), _NO_ROWS, (cursor.fetchone()[0],))
        if cursor.description is None:  # no rows: an insert, update or delete
            return DriverResult((), _NO_ROWS, (getattr(cursor, "lastrowid", None),))
        return DriverResult(plan.keys, plan.convert_rows(cursor.fetchall()), ())

    def close(self) -> None:
        self._cursor.close()
