"""`/v1/files`: multipart upload with purpose checks, listing by purpose, retrieval, deletion, content."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse

from airflow_openai.emulator.core.content import COPY_BUFFER
from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import public
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.files.storing import MAX_FILE_BYTES, check_purpose, get_file_or_404, store_file

router = APIRouter()


@router.post("/files")
def create_file(
    file: UploadFile = File(...), purpose: str = Form(...), state: EmulatorState = Depends(emulator)
) -> Any:
    filename = Path(file.filename or "file").name
    check_purpose(purpose, filename)
    spool = state.store.content_dir / f".incoming-{state.ids.new('', 16)}"
    with spool.open("wb") as sink:
        shutil.copyfileobj(file.file, sink, COPY_BUFFER)
    size = spool.stat().st_size
    if size == 0 or size > MAX_FILE_BYTES:
        spool.unlink()
        raise bad_request(f"File must be between 1 byte and {MAX_FILE_BYTES} bytes; got {size}", param="file")
    return public(store_file(state, filename=filename, purpose=purpose, content=spool))


@router.get("/files")
async def list_files(
    purpose: str | None = None,
    limit: int = 10000,
    after: str | None = None,
    order: str = "desc",
    state: EmulatorState = Depends(emulator),
) -> Any:
    files = [obj for obj in state.store.all("file") if purpose is None or obj["purpose"] == purpose]
    return page(files, limit=limit, after=after, order=order, max_limit=10000)


@router.get("/files/{file_id}")
async def get_file(file_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return public(get_file_or_404(state, file_id))


@router.delete("/files/{file_id}")
async def delete_file(file_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    get_file_or_404(state, file_id)
    state.store.delete("file", file_id)
    state.store.delete_content(file_id)
    return {"id": file_id, "object": "file", "deleted": True}


@router.get("/files/{file_id}/content")
def download_file(file_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    obj = get_file_or_404(state, file_id)
    path = state.store.content(file_id)
    if not path.exists():
        raise EmulatorError(500, f"Content of {file_id} is missing", type="server_error")
    return FileResponse(path, media_type="application/octet-stream", filename=obj["filename"])
