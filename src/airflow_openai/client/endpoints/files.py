"""`/files` and `/uploads`."""

from __future__ import annotations

from typing import IO, Any

from airflow_openai.client.bodies import remaining_bytes
from airflow_openai.client.calls import ApiCall, ListCall, MultipartFile, Reconcile, raw_json, segment
from airflow_openai.models import DeletedObject, OpenAIFile, Upload, UploadPart


def create_file(file: IO[bytes], purpose: str, filename: str) -> ApiCall[OpenAIFile]:
    """Upload a file in one multipart request, streamed from the file object.

    If the answer is lost, the file is looked for (same name, purpose and size, created since;
    the batch pipeline names its input files by their content's fingerprint) before it is sent again.
    """
    part = MultipartFile.of(filename, file)
    size = remaining_bytes(file)

    def same(found: OpenAIFile) -> bool:
        return (
            found.filename == filename and found.purpose == purpose and (size is None or found.bytes == size)
        )

    reconcile: Reconcile[OpenAIFile] = Reconcile(
        list_files(purpose, limit=100, order="desc"), same, what=f"file {filename!r}"
    )
    return ApiCall(
        "POST",
        "/files",
        OpenAIFile.model_validate,
        form={"purpose": purpose},
        files={"file": part},
        reconcile=reconcile,
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
    """Open a multi-part upload of exactly `bytes` bytes.

    Sent again when its answer is lost: the API cannot list uploads to look for the first one,
    and a pending upload nobody completes is never charged and expires after an hour.
    """
    body = {"filename": filename, "purpose": purpose, "bytes": bytes, "mime_type": mime_type}
    return ApiCall("POST", "/uploads", Upload.model_validate, json=body, repeatable=True)


def create_upload_part(upload_id: str, data: IO[bytes]) -> ApiCall[UploadPart]:
    """Add one part (at most 64 MB) to a pending upload.

    Sent again when its answer is lost: a part whose id is not named at completion is dropped.
    """
    part = MultipartFile.of("part", data)
    path = f"/uploads/{segment(upload_id)}/parts"
    return ApiCall("POST", path, UploadPart.model_validate, files={"data": part}, repeatable=True)


def complete_upload(
    upload_id: str, part_ids: list[str], md5: str | None = None, *, upload: Upload | None = None
) -> ApiCall[Upload]:
    """Finish an upload; parts are joined in the order of `part_ids`.

    Given the `upload` as `create_upload` returned it, a lost answer is reconciled: the file it
    became (same name, purpose and size, created since) is looked up and returned as a completed
    upload. Without it, a lost answer raises `AnswerLostError` rather than completing twice.
    """
    body: dict[str, Any] = {"part_ids": list(part_ids)}
    if md5:
        body["md5"] = md5
    reconcile = None
    if upload is not None:

        def same(found: OpenAIFile) -> bool:
            return found.filename == upload.filename and found.bytes == upload.bytes

        def completed(found: OpenAIFile) -> Upload:
            return upload.model_copy(update={"status": "completed", "file": found})

        lookup = list_files(upload.purpose, limit=100, order="desc")
        reconcile = Reconcile(lookup, same, completed, what=f"the file of upload {upload_id}")
    path = f"/uploads/{segment(upload_id)}/complete"
    return ApiCall("POST", path, Upload.model_validate, json=body, reconcile=reconcile)


def cancel_upload(upload_id: str) -> ApiCall[Upload]:
    return ApiCall("POST", f"/uploads/{segment(upload_id)}/cancel", Upload.model_validate, repeatable=True)
