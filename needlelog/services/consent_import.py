"""Consents brought back from an archive (the JSON import), inside the import's one
transaction, through the one reader and the one writer of consents.

A form version is matched by key, language and version number: the receiving
clinic's own version is used when its text has the same checksum, and a version
it does not have yet is added under the same number (versions are added in
order). A version whose number the clinic already holds with another text is
refused: a consent must always show the very text that was signed.

A consent is stored as it was signed (form version, answers, strokes and their
image, method, scan, time, witness) and its withdrawal added beside it. One
already present (same patient, form text, method and time) is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from needlelog.domain.consent import (
    SCAN_MEDIA_TYPES,
    Consent,
    ConsentMethod,
    TemplateVersion,
    answers_problem,
    signature_problem,
    text_sha256,
)
from needlelog.services import clock, consent_query, consent_writer
from needlelog.services.errors import InvalidConsent

_PNG = b"\x89PNG\r\n\x1a\n"


def version_in(conn: Connection, v: TemplateVersion, actor: str, now: datetime) -> TemplateVersion:
    """The receiving clinic's version equal to ``v`` (key, language, number, text),
    added when it has none; ``InvalidConsent`` when its number is taken by another text
    or cannot be given (an earlier version is missing)."""
    name = f"the consent form {v.key!r} ({v.language}) version {v.version}"
    if text_sha256(v.text) != v.sha256:
        raise InvalidConsent("template", f"the text of {name} does not match its checksum")
    template_id = consent_query.template_id_of(conn, v.key, v.language)
    held = [] if template_id is None else consent_query.versions(conn, template_id)
    for have in held:
        if have.version == v.version:
            if have.sha256 == v.sha256 and have.kind is v.kind:
                return have
            raise InvalidConsent(
                "template",
                f"{name} differs from this clinic's version {v.version} of that form "
                "(another text); nothing was imported",
            )
    latest = held[-1].version if held else 0
    if v.version != latest + 1:
        raise InvalidConsent(
            "template",
            f"{name} cannot be added: this clinic's form is at version {latest} and the "
            f"file does not hold the versions between",
        )
    added = consent_query.version(
        conn,
        consent_writer.save_template_version(
            conn, v.key, v.kind, v.language, v.title, v.text, actor, now
        ),
    )
    if added.version != v.version or added.sha256 != v.sha256:
        raise InvalidConsent("template", f"{name} cannot be added as it was")
    return added


def problem(c: Consent) -> str:
    """Why a consent read from an archive cannot be stored as signed; empty when it can."""
    if c.template.kind is not c.kind:
        return f"it is a {c.kind.value} consent on a {c.template.kind.value} form"
    answers = answers_problem(c.kind, c.answers)
    if answers:
        return answers
    if c.method is ConsentMethod.ON_SCREEN:
        signature = signature_problem(c.signature)
        if signature:
            return "it has no usable signature"
        if not c.signature_png.startswith(_PNG):
            return "its signature image is not a PNG image"
    elif not c.scan_sha256 or c.scan_media_type not in SCAN_MEDIA_TYPES:
        return "a consent signed on paper needs its scan (PDF, JPEG or PNG)"
    return ""


def consent_in(
    conn: Connection,
    patient_id: int,
    c: Consent,
    template: TemplateVersion,
    actor: str,
    now: datetime,
) -> int | None:
    """Store ``c`` (read from an archive) for ``patient_id`` on the clinic's ``template``
    with its withdrawal; answers its id, or None when it is present already. A paper
    scan's file must be in the photo store already (the import puts it there first)."""
    why = problem(c)
    if why:
        raise InvalidConsent("consent", why)
    if template.sha256 != c.template.sha256:
        raise InvalidConsent("template", "the form signed is not the one given")
    for have in consent_query.for_patient(conn, patient_id):
        if (have.template.sha256, have.method, have.signed_at) == (
            c.template.sha256,
            c.method,
            c.signed_at,
        ):
            return None
    cid = consent_writer.insert_consent(
        conn, patient_id, template, c.answers, c.method, c.signature, c.signature_png,
        c.scan_sha256, c.scan_media_type, c.signed_at, c.witness, c.witness_account,
        actor, now,
    )  # fmt: skip
    w = c.withdrawal
    if w is not None:
        consent_writer.withdraw(
            conn, cid, w.withdrawn_on, w.reason, actor, now, max(clock.today(), w.withdrawn_on)
        )
    return cid
