"""Fine-tuning in the emulator: jobs that really run on its clock, validate their files as the service
does, report events and checkpoints, write a result file, and make models that answer from their
training examples, directly and in batches."""

from __future__ import annotations

import csv
import io
import json
import random
import re

import httpx
import pytest

from airflow_openai.emulator.fine_tuning.fine_tuning_lifecycle import (
    FINISHING_SECONDS,
    QUEUED_SECONDS,
    STEP_SECONDS,
    VALIDATING_SECONDS,
)

RUN_TO_END = 3600
"""Emulated seconds that finish any job of these tests."""


@pytest.fixture
def api(emu):
    """A client of the emulator, whose clock only moves when a test advances it: exact step and
    state boundaries hold however slowly a shared machine runs the test."""
    emu.set_speed(0)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        yield client


def chat_example(n: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You answer with the code word of a city."},
            {"role": "user", "content": f"What is the code word for city number {n}?"},
            {"role": "assistant", "content": f"The code word is TANGO-{n}."},
        ]
    }


def as_jsonl(examples: list) -> bytes:
    return "".join(json.dumps(example) + "\n" for example in examples).encode()


def upload(api: httpx.Client, content: bytes, purpose: str = "fine-tune", name: str = "train.jsonl") -> str:
    response = api.post("/files", files={"file": (name, io.BytesIO(content))}, data={"purpose": purpose})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def create(api: httpx.Client, **body) -> dict:
    response = api.post("/fine_tuning/jobs", json={"model": "gpt-4o-mini", **body})
    assert response.status_code == 200, response.text
    return response.json()


def job_on(api: httpx.Client, examples: int = 20, **body) -> dict:
    training = upload(api, as_jsonl([chat_example(n) for n in range(examples)]))
    return create(api, training_file=training, **body)


def get(api: httpx.Client, job: dict) -> dict:
    return api.get(f"/fine_tuning/jobs/{job['id']}").json()


def all_events(api: httpx.Client, job: dict, limit: int) -> list[dict]:
    """Every event, page by page, oldest first."""
    events: list[dict] = []
    after = None
    while True:
        params = {"limit": limit, **({"after": after} if after else {})}
        listed = api.get(f"/fine_tuning/jobs/{job['id']}/events", params=params).json()
        events.extend(listed["data"])
        if not listed["has_more"]:
            return list(reversed(events))
        after = listed["data"][-1]["id"]


def finished(api: httpx.Client, emu, job: dict) -> dict:
    emu.advance(RUN_TO_END)
    return get(api, job)


def test_a_job_runs_through_its_states_on_the_emulator_clock(api, emu):
    job = job_on(api, suffix=None)
    assert job["status"] == "validating_files"
    assert job["id"].startswith("ftjob-")
    assert job["model"] == "gpt-4o-mini-2024-07-18"
    assert job["organization_id"] == "org-emulator"
    assert job["hyperparameters"] == {
        "n_epochs": "auto",
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
    }
    assert job["fine_tuned_model"] is None and job["finished_at"] is None and job["error"] is None
    assert isinstance(job["seed"], int)

    emu.advance(VALIDATING_SECONDS + 1)
    queued = get(api, job)
    assert queued["status"] == "queued"
    assert queued["hyperparameters"] == {"n_epochs": 5, "batch_size": 1, "learning_rate_multiplier": 1.8}

    emu.advance(QUEUED_SECONDS)
    running = get(api, job)
    assert running["status"] == "running"
    total_steps = 20 * 5
    started = job["created_at"] + VALIDATING_SECONDS + QUEUED_SECONDS
    assert running["estimated_finish"] == started + total_steps * STEP_SECONDS + FINISHING_SECONDS
    assert 5 * 60 <= running["estimated_finish"] - job["created_at"] <= 10 * 60

    done = finished(api, emu, job)
    assert done["status"] == "succeeded"
    assert done["finished_at"] == running["estimated_finish"]
    assert done["estimated_finish"] is None
    assert re.fullmatch(r"ft:gpt-4o-mini-2024-07-18:org-emulator::[A-Za-z0-9]{8}", done["fine_tuned_model"])
    assert done["trained_tokens"] > 0 and done["trained_tokens"] % 5 == 0
    assert done["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": done["hyperparameters"]},
    }


