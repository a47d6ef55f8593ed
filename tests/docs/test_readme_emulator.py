"""The README's control-plane table is the emulator's: every control route it serves is in the table
(and nothing else), every `Emulator` method the table names exists, and every public method of
`Emulator` is named in the README."""

from __future__ import annotations

import inspect
import re
import tempfile
from pathlib import Path

from airflow_openai.emulator.app import create_app
from airflow_openai.emulator.core.routes_index import listing
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.server import Emulator
from tests.docs.readme import README

TEXT = README.read_text()


def _table() -> list[tuple[str, str]]:
    """The control-plane table's rows: (route cell, `Emulator` method cell)."""
    section = TEXT.split("### The control plane\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [tuple(cell.strip() for cell in row.strip("|").split(" | ")[:2]) for row in rows]


def _routes_in(cell: str) -> set[tuple[str, str]]:
    """`POST /_emulator/rate_limits`, `GET`, `DELETE` → each method with the path."""
    found = set()
    path = ""
    for method, named_path in re.findall(r"`(GET|POST|DELETE)(?: (/[^`\s]*))?", cell):
        path = named_path or path
        found.add((method, path))
    for method in re.findall(r"/ `(DELETE|GET|POST)`", cell):
        found.add((method, path))
    return found


def _app_routes() -> set[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        state = EmulatorState.open(Path(folder), speed=60, responder=None)
        try:
            app = create_app(state).app
            return {
                (entry["method"], entry["path"])
                for entry in listing(app.routes)
                if entry["group"] == "control"
            }
        finally:
            state.close()


def test_the_table_lists_every_control_route_and_no_other():
    shown = set()
    for route, _ in _table():
        shown |= _routes_in(route)
    shown = {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path in shown}
    served = {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path in _app_routes()}
    assert shown == served, f"only in the README: {shown - served}; only served: {served - shown}"


def test_the_methods_the_table_names_exist():
    for _, methods in _table():
        for name in re.findall(r"`(\w+)\(", methods):
            assert callable(getattr(Emulator, name, None)), f"Emulator has no method {name}"


def test_every_public_method_of_emulator_is_in_the_readme():
    public = [
        name
        for name, value in vars(Emulator).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))
    ]
    missing = [name for name in public if f"{name}(" not in TEXT and f"emu.{name}" not in TEXT]
    assert not missing, f"the README does not mention Emulator.{missing}"
