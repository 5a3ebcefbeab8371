"""How typed search text is understood: name words, record numbers, dates of birth."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_DATE_FORMS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$"), ("d", "m", "y")),
)
# The house style every view shows ("7 Mar 1984"), so a date can be typed as it is read.
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_NAMED_MONTH = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
TOKEN_MAX = 100
# Above this many candidate matches, walking the name-ordered index and testing
# each patient finds a page of matches sooner than collecting and sorting them
# all (measured at 100,000 patients: benchmarks/). Here, below the store, so the
# benchmark's plain-SQL limit uses the same threshold without importing SQLAlchemy.
DENSE = 4000


def fold(text: str) -> str:
    """Lower-case, accent-free form used to compare names ("Zoë" and "zoe" match)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_words(text: str) -> set[str]:
    """The folded words of a name, as stored in the search index."""
    cleaned = "".join(c if c.isalnum() else " " for c in fold(text))
    return {w[:TOKEN_MAX] for w in cleaned.split()}


def parse_date(text: str) -> date | None:
    """A date typed as 1984-03-07, 07.03.1984, 07/03/1984 (day first) or 7 Mar 1984."""
    named = _NAMED_MONTH.match(text.strip())
    if named:
        month = _MONTHS.get(named.group(2).casefold())
        if month is None:
            return None
        try:
            return date(int(named.group(3)), month, int(named.group(1)))
        except ValueError:
            return None
    for pattern, order in _DATE_FORMS:
        m = pattern.match(text.strip())
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class PatientQuery:
    text: str
    words: tuple[str, ...]
    birth_date: date | None

    @property
    def is_empty(self) -> bool:
        return not self.text


def parse_query(text: str) -> PatientQuery:
    text = text.strip()
    return PatientQuery(text, tuple(sorted(name_words(text))), parse_date(text))
