"""Photographs in backups: the originals go beside the backup file, into a
``needlelog-photos`` folder laid out like the photo store (named by checksum), and
the backup zip lists their checksums (``photos.txt``). Every file of the photo
store a record uses goes the same way: the scans of paper consents too.

A backup into a folder is therefore incremental for photos: an original already
in that folder (from an earlier backup into it, the daily automatic backups
included) is not copied again, only checked to be present with the right size
(a copy is verified against its checksum when it is made). Restore verifies
every listed photo against its checksum before anything is replaced, then puts
the originals into the restored database's photo store.

Beside an encrypted backup each photo is its own age file,
``needlelog-photos/ab/<sha256>.<tag>.age`` (named by the checksum of the plain
photo, so an incremental backup sees it is there without decrypting it; ``tag``
names the key it is sealed to, so a plain photo, or one sealed to other keys,
never counts for this backup). To public keys, each photo is encrypted to them
directly. With a passphrase, scrypt (about a second per age file) would make a
100-photo backup take minutes, so the photos are encrypted to a photo key (an
X25519 identity): its secret is stored inside the encrypted zip
(``photo-key.txt``, an age identity file) and, for the next backup into the
same folder, in ``needlelog-photos/keys/<tag>.age``, encrypted with the same
passphrase. One backup thus costs at most three passphrase derivations,
however many photos it has.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyrage

from needlelog.exchange.encryption import Decryption, Encryption
from needlelog.exchange.files import OutputError
from needlelog.services import photos
from needlelog.store.files import describe_os_error, sqlite_readonly_uri
from needlelog.store.photo_files import (
    PhotoStore,
    PhotoStoreError,
    file_sha256,
    sha256_of,
    write_once,
)

FOLDER = "needlelog-photos"
LIST_MEMBER = "photos.txt"
MAX_LIST_BYTES = 65 * 10_000_000  # ten million checksums
KEY_MEMBER = "photo-key.txt"
KEYS_FOLDER = "keys"
SEALED_SUFFIX = ".age"
MAX_KEY_FILES_TRIED = 8


@dataclass(frozen=True)
class Seal:
    """How the photos beside an encrypted backup are encrypted."""

    tag: str  # names the key set in each file's name
    recipients: tuple[str, ...]  # the age public keys each photo is encrypted to
    identity: str = ""  # the photo key's secret (passphrase backups), kept in the zip

    def sealed_path(self, folder: PhotoStore, sha: str) -> Path:
        plain = folder.path_for(sha)
        return plain.with_name(f"{plain.name}.{self.tag}{SEALED_SUFFIX}")


def _tag(keys: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def seal_for(encryption: Encryption, out: Path) -> Seal:
    """The seal of the photos beside ``out``: the recipients themselves, or for a passphrase
    the photo key already in that folder that this passphrase opens, else a new one."""
    if encryption.passphrase is None:
        return Seal(_tag(encryption.recipients), encryption.recipients)
    keys = out.parent / FOLDER / KEYS_FOLDER
    tried = 0
    if keys.is_dir():
        for key_file in sorted(keys.glob(f"*{SEALED_SUFFIX}")):
            if tried >= MAX_KEY_FILES_TRIED:
                break
            tried += 1
            try:
                secret = pyrage.passphrase.decrypt(key_file.read_bytes(), encryption.passphrase)
                identity = pyrage.x25519.Identity.from_str(secret.decode("ascii").strip())
            except (pyrage.DecryptError, pyrage.IdentityError, ValueError, OSError):
                continue  # another passphrase's key, or damaged: not used
            public = str(identity.to_public())
            if key_file.name == f"{_tag((public,))}{SEALED_SUFFIX}":
                return Seal(_tag((public,)), (public,), str(identity))
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    seal = Seal(_tag((public,)), (public,), str(identity))
    sealed_key = pyrage.passphrase.encrypt(f"{identity}\n".encode(), encryption.passphrase)
    try:
        write_once(keys, f"{seal.tag}{SEALED_SUFFIX}", sealed_key)
    except OSError as exc:
        raise OutputError(
            f"cannot write the photos beside {out} ({keys}): {describe_os_error(exc)}",
            usage=False,
        ) from None
    return seal


@dataclass(frozen=True)
class PhotoBackup:
    listed: tuple[str, ...]  # checksums of the originals beside the backup
    copied: int  # how many were new in that folder
    missing: tuple[str, ...]  # used by a record but not in the store (check reports them)
    seal: Seal | None = None  # how they are encrypted; None: plain files

    def manifest(self) -> dict[str, object]:
        entry: dict[str, object] = {
            "folder": FOLDER,
            "count": len(self.listed),
            "copied": self.copied,
            "missing": len(self.missing),
            "list_sha256": hashlib.sha256(_list_text(self.listed).encode()).hexdigest(),
        }
        if self.seal is not None:
            entry["sealed"] = {"tag": self.seal.tag, "photo_key": bool(self.seal.identity)}
        return entry


def _list_text(checksums: tuple[str, ...]) -> str:
    return "".join(f"{sha}\n" for sha in checksums)


# Every record that names a file of the photo store: photos and paper-consent scans.
_USES_FILES = {
    "photos": "SELECT DISTINCT sha256 FROM photos",
    "consents": "SELECT DISTINCT scan_sha256 FROM consents WHERE scan_sha256 <> ''",
}


def used_checksums(copy: Path) -> list[str]:
    """The checksums of the files of the photo store a database copy's records use (the
    photos' originals and the scans of paper consents), of the tables the copy has."""
    conn = sqlite3.connect(sqlite_readonly_uri(copy), uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found: set[str] = set()
        for table, query in _USES_FILES.items():
            if table in tables:
                found.update(r[0] for r in conn.execute(query))
        return sorted(found)
    finally:
        conn.close()


def store_for_copy(copy: Path, database: Path) -> PhotoStore:
    """The photo store a database copy names (its folder setting), for ``database``."""
    conn = sqlite3.connect(sqlite_readonly_uri(copy), uri=True)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = 'photo_folder'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        conn.close()
    import json

    chosen = json.loads(row[0]) if row else ""
    return photos.store_at(database, chosen if isinstance(chosen, str) else "")


def _put_sealed(target: PhotoStore, seal: Seal, sha: str, original: Path) -> bool:
    """Encrypt one original beside the backup; False if it is there already."""
    there = seal.sealed_path(target, sha)
    if there.is_file() and there.stat().st_size > original.stat().st_size:
        return False
    data = original.read_bytes()
    if sha256_of(data) != sha:
        raise PhotoStoreError(f"{original} does not match its checksum {sha[:12]}…")
    sealed = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(k) for k in seal.recipients])
    del data
    if there.is_file():  # damaged earlier copy: set it aside, never overwrite in place
        there.replace(there.with_name(there.name + ".damaged"))
    write_once(there.parent, there.name, sealed)
    if sha256_of(there.read_bytes()) != sha256_of(sealed):
        raise OSError(f"{there} reads back differently; the disk may be failing")
    return True


