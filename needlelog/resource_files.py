"""The one place that finds the files needlelog ships (face map, fonts, icons).

The repository's ``resources/`` folder is installed inside the package as
``needlelog.resources`` (pyproject.toml maps it), so a wheel, ``pip install .``
and an editable install all find it through importlib.resources. The desktop
bundle carries the same folder as plain files at ``needlelog/resources`` in its
own folder (build.spec), found through ``sys._MEIPASS``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

PACKAGE = "needlelog.resources"


class ResourceError(Exception):
    """A file that comes with needlelog is missing or cannot be read."""


def damaged(parts: tuple[str, ...], problem: object) -> ResourceError:
    """The error for a shipped file that is there but cannot be read as what it is."""
    return ResourceError(
        f"needlelog's installation is damaged: {'/'.join(parts)} cannot be read "
        f"({problem}) (reinstall needlelog)"
    )


def root() -> Path:
    """The folder that holds the shipped files."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:  # frozen desktop bundle
        return Path(bundle, *PACKAGE.split("."))
    try:
        folder = resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise ResourceError(
            "needlelog is not completely installed: its resources folder is missing "
            "(reinstall needlelog)"
        ) from None
    if not isinstance(folder, Path):  # an import from a zip archive: Qt and fonts need files
        raise ResourceError(
            f"needlelog's resources are inside an archive ({folder}); install it as files"
        )
    return folder


def path(*parts: str) -> Path:
    """The shipped file ``parts``, e.g. ``path("maps", "zones.json")``.

    Raises ResourceError, with the file named, when the installation lacks it.
    """
    folder = root()
    file = folder.joinpath(*parts)
    if not file.is_file():
        raise ResourceError(
            f"needlelog is not completely installed: {'/'.join(parts)} is missing "
            f"from {folder} (reinstall needlelog)"
        )
    return file
