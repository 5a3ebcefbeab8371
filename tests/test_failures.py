"""Failures nobody foresaw end in one sentence naming the log; the trace is in the log.

The command line's side, with a broken installation: the report's font taken
away, or damaged. (The window's side is tests/ui/test_failures.py.)
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from needlelog import cli, failures
from needlelog.reports import fonts


@pytest.fixture
def clinic(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert cli.main(["--db", str(db_path), "demo", "--patients", "2"]) == 0
    capsys.readouterr()
    return db_path


@pytest.fixture
def fonts_unregistered(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: the report registers its fonts from the files."""
    monkeypatch.setattr(fonts, "_loaded", set())
    monkeypatch.setattr(fonts, "_families", False)


def _report(clinic: Path, out: Path) -> int:
    return cli.main(["--db", str(clinic), "report", "DEMO-000001", "--out", str(out)])


def test_a_missing_font_ends_in_one_sentence_naming_the_log(
    clinic: Path,
    resource_copy: Path,
    fonts_unregistered: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (resource_copy / "fonts" / "DejaVuSans.ttf").unlink()
    out = tmp_path / "report.pdf"

    assert _report(clinic, out) == 1

    captured = capsys.readouterr()
    log = failures.log_path()
    assert captured.out == ""
    assert captured.err == (
        "needlelog report: error: needlelog is not completely installed: "
        f"fonts/DejaVuSans.ttf is missing from {resource_copy} (reinstall needlelog); "
        f"the details are in {log}\n"
    )
    assert not out.exists()
    text = log.read_text("utf-8")
    assert "needlelog report failed" in text
    assert "Traceback (most recent call last)" in text
    assert "in register" in text  # the trace reaches the font registration
    assert "ResourceError: needlelog is not completely installed" in text


def test_a_damaged_font_ends_in_one_sentence_and_the_trace_in_the_log(
    clinic: Path,
    resource_copy: Path,
    fonts_unregistered: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (resource_copy / "fonts" / "DejaVuSans-Bold.ttf").write_bytes(b"not a font" * 100)
    out = tmp_path / "report.pdf"

    assert _report(clinic, out) == 1

    err = capsys.readouterr().err
    log = failures.log_path()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        "needlelog report: error: needlelog's installation is damaged: "
        "fonts/DejaVuSans-Bold.ttf cannot be read (Not a recognized TrueType font"
    )
    assert err.endswith(f"(reinstall needlelog); the details are in {log}\n")
    assert "reportlab.pdfbase.ttfonts.TTFError" in log.read_text("utf-8")
    assert not out.exists()


def test_the_log_is_private_and_keeps_every_failure(
    clinic: Path,
    resource_copy: Path,
    fonts_unregistered: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (resource_copy / "fonts" / "DejaVuSans.ttf").unlink()
    assert _report(clinic, tmp_path / "a.pdf") == 1
    assert _report(clinic, tmp_path / "b.pdf") == 1
    log = failures.log_path()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert log.read_text("utf-8").count("needlelog report failed") == 2


def test_a_log_that_cannot_be_written_is_said_in_the_same_sentence(
    clinic: Path,
    resource_copy: Path,
    fonts_unregistered: None,
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (resource_copy / "fonts" / "DejaVuSans.ttf").unlink()
    isolated_home.mkdir(exist_ok=True)
    (isolated_home / "logs").write_text("a file where the logs folder belongs")

    assert _report(clinic, tmp_path / "r.pdf") == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"; the details could not be written to {failures.log_path()} (" in err


def test_an_unexpected_error_in_any_command_is_one_sentence(
    clinic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from needlelog.services import check

    def broken(_db: object) -> object:
        raise KeyError("patients")

    monkeypatch.setattr(check, "run", broken)
    assert cli.main(["--db", str(clinic), "check"]) == 1
    log = failures.log_path()
    assert capsys.readouterr().err == (
        "needlelog check: error: an unexpected error stopped it (KeyError: 'patients'); "
        f"the details are in {log}\n"
    )
    assert "needlelog check failed" in log.read_text("utf-8")


def test_refusals_of_bad_input_are_not_logged(
    clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", str(clinic), "report", "NOPE-1", "--out", str(tmp_path / "r.pdf")])
    assert capsys.readouterr().err == (
        "needlelog report: error: no patient with record number NOPE-1\n"
    )
    assert not failures.log_path().exists()


def test_ctrl_c_is_one_line_too(
    clinic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from needlelog.services import check

    def interrupted(_db: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(check, "run", interrupted)
    assert cli.main(["--db", str(clinic), "check"]) == 1
    assert capsys.readouterr().err == "needlelog check: stopped (Ctrl+C)\n"


def test_a_window_that_cannot_start_is_one_sentence_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from needlelog.ui import app

    def no_qt(_url: str) -> int:
        raise ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(app, "run_app", no_qt)
    assert cli.main([]) == 1
    log = failures.log_path()
    assert capsys.readouterr().err == (
        "needlelog: error: an unexpected error stopped it (ImportError: libEGL.so.1: cannot "
        f"open shared object file: No such file or directory); the details are in {log}\n"
    )
    assert "needlelog failed" in log.read_text("utf-8")
