"""How a batch moves on: validating → in_progress → finalizing → completed, or failed, expired, cancelled.

The moves are the table `BATCH` (see `core.lifecycle`), taken on the emulated clock whenever a
batch is read, so time can run fast, be advanced at will, and survive a restart. Lines that are
due by now are run by the responder and appended to the output and error files as they complete;
a batch that is cancelled or expires keeps what finished, and its unfinished lines are written
to the error file with `batch_cancelled` / `batch_expired`, as the real service does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_openai.emulator.batches import batch_input
from airflow_openai.emulator.core.lifecycle import Lifecycle, Transition
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.files.storing import store_file

VALIDATION_SECONDS = 5
FINALIZING_SECONDS = 5
CANCELLING_SECONDS = 3
WINDOW_SECONDS = {"24h": 24 * 3600}
UNFINISHED_ERRORS = {
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "cancelled": ("batch_cancelled", "This request was not executed because the batch was cancelled."),
}


def _validate(state: EmulatorState, batch: Obj, at: int) -> str:
    """Read the input: its lines counted and `in_progress`, or `failed` with what is wrong with it."""
    source = state.store.content(batch["input_file_id"])
    if not source.exists():
        errors = [
            {
                "code": "file_not_found",
                "message": "The input file no longer exists.",
                "param": "input_file_id",
                "line": None,
            }
        ]
        total = 0
    else:
        total, errors = batch_input.validate(source, batch["endpoint"])
    if errors:
        batch["errors"] = {"object": "list", "data": errors}
        return "failed"
    batch["request_counts"] = {"total": total, "completed": 0, "failed": 0}
    return "in_progress"


def _due(state: EmulatorState, batch: Obj, now: float) -> int:
    elapsed = max(0.0, now - batch["in_progress_at"])
    return min(batch["request_counts"]["total"], int(elapsed / state.seconds_per_line))


def _lines_seconds(state: EmulatorState, batch: Obj) -> int:
    """Whole emulated seconds from `in_progress_at` until `_due` counts every line done (the line time
    can change at any moment, so it is read when the batch is)."""
    total = batch["request_counts"]["total"]
    seconds = int(total * state.seconds_per_line)
    while _due(state, batch, batch["in_progress_at"] + seconds) < total:
        seconds += 1
    return seconds


def _partial(state: EmulatorState, batch: Obj, kind: str) -> Path:
    return state.store.content_dir / f".{batch['id']}.{kind}.jsonl"


def _run_due_lines(state: EmulatorState, batch: Obj, until: float) -> None:
    _run_lines(state, batch, _due(state, batch, until))


def _run_every_line(state: EmulatorState, batch: Obj, at: float) -> None:
    _run_lines(state, batch, batch["request_counts"]["total"])


def _run_lines(state: EmulatorState, batch: Obj, target: int) -> None:
    """Execute lines `_done` .. `target` of the input and append their results."""
    done = batch["_done"]
    if target <= done:
        return
    counts = batch["request_counts"]
    source = state.store.content(batch["input_file_id"])
    with (
        _partial(state, batch, "output").open("a") as output,
        _partial(state, batch, "error").open("a") as errors,
    ):
        for request, offset in batch_input.read_requests(source, batch["_offset"]):
            if done >= target:
                break
            done += 1
            batch["_offset"] = offset
            status, body = _respond(state, batch["endpoint"], request["body"])
            line = {
                "id": state.ids.new("batch_req_"),
                "custom_id": request["custom_id"],
                "response": {"status_code": status, "request_id": state.ids.new("req_", 16), "body": body},
                "error": None,
            }
            if status == 200:
                counts["completed"] += 1
                output.write(json.dumps(line) + "\n")
            else:
                counts["failed"] += 1
                errors.write(json.dumps(line) + "\n")
    batch["_done"] = done


def _respond(state: EmulatorState, endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        return state.respond(endpoint, body)
    except Exception as exc:  # a broken plug-in fails its line, not the batch
        return 500, {
            "error": {
                "message": f"responder failed: {exc}",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }


def _close(state: EmulatorState, batch: Obj, at: int) -> None:
    """The batch has ended (completed, expired or cancelled): unfinished lines reported, output and error
    files created."""
    status = batch["status"]
    if status in UNFINISHED_ERRORS:
        code, message = UNFINISHED_ERRORS[status]
        with _partial(state, batch, "error").open("a") as errors:
            source = state.store.content(batch["input_file_id"])
            for request, _ in batch_input.read_requests(source, batch["_offset"]):
                line = {
                    "id": state.ids.new("batch_req_"),
                    "custom_id": request["custom_id"],
                    "response": None,
                    "error": {"code": code, "message": message},
                }
                errors.write(json.dumps(line) + "\n")
    for kind, field in (("output", "output_file_id"), ("error", "error_file_id")):
        partial = _partial(state, batch, kind)
        if partial.exists() and partial.stat().st_size > 0:
            name = f"{batch['id']}_{kind}.jsonl"
            batch[field] = store_file(state, filename=name, purpose="batch_output", content=partial)["id"]
        else:
            partial.unlink(missing_ok=True)


BATCH = Lifecycle(
    transitions=(
        Transition("validating", ("in_progress", "failed"), after=VALIDATION_SECONDS, enter=_validate),
        Transition("in_progress", "expired", by="expires_at", enter=_close),
        Transition("in_progress", "finalizing", after=_lines_seconds, enter=_run_every_line),
        Transition("finalizing", "completed", after=FINALIZING_SECONDS, enter=_close),
        Transition(("validating", "in_progress", "finalizing"), "cancelling", on="cancel"),
        Transition("cancelling", "cancelled", after=CANCELLING_SECONDS, enter=_close),
    ),
    stamps={
        "validating": "created_at",
        "in_progress": "in_progress_at",
        "finalizing": "finalizing_at",
        "completed": "completed_at",
        "failed": "failed_at",
        "expired": "expired_at",
        "cancelling": "cancelling_at",
        "cancelled": "cancelled_at",
    },
    work={"in_progress": _run_due_lines},
)
"""A batch's moves on the emulated clock (a line takes `state.seconds_per_line`); `cancel` asks for
the one not on it."""
TERMINAL = BATCH.terminal


def advance(state: EmulatorState, batch: Obj) -> Obj:
    """Bring `batch` up to the current emulated time and save it."""
    with state.lock:
        fresh = state.store.get("batch", batch["id"]) or batch
        if fresh["status"] in TERMINAL:
            return fresh
        before = json.dumps(fresh, sort_keys=True)
        BATCH.advance(state, fresh, state.now())
        if json.dumps(fresh, sort_keys=True) == before:
            return fresh
        return state.store.put("batch", fresh)


def cancel(state: EmulatorState, batch: Obj) -> Obj:
    """Start cancelling; a batch already cancelling, or ended, is answered as it is."""
    with state.lock:
        batch = advance(state, batch)
        if BATCH.take(state, batch, "cancelling", state.now()) is None:
            return batch
        return state.store.put("batch", batch)


def force(state: EmulatorState, batch: Obj, status: str) -> Obj:
    """Move a batch straight to `status` (control plane), running what that state implies."""
    with state.lock:
        batch = advance(state, batch)
        now = state.now()
        if batch["status"] == "validating" and status != "failed":
            BATCH.take(state, batch, "in_progress", now)
        if status == "in_progress" or batch["status"] in TERMINAL:
            return state.store.put("batch", batch)
        if status in ("finalizing", "completed"):
            _run_every_line(state, batch, now)
        if status == "completed":
            batch["finalizing_at"] = batch.get("finalizing_at") or now
        if status in ("finalizing", "failed", "completed", "expired", "cancelled"):
            BATCH.enter(batch, status, now)
        if status in ("completed", "expired", "cancelled"):
            _close(state, batch, now)
        return state.store.put("batch", batch)