def copy_beside(
    source: PhotoStore,
    copy: Path,
    out: Path,
    check: Callable[[], None] | None = None,
    encryption: Encryption | None = None,
) -> PhotoBackup | None:
    """Copy the originals a database copy uses beside the backup file ``out`` (each
    encrypted when ``encryption`` is given); None when it uses none."""
    return copy_listed(source, used_checksums(copy), out, check, encryption)


def copy_listed(
    source: PhotoStore,
    used: list[str],
    out: Path,
    check: Callable[[], None] | None = None,
    encryption: Encryption | None = None,
) -> PhotoBackup | None:
    """Copy the originals named by ``used`` (checksums) from ``source`` beside the file
    ``out``, into its ``needlelog-photos`` folder (backups, the JSON export); None when
    there are none. Incremental: one there already with the right size is kept."""
    if not used:
        return None
    target = PhotoStore(out.parent / FOLDER)
    seal = None if encryption is None else seal_for(encryption, out)
    listed: list[str] = []
    missing: list[str] = []
    copied = 0
    for sha in used:
        if check is not None:
            check()
        original = source.path_for(sha)
        if not original.is_file():
            missing.append(sha)
            continue
        there = target.path_for(sha)
        try:
            if seal is not None:
                copied += _put_sealed(target, seal, sha, original)
                listed.append(sha)
                continue
            if there.is_file() and there.stat().st_size == original.stat().st_size:
                listed.append(sha)
                continue
            if there.is_file():  # damaged earlier copy: files are write-once, so set it aside
                there.replace(there.with_name(there.name + ".damaged"))
            if target.put_file(sha, original):
                copied += 1
        except PhotoStoreError:
            missing.append(sha)  # the original no longer matches its checksum
            continue
        except OSError as exc:
            raise OutputError(
                f"cannot write the photos beside {out} ({target.root}): {describe_os_error(exc)}",
                usage=False,
            ) from None
        listed.append(sha)
    return PhotoBackup(tuple(listed), copied, tuple(missing), seal)


def write_list(zf: zipfile.ZipFile, backup: PhotoBackup) -> None:
    zf.writestr(LIST_MEMBER, _list_text(backup.listed))
    if backup.seal is not None and backup.seal.identity:
        zf.writestr(
            KEY_MEMBER,
            "# needlelog photo key: opens the photos beside this backup "
            f"(age -d -i {KEY_MEMBER} FILE.age)\n{backup.seal.identity}\n",
        )


