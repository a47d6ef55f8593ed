"""Dashboard pages for fine-tuning jobs: `/_emulator/dashboard/finetune` and `.../finetune/{job_id}`.

They stand in for `https://platform.openai.com/finetune/{id}`, so a task's link to a job opens
something real against the emulator: the job's status (with its progress through the steps and
ETA while it runs, the page reloading itself), its loss chart (`core.loss_chart`, the chart the
fine-tuning operator writes as `loss.svg`, drawn from the same step metrics as the job's result
file), its models and files (linked), its error, checkpoints and events (newest first, as the API
lists them), as of now on the emulator's clock.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.html import (
    Markup,
    Section,
    badge,
    eta,
    fields,
    html_page,
    link,
    not_found,
    plain,
    progress,
    table,
    timestamp,
    to,
    when,
)
from airflow_openai.emulator.core.loss_chart import loss_chart_svg
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.fine_tuning import fine_tuning_lifecycle as lifecycle
from airflow_openai.emulator.fine_tuning import training_curve
from airflow_openai.emulator.fine_tuning.fine_tuning_training import FINISHING_SECONDS, STEP_SECONDS

router = APIRouter(prefix="/_emulator/dashboard")

LIST = (to("finetune"), "Fine-tuning jobs")
METRICS = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_mean_token_accuracy",
    "full_valid_mean_token_accuracy",
)


def _current(state: EmulatorState, job: Obj) -> Obj:
    return job if job["status"] in lifecycle.TERMINAL else lifecycle.advance(state, job)


def _tally(state: EmulatorState) -> Counter[str]:
    return Counter(_current(state, job)["status"] for job in state.store.all(lifecycle.KIND))


SECTION = Section(
    "Fine-tuning jobs", "finetune", "Jobs training on the emulated clock, with their loss charts.", _tally
)


@router.get("/finetune", response_class=HTMLResponse)
async def job_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """Every fine-tuning job, with its status and model."""
    jobs = [await run_in_threadpool(_current, state, obj) for obj in state.store.all(lifecycle.KIND)]
    rows = [
        (
            link(to("finetune", job["id"]), job["id"]),
            badge(job["status"]),
            job["model"],
            job["fine_tuned_model"],
            _percent(job),
            when(job["created_at"]),
        )
        for job in jobs
    ]
    header = ("id", "status", "model", "fine_tuned_model", "steps done", "created")
    live = any(job["status"] not in lifecycle.TERMINAL for job in jobs)
    body = table(header, rows, empty="no fine-tuning jobs yet")
    return html_page(state, f"Fine-tuning jobs ({len(jobs)})", body, live=live)


@router.get("/finetune/{job_id}", response_class=HTMLResponse)
async def job_page(job_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """A fine-tuning job: its events, checkpoints, files and loss chart."""
    obj = state.store.get(lifecycle.KIND, job_id)
    if obj is None:
        return not_found(state, "fine-tuning job", job_id, LIST)
    job = await run_in_threadpool(_current, state, obj)
    rows = [
        ("model", job["model"]),
        ("fine-tuned model", job["fine_tuned_model"]),
        ("training file", _file_link(job["training_file"])),
        ("validation file", _file_link(job["validation_file"])),
        ("result files", _file_links(job["result_files"])),
        ("hyperparameters", plain(job["hyperparameters"])),
        ("trained tokens", job["trained_tokens"]),
        ("seed", job["seed"]),
        ("suffix", job["user_provided_suffix"]),
        ("metadata", plain(job["metadata"])),
        ("created", timestamp(job["created_at"])),
        ("finished", timestamp(job["finished_at"])),
    ]
    events = [
        (when(event["created_at"]), event["level"], event["message"]) for event in lifecycle.events(job)
    ]
    checkpoints = [
        (
            checkpoint["step_number"],
            checkpoint["fine_tuned_model_checkpoint"],
            _metrics(checkpoint["metrics"]),
        )
        for checkpoint in lifecycle.checkpoints(job)
    ]
    body = (
        _progress(state, job)
        + _error(job)
        + _chart(job)
        + fields(rows)
        + f"<h2>Checkpoints</h2>{table(('step', 'model', 'metrics'), checkpoints, empty='no checkpoint yet')}"
        + f"<h2>Events</h2>{table(('time', 'level', 'message'), events)}"
    )
    live = job["status"] not in lifecycle.TERMINAL
    return html_page(
        state, f"Fine-tuning job {job['id']}", body, crumbs=[LIST], live=live, state_badge=job["status"]
    )


def loss_rows(job: Obj) -> list[tuple[int, float | None, float | None]]:
    """(step, train loss, validation loss) of every step the job has trained: the figures of its
    metrics events and of its result file (`training_curve` computes any step on its own)."""
    plan = job.get("_plan")
    if not plan:
        return []
    multiplier = job["hyperparameters"]["learning_rate_multiplier"]
    rows = []
    for step in range(1, job["_trained_steps"] + 1):
        metrics = training_curve.step_metrics(
            job["seed"], step, plan["total_steps"], multiplier, plan["validated"]
        )
        rows.append((step, metrics["train_loss"], metrics.get("valid_loss")))
    return rows


def _chart(job: Obj) -> str:
    rows = loss_rows(job)
    if not rows:
        return "<h2>Loss</h2><p class='note'>The loss chart appears once training has begun.</p>"
    svg = loss_chart_svg(rows, title=job["fine_tuned_model"] or job["id"])
    return (
        f"<h2>Loss</h2><figure class='chart'>{svg}</figure>"
        "<p class='note'>Train and validation loss per step: the chart the fine-tuning operator writes as "
        "<code>loss.svg</code>.</p>"
    )


def _progress(state: EmulatorState, job: Obj) -> str:
    """While the job runs: its steps done of all, and when its model should be ready."""
    status, plan = job["status"], job.get("_plan")
    if status == "validating_files":
        ready = job["created_at"] + lifecycle.VALIDATING_SECONDS
        return f"<p>Validating its files; queued {html.escape(eta(state, ready))}.</p>"
    if status == "queued" and plan:
        start = job["_queued_at"] + lifecycle.QUEUED_SECONDS
        finish = start + plan["total_steps"] * STEP_SECONDS + FINISHING_SECONDS
        return f"<p>Queued; training starts {html.escape(eta(state, start))}.</p>" + progress(
            0, plan["total_steps"], "steps", eta(state, finish)
        )
    if status == "running" and plan:
        finish = job["estimated_finish"] or state.clock.now()
        return progress(job["_trained_steps"], plan["total_steps"], "steps", eta(state, finish))
    return ""


def _error(job: Obj) -> str:
    error = job.get("error")
    if not error:
        return ""
    param = f" (param <code>{html.escape(error['param'])}</code>)" if error.get("param") else ""
    return (
        f"<p class='problem'><b>{html.escape(str(error.get('code')))}</b>: "
        f"{html.escape(str(error.get('message')))}{param}</p>"
    )


def _percent(job: Obj) -> str:
    plan = job.get("_plan")
    if not plan or not plan["total_steps"]:
        return ""
    return f"{job['_trained_steps']}/{plan['total_steps']} ({100 * job['_trained_steps'] // plan['total_steps']}%)"


def _file_link(file_id: str | None) -> Any:
    return link(to("files", file_id), file_id) if file_id else ""


def _file_links(file_ids: list[str]) -> Any:
    return Markup(", ".join(str(_file_link(file_id)) for file_id in file_ids))


def _metrics(metrics: dict[str, Any]) -> str:
    return ", ".join(f"{name}={metrics[name]}" for name in METRICS if metrics.get(name) is not None)