def test_a_suffix_names_the_model_and_auto_epochs_follow_the_example_count(api, emu):
    job = finished(api, emu, job_on(api, examples=50, suffix="city-codes"))
    assert re.fullmatch(
        r"ft:gpt-4o-mini-2024-07-18:org-emulator:city-codes:[A-Za-z0-9]{8}", job["fine_tuned_model"]
    )
    assert job["user_provided_suffix"] == "city-codes"
    assert job["hyperparameters"]["n_epochs"] == 3  # 50 * 3 passes reach 100


def test_given_hyperparameters_are_kept(api, emu):
    job = job_on(api, hyperparameters={"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5})
    job = finished(api, emu, job)
    assert job["hyperparameters"] == {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5}
    steps = api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"]
    assert [checkpoint["step_number"] for checkpoint in steps] == [10, 5]  # 20 examples / 4 a step


def test_events_come_in_order_and_each_once_across_pages(api, emu):
    job = finished(api, emu, job_on(api))
    whole = all_events(api, job, limit=100)
    paged = all_events(api, job, limit=4)
    assert [event["id"] for event in paged] == [event["id"] for event in whole]
    assert len({event["id"] for event in whole}) == len(whole)
    assert all(event["id"].startswith("ftevent-") for event in whole)
    assert [event["created_at"] for event in whole] == sorted(event["created_at"] for event in whole)
    messages = [event["message"] for event in whole]
    assert messages[:4] == [
        f"Created fine-tuning job: {job['id']}",
        f"Validating training file: {job['training_file']}",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
    ]
    assert messages[-2:] == [
        f"New fine-tuned model created: {job['fine_tuned_model']}",
        "The job has successfully completed",
    ]
    metrics = [event for event in whole if event["type"] == "metrics"]
    assert [event["data"]["step"] for event in metrics] == list(range(10, 101, 10))
    assert re.fullmatch(r"Step 10/100: training loss=\d+\.\d\d", metrics[0]["message"])
    assert set(metrics[0]["data"]) == {"step", "train_loss", "train_mean_token_accuracy", "total_steps"}
    assert metrics[0]["data"]["total_steps"] == 100
    assert metrics[-1]["data"]["train_loss"] < metrics[0]["data"]["train_loss"]
    others = [event for event in whole if event["type"] == "message"]
    assert all(event["data"] == {} and event["level"] == "info" for event in others)
    assert sum("Checkpoint created at step" in message for message in messages) == 5


def test_a_poll_mid_run_sees_only_the_events_so_far(api, emu):
    job = job_on(api)
    emu.advance(VALIDATING_SECONDS + QUEUED_SECONDS + 10 * STEP_SECONDS + 1)
    assert get(api, job)["status"] == "running"
    messages = [event["message"] for event in all_events(api, job, limit=100)]
    assert any(message.startswith("Step 10/100") for message in messages)
    assert not any(message.startswith("Step 20/100") for message in messages)
    assert api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"] == []

    emu.advance(10 * STEP_SECONDS)
    checkpoints = api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"]
    assert [checkpoint["step_number"] for checkpoint in checkpoints] == [20]


def test_a_checkpoint_at_each_epoch_end_newest_first_and_paged(api, emu):
    job = finished(api, emu, job_on(api))
    path = f"/fine_tuning/jobs/{job['id']}/checkpoints"
    listed = api.get(path).json()
    assert [checkpoint["step_number"] for checkpoint in listed["data"]] == [100, 80, 60, 40, 20]
    assert listed["has_more"] is False
    first = listed["data"][0]
    assert first["id"].startswith("ftckpt_") and first["fine_tuning_job_id"] == job["id"]
    assert first["fine_tuned_model_checkpoint"] == f"{job['fine_tuned_model']}:ckpt-step-100"
    assert set(first["metrics"]) == {"step", "train_loss", "train_mean_token_accuracy"}

    page = api.get(path, params={"limit": 2}).json()
    assert [c["step_number"] for c in page["data"]] == [100, 80] and page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (page["data"][0]["id"], page["data"][1]["id"])
    rest = api.get(path, params={"limit": 10, "after": page["last_id"]}).json()
    assert [c["step_number"] for c in rest["data"]] == [60, 40, 20] and rest["has_more"] is False


def test_the_result_file_holds_one_csv_row_per_step(api, emu):
    job = finished(api, emu, job_on(api))
    (result_id,) = job["result_files"]
    described = api.get(f"/files/{result_id}").json()
    assert (described["purpose"], described["filename"]) == ("fine-tune-results", "step_metrics.csv")
    rows = list(csv.reader(io.StringIO(api.get(f"/files/{result_id}/content").text)))
    assert rows[0] == ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 101))
    assert all(row[3] == "" and row[4] == "" for row in rows[1:])
    assert all(0 < float(row[1]) < 5 and 0 <= float(row[2]) <= 1 for row in rows[1:])