def _identities(
    file: Path, sealed: dict, decryption: Decryption | None, refuse: Callable[[str], Exception]
) -> list[pyrage.x25519.Identity]:
    if sealed.get("photo_key") is True:
        try:
            with zipfile.ZipFile(file) as zf, zf.open(KEY_MEMBER) as handle:
                text = handle.read(64 * 1024).decode("ascii")
            keys = [ln.strip() for ln in text.splitlines() if ln.strip() and ln[0] != "#"]
            return [pyrage.x25519.Identity.from_str(k) for k in keys]
        except KeyError:
            raise refuse("its photo key is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError, ValueError):
            raise refuse("its photo key is damaged") from None
        except pyrage.IdentityError:
            raise refuse("its photo key is damaged") from None
    if decryption is None or not decryption.identities:
        raise refuse("its photos are encrypted to a public key: give the matching identity file")
    return [pyrage.x25519.Identity.from_str(k) for k in decryption.identities]


def verify(
    file: Path,
    beside: Path,
    manifest: dict,
    refuse: Callable[[str], Exception],
    decryption: Decryption | None = None,
    work_dir: Path | None = None,
) -> list[tuple[str, Path]]:
    """Every photo a backup zip ``file`` lists, present in the photo folder in ``beside``
    (the backup file's folder) and matching its checksum, as (checksum, file);
    ``refuse(why)`` is raised otherwise. Encrypted photos are decrypted (with the photo
    key in the zip, or ``decryption``'s identities) into ``work_dir`` and the plain
    photo's checksum is verified; the files answered are those plain copies."""
    entry = manifest.get("photos")
    if entry is None:
        return []
    if not isinstance(entry, dict) or not isinstance(entry.get("count"), int):
        raise refuse("its manifest has no valid photo list")
    sealed = entry.get("sealed")
    if sealed is not None and (
        not isinstance(sealed, dict)
        or not isinstance(sealed.get("tag"), str)
        or not sealed["tag"].isalnum()
        or work_dir is None
    ):
        raise refuse("its manifest has no valid photo list")
    try:
        with zipfile.ZipFile(file) as zf, zf.open(LIST_MEMBER) as handle:
            raw = handle.read(MAX_LIST_BYTES + 1)
    except KeyError:
        raise refuse("its list of photos is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise refuse("its list of photos is damaged") from None
    if hashlib.sha256(raw).hexdigest() != entry.get("list_sha256"):
        raise refuse("its list of photos does not match its checksum")
    checksums = raw.decode("ascii", "replace").split()
    if len(checksums) != entry["count"]:
        raise refuse("its list of photos does not match its manifest")
    folder = PhotoStore(beside / FOLDER)
    seal = identities = plain_dir = None
    if sealed is not None:
        assert work_dir is not None
        seal = Seal(sealed["tag"], ())
        identities = _identities(file, sealed, decryption, refuse)
        plain_dir = work_dir / "photos"
        plain_dir.mkdir(mode=0o700, exist_ok=True)
    found: list[tuple[str, Path]] = []
    for sha in checksums:
        try:
            path = folder.path_for(sha)
        except ValueError:
            raise refuse("its list of photos is damaged") from None
        if seal is not None:
            path = seal.sealed_path(folder, sha)
        try:
            if seal is None:
                actual = file_sha256(path)
            else:
                assert identities is not None and plain_dir is not None
                try:
                    data = pyrage.decrypt(path.read_bytes(), identities)
                except pyrage.DecryptError:
                    raise refuse(
                        f"the photo {sha[:12]}… in {folder.root} cannot be decrypted (damaged, "
                        "or encrypted to another key)"
                    ) from None
                actual = sha256_of(data)
                if actual == sha:
                    fd = os.open(plain_dir / sha, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(data)
                    path = plain_dir / sha
                del data
        except FileNotFoundError:
            raise refuse(
                f"the photo {sha[:12]}… is missing from {folder.root} (keep that folder with "
                "the backup file)"
            ) from None
        except OSError as exc:
            raise refuse(
                f"the photo {sha[:12]}… cannot be read ({describe_os_error(exc)})"
            ) from None
        if actual != sha:
            raise refuse(f"the photo {sha[:12]}… in {folder.root} does not match its checksum")
        found.append((sha, path))
    return found


def restore_into(store: PhotoStore, verified: list[tuple[str, Path]]) -> int:
    """Put verified originals into the photo store (those already there are kept);
    answers how many were copied."""
    copied = 0
    for sha, path in verified:
        try:
            if store.put_file(sha, path):
                copied += 1
        except OSError as exc:
            raise OutputError(
                f"cannot write the photos into {store.root}: {describe_os_error(exc)}; "
                "the records were not changed",
                usage=False,
            ) from None
    return copied
