"""age encryption of backup files (``pyrage``): with a passphrase or to public keys.

An encrypted backup is one standard age file holding the backup zip, so the
``age`` tool opens it without needlelog (``age -d -i key.txt backup.zip.age``,
or ``age -d backup.zip.age`` for a passphrase). Encrypting to a recipient's
public key (``age1…``) streams the zip in small pieces; pyrage takes a
passphrase only as whole bytes in memory, so a passphrase backup holds the zip
and its encrypted copy in memory at once (about twice the zip's size).

The clinic's backup keys (public keys only: the PC that writes backups never
needs the key that opens them) are a clinic setting, ``backup_recipients``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage

from needlelog.services import settings
from needlelog.store.database import Database

MAGIC = b"age-encryption.org/v1"
SUFFIX = ".age"
PASSPHRASE_ENV = "NEEDLELOG_BACKUP_PASSPHRASE"
SETTING = "backup_recipients"
MAX_IDENTITY_FILE_BYTES = 64 * 1024
MAX_HEADER_BYTES = 64 * 1024
CHECK_EVERY = 4 << 20
CHUNK = 1 << 20
# age's passphrase key derivation (scrypt, work factor chosen by pyrage to take about
# a second) uses up to 1 GiB while the whole file is held in memory beside it.
SCRYPT_BYTES = 1 << 30
# Below this size a passphrase file is never refused for memory: scrypt's share is
# transient, and refusing a small clinic's backup on a busy PC would help no one.
MEMORY_CHECK_FROM = 64 << 20


class KeyProblem(Exception):
    """A public key, identity file or passphrase that cannot be used (one sentence)."""


class WrongKey(Exception):
    """The passphrase or identity does not open the file."""


class NotEnoughMemory(Exception):
    """A passphrase backup this large does not fit in the memory free now (one sentence)."""


class NotAgeFile(Exception):
    """The file starts like an age file but is damaged or truncated."""


@dataclass(frozen=True)
class Encryption:
    """How a new backup is encrypted: a passphrase, or one or more public keys."""

    passphrase: str | None = None
    recipients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.passphrase is None) == (not self.recipients):
            raise ValueError("give a passphrase or recipients, not both or neither")
        if self.passphrase is not None:
            problem = passphrase_problem(self.passphrase)
            if problem:
                raise KeyProblem(problem)
        else:
            parse_recipients(self.recipients)

    def describe(self) -> str:
        if self.passphrase is not None:
            return "encrypted with a passphrase"
        n = len(self.recipients)
        return f"encrypted to {n} public key{'s' * (n != 1)}"


@dataclass(frozen=True)
class Decryption:
    """What opens an encrypted backup: a passphrase, or identities (secret keys)."""

    passphrase: str | None = None
    identities: tuple[str, ...] = ()
    identity_file: str = ""  # named in messages


def passphrase_problem(passphrase: str) -> str | None:
    if not passphrase:
        return "the backup passphrase is empty"
    if passphrase != passphrase.strip():
        return "the backup passphrase starts or ends with a space"
    if any(ord(c) < 32 for c in passphrase):
        return "the backup passphrase contains a control character"
    return None


def strength(passphrase: str) -> tuple[str, str]:
    """A rough strength level (weak, fair, strong) and a hint a person can act on."""
    words = [w for w in passphrase.replace("-", " ").split() if w]
    kinds = sum(
        any(test(c) for c in passphrase)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    length = len(passphrase)
    if (length >= 20 and (len(words) >= 4 or kinds >= 3)) or length >= 28:
        return "strong", "Strong. Keep it somewhere safe: without it the backup cannot be opened."
    if length >= 12 and (len(words) >= 3 or kinds >= 3):
        return "fair", "Fair. Four or more unrelated words would be stronger."
    return (
        "weak",
        "Weak: anyone who finds the file could guess it. Use four or more unrelated words.",
    )


def _recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except (pyrage.RecipientError, ValueError):
        shown = text.strip()[:24] + ("…" if len(text.strip()) > 24 else "")
        raise KeyProblem(
            f"{shown!r} is not an age public key (one starts with age1, as age-keygen prints it)"
        ) from None


def parse_recipients(texts: Iterable[str]) -> list[pyrage.x25519.Recipient]:
    return [_recipient(t) for t in texts]


def split_keys(text: str) -> tuple[str, ...]:
    """Public keys typed in one field, separated by spaces, commas or new lines."""
    return tuple(k for k in text.replace(",", " ").split() if k)


def read_identities(path: Path) -> Decryption:
    """The secret keys in an age identity file (as ``age-keygen -o`` writes it)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_IDENTITY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyProblem(f"the identity file {path} does not exist") from None
    except IsADirectoryError:
        raise KeyProblem(f"the identity file {path} is a folder") from None
    except OSError as exc:
        raise KeyProblem(f"the identity file {path} cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_IDENTITY_FILE_BYTES:
        raise KeyProblem(f"{path} is too large to be an age identity file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyProblem(f"{path} is not an age identity file") from None
    keys: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            pyrage.x25519.Identity.from_str(line)
        except (pyrage.IdentityError, ValueError):
            raise KeyProblem(
                f"{path} is not an age identity file (it holds a line that is not an "
                "AGE-SECRET-KEY-1…)"
            ) from None
        keys.append(line)
    if not keys:
        raise KeyProblem(f"{path} holds no age secret key (AGE-SECRET-KEY-1…)")
    return Decryption(identities=tuple(keys), identity_file=str(path))


def is_encrypted(path: Path) -> bool:
    """Whether the file is an age file (by its first bytes); False if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def needs_passphrase(path: Path) -> bool:
    """Whether an age file was encrypted with a passphrase (else to public keys)."""
    with open(path, "rb") as handle:
        header = handle.read(MAX_HEADER_BYTES)
    lines = header.split(b"\n")
    return any(line.startswith(b"-> scrypt ") for line in lines[1:8])


class _Reader:
    """A file reader that lets ``check`` stop a long encryption between pieces.

    pyrage turns an exception raised in here into its own ``EncryptError``; the
    original is kept in ``raised`` so the caller can raise it again as it was.
    """

    def __init__(self, handle: BinaryIO, check: Callable[[], None] | None) -> None:
        self.handle = handle
        self.check = check
        self.since = 0
        self.raised: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.handle.read(size)
            self.since += len(data)
            if self.check is not None and self.since >= CHECK_EVERY:
                self.since = 0
                self.check()
        except BaseException as exc:
            self.raised = exc
            raise
        return data


class _HashingWriter:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.raised: BaseException | None = None

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        try:
            return self.handle.write(data)
        except BaseException as exc:  # a full or failing disk: kept as it was (see _Reader)
            self.raised = exc
            raise

    def flush(self) -> None:
        self.handle.flush()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _available_memory() -> int | None:
    """Memory free for a new allocation now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _room_for_passphrase(size: int, what: str) -> None:
    """Refuse, before reading it, a passphrase file that would exhaust the memory."""
    if size < MEMORY_CHECK_FROM:
        return
    needed = 2 * size + SCRYPT_BYTES
    free = _available_memory()
    if free is not None and needed > free:
        raise NotEnoughMemory(
            f"{what} {size:,} bytes with a passphrase needs about {needed >> 20:,} MB of "
            f"memory and {free >> 20:,} MB are free; use the clinic's backup key (a public "
            "key), which needs almost none"
        )


def encrypt_file(
    plain: Path, out: Path, encryption: Encryption, check: Callable[[], None] | None = None
) -> None:
    """Write ``plain`` encrypted into ``out`` (an existing private file), then read it back.

    The read-back compares the file's SHA-256 with what was written, so a
    failing disk is found now, not on the day the backup is needed.
    """
    if encryption.passphrase is not None:
        _room_for_passphrase(plain.stat().st_size, "encrypting")
        data = plain.read_bytes()
        if check is not None:
            check()
        sealed = pyrage.passphrase.encrypt(data, encryption.passphrase)
        del data
        expected = hashlib.sha256(sealed).hexdigest()
        with open(out, "wb") as handle:
            handle.write(sealed)
        del sealed
    else:
        recipients = parse_recipients(encryption.recipients)
        with open(plain, "rb") as src, open(out, "wb") as dst:
            reader, writer = _Reader(src, check), _HashingWriter(dst)
            try:
                pyrage.encrypt_io(reader, writer, recipients)
            except pyrage.EncryptError as exc:
                raised = reader.raised or writer.raised
                if raised is not None:
                    raise raised from None
                raise OSError(f"the backup could not be encrypted ({exc})") from None
            expected = writer.digest.hexdigest()
    if _file_sha256(out) != expected:
        raise OSError(
            "the encrypted backup just written reads back differently; the disk may be failing"
        )


def decrypt_file(src: Path, out: Path, decryption: Decryption) -> None:
    """Decrypt the age file ``src`` into ``out``.

    Raises ``WrongKey`` when the passphrase or identities do not open it and
    ``NotAgeFile`` when it is damaged or truncated.
    """
    passphrase_file = needs_passphrase(src)
    if passphrase_file and decryption.passphrase is None:
        raise WrongKey("it was encrypted with a passphrase, not to a key")
    if not passphrase_file and not decryption.identities:
        raise WrongKey("it was encrypted to a public key: give the matching identity file")
    if passphrase_file:
        assert decryption.passphrase is not None
        _room_for_passphrase(src.stat().st_size, "decrypting")
        data = src.read_bytes()
        try:
            plain = pyrage.passphrase.decrypt(data, decryption.passphrase)
        except pyrage.DecryptError as exc:
            raise _decrypt_error(str(exc), "the passphrase is wrong") from None
        del data
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(plain)
        return
    identities = [pyrage.x25519.Identity.from_str(k) for k in decryption.identities]
    where = decryption.identity_file or "the identity file"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(src, "rb") as reader, os.fdopen(fd, "wb") as writer:
        try:
            pyrage.decrypt_io(reader, writer, identities)
        except pyrage.DecryptError as exc:
            raise _decrypt_error(
                str(exc), f"no key in {Path(where).name} opens it (it was encrypted to another key)"
            ) from None
        except OSError as exc:
            if "decryption error" not in str(exc).lower():
                raise  # the disk, not the file
            raise NotAgeFile(str(exc)) from None


def _decrypt_error(text: str, wrong: str) -> Exception:
    lowered = text.lower()
    if "no matching keys" in lowered or lowered == "decryption failed":
        return WrongKey(wrong)
    return NotAgeFile(text)


def clinic_recipients(db: Database) -> tuple[str, ...]:
    """The clinic's backup public keys (a setting); empty when none is set."""
    value = settings.get_value(db, SETTING, [])
    if not isinstance(value, list):
        return ()
    return tuple(str(k) for k in value if isinstance(k, str) and k.strip())


def set_clinic_recipients(db: Database, keys: Iterable[str], actor: str) -> None:
    """Store the clinic's backup public keys after checking each one; empty clears them."""
    keys = tuple(k.strip() for k in keys if k.strip())
    parse_recipients(keys)
    settings.set_value(db, SETTING, list(keys), actor)
