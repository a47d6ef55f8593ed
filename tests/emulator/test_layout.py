"""The emulator's layout, read from its source with `ast`: one package per service and one shared core.

- `core/` imports nothing of the emulator but `core`.
- A service package imports only `core`, `files` (where it stores or reads content) and itself:
  what it needs of another service goes through `core` (`core.seams`, or the store).
- No domain module imports a route module (a module defining a FastAPI router, named
  `routes.py` or `routes_*.py`), and no service imports another's route modules.
- No source file of the emulator is over 400 lines.
- The emulator imports nothing of the provider outside `airflow_openai.emulator`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import airflow_openai.emulator

ROOT = Path(airflow_openai.emulator.__file__).parent
PACKAGE = "airflow_openai.emulator"
TOP_LEVEL = {"__init__", "__main__", "app", "server", "control", "pytest_plugin"}
SHARED = {"core", "files"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    """Every module of the emulator by dotted name relative to the package (`batches.routes`)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _package_of(name: str) -> str | None:
    """The service (or `core`) a module belongs to; None for a top-level module."""
    parts = name.split(".")
    return parts[0] if len(parts) > 1 else None


def _is_route_module(name: str) -> bool:
    return name.rsplit(".", 1)[-1] == "routes" or name.rsplit(".", 1)[-1].startswith("routes_")


def _imports(name: str) -> list[str]:
    """The absolute modules `name` imports (a name imported from a package counts as its submodule
    when there is one)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), filename=str(path))
    here = [PACKAGE, *name.split(".")[:-1]]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append(module)
            for alias in node.names:
                inner = f"{module}.{alias.name}"
                if inner.startswith(PACKAGE + ".") and inner[len(PACKAGE) + 1 :] in MODULES:
                    found.append(inner)
    return found


def _emulator_imports(name: str) -> list[str]:
    """What `name` imports of the emulator, relative to it (`core.state`); the package itself as ``."""
    relative = []
    for module in _imports(name):
        if module == PACKAGE:
            relative.append("")
        elif module.startswith(PACKAGE + "."):
            relative.append(module[len(PACKAGE) + 1 :])
    return relative


def _defines_router(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == "APIRouter":
                return True
    return False


def test_the_layout_is_found():
    packages = {_package_of(name) for name in MODULES} - {None}
    assert {"core", "files", "inference", "batches", "fine_tuning", "vector_stores"} <= packages
    assert {"assistants", "organization"} <= packages
    assert _emulator_imports("app"), "the import reader found nothing"


def test_only_the_entry_points_stay_at_the_top():
    top = {name for name in MODULES if _package_of(name) is None}
    assert top == TOP_LEVEL


def test_each_package_has_an_init():
    for package in {_package_of(name) for name in MODULES} - {None}:
        assert f"{package}.__init__" in MODULES, package


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _package_of(name) == "core"))
def test_core_imports_only_core(name):
    outside = [module for module in _emulator_imports(name) if module.split(".")[0] != "core"]
    assert outside == [], f"{name} imports {outside}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _package_of(name) not in (None, "core")))
def test_a_service_imports_only_core_files_and_itself(name):
    own = _package_of(name)
    allowed = SHARED | {own}
    outside = [module for module in _emulator_imports(name) if module.split(".")[0] not in allowed]
    assert outside == [], f"{name} imports {outside}: go through core (core.seams or the store)"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _package_of(name) is not None))
def test_no_domain_module_imports_a_route_module(name):
    own = _package_of(name)
    routes = [module for module in _emulator_imports(name) if module in MODULES and _is_route_module(module)]
    if not _is_route_module(name):
        assert routes == [], f"{name} is a domain module and imports the route modules {routes}"
    foreign = [module for module in routes if _package_of(module) != own]
    assert foreign == [], f"{name} imports another service's route modules {foreign}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _package_of(name) is not None))
def test_route_modules_are_named_so(name):
    assert _defines_router(MODULES[name]) == _is_route_module(name), (
        f"{name}: a module defining an APIRouter is named routes.py or routes_*.py, and only such a module"
    )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_file_is_over_the_limit(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_emulator_imports_nothing_else_of_the_provider(name):
    provider = [
        module
        for module in _imports(name)
        if (module == "airflow_openai" or module.startswith("airflow_openai."))
        and not (module == PACKAGE or module.startswith(PACKAGE + "."))
    ]
    assert provider == [], f"{name} imports {provider}"


def test_the_import_reader_sees_a_cross_service_import():
    """The reader resolves both import forms, so a service reaching into another would be caught."""
    assert "inference.tuned_answers" in _emulator_imports("app")
    assert "files.storing" in _emulator_imports("batches.batch_lifecycle")


def test_the_kinds_read_across_services_agree():
    """Assistants read vector stores through the store by kind: the kind is the one vector stores keep."""
    from airflow_openai.emulator.assistants.assistant_checks import VECTOR_STORE
    from airflow_openai.emulator.vector_stores.vector_store_lifecycle import STORE

    assert VECTOR_STORE == STORE
