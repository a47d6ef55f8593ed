"""OpenAIFineTuningJobOperator on a real Airflow (`dag.test()`, SQLite) against the emulator over loopback.

Each test says what a DAG author sees (task state, XCom, the log) and counts what the job
left on the emulator: files uploaded and jobs created.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.fine_tuning import jsonl_bytes, records

BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture(autouse=True)
def fast_jobs(emu):
    """A job takes some 400 emulated seconds: at 600 times real time, under a second."""
    emu.set_speed(600)


def _jobs(hook):
    return list(hook.list_fine_tuning_jobs())


def _fine_tune_files(hook):
    return list(hook.list_files(purpose="fine-tune"))


def _event_lines(hook, job_id):
    from airflow_openai.fine_tuning.events import line

    return [line(job_id, event) for event in reversed(list(hook.list_fine_tuning_events(job_id)))]


def test_records_become_a_fine_tuned_model_with_metrics(airflow_db, emu, emu_hook, new_dag, tmp_path, capsys):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    with new_dag() as dag:
        OpenAIFineTuningJobOperator(
            task_id="fine_tune",
            model=BASE,
            training_file=records(24),
            validation_file=records(6, start=100),
            suffix="tickets",
            hyperparameters={"n_epochs": 2},
            poll_interval=0.2,
            output_path=str(tmp_path / "metrics"),
        )
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"fine_tune": "success"}
    result = xcom_value(dag_run, "fine_tune")
    (job,) = _jobs(emu_hook)
    assert result["job_id"] == job.id and result["status"] == "succeeded"
    assert result["fine_tuned_model"] == job.fine_tuned_model and ":tickets:" in job.fine_tuned_model
    assert result["trained_tokens"] == job.trained_tokens > 0
    assert result["hyperparameters"]["n_epochs"] == 2
    assert [c["step"] for c in result["checkpoints"]] == sorted(c["step"] for c in result["checkpoints"])
    assert len(result["checkpoints"]) == 2 and all(
        "train_loss" in c["metrics"] for c in result["checkpoints"]
    )
    assert result["metrics"]["final_train_loss"] < result["metrics"]["first_train_loss"]
    assert result["metrics"]["final_valid_loss"] is not None
    assert result["result_file_id"] == job.result_files[0]
    chart = ElementTree.parse(result["chart_path"]).getroot()
    assert chart.tag.endswith("svg") and len(chart.findall(".//{http://www.w3.org/2000/svg}polyline")) == 2
    assert json.loads(Path(result["metrics_path"]).read_text())["summary"] == result["metrics"]
    report = xcom_value(dag_run, "fine_tune", key="data_report")
    assert report == result["data_report"] and report["examples"] == 24 and report["validation_examples"] == 6

    files = _fine_tune_files(emu_hook)
    assert sorted(f.id for f in files) == sorted([job.training_file, job.validation_file])
    for event_line in _event_lines(emu_hook, job.id):
        assert log.count(event_line) == 1, event_line
    assert xcom_value(dag_run, "fine_tune", key="fine_tuning_job_id") == job.id
    link = xcom_value(dag_run, "fine_tune", key="_link_OpenAIFineTuningJobLink")  # what the UI shows
    assert link == f"{emu.dashboard_url}/finetune/{job.id}"


def test_bad_data_is_refused_with_the_line_before_any_upload(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    data = records(12)
    data[6]["messages"] = data[6]["messages"][:2]  # line 7 has no assistant answer
    with new_dag() as dag:
        OpenAIFineTuningJobOperator(task_id="fine_tune", model=BASE, training_file=data, retries=2)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"fine_tune": "failed"}, "bad data must not be retried"
    assert _fine_tune_files(emu_hook) == [] and _jobs(emu_hook) == []
    assert emu.requests("/v1/files", "POST") == 0 and emu.requests("/v1/uploads", "POST") == 0


def test_the_refusal_names_the_line_field_and_reason(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    data = records(12)
    data[2]["messages"][1]["weight"] = 1  # weight only goes on assistant messages
    op = OpenAIFineTuningJobOperator(task_id="fine_tune", model=BASE, training_file=data)
    with pytest.raises(AirflowFailException) as refused:
        op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    message = str(refused.value)
    assert "nothing was uploaded or created" in message
    assert "line 3" in message and "messages[1].weight" in message
    assert _fine_tune_files(emu_hook) == [] and _jobs(emu_hook) == []


def test_too_few_examples_and_bad_hyperparameters_cost_nothing(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    with pytest.raises(ValueError, match="n_epochs"):
        OpenAIFineTuningJobOperator(
            task_id="t", model=BASE, training_file=records(12), hyperparameters={"n_epochs": 0}
        )
    with pytest.raises(ValueError, match="suffix"):
        OpenAIFineTuningJobOperator(task_id="t", model=BASE, training_file=records(12), suffix="x" * 65)

    few = OpenAIFineTuningJobOperator(task_id="few", model=BASE, training_file=records(9))
    with pytest.raises(AirflowFailException, match="9"):
        few.execute({"ti": TaskInstanceStandIn("few")})
    rendered_late = OpenAIFineTuningJobOperator(
        task_id="late", model=BASE, training_file=records(12), hyperparameters={"batch_size": "{{ 1 }}"}
    )
    rendered_late.hyperparameters = {"batch_size": 1000}  # what the template rendered to
    with pytest.raises(AirflowFailException, match="batch_size"):
        rendered_late.execute({"ti": TaskInstanceStandIn("late")})
    assert emu.requests("/v1/files", "POST") == 0 and _jobs(emu_hook) == []


def test_a_file_of_another_purpose_is_refused_before_a_job_is_created(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    batch_file = emu_hook.create_file(io.BytesIO(jsonl_bytes(records(12))), "batch", "train.jsonl")
    op = OpenAIFineTuningJobOperator(task_id="fine_tune", model=BASE, training_file=batch_file.id)
    with pytest.raises(AirflowFailException, match="purpose 'batch'"):
        op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    assert _jobs(emu_hook) == []


def test_an_uploaded_file_id_is_checked_and_used_as_it_is(emu, emu_hook, tmp_path):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    uploaded = emu_hook.create_file(io.BytesIO(jsonl_bytes(records(12))), "fine-tune", "train.jsonl")
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE,
        training_file=uploaded.id,
        poll_interval=0.2,
        output_path=str(tmp_path),
    )
    result = op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    assert result["training_file"] == uploaded.id and result["status"] == "succeeded"
    assert [f.id for f in _fine_tune_files(emu_hook)] == [uploaded.id], "nothing uploaded again"


def test_a_path_is_uploaded_once_and_without_waiting_the_task_returns_the_job(emu, emu_hook, tmp_path):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl_bytes(records(15)))
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=str(path), wait_for_completion=False
    )
    ti = TaskInstanceStandIn("fine_tune")
    result = op.execute({"ti": ti})
    (job,) = _jobs(emu_hook)
    assert result["job_id"] == job.id == ti.xcom["fine_tuning_job_id"]
    assert result["data_report"]["examples"] == 15 == ti.xcom["data_report"]["examples"]
    (file,) = _fine_tune_files(emu_hook)
    assert file.id == job.training_file and file.filename.startswith("fine_tune-training-")


def test_a_job_that_fails_at_a_step_fails_the_task_with_the_servers_message(
    airflow_db, emu, emu_hook, new_dag
):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    emu.fail_fine_tuning(at_step=3, message="The job ran out of capacity at step 3")
    with new_dag() as dag:
        OpenAIFineTuningJobOperator(
            task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.2
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"fine_tune": "failed"}
    (job,) = _jobs(emu_hook)
    assert job.status == "failed" and "step 3" in job.error.message


def test_a_failing_job_error_reaches_the_task_log(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    emu.fail_fine_tuning(at_step=2, message="Capacity lost at step 2")
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.2
    )
    with pytest.raises(AirflowException) as failed:
        op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    assert "Capacity lost at step 2" in str(failed.value) and "failed" in str(failed.value)


@pytest.mark.parametrize("deferrable", [False, True])
def test_a_retried_task_reattaches_and_logs_each_event_once(
    airflow_db, emu, emu_hook, new_dag, tmp_path, capsys, deferrable
):
    """The first attempt dies after the job finished (reading its checkpoints fails); the retry
    reattaches to the recorded job, logs no event twice, and nothing is uploaded or created again."""
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    emu.fault("/v1/fine_tuning/jobs/*/checkpoints", method="GET", status=400, count=1)
    with new_dag() as dag:
        OpenAIFineTuningJobOperator(
            task_id="fine_tune",
            model=BASE,
            training_file=records(12),
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.2,
            deferrable=deferrable,
            output_path=str(tmp_path),
        )
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"fine_tune": "success"}
    (job,) = _jobs(emu_hook)
    assert len(_fine_tune_files(emu_hook)) == 1
    assert f"Reattaching to fine-tuning job {job.id}, started by an earlier attempt (succeeded)" in log
    lines = _event_lines(emu_hook, job.id)
    assert len(lines) > 5
    for event_line in lines:
        assert log.count(event_line) == 1, event_line


def test_a_worker_that_died_before_recording_finds_its_job_on_retry(emu, emu_hook, tmp_path):
    """No task state store: the retry finds the job by its uploaded file and model."""
    import pendulum

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    class Run:
        start_date = pendulum.now("UTC").subtract(minutes=1)

    emu.fault("/v1/fine_tuning/jobs/*", method="GET", status=400, count=1)
    first = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.2
    )
    with pytest.raises(Exception):  # noqa: B017 - the first attempt dies after creating its job
        first.execute({"ti": TaskInstanceStandIn("fine_tune"), "dag_run": Run()})
    retry_ti = TaskInstanceStandIn("fine_tune")
    retry_ti.try_number = 2
    retry = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE,
        training_file=records(12),
        poll_interval=0.2,
        output_path=str(tmp_path),
    )
    result = retry.execute({"ti": retry_ti, "dag_run": Run()})

    (job,) = _jobs(emu_hook)
    assert result["job_id"] == job.id and result["status"] == "succeeded"
    assert len(_fine_tune_files(emu_hook)) == 1, "the retry found the upload too"
    assert emu.requests("/v1/fine_tuning/jobs", "POST") == 1


def test_on_kill_cancels_the_job_the_task_is_waiting_for(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.worker import waiting_in_a_worker

    emu.set_speed(1)
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.2
    )
    worker, outcome, job_id = waiting_in_a_worker(op, key="fine_tuning_job_id")
    op.on_kill()
    emu.set_speed(60)
    worker.join(30)

    assert emu_hook.get_fine_tuning_job(job_id).status == "cancelled"
    assert isinstance(outcome.get("error"), AirflowException)
    assert "The task was killed" in str(outcome["error"])


def test_a_timeout_cancels_the_job_and_says_so(emu, emu_hook):
    """And fails without retrying: a retry would find the job cancelled and pay for another."""
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    emu.set_speed(1)
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.2, timeout=1
    )
    with pytest.raises(AirflowFailException, match="did not finish within 1s; it was cancelled"):
        op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    (job,) = _jobs(emu_hook)
    assert job.status == "cancelled"


def test_a_cleared_task_with_other_data_starts_its_own_job(
    airflow_db, emu, emu_hook, new_dag, tmp_path, capsys
):
    """The state store names the first run's job, but the data changed (an upstream task ran again):
    the job made from the old data is not taken for the new one."""
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    from tests.support.task_instance import TaskInstanceStandIn

    store = Store()
    first = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE,
        training_file=records(12),
        poll_interval=0.2,
        output_path=str(tmp_path),
    )
    old = first.execute({"ti": TaskInstanceStandIn("fine_tune"), "task_state_store": store})
    again = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE,
        training_file=records(14),
        poll_interval=0.2,
        output_path=str(tmp_path),
    )
    new = again.execute({"ti": TaskInstanceStandIn("fine_tune"), "task_state_store": store})

    assert new["job_id"] != old["job_id"] and len(_jobs(emu_hook)) == 2
    assert (
        f"The earlier attempt's job {old['job_id']} was made from other data or parameters"
        in capsys.readouterr().out
    )
    same = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE,
        training_file=records(14),
        poll_interval=0.2,
        output_path=str(tmp_path),
    )
    assert (
        same.execute({"ti": TaskInstanceStandIn("fine_tune"), "task_state_store": store})["job_id"]
        == new["job_id"]
    )
    assert len(_jobs(emu_hook)) == 2 and len(_fine_tune_files(emu_hook)) == 2


def test_mapped_tasks_retrying_without_a_record_each_find_their_own_job(emu, emu_hook, tmp_path):
    """Same data, same task id, two map indexes: a retry of one never takes the other's upload or job."""
    import pendulum

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    class Run:
        start_date = pendulum.now("UTC").subtract(minutes=1)

    def ti(map_index, try_number):
        stand_in = TaskInstanceStandIn("fine_tune")
        stand_in.map_index, stand_in.try_number = map_index, try_number
        return stand_in

    def operator(suffix):
        return OpenAIFineTuningJobOperator(
            task_id="fine_tune",
            model=BASE,
            training_file=records(12),
            suffix=suffix,
            wait_for_completion=False,
        )

    first = operator("alpha").execute({"ti": ti(0, 1), "dag_run": Run()})
    second = operator("beta").execute({"ti": ti(1, 2), "dag_run": Run()})  # a retry with nothing recorded

    assert first["job_id"] != second["job_id"] and len(_jobs(emu_hook)) == 2
    assert len(_fine_tune_files(emu_hook)) == 2, "each map index uploads its own copy"


def test_bad_records_fail_without_retrying_and_say_which_data(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.task_instance import TaskInstanceStandIn

    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), validation_file=[*records(3), 42]
    )
    with pytest.raises(AirflowFailException) as refused:
        op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    assert str(refused.value).startswith("validation_file records[3]: must be a dict")
    assert "nothing was uploaded or created" in str(refused.value)
    assert _fine_tune_files(emu_hook) == [] and _jobs(emu_hook) == []
