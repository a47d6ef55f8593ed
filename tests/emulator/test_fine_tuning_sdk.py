"""The official `openai` SDK's fine-tuning calls work against the emulator, paging included (in SDK 3,
iterating a page goes through all the pages after it)."""

from __future__ import annotations

import io
import json

import pytest

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")


@pytest.fixture
def client(emu):
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


def _training_file(client) -> str:
    examples = [
        {
            "messages": [
                {"role": "user", "content": f"Say the number {n} in letters"},
                {"role": "assistant", "content": f"number-{n}"},
            ]
        }
        for n in range(15)
    ]
    content = "".join(json.dumps(example) + "\n" for example in examples).encode()
    return client.files.create(file=("train.jsonl", io.BytesIO(content)), purpose="fine-tune").id


def test_the_sdk_creates_follows_and_pages_a_job(client, emu):
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=_training_file(client),
        suffix="sdk",
        seed=11,
        hyperparameters={"n_epochs": 2},
        metadata={"team": "data"},
    )
    assert job.status == "validating_files" and job.model == "gpt-4o-mini-2024-07-18"
    assert job.metadata == {"team": "data"}
    emu.advance(3600)

    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    assert job.fine_tuned_model is not None and ":sdk:" in job.fine_tuned_model
    assert job.hyperparameters.n_epochs == 2 and job.hyperparameters.batch_size == 1
    assert job.seed == 11 and job.trained_tokens and job.result_files

    first_page = client.fine_tuning.jobs.list_events(job.id, limit=3)
    assert len(list(first_page.iter_pages())) > 2
    events = list(first_page)
    assert len(events) == len({event.id for event in events}) > 6
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message == f"Created fine-tuning job: {job.id}"
    assert any(event.type == "metrics" for event in events)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id, limit=1))
    assert [checkpoint.step_number for checkpoint in checkpoints] == [30, 15]
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-30"

    listed = list(client.fine_tuning.jobs.list(limit=1))
    assert [item.id for item in listed] == [job.id]

    answer = client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "the number 4 in letters"}]
    )
    assert answer.choices[0].message.content == "number-4"
    assert client.models.retrieve(job.fine_tuned_model).owned_by == "org-emulator"
    assert client.models.delete(job.fine_tuned_model).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model=job.fine_tuned_model, messages=[{"role": "user", "content": "hi"}]
        )


def test_the_sdk_cancels_and_sees_the_service_errors(client, emu):
    training = _training_file(client)
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model="gpt-4", training_file=training)
    assert refused.value.code == "model_not_available"
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini",
            training_file=training,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 99}}},
        )
    assert refused.value.param == "method.supervised.hyperparameters.n_epochs"
