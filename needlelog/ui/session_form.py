"""The session form: log or correct one treatment session, in the order it happens.

The form is a shell over its sections (``ui.session_parts``): it puts them on one
page, starts them from the stored or the previous session, asks each for its
values, and saves off the GUI thread. Every rule (depth range, screening, dates,
scores) is judged by the domain and the services; the form only shows their
verdict next to the field concerned.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLayout, QVBoxLayout, QWidget

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.records import SessionData, TreatmentSession
from needlelog.services import access, consents, sessions
from needlelog.services.errors import ConsentRequired, NotFound
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.ui import formatting as fmt
from needlelog.ui.background import WAITING_TEXT, LatestOnly, OneAtATime, TaskControl, run_task
from needlelog.ui.failures import show_failure
from needlelog.ui.form_widgets import FieldError, confirm_discard, sentence
from needlelog.ui.session_parts.aftercare import AftercareSection
from needlelog.ui.session_parts.assessment import AssessmentSection
from needlelog.ui.session_parts.banner import ErrorBanner
from needlelog.ui.session_parts.consent import ConsentGate
from needlelog.ui.session_parts.context import SessionFormContext, load_stored
from needlelog.ui.session_parts.footer import FormFooter
from needlelog.ui.session_parts.header import SessionHeader
from needlelog.ui.session_parts.page import SectionPage
from needlelog.ui.session_parts.preparation import PreparationSection
from needlelog.ui.session_parts.products import ProductsSection
from needlelog.ui.session_parts.reactions import ReactionsSection
from needlelog.ui.session_parts.screening import ScreeningSection
from needlelog.ui.session_parts.section import FormSection
from needlelog.ui.session_parts.style import STYLE
from needlelog.ui.session_parts.treatment import TreatmentSection

MINIMUM_SIZE = QSize(820, 560)
# The form's own size, and what a window frame (title bar, borders) adds around it.
PREFERRED_SIZE = QSize(1040, 820)
FRAME_ALLOWANCE = QSize(16, 40)


def fitted_size(available: QRect) -> QSize:
    """The form's first size: its preferred size, shrunk to the screen's free area (a
    1366x768 laptop has about 728 pixels below its task bar), so the section list and
    the Save button are on screen from the start. Never below the form's minimum."""
    return QSize(
        max(
            MINIMUM_SIZE.width(),
            min(PREFERRED_SIZE.width(), available.width() - FRAME_ALLOWANCE.width()),
        ),
        max(
            MINIMUM_SIZE.height(),
            min(PREFERRED_SIZE.height(), available.height() - FRAME_ALLOWANCE.height()),
        ),
    )


