"""A docs folder → a vector store, kept up to date by re-running the same task.

`write_docs` stands in for whatever produces the documents (an export from a wiki, a
repository checkout); `ingest` syncs the folder into the vector store named by a stable
key, found again on every run. The first run uploads every document; a second run over
the same folder uploads nothing and makes no file batch; after an edit, only the edited
document is uploaded, and its old version is removed once the new one has been indexed.
In a real deployment the documents usually live in object storage: give the ingest a
source such as `s3://bucket/handbook/**/*` (an `ObjectStoragePath` glob) instead.
Runs unchanged against the real API or the local emulator (`make demo` runs it twice).
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

DOCS = {
    "onboarding.md": "# Onboarding\n\nNew starters get a laptop on their first day and a buddy for the first month.\n",
    "expenses.md": "# Expenses\n\nClaim travel within 30 days. Receipts over 25 EUR must be attached.\n",
    "security/passwords.md": "# Passwords\n\nUse the password manager; never share a password by chat.\n",
    "security/laptops.md": "# Laptops\n\nLock the screen when you leave the desk. Report a lost laptop at once.\n",
    "holidays.txt": "Holidays: 27 days a year, plus public holidays. Book them in the HR tool.\n",
}

with DAG(
    dag_id="example_openai_vector_store",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "docs_folder": Param(
            "", type="string", description="where the handbook lives (default: under AIRFLOW_HOME)"
        ),
        "edit": Param(False, type="boolean", description="change one document before syncing"),
    },
    tags=["openai", "example", "vector-store"],
) as dag:

    @task
    def write_docs(params: dict | None = None) -> str:
        """Write the handbook (only what changed, so an unchanged run leaves the files as they are);
        returns the glob of its files for the ingest."""
        params = params or {}
        home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
        folder = Path(params.get("docs_folder") or Path(home) / "handbook")
        for name, text in DOCS.items():
            if params.get("edit") and name == "expenses.md":
                text = text.replace("30 days", "60 days")
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
        return f"{folder}/**/*"

    OpenAIVectorStoreIngestOperator(
        task_id="ingest",
        source=write_docs(),
        store_key="example-handbook",
        store_name="Company handbook",
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 100},
        },
        deferrable=True,
        poll_interval=1.0,
    )
