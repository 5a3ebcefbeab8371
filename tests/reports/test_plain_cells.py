"""Table cells set as plain strings must break their lines exactly where a
Paragraph of the same text would, or the report would look different."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as hs

from needlelog.reports import fonts
from needlelog.reports import styles as st

fonts.register()

WORDS = hs.sampled_from(
    ["Dr.", "Amelia", "Hart", "a", "Zoë", "Лефевр", "Νίκος", "slight", "flare,", "30 May", "—",
     "settled", "in", "3", "days.", "“quotes”", "Wednesday", "Abdomen", "0.95", "x"]
)  # fmt: skip
LINE = hs.lists(WORDS, min_size=1, max_size=12).map(" ".join)


def paragraph_lines(lines: list[str], width: float) -> list[str]:
    para = st.para("<br/>".join(fonts.markup(line) for line in lines), st.CELL)
    para.wrap(width, 10_000)
    out = []
    for line in para.blPara.lines:
        words = line[1] if isinstance(line, tuple) else [w.text for w in line.words]
        out.append(" ".join(w.strip() for w in words if w.strip()))
    return out


@settings(max_examples=300, deadline=None)
@given(lines=hs.lists(LINE, min_size=1, max_size=3), width=hs.floats(30, 160))
def test_plain_lines_break_where_a_paragraph_breaks_them(lines: list[str], width: float) -> None:
    fitted = st.fit_lines(lines, st.CELL, width)
    if fitted is None:  # left to a Paragraph: only when a single word is too wide
        assert any(st.fit_lines([w], st.CELL, width) is None for li in lines for w in li.split())
        return
    assert fitted.split("\n") == paragraph_lines(lines, width)


def test_text_a_paragraph_must_set_is_left_to_it() -> None:
    assert st.fit_lines(["王静"], st.CELL, 100) is None  # the CJK font
    assert st.fit_lines(["فاطمة"], st.CELL, 100) is None  # shaping
    assert st.fit_lines(["Supercalifragilistic"], st.CELL, 20) is None  # split inside a word
    assert st.fit_lines(["one", ""], st.CELL, 100) is None  # a blank line
    assert st.fit_lines(["no\xa0break"], st.CELL, 100) is None
    assert st.fit_lines(["Scar 3", "GAIS 2"], st.CELL, 100) == "Scar 3\nGAIS 2"


NAMES = hs.sampled_from(["Cheek (left)", "Forehead", "Upper lip / perioral", "Décolletage",
                         "Jawline (right) and the lower neck", "Шея", "x"])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    areas=hs.lists(hs.tuples(NAMES, hs.sampled_from(["0.50", "1.00", "2.50"])), min_size=1),
    width=hs.floats(30, 160),
)
def test_runs_are_used_only_where_a_paragraph_keeps_every_line_whole(
    areas: list[tuple[str, str]], width: float
) -> None:
    runs = [
        [(f"{name} ", fonts.BASE, st.INK), (depth, fonts.BOLD, st.INK)] for name, depth in areas
    ]
    cell = st.fit_runs(runs, st.CELL, width)
    para = st.para("<br/>".join(f"{n} <b>{d}</b>" for n, d in areas), st.CELL)
    _w, height = para.wrap(width, 10_000)
    if cell is not None:  # then the Paragraph has one line per area, the same height
        assert len(para.blPara.lines) == len(areas)
        assert cell.wrap(width, 10_000)[1] == height


def test_runs_leave_text_with_other_scripts_or_odd_spaces_to_a_paragraph() -> None:
    def cell(text: str) -> object:
        return st.fit_runs(
            [[(text, fonts.BASE, st.INK), ("0.50", fonts.BOLD, st.INK)]], st.CELL, 500
        )

    assert cell("Cheek ") is not None
    assert cell("王 ") is None
    assert cell("خد ") is None
    assert cell("Cheek  left ") is None
    assert cell("Cheek\xa0") is None


PRODUCTS = hs.sampled_from(["Vitamin C serum", "Hyaluronic acid serum", "PRP", "Exosomes 5%"])
LOTS = hs.sampled_from(["", "VC14387", "HA2136", "LOT-2026-0001-A", "7"])


@settings(max_examples=300, deadline=None)
@given(items=hs.lists(hs.tuples(PRODUCTS, LOTS), min_size=1, max_size=3), width=hs.floats(30, 160))
def test_coloured_runs_break_where_a_paragraph_breaks_them(
    items: list[tuple[str, str]], width: float
) -> None:
    runs = [[(name, st.INK), *([(f" lot {lot}", st.MUTED)] if lot else [])] for name, lot in items]
    cell = st.wrap_runs(runs, st.CELL, width)
    muted = st.css(st.MUTED)
    markup = "<br/>".join(
        name + (f' <font color="{muted}">lot {lot}</font>' if lot else "") for name, lot in items
    )
    if cell is None:  # left to a Paragraph: only when a single word is too wide
        assert any(
            st.fit_lines([w], st.CELL, width) is None
            for n, lot in items
            for w in f"{n} {lot}".split()
        )
        return
    drawn = [" ".join("".join(t for t, _f, _c in line).split()) for line in cell._lines]
    assert drawn == _lines_of(markup, width)


def _lines_of(markup: str, width: float) -> list[str]:
    para = st.para(markup, st.CELL)
    para.wrap(width, 10_000)
    out = []
    for line in para.blPara.lines:
        words = line[1] if isinstance(line, tuple) else [w.text for w in line.words]
        out.append(" ".join(" ".join(words).split()))
    return out
