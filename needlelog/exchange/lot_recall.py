"""The list of patients who received a lot, as CSV for a manufacturer's recall."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from needlelog.exchange.csv_format import protect
from needlelog.exchange.files import atomic_path
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
    count = 0
    with atomic_path(out) as partial:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for use in uses:
                writer.writerow(cells(use))
                count += 1
    return count
