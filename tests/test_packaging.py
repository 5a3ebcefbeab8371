"""The desktop bundle's recipe, checked cheaply; scripts/smoke_bundle.sh builds the real thing."""

from __future__ import annotations

import os
import sys
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest

from needlelog import __version__
from tests.cli_runner import ROOT, run_cli

SPEC = ROOT / "build.spec"


class Recorded:
    """Stands in for one of PyInstaller's build steps and keeps its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.binaries: list[tuple[str, str, str]] = []
        self.datas: list[tuple[str, str, str]] = []
        self.pure: list[Any] = []
        self.scripts: list[Any] = []


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """build.spec run with PyInstaller's build steps replaced by recorders."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package, filter=None: [package]  # type: ignore[attr-defined]
    hooks.collect_dynamic_libs = lambda package: [(f"{package}.so", package)]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    namespace: dict[str, Any] = {"SPECPATH": str(ROOT), "__name__": "spec"}
    for step in ("Analysis", "PYZ", "EXE", "COLLECT"):
        namespace[step] = type(step, (Recorded,), {})
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return namespace


def _shipped_resources() -> list[Path]:
    return [
        p
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"
    ]


def test_spec_ships_resources_and_every_migration_script_as_files(spec: dict[str, Any]) -> None:
    datas = {(Path(src), dest) for src, dest in spec["a"].kwargs["datas"]}
    # Where an installed wheel has them: needlelog.resource_files looks there in both.
    resources = _shipped_resources()
    assert ROOT / "resources" / "maps" / "zones.json" in resources
    for file in resources:
        dest = Path("needlelog/resources") / file.parent.relative_to(ROOT / "resources")
        assert (file, str(dest)) in datas, file
    migrations = ROOT / "needlelog" / "store" / "migrations"
    scripts = [p for p in migrations.rglob("*.py") if "__pycache__" not in p.parts]
    assert migrations / "env.py" in {p for p in scripts}
    for script in scripts:
        dest = Path("needlelog/store/migrations") / script.parent.relative_to(migrations)
        assert (script, str(dest)) in datas, script


def test_spec_carries_pillow_and_pillow_heif(spec: dict[str, Any]) -> None:
    analysis = spec["a"].kwargs
    assert "pillow_heif" in analysis["hiddenimports"]
    assert {"PIL.JpegImagePlugin", "PIL.PngImagePlugin", "PIL.TiffImagePlugin"} <= set(
        analysis["hiddenimports"]
    )
    assert ("pillow_heif.so", "pillow_heif") in analysis["binaries"]
    assert "PIL" not in analysis["excludes"] and "pillow_heif" not in analysis["excludes"]


def test_spec_builds_one_folder_from_the_command_line_entry(spec: dict[str, Any]) -> None:
    entry = Path(spec["a"].args[0][0])
    assert entry == ROOT / "packaging" / "entry.py"
    assert "from needlelog.cli import main" in entry.read_text(encoding="utf-8")
    assert spec["coll"].kwargs["name"] == "needlelog"
    exe = spec["programs"][0]
    assert exe.kwargs["name"] == "needlelog"
    assert exe.kwargs["exclude_binaries"] is True  # one folder, not one file


def test_spec_keeps_the_qt_the_app_needs_and_leaves_out_the_rest(spec: dict[str, Any]) -> None:
    hidden = spec["a"].kwargs["hiddenimports"]
    for module in ("QtSvg", "QtPrintSupport", "QtPdf", "QtPdfWidgets"):
        assert f"PySide6.{module}" in hidden
    excluded = spec["a"].kwargs["excludes"]
    for module in ("QtQml", "QtQuick", "QtWebEngineCore", "QtMultimedia"):
        assert f"PySide6.{module}" in excluded
    assert "tkinter" in excluded

    keep = spec["keep"]
    qt = "PySide6/Qt/"
    for wanted in (
        "plugins/platforms/libqxcb.so",
        "plugins/platforms/libqoffscreen.so",
        "plugins/platforms/libqwayland.so",
        "plugins/imageformats/libqsvg.so",
        "plugins/iconengines/libqsvgicon.so",
        "plugins/printsupport/libcupsprintersupport.so",
        "lib/libQt6Pdf.so.6",
    ):
        assert keep((qt + wanted, "src", "BINARY")), wanted
    for unwanted in (
        "translations/qtbase_de.qm",
        "plugins/platforms/libqvnc.so",
        "plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "lib/libQt6Qml.so.6",
        "lib/libQt6Quick.so.6",
        "qml/QtQuick/Controls/qmldir",
    ):
        assert not keep((qt + unwanted, "src", "BINARY")), unwanted
    assert keep(("needlelog/resources/translations/needlelog_de.qm", "src", "DATA"))


def test_version_is_defined_once_and_the_command_line_reports_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "needlelog.__version__"}
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"needlelog {__version__}"


def test_bundle_extra_ci_and_smoke_script_hang_together() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(
        dep.startswith("pyinstaller")
        for dep in project["project"]["optional-dependencies"]["bundle"]
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for script in ("smoke_bundle.sh", "smoke_wheel.sh"):
        assert os.access(ROOT / "scripts" / script, os.X_OK)
        assert f"bash scripts/{script}" in ci
    # The build tool is no dependency of needlelog: the wheel check brings its own.
    dependencies = [*project["project"]["dependencies"]]
    for extra in project["project"]["optional-dependencies"].values():
        dependencies += extra
    assert not any(dep.split(">")[0].split("[")[0].strip() == "build" for dep in dependencies)
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_every_package_and_resource_folder_is_installed() -> None:
    """pyproject.toml lists the packages (resources/ is mapped into needlelog): a new
    folder missing from the list would be left out of every wheel."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    assert setuptools["package-dir"] == {"needlelog.resources": "resources"}
    folders = {
        ".".join(d.relative_to(ROOT).parts)
        for d in [ROOT / "needlelog", *(ROOT / "needlelog").rglob("*")]
        if d.is_dir() and d.name != "__pycache__"
    }
    folders |= {
        ".".join(("needlelog", *d.relative_to(ROOT).parts))
        for d in [ROOT / "resources", *(ROOT / "resources").rglob("*")]
        if d.is_dir() and d.name != "__pycache__"
    }
    assert set(setuptools["packages"]) == folders
    data = setuptools["package-data"]
    for file in _shipped_resources():
        package = ".".join(("needlelog", *file.parent.relative_to(ROOT).parts))
        assert "*" in data.get(package, []), f"{file} is not package data"
