"""How a batch moves on: validating → in_progress → finalizing → completed, or failed, expired, cancelled.

Progress is computed from the emulated clock whenever a batch is read, so time can run
fast, be advanced at will, and survive a restart. Lines that are due by now are run by
the responder and appended to the output and error files as they complete; a batch
that is cancelled or expires keeps what finished, and its unfinished lines are written
to the error file with `batch_cancelled` / `batch_expired`, as the real service does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_openai.emulator.batches import batch_input
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.files.storing import store_file

VALIDATION_SECONDS = 5
FINALIZING_SECONDS = 5
CANCELLING_SECONDS = 3
WINDOW_SECONDS = {"24h": 24 * 3600}
TERMINAL = frozenset({"failed", "completed", "expired", "cancelled"})
UNFINISHED_ERRORS = {
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "cancelled": ("batch_cancelled", "This request was not executed because the batch was cancelled."),
}


def advance(state: EmulatorState, batch: Obj) -> Obj:
    """Bring `batch` up to the current emulated time and save it."""
    with state.lock:
        fresh = state.store.get("batch", batch["id"]) or batch
        if fresh["status"] in TERMINAL:
            return fresh
        before = json.dumps(fresh, sort_keys=True)
        now = state.now()
        while _step(state, fresh, now) and fresh["status"] not in TERMINAL:
            pass
        if json.dumps(fresh, sort_keys=True) == before:
            return fresh
        return state.store.put("batch", fresh)


def _step(state: EmulatorState, batch: Obj, now: int) -> bool:
    status = batch["status"]
    if status == "validating":
        if now < batch["created_at"] + VALIDATION_SECONDS:
            return False
        return _validate(state, batch, batch["created_at"] + VALIDATION_SECONDS)
    if status == "in_progress":
        if now >= batch["expires_at"]:
            _run_lines(state, batch, _due(state, batch, batch["expires_at"]))
            return _close(state, batch, "expired", batch["expires_at"])
        _run_lines(state, batch, _due(state, batch, now))
        if batch["_done"] >= batch["request_counts"]["total"]:
            batch["status"] = "finalizing"
            finished = batch["in_progress_at"] + batch["request_counts"]["total"] * state.seconds_per_line
            batch["finalizing_at"] = min(now, int(finished) + 1)
            return True
        return False
    if status == "finalizing" and now >= batch["finalizing_at"] + FINALIZING_SECONDS:
        return _close(state, batch, "completed", batch["finalizing_at"] + FINALIZING_SECONDS)
    if status == "cancelling" and now >= batch["cancelling_at"] + CANCELLING_SECONDS:
        return _close(state, batch, "cancelled", batch["cancelling_at"] + CANCELLING_SECONDS)
    return False


def _validate(state: EmulatorState, batch: Obj, at: int) -> bool:
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
        batch.update(status="failed", failed_at=at, errors={"object": "list", "data": errors})
        return True
    batch.update(status="in_progress", in_progress_at=at)
    batch["request_counts"] = {"total": total, "completed": 0, "failed": 0}
    return True


def _due(state: EmulatorState, batch: Obj, now: float) -> int:
    elapsed = max(0.0, now - batch["in_progress_at"])
    return min(batch["request_counts"]["total"], int(elapsed / state.seconds_per_line))


def _partial(state: EmulatorState, batch: Obj, kind: str) -> Path:
    return state.store.content_dir / f".{batch['id']}.{kind}.jsonl"


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


def _close(state: EmulatorState, batch: Obj, status: str, at: int) -> bool:
    """Finish the batch: unfinished lines reported, output and error files created."""
    if status in UNFINISHED_ERRORS and batch.get("request_counts"):
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
    batch["status"] = status
    batch[f"{status}_at"] = at
    return True


def cancel(state: EmulatorState, batch: Obj) -> Obj:
    with state.lock:
        batch = advance(state, batch)
        if batch["status"] in TERMINAL or batch["status"] == "cancelling":
            return batch
        if batch["status"] == "validating":
            batch["request_counts"] = {"total": 0, "completed": 0, "failed": 0}
        batch.update(status="cancelling", cancelling_at=state.now())
        return state.store.put("batch", batch)


def force(state: EmulatorState, batch: Obj, status: str) -> Obj:
    """Move a batch straight to `status` (control plane), running what that state implies."""
    with state.lock:
        batch = advance(state, batch)
        now = state.now()
        if batch["status"] == "validating" and status != "failed":
            _validate(state, batch, now)
        if status == "in_progress" or batch["status"] in TERMINAL:
            return state.store.put("batch", batch)
        if status == "completed":
            _run_lines(state, batch, batch["request_counts"]["total"])
            batch["finalizing_at"] = batch.get("finalizing_at") or now
            _close(state, batch, "completed", now)
        elif status == "failed":
            batch.update(status="failed", failed_at=now)
        elif status in ("expired", "cancelled"):
            _close(state, batch, status, now)
        elif status == "finalizing":
            _run_lines(state, batch, batch["request_counts"]["total"])
            batch.update(status="finalizing", finalizing_at=now)
        return state.store.put("batch", batch)
