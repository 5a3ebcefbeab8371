"""Opening the signing view for a patient: the forms of the kind asked for (the
latest version in each language) and the witness's name are read off the GUI thread
first; the view opens once they are in. Used by the patient record's consent panel
and by the session form's gate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from needlelog.domain.consent import ConsentKind, TemplateVersion
from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.consent.refusals import refusal_words
from needlelog.ui.consent.signing_view import SigningView, Witness

if TYPE_CHECKING:
    from needlelog.domain.consent import Consent
    from needlelog.store.database import Database

NO_FORM = (
    "The clinic has no {what} form yet: an administrator adds one in "
    "Clinic settings, Consent forms."
)


@dataclass(frozen=True)
class SigningContext:
    """What the signing view opens with."""

    versions: list[TemplateVersion]
    practitioner: str  # the patient's last practitioner: the witness without accounts
    practitioners: list[str]


def forms_of_kind(versions: list[TemplateVersion], kind: ConsentKind) -> list[TemplateVersion]:
    """The versions of ``kind``, the clinic's standard form first, English first."""
    found = [v for v in versions if v.kind is kind]
    return sorted(found, key=lambda v: (v.key != kind.value, v.language != "en", v.language, v.key))


def read_signing_context(db: Database, patient_id: int, kind: ConsentKind) -> SigningContext:
    """Runs on a worker thread."""
    from needlelog.services import access, consents, sessions

    versions = forms_of_kind([t.latest for t in consents.templates(db)], kind)
    if access.current() is not None:
        return SigningContext(versions, "", [])
    last = sessions.latest(db, patient_id)
    practitioner = last.data.practitioner if last is not None else ""
    return SigningContext(versions, practitioner, sessions.known_practitioners(db))


def open_signing(
    parent: QWidget,
    db: Database,
    patient_id: int,
    patient_name: str,
    kind: ConsentKind,
    on_signed: Callable[[Consent], None],
    on_closed: Callable[[], None] | None = None,
    practitioner: str = "",
) -> None:
    """Read what the view needs, then open it (window-modal over ``parent``);
    ``on_signed`` gets the stored consent, ``on_closed`` is called when it closed
    without one (or could not open). ``practitioner``: the witness named without
    accounts (the session form's practitioner), else the patient's last one."""

    def work(_control: TaskControl) -> SigningContext:
        return read_signing_context(db, patient_id, kind)

    def show(context: SigningContext) -> None:
        if not context.versions:
            QMessageBox.information(parent, kind.label, NO_FORM.format(what=kind.label.lower()))
            if on_closed is not None:
                on_closed()
            return
        view = SigningView(
            db,
            patient_id,
            patient_name,
            context.versions,
            Witness.current(practitioner.strip() or context.practitioner),
            parent,
        )
        view.set_practitioners(context.practitioners)
        view.signed.connect(on_signed)
        if on_closed is not None:
            view.rejected.connect(on_closed)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.open()

    def failed(exc: BaseException, trace: str) -> None:
        words = refusal_words(exc)
        if words is None:
            from needlelog.ui.failures import show_failure

            show_failure(parent, exc, trace, "Opening the consent")
        else:
            QMessageBox.warning(parent, kind.label, words)
        if on_closed is not None:
            on_closed()

    run_task(work, show, failed, parent)
