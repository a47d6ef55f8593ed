"""`/files` and `/uploads`."""

from __future__ import annotations

from typing import IO, Any

from airflow_openai.client.calls import ApiCall, ListCall, MultipartFile, raw_json, segment
from airflow_openai.models import DeletedObject, OpenAIFile, Upload, UploadPart


def create_file(file: IO[bytes], purpose: str, filename: str) -> ApiCall[OpenAIFile]:
    """Upload a file in one multipart request, streamed from the file object."""
    part = MultipartFile.of(filename, file)
    return ApiCall(
        "POST", "/files", OpenAIFile.model_validate, form={"purpose": purpose}, files={"file": part}
    )


def list_files(
    purpose: str | None = None, limit: int | None = None, order: str | None = None
) -> ListCall[OpenAIFile]:
    """Every file of the organization, optionally of one purpose."""
    params = {"purpose": purpose, "limit": limit, "order": order}
    return ListCall("GET", "/files", OpenAIFile.model_validate, params=params)


def get_file(file_id: str) -> ApiCall[OpenAIFile]:
    return ApiCall("GET", f"/files/{segment(file_id)}", OpenAIFile.model_validate)


def delete_file(file_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", f"/files/{segment(file_id)}", DeletedObject.model_validate)


def download_file(file_id: str) -> ApiCall[Any]:
    """The bytes of a file; the transport streams them to a destination."""
    return ApiCall("GET", f"/files/{segment(file_id)}/content", raw_json)


def create_upload(filename: str, purpose: str, bytes: int, mime_type: str) -> ApiCall[Upload]:
    """Open a multi-part upload of exactly `bytes` bytes."""
    body = {"filename": filename, "purpose": purpose, "bytes": bytes, "mime_type": mime_type}
    return ApiCall("POST", "/uploads", Upload.model_validate, json=body)


def create_upload_part(upload_id: str, data: IO[bytes]) -> ApiCall[UploadPart]:
    """Add one part (at most 64 MB) to a pending upload."""
    part = MultipartFile.of("part", data)
    return ApiCall(
        "POST", f"/uploads/{segment(upload_id)}/parts", UploadPart.model_validate, files={"data": part}
    )


def complete_upload(upload_id: str, part_ids: list[str], md5: str | None = None) -> ApiCall[Upload]:
    """Finish an upload; parts are joined in the order of `part_ids`."""
    body: dict[str, Any] = {"part_ids": list(part_ids)}
    if md5:
        body["md5"] = md5
    return ApiCall("POST", f"/uploads/{segment(upload_id)}/complete", Upload.model_validate, json=body)


def cancel_upload(upload_id: str) -> ApiCall[Upload]:
    return ApiCall("POST", f"/uploads/{segment(upload_id)}/cancel", Upload.model_validate)
