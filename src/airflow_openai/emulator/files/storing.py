"""Keeping files: a file's record and its content, as `/v1/files` and `/v1/uploads` make them and as
batches (their output and error files) and fine-tuning (its result files) make theirs.

The other services read a file as stored objects of kind `file` and its content through
`state.store.content(file_id)`; they make one through `store_file` here, never through a route.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from airflow_openai.emulator.core.bodies import require_one_of
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
JSONL_PURPOSES = ("batch", "fine-tune")
MAX_FILE_BYTES = 512 * 1024 * 1024


def check_purpose(purpose: str, filename: str) -> None:
    require_one_of(purpose, UPLOAD_PURPOSES, "purpose")
    if purpose in JSONL_PURPOSES and not filename.lower().endswith(".jsonl"):
        raise bad_request(
            f"Invalid file format for {purpose}: the file must be .jsonl",
            param="file",
            code="invalid_file_format",
        )


def store_file(
    state: EmulatorState,
    *,
    filename: str,
    purpose: str,
    content: Path | list[Path],
    status: str = "processed",
) -> Obj:
    """Register `content` as a File and return it: a file is moved into the store, a list of
    upload parts becomes its content in that order."""
    file_id = state.ids.new("file-")
    if isinstance(content, list):
        size = state.store.compose(file_id, content)
    else:
        target = state.store.content_path(file_id)
        shutil.move(str(content), target)
        size = target.stat().st_size
    obj = {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": state.now(),
        "filename": filename,
        "purpose": purpose,
        "status": status,
        "status_details": None,
    }
    return state.store.put("file", obj)


def get_file_or_404(state: EmulatorState, file_id: str) -> Obj:
    obj = state.store.get("file", file_id)
    if obj is None:
        raise not_found("file", file_id)
    return obj
