"""The request bodies of `/v1/batches` and of the control plane's forced batch state, read strictly
(see `core.bodies`)."""

from __future__ import annotations

from typing import Literal

from airflow_openai.emulator.core.bodies import Strict


class CreateBatchRequest(Strict):
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None = None


class ForceBatchRequest(Strict):
    status: Literal["in_progress", "finalizing", "completed", "failed", "expired", "cancelled"]
