"""Blocks both documents use: a labelled field grid and the aftercare list."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from needlelog.reports import fonts
from needlelog.reports import styles as st


def field_grid(fields: Sequence[tuple[str, str]], columns: int = 4) -> Table:
    """Labels above values, ``columns`` fields to a row, on a light tint."""
    cells = [
        [st.para(label.upper(), st.LABEL), st.para(value, st.VALUE if columns > 2 else st.BODY)]
        for label, value in fields
    ]
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    spans = []
    if len(rows[-1]) < columns:
        # The last field takes the rest of its row rather than leaving a hole.
        last = len(rows[-1]) - 1
        spans.append(("SPAN", (last, len(rows) - 1), (columns - 1, len(rows) - 1)))
        while len(rows[-1]) < columns:
            rows[-1].append([st.para("", st.LABEL)])
    width = st.WIDTH / columns
    table = Table(rows, colWidths=[width] * columns)
    table.setStyle(
        TableStyle(
            [
                *spans,
                ("BACKGROUND", (0, 0), (-1, -1), st.TINT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2 * mm),
                ("LINEBELOW", (0, 0), (-1, -2), 0.5, "white"),
            ]
        )
    )
    return table


_BULLET = st.style("bullet", leftIndent=4 * mm, spaceAfter=2)


def aftercare_list(text: str) -> list[Flowable]:
    """The clinic's aftercare advice, one bullet per line."""
    lines = [line.strip().lstrip("-•*").strip() for line in text.splitlines() if line.strip()]
    return [st.para(fonts.markup(line), _BULLET, bulletText="•") for line in lines]
