"""The due list as CSV, for a text-message service: who to remind and how to reach them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from needlelog.exchange.csv_format import protect
from needlelog.exchange.files import write_private_csv
from needlelog.services.schedule import DueEntry

COLUMNS = (
    "record_no",
    "given_name",
    "family_name",
    "phone",
    "email",
    "status",
    "next_due",
    "days_overdue",
    "last_contact",
    "last_contact_on",
)


def cells(entry: DueEntry) -> list[str]:
    """One patient as CSV cells: ISO dates, status and outcome as codes, formulas safe."""
    p, st, contact = entry.patient, entry.status, entry.last_contact
    values = [
        p.record_no,
        p.data.given_name,
        p.data.family_name,
        p.data.phone,
        p.data.email,
        st.state.value,
        st.next_due.isoformat() if st.next_due else "",
        str(st.days_overdue) if st.days_overdue else "",
        contact.outcome.value if contact else "",
        contact.contacted_on.isoformat() if contact else "",
    ]
    out = [protect(v) for v in values]
    # A phone holds only digits, spaces and + ( ) . / - (checked when entered or
    # imported), so it cannot carry a formula; a leading quote would stop a
    # text-message service from reading "+44 ...".
    out[COLUMNS.index("phone")] = p.data.phone
    return out


def write_csv(entries: Iterable[DueEntry], out: Path) -> int:
    """Write the list to ``out`` (whole or not at all, readable only by its owner, as it
    holds health data); return the number of rows."""
    return write_private_csv(out, COLUMNS, (cells(entry) for entry in entries))
