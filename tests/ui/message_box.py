"""A stand-in for ``QMessageBox.exec`` that records each box and presses a button by its label."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QMessageBox


@dataclass(frozen=True)
class Seen:
    """A message box as the user would have read it."""

    title: str
    text: str
    informative: str
    buttons: tuple[str, ...]  # left to right as laid out is platform-dependent: sorted
    default: str
    escape: str


@dataclass
class Pressing:
    """Answers each box by pressing the button labelled with the next of ``labels``."""

    labels: list[str]
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, box: QMessageBox) -> int:
        default, escape = box.defaultButton(), box.escapeButton()
        self.seen.append(
            Seen(
                box.windowTitle(),
                box.text(),
                box.informativeText(),
                tuple(sorted(b.text() for b in box.buttons())),
                default.text() if default is not None else "",
                escape.text() if escape is not None else "",
            )
        )
        label = self.labels.pop(0)
        next(b for b in box.buttons() if b.text() == label).click()
        return box.result()
