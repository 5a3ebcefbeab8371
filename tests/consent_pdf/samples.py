"""Consents as plain values for the consent document tests: a signature drawn as a
pen would (pressure rising and falling), paper consents, withdrawals, certificates."""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from needlelog.domain.consent import (
    DEFAULT_PHOTO_TEXT,
    DEFAULT_PHOTO_TITLE,
    DEFAULT_TREATMENT_TEXT,
    DEFAULT_TREATMENT_TITLE,
    Consent,
    ConsentKind,
    ConsentMethod,
    Signature,
    Stroke,
    StrokePoint,
    TemplateVersion,
    Withdrawal,
    text_sha256,
)
from needlelog.domain.photos import PhotoUse
from needlelog.reports.consent_document import ConsentDocument
from needlelog.services.settings import ClinicInfo

CLINIC = ClinicInfo(
    name="Aurora Skin Clinic",
    address="12 Park Row\nLeeds LS1 5HD",
    phone="+44 113 000 0000",
    email="hello@aurora.example",
)
SIGNED_AT = datetime(2026, 3, 2, 9, 41)  # naive UTC


def pen_signature(width: int = 600, height: int = 200) -> Signature:
    """A flowing signature: a looped name stroke with pressure that swells and fades,
    an underline, and a dot."""
    name: list[StrokePoint] = []
    for i in range(240):
        t = i / 239
        x = 40 + 430 * t
        y = 100 + 38 * math.sin(t * 7 * math.pi) * (1 - 0.4 * t) - 20 * math.sin(t * math.pi)
        pressure = 0.25 + 0.75 * math.sin(t * math.pi) ** 0.6
        name.append(StrokePoint(x + 14 * math.cos(t * 14 * math.pi), y, pressure))
    underline = tuple(
        StrokePoint(60 + 480 * t, 160 - 14 * t + 6 * math.sin(t * 3), 0.9 - 0.7 * t)
        for t in (i / 59 for i in range(60))
    )
    dot = (StrokePoint(505, 62, 0.8),)
    return Signature(width, height, (Stroke(tuple(name)), Stroke(underline), Stroke(dot)))


def version(
    text: str = DEFAULT_TREATMENT_TEXT,
    title: str = DEFAULT_TREATMENT_TITLE,
    kind: ConsentKind = ConsentKind.TREATMENT,
    number: int = 1,
    language: str = "en",
) -> TemplateVersion:
    return TemplateVersion(
        id=number,
        template_id=1,
        key=kind.value,
        kind=kind,
        language=language,
        title=title,
        version=number,
        text=text,
        sha256=text_sha256(text),
        created_at=datetime(2026, 1, 12, 15, 0),
        created_by="admin",
    )


def consent(**changes: object) -> Consent:
    values: dict[str, object] = {
        "id": 7,
        "patient_id": 1,
        "kind": ConsentKind.TREATMENT,
        "template": version(),
        "answers": (),
        "method": ConsentMethod.ON_SCREEN,
        "signature": pen_signature(),
        "signature_png": b"",
        "scan_sha256": "",
        "scan_media_type": "",
        "signed_at": SIGNED_AT,
        "witness": "Dr Maria Keller",
        "witness_account": "mkeller",
        "withdrawal": None,
    }
    values.update(changes)
    return Consent(**values)  # type: ignore[arg-type]


def photo_consent(**changes: object) -> Consent:
    values: dict[str, object] = {
        "kind": ConsentKind.PHOTO,
        "template": version(DEFAULT_PHOTO_TEXT, DEFAULT_PHOTO_TITLE, ConsentKind.PHOTO),
        "answers": (
            (PhotoUse.CLINICAL_RECORD, True),
            (PhotoUse.OWN_REPORT, True),
            (PhotoUse.TEACHING, False),
            (PhotoUse.PUBLICATION, False),
        ),
    }
    values.update(changes)
    return consent(**values)


def withdrawal() -> Withdrawal:
    return Withdrawal(
        withdrawn_on=date(2026, 11, 3),
        reason="moving abroad, no further treatment",
        recorded_by="Dr Maria Keller",
        recorded_at=datetime(2026, 11, 3, 10, 12),
    )


def scan_jpeg(width: int = 1240, height: int = 1754) -> bytes:
    """A page photographed as a clinic scans one: text lines and a signature."""
    im = Image.new("RGB", (width, height), (246, 244, 238))
    draw = ImageDraw.Draw(im)
    for row in range(14):
        y = 180 + row * 70
        draw.rectangle((120, y, width - 120 - (row % 3) * 160, y + 14), fill=(60, 60, 70))
    draw.line((160, 1500, 520, 1450, 640, 1520, 760, 1460), fill=(20, 40, 110), width=6)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def paper_consent(**changes: object) -> Consent:
    values: dict[str, object] = {
        "method": ConsentMethod.PAPER,
        "signature": None,
        "scan_sha256": "ab" * 32,
        "scan_media_type": "image/jpeg",
        "signed_at": datetime(2026, 3, 2),
    }
    values.update(changes)
    return consent(**values)


def doc(c: Consent | None = None, **changes: object) -> ConsentDocument:
    values: dict[str, object] = {
        "consent": c or consent(),
        "clinic": CLINIC,
        "patient_name": "Anna Schmidt",
        "record_no": "P-0042",
        "date_of_birth": date(1988, 5, 17),
        "generated_at": datetime(2026, 3, 2, 10, 45),
    }
    values.update(changes)
    return ConsentDocument(**values)  # type: ignore[arg-type]


def certificate(
    folder: Path,
    password: str = "clinic-secret",
    name: str = "Aurora Skin Clinic",
    valid_from: datetime | None = None,
    valid_days: int = 365,
    with_key: bool = True,
) -> tuple[Path, bytes]:
    """A self-signed certificate with its key as a PKCS#12 file; the certificate's DER
    (to trust it when validating)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    start = valid_from or datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"clinic",
        key if with_key else None,
        cert,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )
    path = folder / f"{name.split()[0].lower()}-{valid_days}.p12"
    path.write_bytes(data)
    return path, cert.public_bytes(serialization.Encoding.DER)
