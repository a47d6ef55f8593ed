"""Files and multi-part Uploads (`/files`, `/uploads`)."""

from __future__ import annotations

from typing import Literal

from airflow_openai.models.base import OpenAIObject

FilePurpose = Literal[
    "assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results", "vision"
]
UPLOADABLE_PURPOSES: tuple[str, ...] = ("assistants", "batch", "fine-tune", "vision")
"""Purposes a client may upload with (`CreateFileRequest.purpose`); the others are produced by the API."""

FileStatus = Literal["uploaded", "processed", "error"]
UploadStatus = Literal["pending", "completed", "cancelled", "expired"]
UPLOAD_TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "cancelled", "expired"})


class OpenAIFile(OpenAIObject):
    """A file stored in the organization: batch inputs and outputs, training sets, documents."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    filename: str
    purpose: FilePurpose | str
    status: FileStatus | str | None = None
    status_details: str | None = None


class Upload(OpenAIObject):
    """A multi-part upload that becomes an `OpenAIFile` once completed."""

    id: str
    object: Literal["upload"] = "upload"
    bytes: int
    created_at: int
    filename: str
    purpose: str
    status: UploadStatus | str
    expires_at: int
    file: OpenAIFile | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in UPLOAD_TERMINAL_STATUSES


class UploadPart(OpenAIObject):
    """One part of an Upload; its id goes into the ordered list that completes the upload."""

    id: str
    object: Literal["upload.part"] = "upload.part"
    created_at: int
    upload_id: str
