"""Dashboard pages for fine-tuning jobs: `/_emulator/dashboard/finetune` and `.../finetune/{job_id}`.

They stand in for `https://platform.openai.com/finetune/{id}`, so a task's link to a job
opens something real against the emulator: the job's status, models and files, its
events (newest first, as the API lists them) and its checkpoints, as of now on the
emulator's clock.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.html import html_page, link, plain, table, timestamp
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.fine_tuning import fine_tuning_lifecycle as lifecycle

router = APIRouter(prefix="/_emulator/dashboard")

JOB_FIELDS = (
    "status",
    "model",
    "fine_tuned_model",
    "training_file",
    "validation_file",
    "result_files",
    "hyperparameters",
    "trained_tokens",
    "seed",
    "error",
    "metadata",
)


@router.get("/finetune", response_class=HTMLResponse)
async def job_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    jobs = [await _current(state, obj) for obj in state.store.all(lifecycle.KIND)]
    rows = [
        (
            link(f"finetune/{job['id']}", job["id"]),
            job["status"],
            job["model"],
            job["fine_tuned_model"],
            timestamp(job["created_at"]),
        )
        for job in jobs
    ]
    header = ("id", "status", "model", "fine_tuned_model", "created")
    return html_page(f"Fine-tuning jobs ({len(jobs)})", table(header, rows))


@router.get("/finetune/{job_id}", response_class=HTMLResponse)
async def job_page(job_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    obj = state.store.get(lifecycle.KIND, job_id)
    if obj is None:
        return html_page(
            "Fine-tuning job not found", f"<p>No fine-tuning job {html.escape(job_id)}.</p>", 404
        )
    job = await _current(state, obj)
    fields = table(None, [(name, _text(job.get(name))) for name in JOB_FIELDS])
    events = [
        (timestamp(event["created_at"]), event["level"], event["message"]) for event in lifecycle.events(job)
    ]
    checkpoints = [
        (checkpoint["step_number"], checkpoint["fine_tuned_model_checkpoint"], checkpoint["metrics"])
        for checkpoint in lifecycle.checkpoints(job)
    ]
    body = (
        f"<p>Created {timestamp(job['created_at'])}</p>{fields}"
        f"<h2>Checkpoints</h2>{table(('step', 'model', 'metrics'), checkpoints)}"
        f"<h2>Events</h2>{table(('time', 'level', 'message'), events)}"
    )
    return html_page(f"Fine-tuning job {job['id']}", body)


async def _current(state: EmulatorState, job: Obj) -> Obj:
    if job["status"] in lifecycle.TERMINAL:
        return job
    return await run_in_threadpool(lifecycle.advance, state, job)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return plain(value)
