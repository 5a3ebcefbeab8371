"""The arrows of ARCHITECTURE.md, checked on every module's imports: nothing below the
window imports Qt, and no layer imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import needlelog

PACKAGE = Path(needlelog.__file__).parent

# What each layer may import of needlelog (besides itself), top-level modules included.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "store": {"domain", "config"},
    "services": {"store", "domain", "config", "resources"},
    "reports": {"services", "store", "domain", "config", "resources", "resource_files"},
    "exchange": {"services", "store", "domain", "config"},
}


def _imports(path: Path) -> set[str]:
    """The needlelog modules ``path`` imports, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_layer_imports_one_above_it_or_qt(layer: str) -> None:
    wrong: list[str] = []
    for path in _modules(layer):
        if "migrations" in path.parts and path.name != "env.py":
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
            parts = name.split(".")
            if parts[0] != "needlelog" or len(parts) < 2 or parts[1] in (layer, "__version__"):
                continue
            if parts[1] in ("APP_NAME",):
                continue
            if parts[1] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []
