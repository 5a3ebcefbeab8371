"""The list of patients who received a lot, as CSV for a manufacturer's recall."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from needlelog.exchange.csv_format import protect
from needlelog.exchange.files import write_private_csv
from needlelog.services.sessions import LotUse

COLUMNS = (
    "record_no",
    "family_name",
    "given_name",
    "phone",
    "email",
    "performed_on",
    "product",
    "lot",
    "expiry",
    "areas",
    "archived",
)


def cells(use: LotUse) -> list[str]:
    """One use as CSV cells: ISO dates, areas separated by ``;``, formulas made safe."""
    values = [
        use.record_no,
        use.family_name,
        use.given_name,
        use.phone,
        use.email,
        use.performed_at.date().isoformat(),
        use.product,
        use.lot,
        use.expiry.isoformat() if use.expiry else "",
        ";".join(use.areas),
        "yes" if use.archived else "no",
    ]
    out = [protect(v) for v in values]
    # A phone holds only digits, spaces and + ( ) . / - (checked when entered or
    # imported), so it cannot carry a formula; a leading quote would stop a dialler
    # or a text-message service from reading "+44 ...".
    out[COLUMNS.index("phone")] = use.phone
    return out


def write_csv(uses: Iterable[LotUse], out: Path) -> int:
    """Write the recall list to ``out`` (whole or not at all, readable only by its owner,
    as it holds health data); return the number of rows."""
    return write_private_csv(out, COLUMNS, (cells(use) for use in uses))
