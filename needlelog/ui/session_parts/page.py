"""The sections on one scrolling page, with the numbered list of steps beside it:
click a step (or press Alt+number) to go there; the list follows the scrolling."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui.session_parts.section import FormSection


class SectionPage(QWidget):
    def __init__(self, sections: list[FormSection], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections = sections
        self.headings: list[QLabel] = []
        body = QHBoxLayout(self)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setFixedWidth(200)
        self.steps.itemClicked.connect(lambda item: self.go_to(self.steps.row(item)))
        body.addWidget(self.steps)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        content.setObjectName("formContent")
        content.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        column = QVBoxLayout(content)
        column.setContentsMargins(24, 4, 24, 24)
        column.setSpacing(8)
        for number, section in enumerate(sections, start=1):
            item = QListWidgetItem(f"{number}   {section.title}")
            item.setToolTip(f"Alt+{number}")
            self.steps.addItem(item)
            heading = QLabel(f"{number}. {section.title}")
            heading.setObjectName("sectionTitle")
            self.headings.append(heading)
            column.addWidget(heading)
            column.addWidget(section)
        column.addStretch(1)
        self.scroll.setWidget(content)
        self.scroll.verticalScrollBar().valueChanged.connect(self._track)
        body.addWidget(self.scroll, 1)
        self.steps.setCurrentRow(0)

    def relink_tab_order(self, after: list[QWidget]) -> None:
        """Rows come and go; keep Tab moving down the page in the order it reads, then
        on to ``after`` (the form's buttons)."""
        chain = [w for s in self.sections for w in s.focus_widgets()]
        for before, following in itertools.pairwise([*chain, *after]):
            QWidget.setTabOrder(before, following)

    def focus_first(self) -> None:
        self.sections[0].first_field().setFocus(Qt.FocusReason.TabFocusReason)

    def bring_into_view(self, widget: QWidget, x_margin: int = 50, y_margin: int = 50) -> None:
        """Scroll ``widget`` into view once the layout has placed what just appeared."""
        QTimer.singleShot(
            0, self, lambda: self.scroll.ensureWidgetVisible(widget, x_margin, y_margin)
        )

    def go_to(self, index: int) -> None:
        """Scroll a section to the top and put the keyboard in its first field."""
        self.scroll.verticalScrollBar().setValue(self.headings[index].y())
        self.sections[index].first_field().setFocus(Qt.FocusReason.ShortcutFocusReason)
        # Near the end the last sections cannot reach the top: show the one asked for.
        self._show_step(index)

    def _track(self, value: int) -> None:
        current = 0
        for i, heading in enumerate(self.headings):
            if heading.y() <= value + 40:
                current = i
        bar = self.scroll.verticalScrollBar()
        if value >= bar.maximum() and bar.maximum() > 0:
            current = len(self.headings) - 1
        self._show_step(current)

    def _show_step(self, index: int) -> None:
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(index)
        self.steps.blockSignals(False)
