"""Where needlelog keeps its data, and which database it opens.

``NEEDLELOG_HOME`` moves every directory (data, logs, backups) under one
folder: for tests, for a portable install, or for a second clinic on the
same PC.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from platformdirs import PlatformDirs

from needlelog import APP_NAME

ENV_DB = "NEEDLELOG_DB"
ENV_HOME = "NEEDLELOG_HOME"
DB_FILENAME = "needlelog.sqlite3"


@dataclass(frozen=True)
class Paths:
    data: Path
    logs: Path
    backups: Path

    @property
    def default_db(self) -> Path:
        return self.data / DB_FILENAME


def paths() -> Paths:
    home = os.environ.get(ENV_HOME)
    if home:
        root = Path(home)
        return Paths(root / "data", root / "logs", root / "backups")
    dirs = PlatformDirs(APP_NAME, appauthor=False)
    data = Path(dirs.user_data_dir)
    return Paths(data, Path(dirs.user_log_dir), data / "backups")


# Characters of a file name that mean something in a URL; SQLAlchemy decodes them back.
_URL_ESCAPES = str.maketrans({"%": "%25", "?": "%3F", "#": "%23"})


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file; any name a file system allows survives it."""
    return "sqlite:///" + str(path).translate(_URL_ESCAPES)


# SQLAlchemy's own URL grammar (sqlalchemy.engine.url), so the answer is the same
# without loading SQLAlchemy on the way to the first window.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
        (?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


def sqlite_file(url: str) -> Path | None:
    """The SQLite file behind ``url``; None for a server or an in-memory database."""
    match = _URL.match(url)
    if match is None or match["name"].split("+", 1)[0] != "sqlite":
        return None
    database = unquote(match["database"] or "")
    if not database or database == ":memory:":
        return None
    return Path(database)


def resolve_db_url(cli_value: str | None = None) -> str:
    """The database to open: ``--db``, else ``NEEDLELOG_DB``, else the user's data folder.

    A plain file path is accepted as well as an SQLAlchemy URL.
    """
    value = cli_value or os.environ.get(ENV_DB)
    if not value:
        return sqlite_url(paths().default_db)
    if "://" in value:
        return value
    return sqlite_url(Path(value).expanduser().resolve())


def make_private_process() -> None:
    """Files and folders this process creates are its user's alone (POSIX umask 077):
    health records are not for the other users of a shared PC. needlelog's own
    folders made open by an earlier version are closed to others as well."""
    if os.name != "posix":
        return
    os.umask(0o077)
    where = paths()
    for folder in (where.data, where.backups, where.logs):
        try:
            st = folder.stat()
            if st.st_uid == os.getuid() and st.st_mode & 0o077:
                folder.chmod(0o700)
        except OSError:
            continue


_signed_in: str | None = None


def set_signed_in(name: str | None) -> None:
    """The account working in this process from now on (None: nobody signed in).
    Called by services.accounts when someone signs in, switches or signs out."""
    global _signed_in
    _signed_in = name


def current_user() -> str:
    """The name audit events carry: the signed-in account's, else (a database
    without accounts) the computer's user name."""
    if _signed_in is not None:
        return _signed_in
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
