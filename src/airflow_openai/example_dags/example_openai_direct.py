"""Answers needed now, not within 24 hours: a folder of documents embedded, and questions answered, by direct calls.

`write_docs` stands in for whatever produces the documents (a wiki export, a repository
checkout). `embed` sends every document to the embeddings endpoint, 64 to a request, at the
rate the key's limits allow, and writes one JSONL row per document (`id`: its path under the
folder, `embedding`) under `[openai] output_root` — object storage in a real deployment
(`s3://bucket/vectors/`), as the source may be (`s3://bucket/handbook/**/*.md`). `ask` puts a
question about each document to a chat model the same way, with the inputs and the result rows
of `OpenAIBatchOperator`: swap the class to pay half and wait up to a day instead.
Runs unchanged against the real API or the local emulator (`make demo` runs it).

Both tasks publish their results as assets (`outlets`): each success adds an asset event whose
`extra` holds the results file's path, the counts and the tokens. `example_openai_direct_results`
runs once both have new results, and reads them from the events.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Param, task

from airflow_openai.operators.direct import OpenAIDirectCallsOperator
from airflow_openai.operators.embeddings import OpenAIEmbeddingOperator

HANDBOOK_EMBEDDINGS = Asset("openai://example/handbook-embeddings")
HANDBOOK_ANSWERS = Asset("openai://example/handbook-answers")
TOPICS = ("onboarding", "expenses", "passwords", "laptops", "holidays", "travel", "benefits", "security")

with DAG(
    dag_id="example_openai_direct",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "docs_folder": Param(
            "", type="string", description="where the documents live (default: under AIRFLOW_HOME)"
        ),
        "documents": Param(200, type="integer", minimum=1, description="how many documents to write"),
    },
    tags=["openai", "example", "direct"],
) as dag:

    @task
    def write_docs(params: dict | None = None) -> str:
        """Write the documents; returns the glob of their files."""
        params = params or {}
        home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
        folder = Path(params.get("docs_folder") or Path(home) / "direct_docs")
        for number in range(int(params.get("documents") or 200)):
            topic = TOPICS[number % len(TOPICS)]
            path = folder / topic / f"note-{number:04d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"# {topic.title()} note {number}\n\nWhat every employee should know about {topic}.\n"
            )
        return f"{folder}/**/*.md"

    docs = write_docs()

    embed = OpenAIEmbeddingOperator(
        task_id="embed",
        source=docs,
        model="text-embedding-3-small",
        dimensions=256,
        inputs_per_request=64,
        concurrency=8,
        outlets=[HANDBOOK_EMBEDDINGS],
    )

    ask = OpenAIDirectCallsOperator(
        task_id="ask",
        prompts=[f"In one sentence: what should a new employee know about {topic}?" for topic in TOPICS],
        model="gpt-4o-mini",
        system_prompt="You answer for the staff handbook.",
        request_parameters={"max_completion_tokens": 60},
        concurrency=8,
        outlets=[HANDBOOK_ANSWERS],
    )

    docs >> [embed, ask]


with DAG(
    dag_id="example_openai_direct_results",
    schedule=HANDBOOK_EMBEDDINGS & HANDBOOK_ANSWERS,  # once both have new results
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example", "direct"],
) as results_dag:

    @task
    def new_results(triggering_asset_events: Any = None) -> dict[str, list[dict]]:
        """Where the latest embeddings and answers are, with their counts and tokens."""
        found: dict[str, list[dict]] = {}
        for asset in (HANDBOOK_EMBEDDINGS, HANDBOOK_ANSWERS):
            for event in (triggering_asset_events or {}).get(asset, []):
                extra = dict(event.extra)
                print(f"{asset.uri}: {extra['succeeded']} of {extra['total']} rows in {extra['output_path']}")
                found.setdefault(asset.uri, []).append(extra)
        return found

    new_results()
