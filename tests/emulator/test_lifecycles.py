"""The lifecycle driver (`core.lifecycle`) on a toy table, and each service's table against the spec.

The toy object is a kettle: `cold` → `heating` (on a request) → `boiling` after 10 s per litre →
`off` 5 s later, unless it runs dry first (a fault, 3 s after it starts heating).
"""

from __future__ import annotations

import pytest

from airflow_openai.emulator.assistants.run_lifecycle import RUN
from airflow_openai.emulator.batches.batch_lifecycle import BATCH
from airflow_openai.emulator.core.lifecycle import Lifecycle, Transition
from airflow_openai.emulator.fine_tuning.fine_tuning_lifecycle import FINE_TUNING
from airflow_openai.emulator.vector_stores.vector_store_lifecycle import FILE, FILE_BATCH, FILE_STATUSES
from tests.support.spec import load_spec

STATE = None
"""The driver only hands the emulator's state to the table's functions; these need none."""


def _litres(state, kettle):
    return 10 * kettle["litres"]


def _dry(state, kettle):
    return kettle["dry"]


def _whistle(state, kettle, at):
    kettle["whistled"] = at


def _pour(state, kettle, until):
    kettle["poured"] = until


KETTLE = Lifecycle(
    transitions=(
        Transition("cold", "heating", on="switch_on"),
        Transition("heating", "burnt", after=3, when=_dry),
        Transition("heating", "boiling", after=_litres, enter=_whistle),
        Transition("boiling", "off", after=5),
        Transition("heating", "off", by="timer"),
    ),
    stamps={"heating": "heating_at", "boiling": "boiling_at", "off": "off_at", "burnt": "burnt_at"},
    work={"heating": _pour},
)


def _kettle(**fields):
    return {"status": "heating", "heating_at": 100, "litres": 1, "dry": False, "timer": None, **fields}


def test_the_states_and_the_terminal_ones_are_read_from_the_table():
    assert KETTLE.states == {"cold", "heating", "boiling", "off", "burnt"}
    assert KETTLE.terminal == {"off", "burnt"}


def test_nothing_moves_before_it_is_due():
    kettle = _kettle()
    assert KETTLE.advance(STATE, kettle, 109) is False
    assert kettle["status"] == "heating" and "boiling_at" not in kettle


def test_each_due_step_is_taken_in_turn_at_the_moment_it_fell_due():
    kettle = _kettle()
    assert KETTLE.advance(STATE, kettle, 1000) is True
    assert kettle["status"] == "off"
    assert (kettle["boiling_at"], kettle["off_at"]) == (110, 115)
    assert kettle["whistled"] == 110, "the hook runs at the moment of the move, not of the read"


def test_a_duration_is_a_function_of_the_object():
    kettle = _kettle(litres=2)
    KETTLE.advance(STATE, kettle, 115)
    assert kettle["status"] == "heating"
    KETTLE.advance(STATE, kettle, 120)
    assert (kettle["status"], kettle["boiling_at"]) == ("boiling", 120)


def test_a_fault_takes_its_row_when_its_condition_holds():
    dry = _kettle(dry=True)
    KETTLE.advance(STATE, dry, 1000)
    assert (dry["status"], dry["burnt_at"]) == ("burnt", 103)
    wet = _kettle()
    KETTLE.advance(STATE, wet, 1000)
    assert wet["status"] == "off" and "burnt_at" not in wet


def test_the_earliest_row_wins_and_a_tie_goes_to_the_row_written_first():
    early_timer = _kettle(timer=105)
    KETTLE.advance(STATE, early_timer, 1000)
    assert (early_timer["status"], early_timer["off_at"]) == ("off", 105) and "boiling_at" not in early_timer
    tie = _kettle(timer=110)
    KETTLE.advance(STATE, tie, 1000)
    assert (tie["status"], tie["off_at"]) == ("off", 115), "boiling is written before the timer"


def test_a_deadline_field_that_is_null_never_falls_due():
    kettle = _kettle(litres=100)
    KETTLE.advance(STATE, kettle, 900)
    assert kettle["status"] == "heating"


def test_a_terminal_state_stays():
    kettle = _kettle(status="burnt")
    assert KETTLE.advance(STATE, kettle, 10**9) is False
    assert kettle["status"] == "burnt"


