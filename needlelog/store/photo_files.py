"""The photo store folder: originals named by their SHA-256, written once, never changed.

Layout: ``ROOT/ab/abcdef…`` (the first two hex digits as a sub-folder, so no
folder holds hundreds of thousands of names) and a thumbnail cache in
``ROOT/.thumbnails/``, which may be deleted at any time and is rebuilt on
demand. A file lands under its final name only once complete and synced
(temporary name in the same folder, fsync, rename, fsync of the folder), so a
process killed half-way leaves at most a temporary file, never a partial
original under a checksum name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

THUMBNAILS = ".thumbnails"
_TEMP_PREFIX = ".incoming-"
_SHA = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class PhotoStoreError(OSError):
    """The photo store folder cannot be read or written (one sentence for the user)."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_once(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` durably (temp file + fsync + rename), mode 600.
    An existing file of that name is kept as it is."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / name
    if target.exists():
        return target
    fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(folder)
    return target


class PhotoStore:
    """One clinic's photo store folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"PhotoStore({str(self.root)!r})"

    def path_for(self, sha256: str) -> Path:
        """Where the original with this checksum lives (whether or not it is there)."""
        if not _SHA.fullmatch(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 checksum")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store an original (if not there already) and answer its checksum."""
        sha = sha256_of(data)
        path = self.path_for(sha)
        try:
            write_once(path.parent, path.name, data)
        except OSError as exc:
            raise PhotoStoreError(
                f"the photo store folder {self.root} cannot be written: {exc.strerror or exc}"
            ) from exc
        return sha

    def put_file(self, sha256: str, source: Path) -> bool:
        """Copy a file known by its checksum into the store (restore, backup folders);
        False if it was there already. The copy is checked against the checksum."""
        if self.has(sha256):
            return False
        data = source.read_bytes()
        if sha256_of(data) != sha256:
            raise PhotoStoreError(f"{source} does not match its checksum {sha256[:12]}…")
        path = self.path_for(sha256)
        write_once(path.parent, path.name, data)
        return True

    def remove(self, sha256: str) -> bool:
        """Delete an original and its thumbnails: only for made-up (demo) photos that no
        record uses any more; clinical originals are never deleted. False if absent."""
        path = self.path_for(sha256)
        thumbs = self.root / THUMBNAILS
        if thumbs.is_dir():
            for size in thumbs.iterdir():
                with contextlib.suppress(OSError):
                    (size / f"{sha256}.jpg").unlink(missing_ok=True)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when empty
        return True

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def verify(self, sha256: str) -> str | None:
        """None when the original is present and matches; else why not ("missing",
        "checksum mismatch", or the read error)."""
        path = self.path_for(sha256)
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        return None if actual == sha256 else "checksum mismatch"

    def checksums(self) -> Iterator[str]:
        """The checksum names of every original in the folder (no temporary files,
        no thumbnails)."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for item in sorted(sub.iterdir()):
                if _SHA.fullmatch(item.name) and item.name.startswith(sub.name):
                    yield item.name

    def stray_files(self) -> Iterator[Path]:
        """Files in the folder that are neither originals nor thumbnails (left-over
        temporary files of an interrupted import, files put there by hand)."""
        if not self.root.is_dir():
            return
        for item in sorted(self.root.rglob("*")):
            if not item.is_file():
                continue
            rel = item.relative_to(self.root).parts
            if rel[0] == THUMBNAILS:
                continue
            if len(rel) == 2 and _SHA.fullmatch(rel[1]) and rel[1].startswith(rel[0]):
                continue
            yield item

    # -- thumbnail cache ---------------------------------------------------------------

    def thumbnail_path(self, sha256: str, size: int) -> Path:
        self.path_for(sha256)  # validates the name
        return self.root / THUMBNAILS / str(size) / f"{sha256}.jpg"

    def put_thumbnail(self, sha256: str, size: int, data: bytes) -> Path:
        path = self.thumbnail_path(sha256, size)
        return write_once(path.parent, path.name, data)


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot hold the clinic's photos, in one sentence; None when it can:
    it must exist, be a folder this account can write into (tried with a file that is
    removed again), and, where the system says, be closed to other accounts of the
    computer (photographs are health data)."""
    if not folder.exists():
        return f"the folder {folder} does not exist; create it first (or choose another)"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
    except OSError as exc:
        return f"the folder {folder} cannot be written: {exc.strerror or exc}"
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    if os.name == "posix":
        mode = folder.stat().st_mode
        if mode & 0o007:
            return (
                f"the folder {folder} is open to every account of this computer "
                f"(permissions {oct(mode & 0o777)[2:]}); make it private (for example "
                "chmod 700, or 770 for a clinic group) and choose it again"
            )
    return None
