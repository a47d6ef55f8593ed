"""Exactly once, at the level of the job: a second submission of the same input finds the first batch."""

from __future__ import annotations

import pytest

from airflow_openai.batch.chunks import prepare
from airflow_openai.batch.identity import TaskIdentity, batch_metadata
from airflow_openai.batch.pipeline import BatchJob
from airflow_openai.batch.record import BatchRecord
from airflow_openai.batch.requests import checked, from_prompts
from airflow_openai.records import RecordStore

CHAT = "/v1/chat/completions"


@pytest.fixture
def job(openai_emulator_clean, tmp_path):
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    emu = openai_emulator_clean
    hook = OpenAIHook(settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url))
    yield BatchJob(hook, CHAT, "24h", TaskIdentity("dag", "task", "run_1", -1), metadata={"team": "search"})
    hook.close()


def _input(tmp_path, name, prompts):
    return prepare(checked(from_prompts(prompts, model="gpt-4o-mini"), CHAT), tmp_path / name, CHAT)


def test_a_worker_that_died_before_recording_reattaches_by_tags(job, tmp_path):
    first = job.submit(_input(tmp_path, "a", ["x", "y"]), round=0)
    second = job.submit(
        _input(tmp_path, "b", ["x", "y"]), round=0
    )  # nothing recorded: found by metadata alone

    assert second.batch_ids == first.batch_ids and second.reattached == list(first.batch_ids.values())
    assert len(list(job.hook.list_batches())) == 1
    (batch,) = job.hook.list_batches()
    assert batch.metadata["team"] == "search" and batch.metadata["airflow_chunk"] == "1/1"


def test_other_input_or_another_run_gets_its_own_batch(job, tmp_path):
    job.submit(_input(tmp_path, "a", ["x"]), round=0)
    job.submit(_input(tmp_path, "b", ["changed"]), round=0)
    other_run = BatchJob(job.hook, CHAT, "24h", TaskIdentity("dag", "task", "run_2", -1))
    other_run.submit(_input(tmp_path, "c", ["x"]), round=0)
    assert len(list(job.hook.list_batches())) == 3


def test_a_cancelled_or_failed_batch_is_submitted_again(job, tmp_path):
    first = job.submit(_input(tmp_path, "a", ["x"]), round=0)
    (batch_id,) = first.batch_ids.values()
    job.hook.cancel_batch(batch_id)
    record = RecordStore(None, BatchRecord)
    record.update(rounds={"0": first.batch_ids})
    again = job.submit(_input(tmp_path, "b", ["x"]), round=0, record=record)
    assert list(again.batch_ids.values()) != [batch_id] and again.reattached == []


def test_reserved_metadata_keys_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        batch_metadata({"airflow_dag_id": "spoof"}, {})