def test_work_is_done_up_to_each_move_then_up_to_now():
    kettle = _kettle()
    KETTLE.advance(STATE, kettle, 105)
    assert kettle["poured"] == 105
    KETTLE.advance(STATE, kettle, 1000)
    assert kettle["poured"] == 110, "the last pour is at the moment the kettle boiled"


def test_reading_often_or_once_ends_the_same():
    often, once = _kettle(litres=3), _kettle(litres=3)
    for now in range(100, 200):
        KETTLE.advance(STATE, often, now)
    KETTLE.advance(STATE, once, 200)
    assert often == once


def test_a_request_row_is_taken_only_when_asked():
    kettle = {"status": "cold"}
    assert KETTLE.advance(STATE, kettle, 10**9) is False and kettle["status"] == "cold"
    assert KETTLE.take(STATE, kettle, "heating", 42) == "heating"
    assert (kettle["status"], kettle["heating_at"]) == ("heating", 42)
    assert KETTLE.take(STATE, kettle, "cold", 43) is None, "no row leads back"


def test_a_row_with_several_outcomes_enters_the_one_its_hook_chooses():
    def weigh(state, parcel, at):
        parcel["weighed_at"] = at
        return "refused" if parcel["kg"] > 30 else "accepted"

    desk = Lifecycle(
        transitions=(Transition("weighing", ("accepted", "refused"), after=2, enter=weigh),),
        stamps={"weighing": "created_at", "refused": "refused_at"},
    )
    heavy, light = (
        {"status": "weighing", "created_at": 0, "kg": 40},
        {"status": "weighing", "created_at": 0, "kg": 1},
    )
    desk.advance(STATE, heavy, 10)
    desk.advance(STATE, light, 10)
    assert (heavy["status"], heavy["refused_at"], heavy["weighed_at"]) == ("refused", 2, 2)
    assert light["status"] == "accepted"
    lost = Lifecycle(
        transitions=(Transition("weighing", ("accepted", "refused"), enter=lambda *_: "lost"),),
        stamps={"weighing": "created_at"},
    )
    with pytest.raises(ValueError, match="lost"):
        lost.advance(STATE, {"status": "weighing", "created_at": 0}, 1)


# Each service's table names exactly the statuses the spec gives its object.


def _statuses(schema: str) -> set[str]:
    return set(load_spec()["components"]["schemas"][schema]["properties"]["status"]["enum"])


def _stamped(table: Lifecycle) -> set[str]:
    return {field for field in table.stamps.values() if not field.startswith("_")}


def _fields(schema: str) -> set[str]:
    return set(load_spec()["components"]["schemas"][schema]["properties"])


@pytest.mark.parametrize(
    ("table", "schema"),
    [
        (BATCH, "Batch"),
        (FINE_TUNING, "FineTuningJob"),
        (FILE, "VectorStoreFileObject"),
        (RUN, "RunObject"),
    ],
    ids=["batch", "fine-tuning job", "vector store file", "run"],
)
def test_a_table_has_the_statuses_of_its_object_and_stamps_its_fields(table, schema):
    assert table.states == _statuses(schema)
    assert _stamped(table) <= _fields(schema)


def test_the_file_batch_table_has_the_spec_statuses_and_cancelling():
    """The spec's enum lacks `cancelling`, which its own cancel example (and the service) returns."""
    assert FILE_BATCH.states == _statuses("VectorStoreFileBatchObject") | {"cancelling"}
    assert _stamped(FILE_BATCH) <= _fields("VectorStoreFileBatchObject")


def test_the_terminal_statuses_are_the_ones_the_provider_waits_for():
    from airflow_openai.models.batches import BATCH_TERMINAL_STATUSES

    assert BATCH.terminal == BATCH_TERMINAL_STATUSES
    assert FINE_TUNING.terminal == {"succeeded", "failed", "cancelled"}
    assert RUN.terminal == {"cancelled", "failed", "completed", "incomplete", "expired"}
    assert FILE.terminal == FILE_BATCH.terminal == {"completed", "failed", "cancelled"}


def test_the_file_statuses_counted_are_the_table_s():
    assert set(FILE_STATUSES) == FILE.states
