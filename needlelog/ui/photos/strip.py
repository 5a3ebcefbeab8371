"""The record's photographs: every session's photos as one strip of thumbnails.

Sessions run newest first, left to right, each opened by a card with its date;
thumbnails come from the photo store's thumbnail cache and are read only when
they scroll into view, off the GUI thread, so a history of sixty sessions opens
as fast as one. Photos the patient has not agreed to show in their report carry
a mark, and the strip says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from needlelog.ui import formatting as fmt
from needlelog.ui.photos.loading import PictureLoader

if TYPE_CHECKING:
    from needlelog.domain.photos import Photo

_Index = QModelIndex | QPersistentModelIndex
EntryRole = Qt.ItemDataRole.UserRole + 1
THUMB = 84  # drawn size of a thumbnail (the cache holds them larger)
CARD_WIDTH = 74
CAPTION_LINES = 2
NOT_IN_REPORT = QColor("#8c1d18")


@dataclass(frozen=True)
class SessionCard:
    """The card opening one session's photos."""

    session_id: int
    label: str  # the date as the history shows it
    count: int


Entry = SessionCard | Any  # a SessionCard or a Photo


def entries_for(photos: list[Photo]) -> list[Entry]:
    """Photos grouped by session, newest session first, views in the order given."""
    by_session: dict[int, list[Photo]] = {}
    dates: dict[int, Any] = {}
    for photo in photos:
        by_session.setdefault(photo.session_id, []).append(photo)
        dates[photo.session_id] = photo.performed_on
    out: list[Entry] = []
    for session_id in sorted(by_session, key=lambda s: (dates[s], s), reverse=True):
        group = by_session[session_id]
        out.append(SessionCard(session_id, fmt.day(dates[session_id]), len(group)))
        out.extend(group)
    return out


class StripModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.left_out = ""  # why the photos are not in the patient's report (empty: they are)

    def set_photos(self, photos: list[Photo], left_out: str) -> None:
        self.beginResetModel()
        self.entries = entries_for(photos)
        self.left_out = left_out
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == EntryRole:
            return entry
        if role == Qt.ItemDataRole.ToolTipRole:
            if isinstance(entry, SessionCard):
                return f"Session of {entry.label}: {entry.count} photo(s); double-click to add more"
            tip = f"{entry.view_label}, {entry.timing} treatment, {fmt.day(entry.performed_on)}"
            if self.left_out:
                tip += "\n" + self.left_out
            return tip
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if isinstance(entry, SessionCard):
                return f"Session of {entry.label}"
            return f"{entry.view_label} {entry.timing}"
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        entry = self.entries[index.row()]
        if isinstance(entry, SessionCard):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class StripDelegate(QStyledItemDelegate):
    """Paints a session card or a thumbnail; asks the loader for thumbnails it lacks."""

    def __init__(self, loader: PictureLoader, thumbnail: Callable[[Photo], Path]) -> None:
        super().__init__()
        self.loader = loader
        self.thumbnail = thumbnail
        self.left_out = False

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        line = option.fontMetrics.lineSpacing()
        height = THUMB + 8 + CAPTION_LINES * line
        entry = index.data(EntryRole)
        width = CARD_WIDTH if isinstance(entry, SessionCard) else THUMB + 8
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        entry = index.data(EntryRole)
        rect = QRect(option.rect)
        painter.save()
        if isinstance(entry, SessionCard):
            self._paint_card(painter, rect, entry, option)
        else:
            self._paint_photo(painter, rect, entry, option)
        painter.restore()

    def _paint_card(
        self, painter: QPainter, rect: QRect, card: SessionCard, option: QStyleOptionViewItem
    ) -> None:
        box = rect.adjusted(6, 4, -4, -4)
        painter.fillRect(box, QColor("#eef2f6"))
        painter.setPen(QPen(QColor("#9aa5b1"), 2))
        painter.drawLine(box.topLeft(), box.bottomLeft())
        painter.setPen(QColor("#2b3440"))
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            box.adjusted(6, 4, -2, -4),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
            card.label.replace(" ", "\n", 1),
        )

    def _paint_photo(
        self, painter: QPainter, rect: QRect, photo: Photo, option: QStyleOptionViewItem
    ) -> None:
        frame = QRect(rect.left() + 4, rect.top() + 4, THUMB, THUMB)
        key = ("thumb", photo.sha256)
        shown = self.loader.request(key, lambda: self.thumbnail(photo), 256)
        painter.fillRect(frame, QColor("#e6eaee"))
        if shown is not None:
            image = shown.image
            ratio = min(THUMB / image.width(), THUMB / image.height())
            w, h = int(image.width() * ratio), int(image.height() * ratio)
            target = QRect(frame.left() + (THUMB - w) // 2, frame.top() + (THUMB - h) // 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, image)
        elif self.loader.failure(key):
            painter.setPen(NOT_IN_REPORT)
            painter.drawText(
                frame.adjusted(4, 4, -4, -4),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                "Photo file missing",
            )
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(option.palette.highlight().color(), 3))
            painter.drawRect(frame.adjusted(1, 1, -1, -1))
        if self.left_out:  # a "no entry" mark: not in the patient's report (tooltip says why)
            badge = QRect(frame.right() - 20, frame.top() + 2, 18, 18)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setBrush(NOT_IN_REPORT)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(badge)
            painter.setPen(QColor("#ffffff"))
            painter.drawLine(
                badge.topLeft() + QPoint(4, 4),
                badge.bottomRight() - QPoint(4, 4),
            )
        painter.setPen(option.palette.text().color())
        caption = QRect(
            rect.left() + 2,
            frame.bottom() + 3,
            rect.width() - 4,
            rect.bottom() - frame.bottom() - 3,
        )
        text = f"{photo.view_label}\n{'after' if photo.after else 'before'}"
        elided = "\n".join(
            option.fontMetrics.elidedText(line, Qt.TextElideMode.ElideRight, caption.width())
            for line in text.split("\n")
        )
        painter.drawText(
            caption, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), elided
        )


class PhotoStrip(QListView):
    """One horizontal strip of every session's photos; double-click opens a comparison."""

    photo_activated = Signal(object)  # a Photo
    session_activated = Signal(int)  # a session's id: its card was double-clicked

    def __init__(self, thumbnail: Callable[[Photo], Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoStrip")
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.loader = PictureLoader(self)
        self.strip_model = StripModel()
        self.setModel(self.strip_model)
        self.delegate = StripDelegate(self.loader, thumbnail)
        self.setItemDelegate(self.delegate)
        self.loader.loaded.connect(lambda _key: self.viewport().update())
        self.loader.failed.connect(lambda _key, _m: self.viewport().update())
        # A double-click opens a photo's comparison or a card's session; Enter the chosen
        # photo's ("activated" fires for some of these and not others, so it is not used).
        self.doubleClicked.connect(self._open)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(
            THUMB + 8 + CAPTION_LINES * line + self.horizontalScrollBar().sizeHint().height() + 6
        )

    def set_photos(self, photos: list[Photo], left_out: str) -> None:
        self.loader.forget_waiting()
        self.delegate.left_out = bool(left_out)
        self.strip_model.set_photos(photos, left_out)
        self.scrollToTop()

    def _open(self, index: QModelIndex) -> None:
        entry = index.data(EntryRole)
        if isinstance(entry, SessionCard):
            self.session_activated.emit(entry.session_id)
        elif entry is not None:
            self.photo_activated.emit(entry)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def photo_count(self) -> int:
        return sum(1 for e in self.strip_model.entries if not isinstance(e, SessionCard))
