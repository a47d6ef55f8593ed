"""Every fine-tuning answer of the emulator (jobs, events, checkpoints, cancel), success or error, in every state a
job reaches, validates against the spec's schema for its path and status (see `tests.support.conformance`)."""

from __future__ import annotations

import pytest

from airflow_openai.emulator.fine_tuning.fine_tuning_lifecycle import (
    QUEUED_SECONDS,
    STEP_SECONDS,
    VALIDATING_SECONDS,
)
from tests.support.conformance import checked_client
from tests.support.fine_tuning import jsonl_bytes, records

RUN_TO_END = 3600
"""Emulated seconds that finish any job of this test."""


@pytest.fixture
def checked(emu):
    """Checked open, unlike the other groups: the spec's FineTuningJob predates much of what the service sends
    (`method`, `metadata`, `user_provided_suffix`, `batch_size` and `learning_rate_multiplier` among the
    hyperparameters, an event's `type` and `data`, `has_more` on events), so a closed check would list the
    spec's gaps rather than the emulator's faults."""
    emu.set_speed(0)
    with checked_client(emu, closed=False) as (client, checker):
        yield client, checker


def _upload(client, count: int, name: str = "train.jsonl") -> str:
    content = jsonl_bytes(records(count))
    return client.post("files", files={"file": (name, content)}, data={"purpose": "fine-tune"}).json()["id"]


def test_fine_tuning_answers_what_the_spec_allows(checked, emu):
    client, checker = checked
    training, validation = _upload(client, 20), _upload(client, 3, "valid.jsonl")
    client.get("fine_tuning/jobs")  # empty

    job = client.post(
        "fine_tuning/jobs",
        json={
            "model": "gpt-4o-mini",
            "training_file": training,
            "validation_file": validation,
            "suffix": "spec",
            "seed": 7,
            "metadata": {"k": "v"},
            "integrations": [{"type": "wandb", "wandb": {"project": "p"}}],
        },
    ).json()
    path = f"fine_tuning/jobs/{job['id']}"
    client.get(path)
    client.get(f"{path}/events")
    client.get(f"{path}/checkpoints")  # none yet
    emu.advance(VALIDATING_SECONDS + QUEUED_SECONDS + 40 * STEP_SECONDS)
    client.get(path)
    client.get(f"{path}/events", params={"limit": 3})
    client.get(f"{path}/checkpoints", params={"limit": 1})
    emu.advance(RUN_TO_END)
    client.get(path)
    client.get(f"{path}/checkpoints")

    nulls = client.post(
        "fine_tuning/jobs",
        json={
            "model": "gpt-4o-mini",
            "training_file": training,
            "validation_file": None,
            "suffix": None,
            "seed": None,
            "metadata": None,
            "hyperparameters": None,
            "integrations": None,
        },
    ).json()
    client.post(f"fine_tuning/jobs/{nulls['id']}/cancel")
    client.get(f"fine_tuning/jobs/{nulls['id']}/events")
    explicit = client.post(
        "fine_tuning/jobs",
        json={
            "model": "gpt-4o-mini",
            "training_file": training,
            "method": {
                "type": "supervised",
                "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 1}},
            },
        },
    ).json()
    emu.fail_fine_tuning(explicit["id"], at_step=3)
    emu.advance(RUN_TO_END)
    client.get(f"fine_tuning/jobs/{explicit['id']}")
    too_few = client.post(
        "fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": _upload(client, 9)}
    )
    emu.advance(RUN_TO_END)
    client.get(f"fine_tuning/jobs/{too_few.json()['id']}")
    client.get("fine_tuning/jobs", params={"limit": 2})

    client.get("fine_tuning/jobs/ftjob-missing")
    client.get("fine_tuning/jobs/ftjob-missing/events")
    client.get("fine_tuning/jobs/ftjob-missing/checkpoints")
    client.post("fine_tuning/jobs/ftjob-missing/cancel")
    client.post(f"{path}/cancel")  # succeeded
    client.post("fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": "file-missing"})
    client.post("fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": training, "seed": "7"})
    client.get("fine_tuning/jobs", params={"limit": 0})

    checker.assert_covers("fine_tuning")
    assert checker.statuses() == {200, 400, 404}
