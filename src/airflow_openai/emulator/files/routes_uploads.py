"""`/v1/uploads`: large files in parts of at most 64 MB, added in any order, joined on completion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from airflow_openai.emulator.core.bodies import parse, require_filled, require_one_of
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.files.multipart_part import receive_single_field
from airflow_openai.emulator.files.storing import UPLOAD_PURPOSES, store_file
from airflow_openai.emulator.files.upload_bodies import CompleteUploadRequest, CreateUploadRequest
from airflow_openai.emulator.files.upload_digests import UploadDigests

router = APIRouter()

MAX_UPLOAD_BYTES = 8 * 1024**3
MAX_PART_BYTES = 64 * 1024**2
EXPIRES_AFTER = 3600


def _upload(state: EmulatorState, upload_id: str) -> Obj:
    """The upload, moved to `expired` once its hour has passed while still pending."""
    obj = state.store.get("upload", upload_id)
    if obj is None:
        raise not_found("upload", upload_id)
    if obj["status"] == "pending" and state.now() >= obj["expires_at"]:
        obj["status"] = "expired"
        state.store.put("upload", obj)
    return obj


def _pending(state: EmulatorState, upload_id: str) -> Obj:
    obj = _upload(state, upload_id)
    if obj["status"] != "pending":
        raise bad_request(f"Upload {upload_id} is {obj['status']}, not pending", param="upload_id")
    return obj


@router.post("/uploads")
async def create_upload(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    request = parse(CreateUploadRequest, body)
    require_filled(request, "filename", "purpose", "mime_type")
    require_one_of(request.purpose, UPLOAD_PURPOSES, "purpose", code=None)
    size = request.bytes
    if not 0 < size <= MAX_UPLOAD_BYTES:
        raise bad_request(f"bytes must be between 1 and {MAX_UPLOAD_BYTES}", param="bytes")
    now = state.now()
    obj = {
        "id": state.ids.new("upload_"),
        "object": "upload",
        "bytes": size,
        "created_at": now,
        "filename": request.filename,
        "purpose": request.purpose,
        "status": "pending",
        "expires_at": now + EXPIRES_AFTER,
        "file": None,
        "_mime_type": request.mime_type,
    }
    return public(state.store.put("upload", obj))


@router.post("/uploads/{upload_id}/parts")
async def add_upload_part(upload_id: str, request: Request, state: EmulatorState = Depends(emulator)) -> Any:
    _pending(state, upload_id)
    part_id = state.ids.new("part_")
    target = state.store.content_path(part_id)
    state.in_memory(UploadDigests).part_started(upload_id, part_id)
    try:
        size = await receive_single_field(request, target, MAX_PART_BYTES)
    except BaseException:
        state.in_memory(UploadDigests).part_dropped(upload_id, part_id)
        target.unlink(missing_ok=True)
        raise
    state.in_memory(UploadDigests).part_stored(upload_id, part_id, target)
    part = {
        "id": part_id,
        "object": "upload.part",
        "created_at": state.now(),
        "upload_id": upload_id,
        "_bytes": size,
    }
    return public(state.store.put("upload_part", part))


@router.post("/uploads/{upload_id}/complete")
def complete_upload(
    upload_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(CompleteUploadRequest, body)
    with state.lock:
        upload = _pending(state, upload_id)
        part_ids = request.part_ids
        if not part_ids:
            raise bad_request("part_ids must be a non-empty list", param="part_ids")
        if len(set(part_ids)) != len(part_ids):
            raise bad_request("part_ids lists a part twice", param="part_ids")
        parts = []
        for part_id in part_ids:
            part = state.store.get("upload_part", part_id)
            if part is None or part["upload_id"] != upload_id:
                raise bad_request(f"Part {part_id} does not belong to upload {upload_id}", param="part_ids")
            parts.append(part)
        total = sum(part["_bytes"] for part in parts)
        if total != upload["bytes"]:
            raise bad_request(
                f"The parts hold {total} bytes but the upload was created for {upload['bytes']}",
                param="part_ids",
            )
        sources = [state.store.content_path(part["id"]) for part in parts]
        expected = request.md5
        if expected:
            actual = state.in_memory(UploadDigests).md5(upload_id, part_ids, sources)
            if expected.lower() != actual:
                raise bad_request(f"md5 mismatch: the parts hash to {actual}", param="md5")
        file_obj = store_file(state, filename=upload["filename"], purpose=upload["purpose"], content=sources)
        _release(state, upload_id, keep=frozenset(part_ids))
        upload.update(status="completed", file=public(file_obj))
        return public(state.store.put("upload", upload))


@router.post("/uploads/{upload_id}/cancel")
async def cancel_upload(upload_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    with state.lock:
        upload = _pending(state, upload_id)
        upload["status"] = "cancelled"
        _release(state, upload_id)
        return public(state.store.put("upload", upload))


def _release(state: EmulatorState, upload_id: str, keep: frozenset[str] = frozenset()) -> None:
    """An upload that is no longer pending: its running md5 is dropped, and its parts deleted
    except those in `keep` (the ones that became a file's content)."""
    state.in_memory(UploadDigests).forget(upload_id)
    for part in state.store.all("upload_part"):
        if part["upload_id"] == upload_id and part["id"] not in keep:
            state.store.content_path(part["id"]).unlink(missing_ok=True)