def test_a_validation_file_adds_validation_metrics(api, emu):
    validation = upload(api, as_jsonl([chat_example(n) for n in range(100, 105)]), name="valid.jsonl")
    job = finished(api, emu, job_on(api, validation_file=validation))
    assert job["status"] == "succeeded" and job["validation_file"] == validation
    checkpoint = api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"][0]
    assert {
        "valid_loss",
        "valid_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    } <= set(checkpoint["metrics"])
    metrics = [event for event in all_events(api, job, 100) if event["type"] == "metrics"]
    assert "valid_loss" in metrics[0]["data"] and ", validation loss=" in metrics[0]["message"]
    rows = list(csv.reader(io.StringIO(api.get(f"/files/{job['result_files'][0]}/content").text)))
    assert all(row[3] and row[4] for row in rows[1:])


def test_the_same_seed_gives_the_same_loss_curve(api, emu):
    training = upload(api, as_jsonl([chat_example(n) for n in range(20)]))
    jobs = [create(api, training_file=training, seed=seed) for seed in (42, 42, 7)]
    emu.advance(RUN_TO_END)
    curves = [api.get(f"/files/{get(api, job)['result_files'][0]}/content").text for job in jobs]
    assert curves[0] == curves[1] != curves[2]
    assert get(api, jobs[0])["seed"] == 42


def test_the_fine_tuned_model_is_listed_answers_from_its_examples_and_can_be_deleted(api, emu):
    job = finished(api, emu, job_on(api))
    model = job["fine_tuned_model"]
    listed = {entry["id"]: entry for entry in api.get("/models").json()["data"]}
    assert listed[model]["owned_by"] == "org-emulator"
    assert f"{model}:ckpt-step-20" in listed
    assert api.get(f"/models/{model}").json()["id"] == model

    question = {"messages": [{"role": "user", "content": "code word for city number 7, please?"}]}
    tuned = api.post("/chat/completions", json={"model": model, **question}).json()
    base = api.post("/chat/completions", json={"model": "gpt-4o-mini", **question}).json()
    assert tuned["model"] == model
    assert tuned["choices"][0]["message"]["content"] == "The code word is TANGO-7."
    assert base["choices"][0]["message"]["content"] != "The code word is TANGO-7."
    checkpoint = api.post("/chat/completions", json={"model": f"{model}:ckpt-step-40", **question}).json()
    assert checkpoint["choices"][0]["message"]["content"] == "The code word is TANGO-7."
    exact = {"messages": [{"role": "user", "content": "What is the code word for city number 12?"}]}
    answer = api.post("/chat/completions", json={"model": model, **exact}).json()
    assert answer["choices"][0]["message"]["content"] == "The code word is TANGO-12."

    bad = api.post("/chat/completions", json={"model": model, **question, "temperature": 7})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "temperature"

    assert api.delete(f"/models/{model}").json() == {"id": model, "object": "model", "deleted": True}
    gone = api.post("/chat/completions", json={"model": model, **question})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "model_not_found"
    assert api.get(f"/models/{model}").status_code == 404
    assert model not in {entry["id"] for entry in api.get("/models").json()["data"]}


def test_a_model_a_job_made_is_listed_without_reading_the_job_again(api, emu):
    job = job_on(api)
    emu.advance(RUN_TO_END)
    ids = {entry["id"] for entry in api.get("/models").json()["data"]}
    assert get(api, job)["fine_tuned_model"] in ids


def test_a_batch_line_for_the_fine_tuned_model_answers_like_a_direct_call(api, emu):
    model = finished(api, emu, job_on(api))["fine_tuned_model"]
    lines = [
        {
            "custom_id": name,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": chosen, "messages": [{"role": "user", "content": "city number 3 code word"}]},
        }
        for name, chosen in (("tuned", model), ("base", "gpt-4o-mini"))
    ]
    source = upload(api, as_jsonl(lines), purpose="batch", name="batch.jsonl")
    batch = api.post(
        "/batches",
        json={"input_file_id": source, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    emu.force_batch(batch["id"], "completed")
    batch = api.get(f"/batches/{batch['id']}").json()
    output = api.get(f"/files/{batch['output_file_id']}/content").text
    answers = {
        line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"]
        for line in map(json.loads, output.splitlines())
    }
    assert answers["tuned"] == "The code word is TANGO-3."
    assert answers["base"] != answers["tuned"]


def test_a_completion_model_is_trained_on_prompts_and_answers_with_the_closest_completion(api, emu):
    examples = [{"prompt": f"Colour of fruit {n} ->", "completion": f" shade-{n}"} for n in range(12)]
    training = upload(api, as_jsonl(examples))
    job = finished(api, emu, create(api, model="babbage-002", training_file=training))
    assert job["status"] == "succeeded" and job["model"] == "babbage-002"
    answer = api.post(
        "/completions", json={"model": job["fine_tuned_model"], "prompt": "Colour of fruit 9"}
    ).json()
    assert answer["choices"][0]["text"] == " shade-9"


@pytest.mark.parametrize(
    ("content", "line", "needle"),
    [
        pytest.param(
            as_jsonl([chat_example(0), chat_example(1)])
            + b"{not json\n"
            + as_jsonl([chat_example(n) for n in range(9)]),
            3,
            "not valid JSON",
            id="not-json",
        ),
        pytest.param(
            as_jsonl(
                [chat_example(n) for n in range(3)]
                + [{"messages": [{"role": "user", "content": "Hello?"}]}]
                + [chat_example(n) for n in range(9)]
            ),
            4,
            "no assistant message",
            id="no-assistant-message",
        ),
        pytest.param(
            as_jsonl([{"prompt": f"p{n}", "completion": f"c{n}"} for n in range(12)]),
            1,
            "'prompt' and 'completion'",
            id="completion-format-for-a-chat-model",
        ),
        pytest.param(
            as_jsonl([chat_example(0)])
            + b"\n"
            + as_jsonl(
                [{"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}]
            )
            + as_jsonl([chat_example(n) for n in range(9)]),
            3,
            "unrecognized role",
            id="unknown-role-after-a-blank-line",
        ),
        pytest.param(
            as_jsonl(
                [chat_example(n) for n in range(4)]
                + [
                    {
                        "messages": [
                            {"role": "user", "content": "x", "weight": 1},
                            {"role": "assistant", "content": "y"},
                        ]
                    }
                ]
                + [chat_example(n) for n in range(9)]
            ),
            5,
            "only allowed on assistant messages",
            id="weight-on-a-user-message",
        ),
        pytest.param(
            as_jsonl(
                [
                    {
                        "messages": [
                            {"role": "user", "content": "x", "mood": "odd"},
                            {"role": "assistant", "content": "y"},
                        ]
                    }
                ]
                + [chat_example(n) for n in range(9)]
            ),
            1,
            "unrecognized keys ['mood']",
            id="unknown-key-in-a-message",
        ),
    ],
)
def test_a_bad_training_file_fails_the_job_naming_the_line(api, emu, content, line, needle):
    job = create(api, training_file=upload(api, content))
    emu.advance(VALIDATING_SECONDS)
    failed = get(api, job)
    assert failed["status"] == "failed"
    assert failed["finished_at"] == job["created_at"] + VALIDATING_SECONDS
    error = failed["error"]
    assert (error["code"], error["param"]) == ("invalid_training_file", "training_file")
    assert f"Line {line}" in error["message"] and needle in error["message"]
    last = api.get(f"/fine_tuning/jobs/{job['id']}/events").json()["data"][0]
    assert (last["level"], last["message"]) == ("error", error["message"])
    assert failed["fine_tuned_model"] is None and failed["result_files"] == []


def test_nine_examples_are_too_few(api, emu):
    job = finished(api, emu, job_on(api, examples=9))
    assert job["status"] == "failed"
    assert job["error"]["code"] == "invalid_training_file"
    assert "9 example(s)" in job["error"]["message"] and "at least 10" in job["error"]["message"]


def test_a_bad_validation_file_fails_the_job_naming_it(api, emu):
    validation = upload(api, as_jsonl([chat_example(0)]) + b"[1, 2]\n", name="valid.jsonl")
    job = finished(api, emu, job_on(api, validation_file=validation))
    assert job["status"] == "failed"
    assert job["error"]["param"] == "validation_file"
    assert "Line 2" in job["error"]["message"] and "validation file" in job["error"]["message"]


def test_a_training_file_deleted_before_validation_fails_the_job(api, emu):
    job = job_on(api)
    api.delete(f"/files/{job['training_file']}")
    job = finished(api, emu, job)
    assert job["status"] == "failed" and job["error"]["param"] == "training_file"
    assert "no longer exists" in job["error"]["message"]


def test_the_model_still_answers_once_its_training_file_is_deleted(api, emu):
    job = finished(api, emu, job_on(api))
    api.delete(f"/files/{job['training_file']}")
    question = {"messages": [{"role": "user", "content": "code word for city number 5"}]}
    answer = api.post("/chat/completions", json={"model": job["fine_tuned_model"], **question}).json()
    assert answer["choices"][0]["message"]["content"] == "The code word is TANGO-5."


@pytest.mark.parametrize(
    ("change", "param", "code"),
    [
        ({"model": "gpt-4"}, "model", "model_not_available"),
        ({"model": "text-embedding-3-small"}, "model", "model_not_available"),
        ({"training_file": "file-missing"}, "training_file", "invalid_value"),
        ({"training_file": "BATCH"}, "training_file", "invalid_value"),
        ({"validation_file": "file-missing"}, "validation_file", "invalid_value"),
        ({"suffix": "x" * 65}, "suffix", "string_above_max_length"),
        ({"suffix": ""}, "suffix", "string_below_min_length"),
        ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs", "integer_below_min_value"),
        ({"hyperparameters": {"n_epochs": 51}}, "hyperparameters.n_epochs", "integer_above_max_value"),
        ({"hyperparameters": {"n_epochs": "three"}}, "hyperparameters.n_epochs", "invalid_type"),
        ({"hyperparameters": {"n_epochs": True}}, "hyperparameters.n_epochs", "invalid_type"),
        ({"hyperparameters": {"batch_size": 257}}, "hyperparameters.batch_size", "integer_above_max_value"),
        (
            {"hyperparameters": {"learning_rate_multiplier": 0}},
            "hyperparameters.learning_rate_multiplier",
            "decimal_below_min_value",
        ),
        (
            {"hyperparameters": {"learning_rate_multiplier": -1.5}},
            "hyperparameters.learning_rate_multiplier",
            "decimal_below_min_value",
        ),
        ({"hyperparameters": {"epochs": 3}}, "hyperparameters.epochs", "unknown_parameter"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 0}}}},
            "method.supervised.hyperparameters.batch_size",
            "integer_below_min_value",
        ),
        ({"method": {"type": "dpo"}}, "method.type", "invalid_value"),
        ({"temperature": 1}, "temperature", "unknown_parameter"),
        ({"seed": -1}, "seed", "invalid_value"),
        ({"seed": "42"}, "seed", "invalid_type"),
        ({"training_file": None}, "training_file", "invalid_type"),
    ],
)
def test_a_bad_create_request_is_a_400_naming_the_parameter(api, change, param, code):
    training = upload(api, as_jsonl([chat_example(n) for n in range(10)]))
    batch_file = upload(api, b"{}\n", purpose="batch", name="b.jsonl")
    body = {"model": "gpt-4o-mini", "training_file": training, **change}
    if body.get("training_file") == "BATCH":
        body["training_file"] = batch_file
    response = api.post("/fine_tuning/jobs", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert api.get("/fine_tuning/jobs").json()["data"] == []


def test_a_missing_training_file_parameter_is_a_400(api):
    response = api.post("/fine_tuning/jobs", json={"model": "gpt-4o-mini"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_required_parameter"


def test_every_fine_tunable_model_is_accepted_and_its_base_answers(api, emu):
    training = upload(api, as_jsonl([chat_example(n) for n in range(10)]))
    reported = {
        name: create(api, model=name, training_file=training)["model"]
        for name in (
            "gpt-4o-mini-2024-07-18",
            "gpt-4o-2024-08-06",
            "gpt-4.1-mini-2025-04-14",
            "gpt-3.5-turbo",
        )
    }
    assert reported["gpt-4.1-mini-2025-04-14"] == "gpt-4.1-mini-2025-04-14"
    for base in ("gpt-3.5-turbo", "babbage-002", "davinci-002", "gpt-4o-2024-08-06"):
        answer = api.post(
            "/chat/completions", json={"model": base, "messages": [{"role": "user", "content": "hi"}]}
        )
        assert answer.status_code == 200, answer.text


def test_cancel_stops_a_running_job_and_refuses_a_finished_one(api, emu):
    job = job_on(api)
    emu.advance(VALIDATING_SECONDS + QUEUED_SECONDS + 30)
    cancelled = api.post(f"/fine_tuning/jobs/{job['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["fine_tuned_model"] is None
    emu.advance(RUN_TO_END)
    assert get(api, job)["status"] == "cancelled"
    newest = api.get(f"/fine_tuning/jobs/{job['id']}/events").json()["data"][0]
    assert newest["level"] == "warn" and "cancellation" in newest["message"]
    again = api.post(f"/fine_tuning/jobs/{job['id']}/cancel")
    assert again.status_code == 400 and "already cancelled" in again.json()["error"]["message"]


def test_an_unknown_job_is_a_404(api):
    for method, path in (
        ("GET", "/fine_tuning/jobs/ftjob-nope"),
        ("POST", "/fine_tuning/jobs/ftjob-nope/cancel"),
        ("GET", "/fine_tuning/jobs/ftjob-nope/events"),
        ("GET", "/fine_tuning/jobs/ftjob-nope/checkpoints"),
    ):
        response = api.request(method, path)
        assert response.status_code == 404, path
        assert "ftjob-nope" in response.json()["error"]["message"]


def test_jobs_are_listed_newest_first_in_pages(api):
    training = upload(api, as_jsonl([chat_example(n) for n in range(10)]))
    jobs = [create(api, training_file=training) for _ in range(3)]
    first = api.get("/fine_tuning/jobs", params={"limit": 2}).json()
    assert [job["id"] for job in first["data"]] == [jobs[2]["id"], jobs[1]["id"]] and first[
        "has_more"
    ] is True
    rest = api.get("/fine_tuning/jobs", params={"limit": 2, "after": first["data"][-1]["id"]}).json()
    assert [job["id"] for job in rest["data"]] == [jobs[0]["id"]] and rest["has_more"] is False


def test_the_next_job_fails_at_the_step_asked(api, emu):
    emu.fail_fine_tuning(at_step=25, message="The GPU caught fire.")
    job = finished(api, emu, job_on(api))
    assert job["status"] == "failed"
    assert job["error"] == {"code": "internal_error", "message": "The GPU caught fire.", "param": None}
    assert job["finished_at"] == job["created_at"] + VALIDATING_SECONDS + QUEUED_SECONDS + 25 * STEP_SECONDS
    events = all_events(api, job, limit=100)
    assert (events[-1]["level"], events[-1]["message"]) == ("error", "Step 25/100: The GPU caught fire.")
    assert max(event["data"]["step"] for event in events if event["type"] == "metrics") == 20
    checkpoints = api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"]
    assert [checkpoint["step_number"] for checkpoint in checkpoints] == [20]
    assert finished(api, emu, job_on(api))["status"] == "succeeded"  # the fault was for one job


def test_a_given_job_can_be_made_to_fail_with_a_code(api, emu):
    job = job_on(api)
    emu.fail_fine_tuning(job["id"], at_step=500, message="Out of quota.", code="quota_exceeded")
    job = finished(api, emu, job)
    assert job["error"]["code"] == "quota_exceeded"
    assert job["finished_at"] == job["created_at"] + VALIDATING_SECONDS + QUEUED_SECONDS + 100 * STEP_SECONDS


def test_the_failure_control_route_checks_its_body(emu):
    with httpx.Client(base_url=emu.url + "/_emulator") as control:
        for body, param in (
            ({"at_step": 0}, "at_step"),
            ({"at_step": "3"}, "at_step"),
            ({"at_step": 3, "colour": "red"}, "colour"),
            ({"at_step": 3, "message": ""}, "message"),
        ):
            response = control.post("/faults/fine_tuning", json=body)
            assert response.status_code == 400 and response.json()["error"]["param"] == param
        assert control.post("/faults/fine_tuning", json={"job_id": "ftjob-nope"}).status_code == 404
        assert control.post("/state/fine_tuning/ftjob-nope", json={"status": "succeeded"}).status_code == 404


def test_a_finished_job_cannot_be_made_to_fail(api, emu):
    job = finished(api, emu, job_on(api))
    with pytest.raises(httpx.HTTPStatusError):
        emu.fail_fine_tuning(job["id"], at_step=3)


def test_a_job_can_be_forced_to_succeed_at_once(api, emu):
    job = job_on(api)
    forced = emu.force_fine_tuning(job["id"], "succeeded")
    assert forced["status"] == "succeeded" and forced["fine_tuned_model"]
    assert forced["finished_at"] - job["created_at"] < 5
    assert len(api.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()["data"]) == 5
    other = emu.force_fine_tuning(job_on(api)["id"], "failed")
    assert other["status"] == "failed" and other["error"]["code"] == "internal_error"


def test_the_hook_runs_a_job_end_to_end(hook, emu):
    training = hook.create_file(
        io.BytesIO(as_jsonl([chat_example(n) for n in range(12)])), "fine-tune", "train.jsonl"
    )
    job = hook.create_fine_tuning_job("gpt-4o-mini", training.id, suffix="hooked", seed=3)
    emu.advance(RUN_TO_END)
    job = hook.get_fine_tuning_job(job.id)
    assert job.status == "succeeded" and job.fine_tuned_model.split(":")[3] == "hooked"
    events = list(hook.list_fine_tuning_events(job.id, limit=5))
    assert events[0].message == "The job has successfully completed"
    assert len(events) == len({event.id for event in events})
    checkpoints = list(hook.list_fine_tuning_checkpoints(job.id, limit=2))
    assert [c.step_number for c in checkpoints] == sorted((c.step_number for c in checkpoints), reverse=True)
    assert job.fine_tuned_model in {model.id for model in hook.list_models()}


def test_the_dashboard_shows_a_job_and_the_list(api, emu):
    job = finished(api, emu, job_on(api))
    with httpx.Client(base_url=emu.dashboard_url) as dashboard:
        page = dashboard.get(f"/finetune/{job['id']}")
        assert page.status_code == 200
        for text in (
            "succeeded",
            job["model"],
            job["fine_tuned_model"],
            "Fine-tuning job started",
            "ckpt-step-20",
        ):
            assert text in page.text
        listing = dashboard.get("/finetune")
        assert (
            job["id"] in listing.text and f'href="/_emulator/dashboard/finetune/{job["id"]}"' in listing.text
        )
        assert dashboard.get("/finetune/ftjob-nope").status_code == 404


FUZZ_VALUES = [
    None,
    True,
    0,
    1,
    -1,
    1.5,
    1e300,
    "",
    "x",
    "auto",
    [],
    [None],
    ["a"],
    {},
    {"a": 1},
    {"n_epochs": 2},
]
FUZZ_FIELDS = ["model", "training_file", "validation_file", "suffix", "seed", "hyperparameters", "metadata"]


@pytest.mark.parametrize("seed", range(2))
def test_generated_create_bodies_get_a_job_or_a_4xx_never_a_5xx(api, emu, seed):
    rng = random.Random(seed)
    training = upload(api, as_jsonl([chat_example(n) for n in range(10)]))
    for _ in range(120):
        body = {name: rng.choice(FUZZ_VALUES) for name in FUZZ_FIELDS if rng.random() < 0.6}
        if rng.random() < 0.5:
            body.update(model="gpt-4o-mini", training_file=training)
        if rng.random() < 0.3:
            body["hyperparameters"] = {
                name: rng.choice(FUZZ_VALUES)
                for name in ("n_epochs", "batch_size", "learning_rate_multiplier")
            }
        answer = api.post("/fine_tuning/jobs", json=body)
        assert answer.status_code in (200, 400), (body, answer.text)
        if answer.status_code == 400:
            assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
    emu.advance(RUN_TO_END)
    statuses = {job["status"] for job in api.get("/fine_tuning/jobs", params={"limit": 100}).json()["data"]}
    assert statuses <= {"succeeded", "failed"}
