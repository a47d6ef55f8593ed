"""The request bodies of `/v1/uploads`, read strictly (see `core.bodies`)."""

from __future__ import annotations

from airflow_openai.emulator.core.bodies import Strict


class CreateUploadRequest(Strict):
    filename: str
    purpose: str
    bytes: int
    mime_type: str


class CompleteUploadRequest(Strict):
    part_ids: list[str]
    md5: str | None = None
