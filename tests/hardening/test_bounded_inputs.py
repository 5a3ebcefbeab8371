"""Issue 13, point 4: every input is bounded.

The attacks: a 60-byte CSV with ``cheek_left:1e999999999`` in ``areas`` made the
import use 4.9 GB of memory and write 2 GB of error text; ``1e99999999999`` in
``needle_depth_mm`` ended in a MemoryError traceback; a message quoted a whole
huge cell.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from needlelog.domain.protocol import Protocol
from needlelog.domain.validation import BadNumber, depth_violations, parse_depth, parse_whole
from tests.cli_runner import ROOT
from tests.hardening.conftest import run

# The child reports its own peak memory, so the figure is the import's alone. VmHWM
# belongs to the child's own address space; getrusage's ru_maxrss would carry over the
# peak of the test process that started it (Linux keeps the larger at exec).
MEASURED = """
import re, sys
from needlelog.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    peak = re.search(r"^VmHWM:\\s+(\\d+) kB", status.read(), re.M).group(1)
print("maxrss_kb", peak, file=sys.stderr)
sys.exit(code)
"""
MEMORY_BUDGET_KB = 400 * 1024


def _import_measured(tmp_path: Path, sessions: str) -> tuple[int, str, int]:
    patients = tmp_path / "patients.csv"
    patients.write_text("record_no,family_name\nP-1,Smith\n", encoding="utf-8")
    cells = tmp_path / "sessions.csv"
    cells.write_text(sessions, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, "--db", str(tmp_path / "c.sqlite3"), "import",
         "--patients", str(patients), "--sessions", str(cells)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={"PYTHONPATH": str(ROOT), "NEEDLELOG_HOME": str(tmp_path / "home"), "PATH": ""},
    )  # fmt: skip
    *lines, last = done.stderr.splitlines()
    assert last.startswith("maxrss_kb "), done.stderr[-2000:]
    return done.returncode, "\n".join(lines), int(last.split()[1])


@pytest.mark.parametrize(
    "sessions",
    [
        "record_no,performed_on,practitioner,areas\nP-1,2026-01-05,A,cheek_left:1e999999999\n",
        "record_no,performed_on,practitioner,areas,needle_depth_mm\n"
        "P-1,2026-01-05,A,chin,1e99999999999\n",
    ],
    ids=["area-depth", "depth-column"],
)
def test_a_tiny_csv_with_a_huge_number_is_refused_in_bounded_memory(
    tmp_path: Path, sessions: str
) -> None:
    assert len(sessions.encode()) < 100
    code, err, maxrss_kb = _import_measured(tmp_path, sessions)
    assert code == 2
    assert "Traceback" not in err and "MemoryError" not in err
    assert len(err) < 600
    assert "is not a number in mm" in err
    assert maxrss_kb < MEMORY_BUDGET_KB


def test_messages_quote_only_an_excerpt_of_a_huge_cell(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "patients.csv").write_text(
        "record_no,family_name,fitzpatrick,date_of_birth\n"
        f"P-1,Smith,{'9' * 100_000},{'x' * 100_000}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--db", str(tmp_path / "c.sqlite3"), "import", "--patients",
                         str(tmp_path / "patients.csv"))  # fmt: skip
    assert code == 2 and out == ""
    assert "Fitzpatrick skin type '99999" in err and "(100,000 characters)" in err
    assert len(err) < 2_000


@pytest.mark.parametrize(
    "text", ["1e999999999", "1e-9", "NaN", "Infinity", "0.7500000001", "123", "0x1", "", " "]
)
def test_depths_are_read_only_in_their_short_form(text: str) -> None:
    with pytest.raises(BadNumber):
        parse_depth(text, "Chin")


@pytest.mark.parametrize("text", ["0.75", "1", "0,5", ".5", "0.750"])
def test_depths_in_their_short_form_are_read(text: str) -> None:
    assert Decimal("0.5") <= parse_depth(text, "Chin") <= 1


@pytest.mark.parametrize("text", ["0_3", "3.0", "1e3", "３", "3 ", "- 3", "9" * 5000])
def test_whole_numbers_only_in_their_exact_form(text: str) -> None:
    if text == "3 ":
        assert parse_whole(text, "pain") == 3  # surrounding spaces are no part of a number
        return
    with pytest.raises(BadNumber):
        parse_whole(text, "pain")


def test_a_huge_depth_from_json_or_a_form_is_named_without_its_digits() -> None:
    found = depth_violations("areas.0.depth_mm", "Chin", Decimal("1e999999999"), Protocol())
    assert len(found) == 1 and "out of range" in found[0].message
    assert len(found[0].message) < 200


def test_an_unknown_huge_record_number_is_quoted_in_part(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "patients.csv").write_text("record_no,family_name\nP-1,Smith\n", encoding="utf-8")
    (tmp_path / "sessions.csv").write_text(
        f"record_no,performed_on,practitioner,areas\n{'Q' * 100_000},2026-01-05,A,chin:0.5\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "--db", str(tmp_path / "c.sqlite3"), "import", "--patients",
                          str(tmp_path / "patients.csv"), "--sessions",
                          str(tmp_path / "sessions.csv"))  # fmt: skip
    assert code == 2
    assert "no patient with record number 'QQQQ" in err and "(100,000 characters)" in err
    assert len(err) < 1_000
