"""Write parsed patients and sessions through the services, all or nothing.

Every record goes through the same writers as a record typed in the app
(``patients.NewPatients``, ``sessions.batch_in``), so an import obeys exactly
the GUI's rules. All rows are tried inside ONE
write transaction and every problem is collected; if there is any, the
transaction is rolled back and ``ImportRefused`` lists them all. A dry run
(``commit=False``) does the same work and always rolls back.

Matching rules (docs/csv-format.md):
- a patient whose record number is already stored is matched, never
  duplicated nor changed; if the file's values differ, the stored record is
  kept and the difference is reported in the result;
- a session equal in patient, date-time and treated areas to a stored one
  (or to an earlier row of the same import) is skipped, so importing the
  same file twice adds nothing the second time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields

from sqlalchemy.orm import Session

from needlelog.domain.errors import InvalidRecord, Violation
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import PatientData, SessionData, TreatmentSession
from needlelog.domain.validation import excerpt, patient_violations, session_violations
from needlelog.exchange import collector
from needlelog.services import clock, patient_query, patients, session_query, sessions
from needlelog.services.errors import NotFound
from needlelog.services.settings import protocol_in, put_in, stored_keys
from needlelog.store.database import Database


def _needs_the_date(field: str) -> bool:
    """Rules judged against the session date, meaningless while the date is unreadable."""
    return field in {"performed_at", "next_due", "override_reason", "cautions_acknowledged"} or (
        field.startswith("products.") and field.endswith(".expiry")
    )


@dataclass(frozen=True)
class ImportProblem:
    """One problem: ``row_number`` is the data row (1 = first row below the header)."""

    file: str
    row_number: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.row_number is None else f"{self.file} row {self.row_number}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportRefused(ValueError):
    """Nothing was imported; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = tuple(problems)
        first = str(problems[0]) if problems else "nothing to import"
        more = len(problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


@dataclass
class ImportResult:
    patients_added: int = 0
    patients_matched: int = 0
    sessions_added: int = 0
    sessions_skipped: int = 0
    settings_added: int = 0
    photos_added: int = 0  # a JSON import's photographs (exchange.json_photos)
    photos_skipped: int = 0
    consents_added: int = 0  # a JSON import's consents (exchange.json_consents)
    consents_skipped: int = 0
    # "P-0001: stored record kept; the file differs in phone, email"
    notes: list[str] = field(default_factory=list)
    committed: bool = False

    def summary(self) -> str:
        verb = "Imported" if self.committed else "Would import"
        text = (
            f"{verb} {_count(self.patients_added, 'new patient')} and "
            f"{_count(self.sessions_added, 'session')}"
        )
        if self.patients_matched:
            text += f"; {_count(self.patients_matched, 'patient')} already present"
        if self.sessions_skipped:
            text += f"; {_count(self.sessions_skipped, 'session')} already present, skipped"
        if self.photos_added or self.photos_skipped:
            text += f"; {_count(self.photos_added, 'photo')}"
            if self.photos_skipped:
                text += f" ({self.photos_skipped:,} already present)"
        if self.consents_added or self.consents_skipped:
            text += f"; {_count(self.consents_added, 'consent')}"
            if self.consents_skipped:
                text += f" ({self.consents_skipped:,} already present)"
        return text + "."


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class PatientIn:
    row_number: int
    record_no: str
    data: PatientData | None  # None when a cell could not be read
    archived: bool = False
    problems: tuple[ImportProblem, ...] = ()
    # What could be read of a row with unreadable cells: still checked against the
    # rules, so one pass reports every problem of the row.
    partial: PatientData | None = None


@dataclass(frozen=True)
class SessionIn:
    row_number: int
    record_no: str
    data: SessionData | None
    problems: tuple[ImportProblem, ...] = ()
    partial: SessionData | None = None


# Where a rule's field lives in the files (dotted domain field -> column).
PATIENT_COLUMN = {"planned_sessions": "planned_sessions"}
SESSION_COLUMN = {
    "performed_at": "performed_on",
    "patient": "record_no",
    "products": "serums",
    "numbing": "numbing",
    "areas": "areas",
    "vss": "vss",
}


def column_for(violation_field: str, session: bool) -> str:
    head = violation_field.split(".")[0]
    if not session:
        return PATIENT_COLUMN.get(head, head)
    if head == "areas" and violation_field.endswith(".passes"):
        return "passes"
    if head == "vss" and "." in violation_field:
        return "vss_" + violation_field.split(".")[1]
    return SESSION_COLUMN.get(head, head)


def _problems(file: str, row: int, exc: InvalidRecord, session: bool) -> list[ImportProblem]:
    return [
        ImportProblem(file, row, column_for(v.field, session), _text(v.value), v.message)
        for v in exc.violations
    ]


def _more(
    file: str,
    row: int,
    known: tuple[ImportProblem, ...],
    found: list[Violation],
    session: bool,
) -> list[ImportProblem]:
    """Rule violations of a partly read row, except in cells already reported unreadable."""
    reported = {p.column for p in known}
    out = []
    for v in found:
        column = column_for(v.field, session)
        # The readable areas of a half-read cell are still checked one by one.
        per_area = column == "areas" and v.field.startswith("areas.")
        if column not in reported or per_area:
            out.append(ImportProblem(file, row, column, _text(v.value), v.message))
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _session_key(patient_id: int, data: SessionData) -> tuple:
    areas = frozenset((a.area.value, a.label.strip().casefold()) for a in data.areas)
    return (patient_id, data.performed_at, areas)


@dataclass(frozen=True)
class Written:
    """What the patients and sessions of an import became, for the records that follow
    them in the same transaction (a JSON import's photographs): nothing is committed yet."""

    session: Session
    patient_ids: dict[str, int]  # record number -> id, for the file's patients and sessions
    added: frozenset[int]  # the patients this import added (not matched)
    protocol: Protocol
    commit: bool  # False: a dry run (everything is rolled back)
    result: ImportResult

    def patient_id(self, record_no: str) -> int | None:
        if record_no in self.patient_ids:
            return self.patient_ids[record_no]
        try:
            return patient_query.by_record_no(self.session.connection(), record_no).id
        except NotFound:
            return None

    def session_id(self, patient_id: int, data: SessionData) -> int | None:
        """The stored session (added by this import or present before) equal to ``data``
        in patient, date-time and treated areas."""
        found = _stored_duplicate(self.session, _session_key(patient_id, data), self.protocol)
        return None if found is None else found.id


# Records written after the patients and sessions, in the same transaction; answers
# the problems that refuse the whole import.
Then = Callable[[Written], list[ImportProblem]]


# Sessions are written in batches of this many (one statement per table each).
_WRITE_EVERY = 1000


class _DryRun(Exception):
    pass


def load(
    db: Database,
    patient_rows: Iterable[PatientIn],
    session_rows: Iterable[SessionIn],
    actor: str,
    commit: bool,
    patients_file: str = "patients.csv",
    sessions_file: str = "sessions.csv",
    settings: dict[str, object] | None = None,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    then: Then | None = None,
) -> ImportResult:
    """Validate and write everything in one transaction; see the module's rules.
    ``then`` writes what follows the patients and sessions (a JSON import's photos)
    once they are all accepted, in the same transaction."""
    result = ImportResult()
    try:
        # An import keeps every record it has read until it ends (duplicates are
        # looked up among them): the collector would walk them again and again.
        with collector.paused(), db.write() as s:
            problems = _load_in(
                s,
                result,
                patient_rows,
                session_rows,
                actor,
                patients_file,
                sessions_file,
                settings or {},
                progress,
                total,
                commit,
                then,
            )
            if problems:
                raise ImportRefused(problems)
            if not commit:
                raise _DryRun()
    except _DryRun:
        return result
    result.committed = True
    return result


def _load_in(
    s: Session,
    result: ImportResult,
    patient_rows: Iterable[PatientIn],
    session_rows: Iterable[SessionIn],
    actor: str,
    patients_file: str,
    sessions_file: str,
    settings: dict[str, object],
    progress: Callable[[int, int], None] | None,
    total: int,
    commit: bool = True,
    then: Then | None = None,
) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    present = stored_keys(s)
    for key, value in settings.items():
        # A clinic's own settings are never overwritten by an import.
        if key not in present:
            put_in(s, key, value, actor)
            result.settings_added += 1
    protocol = protocol_in(s)
    today = clock.today()
    now = clock.local_now()
    imported_at = clock.utc_now()  # every session of this import is marked with it
    ids: dict[str, int] = {}
    seen_rows: dict[str, int] = {}
    to_archive: list[int] = []
    added_now: set[int] = set()
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and done % 200 == 0:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    # Patients refused below: their sessions are not reported again as orphans.
    refused: set[str] = set()
    new_patients = patients.NewPatients(s.connection(), actor, today)
    queued: list[tuple[str, bool]] = []  # (record number, archived) of each one added
    for row in patient_rows:
        tick()
        problems += row.problems
        if row.data is None:
            refused.add(row.record_no)
            if row.partial is not None:
                found = patient_violations(row.partial, today)
                problems += _more(patients_file, row.row_number, row.problems, found, False)
            continue
        record_no = row.data.record_no
        if record_no in seen_rows:
            problems.append(
                ImportProblem(
                    patients_file,
                    row.row_number,
                    "record_no",
                    record_no,
                    f"record number {excerpt(record_no)} is also on row {seen_rows[record_no]}; "
                    "allowed: each patient once",
                )
            )
            continue
        seen_rows[record_no] = row.row_number
        try:
            stored = patient_query.by_record_no(s.connection(), record_no)
        except NotFound:
            stored = None
        if stored is not None:
            ids[record_no] = stored.id
            result.patients_matched += 1
            differ = [
                f.name
                for f in fields(PatientData)
                if getattr(stored.data, f.name) != getattr(row.data, f.name)
            ]
            if differ:
                result.notes.append(
                    f"{record_no}: already present; the stored record is kept "
                    f"(the file differs in {', '.join(differ)})"
                )
            continue
        try:
            new_patients.add(row.data)
        except InvalidRecord as exc:
            problems += _problems(patients_file, row.row_number, exc, session=False)
            refused.add(record_no)
            continue
        queued.append((record_no, row.archived))
    for (record_no, archived), added in zip(queued, new_patients.flush(), strict=True):
        ids[record_no] = added
        added_now.add(added)  # no stored sessions to compare its sessions with
        result.patients_added += 1
        if archived:
            to_archive.append(added)

    keys: dict[tuple, tuple[int, SessionData]] = {}
    batch = sessions.batch_in(s, actor, now, protocol, imported_at=imported_at)
    for srow in session_rows:
        tick()
        problems += srow.problems
        patient_id = ids.get(srow.record_no)
        if patient_id is None and srow.record_no:
            with contextlib.suppress(NotFound):  # not stored either: reported just below
                patient_id = ids[srow.record_no] = patient_query.by_record_no(
                    s.connection(), srow.record_no
                ).id
        if patient_id is None:
            if srow.record_no not in refused:
                problems.append(
                    ImportProblem(
                        sessions_file,
                        srow.row_number,
                        "record_no",
                        srow.record_no,
                        f"no patient with record number {excerpt(srow.record_no)} in the database "
                        f"or in {patients_file}",
                    )
                )
            continue
        if srow.data is None:
            if srow.partial is not None:
                dob = patient_query.by_id(s.connection(), patient_id).data.date_of_birth
                found = session_violations(srow.partial, protocol, now.date(), dob, now)
                if any(p.column == "performed_on" for p in srow.problems):
                    found = [v for v in found if not _needs_the_date(v.field)]
                problems += _more(sessions_file, srow.row_number, srow.problems, found, True)
            continue
        key = _session_key(patient_id, srow.data)
        earlier = keys.get(key)
        stored = (
            None
            if earlier is not None or patient_id in added_now
            else _stored_duplicate(s, key, protocol)
        )
        if earlier is not None or stored is not None:
            result.sessions_skipped += 1
            other = earlier[1] if earlier is not None else stored.data  # type: ignore[union-attr]
            differ = _differing_columns(other, srow.data)
            if differ:
                where = f"row {earlier[0]} of {sessions_file}" if earlier else "the stored one"
                result.notes.append(
                    f"{sessions_file} row {srow.row_number}: skipped as already present "
                    f"({srow.record_no}, {srow.data.performed_at.isoformat(sep=' ')}), but it "
                    f"differs from {where} in {', '.join(differ)}"
                )
            continue
        keys[key] = (srow.row_number, srow.data)
        try:
            batch.add(patient_id, srow.data)
        except InvalidRecord as exc:
            problems += _problems(sessions_file, srow.row_number, exc, session=True)
            continue
        if len(batch) >= _WRITE_EVERY:
            batch.flush()
        result.sessions_added += 1

    if problems:
        return problems
    if progress is not None:  # last chance to cancel: the transaction is still open
        progress(done, total)
    batch.write_summaries()
    for patient_id in to_archive:
        patients.set_archived_in(s, patient_id, True, actor)
    if then is not None:
        s.flush()
        problems += then(Written(s, ids, frozenset(added_now), protocol, commit, result))
    return problems


def _stored_duplicate(s: Session, key: tuple, protocol: Protocol) -> TreatmentSession | None:
    """The stored session equal in patient, date-time and areas, if there is one."""
    patient_id, performed_at, _areas = key
    stored = session_query.performed_at(s.connection(), patient_id, performed_at, protocol)
    for found in stored:
        if _session_key(patient_id, found.data) == key:
            return found
    return None


def _comparable(data: SessionData, name: str) -> object:
    value = getattr(data, name)
    if name == "areas":  # the same areas in another order are the same session
        return sorted(
            ((a.area.value, a.label.strip().casefold(), a.depth_mm, a.passes, a.endpoint)
             for a in value),
            key=str,
        )  # fmt: skip
    if name in ("products", "screening", "indications"):
        return sorted(map(str, value))
    return value


def _differing_columns(stored: SessionData, incoming: SessionData) -> list[str]:
    """The columns in which a session skipped as already present differs from the kept one."""
    out: list[str] = []
    for f in fields(SessionData):
        if f.name == "next_due" and incoming.next_due is None:
            continue  # left empty, the app works it out from the course: not a difference
        if _comparable(stored, f.name) != _comparable(incoming, f.name):
            column = column_for(f.name, session=True)
            if column not in out:
                out.append(column)
    return out
