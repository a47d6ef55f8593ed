"""A folder of fine-tuning files → OpenAI → copies back in storage → old files tidied away.

Runs unchanged against the real API (set the `openai_default` connection) or the local
emulator. `corpus` stands in for wherever your files live: point `source` at
``s3://bucket/train/*.jsonl`` or any object storage glob instead. Files over 64 MB go
through the Uploads API in parallel parts; a retry of `upload` does not upload again
what the first attempt already did.

`copy_back` publishes the copies as the asset `openai://example/file-copies` (`outlets`): the
asset event's `extra` holds the destination folder and how many files went there, and
`example_openai_files_copies`, scheduled on the asset, reads them from it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Param, task

from airflow_openai.operators.files import (
    OpenAIDeleteFilesOperator,
    OpenAIDownloadFileOperator,
    OpenAIUploadFileOperator,
)

FILE_COPIES = Asset("openai://example/file-copies")

with DAG(
    dag_id="example_openai_files",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "folder": Param(
            "", type="string", description="where the sample files go (empty: a new temp folder)"
        ),
        "keep_days": Param(
            7, type="integer", minimum=0, description="batch outputs older than this are deleted"
        ),
    },
    tags=["openai", "example"],
) as dag:

    @task
    def corpus(params: dict | None = None) -> str:
        """Write three small chat-format training files and return a glob matching them."""
        folder = Path((params or {}).get("folder") or tempfile.mkdtemp(prefix="openai-corpus-"))
        folder.mkdir(parents=True, exist_ok=True)
        for shard in range(3):
            with (folder / f"train-{shard}.jsonl").open("w") as sink:
                for n in range(50):
                    messages = [
                        {"role": "user", "content": f"What is {n} + {shard}?"},
                        {"role": "assistant", "content": str(n + shard)},
                    ]
                    sink.write(json.dumps({"messages": messages}) + "\n")
        return str(folder / "train-*.jsonl")

    source = corpus()

    upload = OpenAIUploadFileOperator(task_id="upload", source=source, purpose="fine-tune")

    copy_back = OpenAIDownloadFileOperator(
        task_id="copy_back",
        file_ids=upload.output["file_ids"],
        destination="{{ (params.folder or '/tmp/openai-corpus-copies').rstrip('/') }}/copies/",
        outlets=[FILE_COPIES],
    )

    tidy = OpenAIDeleteFilesOperator(
        task_id="tidy",
        purpose="batch_output",
        older_than="{{ params.keep_days * 86400 }}",
    )

    copy_back >> tidy


with DAG(
    dag_id="example_openai_files_copies",
    schedule=[FILE_COPIES],  # runs each time `copy_back` has written copies
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example"],
) as copies_dag:

    @task
    def new_copies(triggering_asset_events: Any = None) -> list[dict]:
        """The folders the copies went to, and how many files each run copied."""
        copies = [dict(event.extra) for event in (triggering_asset_events or {}).get(FILE_COPIES, [])]
        for extra in copies:
            print(f"{extra['count']} files copied to {extra['path']}")
        return copies

    new_copies()