class SessionForm(QDialog):
    """Log a new session or correct a stored one (``context.session``)."""

    saved = Signal(object)

    def __init__(
        self,
        db: Database,
        context: SessionFormContext,
        parent: QWidget | None = None,
        *,
        amend_reason: str = "",
    ) -> None:
        """``amend_reason``: why a stored session is amended (asked by the window before
        a past session opens); it goes with the amendment into the audit trail."""
        super().__init__(parent)
        self._db = db
        self.amend_reason = amend_reason
        self._patient = context.patient
        self._session = context.session
        self._previous = context.previous
        self._loading = False
        self._saves = OneAtATime(self)
        p = context.protocol
        self.screening = ScreeningSection(p, self._patient.data.contraindications)
        self.preparation = PreparationSection()
        self.treatment = TreatmentSection(p, context.known_practitioners)
        self.products = ProductsSection(context.known_products)
        self.reactions = ReactionsSection()
        self.assessment = AssessmentSection()
        self.aftercare = AftercareSection(p)
        self.sections = [
            self.screening,
            self.preparation,
            self.treatment,
            self.products,
            self.reactions,
            self.assessment,
            self.aftercare,
        ]
        self.screening.changed.connect(self._judge_screening)
        self.products.changed.connect(self._judge_screening)
        self._lots = LatestOnly(self)
        self._lots.answered.connect(lambda answer: answer[0].offer_lots(answer[1]))
        self.products.lots_wanted.connect(self._want_lots)
        self.treatment.date_changed.connect(self._date_changed)
        self.treatment.rows_changed.connect(self._relink_tab_order)
        self.products.rows_changed.connect(self._relink_tab_order)
        self.assessment.show_wanted.connect(lambda w: self.page.bring_into_view(w))
        # The next due date follows the session's date: asked for off the GUI thread.
        self._saves.waiting.connect(self._waiting)
        self._saves.ended.connect(self._save_ended)
        self._dues = LatestOnly(self)
        self._dues.answered.connect(self.aftercare.suggest)
        # Whether a treatment consent covers the session's date, asked again when it moves.
        self.consent_gate = ConsentGate()
        self.consent_gate.sign_wanted.connect(self.sign_consent)
        self.consent_gate.reason_wanted.connect(self.save_with_reason)
        self._consents = LatestOnly(self)
        self._consents.answered.connect(self.consent_gate.set_status)
        self._consents.failed.connect(lambda _exc, _trace: self.consent_gate.set_status(None))
        self._save_after_consent = False

        self.setObjectName("sessionForm")
        self.setStyleSheet(STYLE)
        name = self._patient.full_name
        when = fmt.day(self._session.data.performed_at) if self._session else ""
        self.setWindowTitle(f"Session of {when} — {name}" if when else f"New session — {name}")
        self.setSizeGripEnabled(True)
        self.resize(fitted_size(self.screen().availableGeometry()))
        root = QVBoxLayout(self)
        # The scroll area absorbs rows that come and go; the window's size is the user's.
        root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(MINIMUM_SIZE)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.header = SessionHeader(self._patient, self._session is not None, self._previous)
        root.addWidget(self.header)
        self.banner = ErrorBanner()
        self.banner.reload_button.clicked.connect(self.reload)
        root.addWidget(self.banner)
        gate_box = QVBoxLayout()
        gate_box.setContentsMargins(24, 8, 24, 0)
        gate_box.addWidget(self.consent_gate)
        root.addLayout(gate_box)
        self.page = SectionPage(self.sections)
        self.scroll = self.page.scroll
        root.addWidget(self.page, 1)
        self.footer = FormFooter()
        self.footer.cancel_button.clicked.connect(self.reject)
        self.footer.save_button.clicked.connect(self.save)
        root.addWidget(self.footer)
        QShortcut(QKeySequence.StandardKey.Save, self).activated.connect(self.save)
        for index in range(len(self.sections)):
            jump = QShortcut(QKeySequence(f"Alt+{index + 1}"), self)
            jump.activated.connect(lambda i=index: self.page.go_to(i))
        self.footer.sign_button.clicked.connect(self.sign)
        self.footer.addendum_button.clicked.connect(self.add_addendum)
        self._fill(context.default_due)
        if self._session is None:
            self.consent_gate.set_status(context.consent)
        self._baseline = self.collect()
        self._show_standing()
        # The first field of a session is the screening; start the keyboard there.
        QTimer.singleShot(0, self, self.page.focus_first)

    # ---- signing ----------------------------------------------------------

    @property
    def locked(self) -> bool:
        """A signed session: shown read only, corrected only by an addendum."""
        return self._session is not None and self._session.signed

    def _show_standing(self) -> None:
        session = self._session
        if session is None:
            return
        if session.signature is not None:
            self.header.title.setText(f"Signed session (read only)  ·  {self._patient.full_name}")
            self.page.scroll.widget().setEnabled(False)
            self.footer.show_signed(session.signature.line)
        else:
            self.footer.sign_button.show()
            self.footer.sign_button.setEnabled(self._may_sign())

    def _may_sign(self) -> bool:
        """Whether the one working now may sign (read from the process, not the database:
        no wait on the GUI thread); the services refuse anyway."""
        account = access.current()
        if account is None or account.may(Permission.SIGN_SESSION):
            return True
        self.footer.sign_button.setToolTip(
            f"{account.display_name or account.name} works as {account.role.value}: "
            "a practitioner reviews and co-signs this draft"
        )
        return False

    def sign(self) -> None:
        """Sign the session as stored (asked first); refused while edits are unsaved."""
        from PySide6.QtWidgets import QMessageBox

        from needlelog.ui.signer import current_signer

        session = self._session
        if session is None or session.signed or self._saves.running:
            return
        if self.is_dirty():
            self.banner.say("Save your changes first: a signature seals the session as stored.")
            return
        signer = current_signer(session)
        answer = QMessageBox.question(
            self,
            "Sign the session",
            f"Sign the session of {fmt.day(session.data.performed_at)} as {signer.name} "
            f"({signer.role})?\nOnce signed it cannot be changed; corrections are addenda.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        db = self._db

        def work(_control: TaskControl) -> TreatmentSession:
            return sessions.sign(db, session.id, session.version, signer)

        self.footer.sign_button.setEnabled(False)
        self._saves.start(work, self._signed, self._save_refused)

    def _signed(self, stored: TreatmentSession) -> None:
        self._session = stored
        self._show_standing()
        self.saved.emit(stored)

    def add_addendum(self) -> None:
        """Write an addendum beside the signed session (off the GUI thread)."""
        from needlelog.ui.session_parts.addendum import AddendumDialog
        from needlelog.ui.signer import current_signer

        session = self._session
        if session is None or not session.signed or self._saves.running:
            return
        dialog = AddendumDialog(fmt.day(session.data.performed_at), self)
        self._addendum_dialog = dialog
        dialog.accepted.connect(
            lambda: self._write_addendum(dialog.values(), current_signer(session))
        )
        dialog.open()

    def _write_addendum(self, values: tuple[str, str, dict[str, str]], author: object) -> None:
        session, db = self._session, self._db
        assert session is not None
        text, reason, corrections = values

        def work(_control: TaskControl) -> TreatmentSession:
            return sessions.add_addendum(db, session.id, author, text, reason, corrections)  # type: ignore[arg-type]

        self._saves.start(work, self._addendum_written, self._save_refused)

    def _addendum_written(self, stored: TreatmentSession) -> None:
        self._session = stored
        self.banner.clear()
        self.saved.emit(stored)
        self.accept()

    # ---- filling and keeping the sections in step ---------------------------

    def _fill(self, default_due: date | None) -> None:
        """Start from the stored session, or from the patient's previous one."""
        self._loading = True
        try:
            if self._session is not None:
                for section in self.sections:
                    section.load(self._session.data)
                self.consent_gate.load(self._session.data)
            else:
                previous = self._previous.data if self._previous is not None else None
                for section in self.sections:
                    section.start_new(previous)
                self.consent_gate.start_new()
            if default_due is not None:
                self.aftercare.suggest(default_due)
        finally:
            self._loading = False
        self._judge_screening()
        self._relink_tab_order()

    def _date_changed(self) -> None:
        if self._loading:
            return
        self._judge_screening()
        if self._session is None:
            db, patient_id, on = self._db, self._patient.id, self.treatment.when().date()
            self._consents.request(lambda: consents.treatment_status(db, patient_id, on))
        if self.aftercare.due_follows_date:
            db, patient_id, on = self._db, self._patient.id, self.treatment.when().date()
            self._dues.request(lambda: sessions.default_next_due(db, patient_id, on))

    def _judge_screening(self) -> None:
        """Block saving while the screening rules are not met, and say why."""
        if self._loading:
            return
        problems = [sentence(p.message) for p in self.screening.judge(self.treatment.when())]
        problems += [message for _row, message in self.products.unconfirmed()]
        self.footer.save_button.setEnabled(not problems and not self._saves.running)
        self.footer.show_blocked(problems)

    def _want_lots(self, row: object, name: str) -> None:
        db = self._db
        self._lots.request(lambda: (row, sessions.recent_lots(db, name)))

    def _relink_tab_order(self) -> None:
        self.page.relink_tab_order([self.footer.cancel_button, self.footer.save_button])

    # ---- reading ------------------------------------------------------------

    @property
    def parts(self) -> list[FormSection | ConsentGate]:
        """Everything that gives the session a field: the sections and the consent line."""
        return [*self.sections, self.consent_gate]

    def collect(self) -> SessionData:
        """What the form says, as a session record (judged only when saved)."""
        values = {k: v for s in self.parts for k, v in s.values().items()}
        if self.aftercare.due_follows_date and self._dues.pending:
            values["next_due"] = None  # the services fill in the same default
        return SessionData(**values)

    def is_dirty(self) -> bool:
        return self.collect() != self._baseline

    def error_label(self, field: str) -> FieldError | None:
        """Where a rule message about ``field`` is shown, in whichever section has it."""
        return next(
            (label for s in self.sections if (label := s.label_for(field)) is not None), None
        )

    # ---- saving -----------------------------------------------------------

    @property
    def saving(self) -> bool:
        """Whether a save is on its way to the database."""
        return self._saves.running

    def save(self) -> None:
        """Save through the services, off the GUI thread; on refusal show each message
        by its field. The form keeps every entry until the save has landed."""
        if self._saves.running:
            return  # one save at a time: Ctrl+S pressed again while waiting
        if self.locked:
            self.banner.say(
                "Not saved: this session is signed and cannot be changed. "
                "Use “Add addendum…” to correct it."
            )
            return
        if not self.footer.save_button.isEnabled():
            # Ctrl+S while screening blocks saving: show where the answer is missing.
            unconfirmed = self.products.unconfirmed()
            screening_done = not self.screening.judge(self.treatment.when())
            missing = (
                unconfirmed[0][0].confirm
                if unconfirmed and screening_done
                else self.screening.missing_answer()
            )
            self.page.bring_into_view(missing)
            missing.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        data = self.collect()
        db, patient_id, session = self._db, self._patient.id, self._session
        actor, reason = config.current_user(), self.amend_reason

        def work(_control: TaskControl) -> TreatmentSession:
            if session is None:
                return sessions.record(db, patient_id, data, actor)
            return sessions.amend(db, session.id, data, session.version, actor, reason=reason)

        self.footer.save_button.setEnabled(False)
        self._saves.start(work, self._save_landed, self._save_refused)

    # ---- the consent gate -----------------------------------------------------

    def sign_consent(self) -> None:
        """Open the signing view for the treatment consent; once signed, a save the gate
        refused goes through."""
        from needlelog.domain.consent import ConsentKind
        from needlelog.ui.consent.signing_flow import open_signing

        if self._saves.running:
            return
        open_signing(
            self,
            self._db,
            self._patient.id,
            self._patient.full_name,
            ConsentKind.TREATMENT,
            self._consent_signed,
            practitioner=str(self.treatment.values().get("practitioner", "")),
        )

    def _consent_signed(self, _consent: object) -> None:
        db, patient_id, on = self._db, self._patient.id, self.treatment.when().date()
        self._consents.request(lambda: consents.treatment_status(db, patient_id, on))
        if self._save_after_consent:
            self._save_after_consent = False
            self.banner.clear()
            self.save()

    def save_with_reason(self) -> None:
        """The gate's override: a written reason why the session goes ahead without a
        valid treatment consent, kept with the session; then save."""
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        from needlelog.ui.session_parts.consent import REASON_MAX

        if self._saves.running:
            return
        reason, ok = QInputDialog.getText(
            self,
            "Save without a valid consent",
            "Why does the session go ahead without a valid treatment consent? "
            "The reason is kept with the session.",
            QLineEdit.EchoMode.Normal,
            self.consent_gate.reason,
        )
        if not ok:
            return
        reason = reason.strip()
        if not reason:
            self.banner.say(
                "Not saved: a written reason is required to save without a valid treatment "
                "consent. Your entries are still here."
            )
            return
        if len(reason) > REASON_MAX:
            self.banner.say(
                f"Not saved: the reason is longer than {REASON_MAX:,} characters. "
                "Your entries are still here."
            )
            return
        self.consent_gate.set_reason(reason)
        self._save_after_consent = False
        self.banner.clear()
        self.save()

    def _waiting(self) -> None:
        """The save outlasts a normal one: another PC holds the write lock. Say so, and
        hold the entries still until it lands (nothing typed now could be lost)."""
        self.footer.show_waiting(WAITING_TEXT)
        self.scroll.widget().setEnabled(False)

    def _save_ended(self) -> None:
        self.scroll.widget().setEnabled(not self.locked)
        if not self.locked:
            self.footer.sign_button.setEnabled(self._may_sign())
        self._judge_screening()  # the Save button and the footer note as they were

    def _save_landed(self, stored: TreatmentSession) -> None:
        self._clear_errors()
        self._baseline = self.collect()
        self.saved.emit(stored)
        self.accept()

    def _save_refused(self, exc: BaseException, trace: str) -> None:
        if isinstance(exc, ConsentRequired):
            # No treatment consent covers the date: say why and offer the two ways on;
            # everything typed stays in the form.
            self._clear_errors()
            self._save_after_consent = True
            self.consent_gate.refused(exc.sentence)
            return
        if isinstance(exc, InvalidRecord):
            self._clear_errors()
            first = self.banner.show_refusal(exc, self.error_label)
            if first is not None:
                self.page.bring_into_view(first, 50, 80)
        elif not self.banner.show_not_saved(exc):
            # Unforeseen: the one message box naming the log; the entries stay here.
            show_failure(self, exc, trace, "Saving the session")

    def reload(self) -> None:
        """After a conflict: show the session as it is stored now."""
        if self._session is None:
            return
        db, patient_id, session_id = self._db, self._patient.id, self._session.id
        work = partial(load_stored, db, patient_id, session_id, date.today())
        self.banner.reload_button.setEnabled(False)
        run_task(lambda _c: work(), self._reloaded, self._reload_failed, self)

    def _reloaded(self, answer: tuple[TreatmentSession, date | None]) -> None:
        self.banner.reload_button.setEnabled(True)
        self._session, due = answer
        self._clear_errors()
        self._fill(due)
        self._baseline = self.collect()

    def _reload_failed(self, exc: BaseException, trace: str) -> None:
        self.banner.reload_button.setEnabled(True)
        if not isinstance(exc, StoreError | NotFound):
            show_failure(self, exc, trace, "Reloading the session")
            return
        self.banner.say(f"Not reloaded: {sentence(str(exc))} Your entries are still here.")

    def _clear_errors(self) -> None:
        for section in self.sections:
            section.clear_errors()
        self.banner.clear()

    # ---- closing ----------------------------------------------------------

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: never drop edits without asking."""
        if self._saves.running:
            return  # the save is on its way: its outcome decides what happens
        if self.is_dirty() and not confirm_discard(self, "this session"):
            return
        super().reject()
