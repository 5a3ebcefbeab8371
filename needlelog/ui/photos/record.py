"""The photographs part of the patient record: the strip, why photos are left out of
the report, and the ways to a session's photos and to the comparison. Which uses the
patient agreed to follows their photo consent, signed from the record's consent panel
(``ui.consent.record_panel``) just above."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from needlelog.ui.background import LatestOnly
from needlelog.ui.photos.strip import PhotoStrip

if TYPE_CHECKING:
    from needlelog.domain.photos import Photo, PhotoProtocol, PhotoUses
    from needlelog.domain.records import Patient, TreatmentSession
    from needlelog.services.photos import PhotoStore
    from needlelog.store.database import Database

NO_PHOTOS = "No photographs yet: open a session's photos to add the standard views."


class RecordPhotos(QWidget):
    """The record's photo strip with its buttons; reads the photos off the GUI thread."""

    photos_changed = Signal()
    read_failed = Signal(object)

    def __init__(
        self,
        chosen_session: Callable[[], TreatmentSession | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recordPhotos")
        self._chosen_session = chosen_session
        self.db: Database | None = None
        self.patient: Patient | None = None
        self.sessions: list[TreatmentSession] = []
        self.photos: list[Photo] = []
        self.uses: PhotoUses | None = None
        self.store: PhotoStore | None = None
        self.protocol: PhotoProtocol | None = None
        self._windows: list[QWidget] = []
        self._reads = LatestOnly(self)
        self._reads.answered.connect(self._show)
        self._reads.failed.connect(lambda exc, _t: self.read_failed.emit(exc))

        self.title = QLabel("Photographs")
        self.title.setStyleSheet("font-weight:600;")
        self.summary = QLabel()
        self.summary.setObjectName("photoSummary")
        self.summary.setStyleSheet("color:#5f6670;")
        # Wrapped: beside three buttons on a 1366-pixel screen it would be cut off, and
        # a minimum width that changed with each patient's photos made the window lay
        # the whole record out again (twice) every time a patient was opened.
        self.summary.setWordWrap(True)
        self.left_out = QLabel()
        self.left_out.setObjectName("photosLeftOut")
        self.left_out.setWordWrap(True)
        self.left_out.setStyleSheet("color:#8c1d18;")
        self.left_out.hide()
        self.session_button = QPushButton("Session photos…")
        self.session_button.setObjectName("sessionPhotosButton")
        self.session_button.setToolTip(
            "Add or look at the photos of the session chosen in the history (the latest if none)"
        )
        self.session_button.clicked.connect(lambda: self.open_session(None))
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setObjectName("comparePhotosButton")
        self.compare_button.setToolTip("The same view from two sessions, aligned")
        self.compare_button.clicked.connect(lambda: self.open_comparison(None))
        self.strip = PhotoStrip(self._thumbnail_path)
        self.strip.photo_activated.connect(self.open_comparison)
        self.strip.session_activated.connect(self._open_session_by_id)

        top = QHBoxLayout()
        top.addWidget(self.title, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.summary, 1)
        top.addWidget(self.session_button)
        top.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.left_out)
        layout.addWidget(self.strip)
        self.strip.hide()
        self.compare_button.setEnabled(False)

    # --- reading ----------------------------------------------------------------------
    def show_patient(
        self, db: Database | None, patient: Patient | None, sessions: list[TreatmentSession]
    ) -> None:
        changed = patient is None or self.patient is None or patient.id != self.patient.id
        self.db, self.patient, self.sessions = db, patient, list(sessions)
        self.session_button.setEnabled(bool(sessions) and patient is not None)
        if changed:
            self.strip.set_photos([], "")
            self.strip.hide()
            self.summary.setText("")
            self.left_out.hide()
            self.compare_button.setEnabled(False)
        if db is None or patient is None:
            self._reads.supersede()
            return
        self.reload()

    def reload(self) -> None:
        db, patient = self.db, self.patient
        if db is None or patient is None:
            return

        def work() -> tuple[int, list[Photo], PhotoUses, PhotoStore, PhotoProtocol]:
            from needlelog.services import photos

            return (
                patient.id,
                photos.for_patient(db, patient.id),
                photos.uses(db, patient.id),
                photos.photo_store(db),
                photos.photo_protocol(db),
            )

        self._reads.request(work)

    @property
    def pending(self) -> bool:
        return self._reads.pending

    def _show(self, result: object) -> None:
        from needlelog.domain.photos import PhotoUse

        patient_id, photos, uses, store, protocol = result  # type: ignore[misc]
        if self.patient is None or patient_id != self.patient.id:
            return
        self.photos, self.uses, self.store, self.protocol = photos, uses, store, protocol
        why = uses.why_not(PhotoUse.OWN_REPORT) if photos else ""
        self.left_out.setText(why)
        self.left_out.setVisible(bool(why))
        self.strip.set_photos(photos, why)
        self.strip.setVisible(bool(photos))
        sessions = len({p.session_id for p in photos})
        if photos:
            self.summary.setText(
                f"{len(photos)} photo{'s' if len(photos) != 1 else ''} from "
                f"{sessions} session{'s' if sessions != 1 else ''} · double-click one to compare"
            )
        else:
            self.summary.setText(NO_PHOTOS)
        self.compare_button.setEnabled(sessions >= 1)

    def _thumbnail_path(self, photo: Photo) -> Path:
        """Runs on a worker thread: the cached thumbnail, made again when missing."""
        from needlelog.services import photos

        db, store = self.db, self.store
        assert db is not None
        return photos.thumbnail(db, photo, store=store)

    # --- windows ----------------------------------------------------------------------
    def open_session(self, session: TreatmentSession | None) -> None:
        from needlelog.ui.photos.slots import SessionPhotosWindow

        session = session or self._chosen_session() or (self.sessions[0] if self.sessions else None)
        if session is None or self.db is None or self.patient is None:
            return
        window = SessionPhotosWindow(self.db, self.patient, session, self.window())
        window.photos_changed.connect(self._changed)
        self._keep(window)
        window.show()

    def _open_session_by_id(self, session_id: int) -> None:
        found = [s for s in self.sessions if s.id == session_id]
        if found:
            self.open_session(found[0])

    def open_comparison(self, photo: Photo | None) -> None:
        from needlelog.ui.photos.compare import ComparisonWindow

        if self.db is None or self.patient is None or self.uses is None or not self.photos:
            return
        window = ComparisonWindow(
            self.db,
            self.patient,
            self.photos,
            self.uses,
            self.store,
            photo,
            self.window(),
            protocol=self.protocol,
        )
        window.photos_changed.connect(self._changed)
        self._keep(window)
        window.show()

    def _changed(self) -> None:
        self.reload()
        self.photos_changed.emit()

    def _keep(self, window: QWidget) -> None:
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._windows.append(window)
        window.destroyed.connect(lambda _o=None, w=window: self._windows.remove(w))

    def open_windows(self) -> list[QWidget]:
        return list(self._windows)
