"""Turn a story of flowables into an A4 PDF with the house footer; write files atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from needlelog.reports import fonts, styles
from needlelog.store.files import check_output, make_private, output_error

# ReportLab keeps per-document subsetting state inside the shared font
# objects; one document at a time keeps two background reports apart.
_build_lock = threading.Lock()


def render(
    story: Sequence[Flowable],
    out: Path | BinaryIO,
    title: str,
    footer_left: str,
    footer_note: str,
    header: str = "",
) -> int:
    """Lay out ``story`` on A4 pages; return the number of pages."""
    fonts.register()
    target = str(out) if isinstance(out, Path) else out
    doc = BaseDocTemplate(
        target,
        pagesize=styles.PAGE,
        leftMargin=styles.MARGIN_X,
        rightMargin=styles.MARGIN_X,
        topMargin=styles.MARGIN_TOP,
        bottomMargin=styles.MARGIN_BOTTOM,
        title=title,
        author=footer_left,
        creator="needlelog",
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
    )  # fmt: skip
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(list(story), canvasmaker=styles.numbered_canvas(footer_left, footer_note, header))
    return int(doc.page)


def write_atomically(out: Path, build: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file in the same folder, then rename over ``out``:
    a failure half-way leaves no partial file behind."""
    out = Path(out)
    check_output(out)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as exc:
        raise output_error(exc, out) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            build(handle)
            handle.flush()
            os.fsync(handle.fileno())
        make_private(tmp)  # a patient's report is health data: its owner's alone
        check_output(out)
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise output_error(exc, out) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
