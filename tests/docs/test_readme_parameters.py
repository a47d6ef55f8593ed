"""The README's parameter tables say what the code says: every parameter of every operator and sensor
(and of `Emulator`), with its default and whether it is templated, and nothing else.

Two checks: the tables are exactly what `parameter_tables.render` makes from the code (so the units
and meanings kept in `NOTES` are in step too: `python -m tests.docs.parameter_tables` writes them
again), and, reading the tables back from the README, each one's names, defaults and templated column
equal the class's signature and `template_fields`, independently of the renderer.
"""

from __future__ import annotations

import inspect
import re

import pytest

from airflow_openai.provider import get_provider_info
from tests.docs import parameter_tables as tables
from tests.docs.readme import README

TEXT = README.read_text()
CLASSES = [*tables.OPERATORS, *tables.SENSORS, tables.EMULATOR]


def test_the_readme_holds_the_tables_the_code_makes():
    found = tables.blocks_in(TEXT)
    assert set(found) == set(tables.BLOCKS), "README.md lacks a parameters block's markers"
    for block, body in found.items():
        assert body.strip() == tables.render(block).strip(), (
            f"The README's '{block}' parameter tables differ from the code: run `python -m tests.docs.parameter_tables`"
        )


def test_every_operator_and_sensor_of_the_provider_has_a_table():
    info = get_provider_info()
    modules = [module for entry in info["operators"] + info["sensors"] for module in entry["python-modules"]]
    from airflow.sdk import BaseOperator

    public = set()
    for module in modules:
        loaded = __import__(module, fromlist=["_"])
        for name, value in vars(loaded).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseOperator)
                and value.__module__ == module
                and not name.startswith("_")
                and not inspect.isabstract(value)
                and name.endswith(("Operator", "Sensor"))
            ):
                public.add(f"{module}.{name}")
    assert public == set(tables.OPERATORS) | set(tables.SENSORS)


@pytest.mark.parametrize("path", CLASSES)
def test_notes_cover_every_parameter_and_nothing_else(path):
    cls = tables.load(path)
    names = {parameter.name for parameter in tables.parameters(cls)}
    for name in names:
        assert tables.note_of(cls, name) is not None, f"NOTES lacks {cls.__name__}.{name}"
    own = set(tables.NOTES.get(cls.__name__, {}))
    assert own <= names, f"NOTES has entries for {cls.__name__} that it does not take: {own - names}"


def _tables_in_readme() -> dict[str, list[dict[str, str]]]:
    """Each table under a `### Class` heading of the parameters block (and the Emulator's), read back."""
    found: dict[str, list[dict[str, str]]] = {}
    for block, body in tables.blocks_in(TEXT).items():
        sections = re.split(r"^### (\w+)\n", body, flags=re.M)
        named = (
            [("Emulator", body)]
            if block == tables.EMULATOR
            else list(zip(sections[1::2], sections[2::2], strict=True))
        )
        for name, section in named:
            lines = [line for line in section.splitlines() if line.startswith("|")]
            header = [cell.strip() for cell in _cells(lines[0])]
            found[name] = [dict(zip(header, _cells(line), strict=True)) for line in lines[2:]]
    return found


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in cells]


READ_BACK = _tables_in_readme()


@pytest.mark.parametrize("path", CLASSES)
def test_names_defaults_and_templating_read_back_equal_the_code(path):
    cls = tables.load(path)
    rows = READ_BACK[cls.__name__]
    assert [row["parameter"].strip("`") for row in rows] == [p.name for p in tables.parameters(cls)]
    templated = set(getattr(cls, "template_fields", ()) or ())
    for row, parameter in zip(rows, tables.parameters(cls), strict=True):
        default = tables.effective_default(cls, parameter)
        shown = row["default"]
        if default is inspect.Parameter.empty:
            assert shown == "required", parameter.name
        else:
            value = re.match(r"`([^`]*)`", shown)
            assert value is not None, f"{cls.__name__}.{parameter.name}: no default in {shown!r}"
            expected = (
                f"{default:g}"
                if isinstance(default, float)
                else (f'"{default}"' if isinstance(default, str) else repr(default))
            )
            assert value[1] == expected, (
                f"{cls.__name__}.{parameter.name}: README says {value[1]}, code {expected}"
            )
        if "templated" in row:
            assert row["templated"] == ("yes" if parameter.name in templated else "no"), parameter.name
    if path != tables.EMULATOR:
        named = {row["parameter"].strip("`") for row in rows}
        assert templated <= named, f"templated but not in the table: {templated - named}"


def test_the_waiting_defaults_differ_per_operator_as_the_tables_say():
    """`poll_interval` is None in the signature; the table shows each operator's own default."""
    poll = {
        name: row["default"]
        for name, rows in READ_BACK.items()
        for row in rows
        if row["parameter"] == "`poll_interval`"
    }
    assert poll == {
        "OpenAIBatchOperator": "`5`",
        "OpenAIFineTuningJobOperator": "`15`",
        "OpenAIVectorStoreIngestOperator": "`5`",
        "OpenAIAssistantRunOperator": "`1`",
    }


def test_each_operator_section_links_its_table():
    for path in [*tables.OPERATORS, *tables.SENSORS]:
        name = tables.load(path).__name__
        assert f"### {name}\n" in TEXT
        if name.endswith("Operator"):
            assert f"](#{name.lower()})" in TEXT, f"no section links the table of {name}"
