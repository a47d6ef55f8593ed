"""OpenAIEmbeddingOperator on a real Airflow (`dag.test()`, SQLite) against the emulator over loopback."""

from __future__ import annotations

import json

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


def _rows(path):
    return [json.loads(line) for line in open(path)]


def test_texts_are_packed_and_every_text_gets_its_vector(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.embeddings import OpenAIEmbeddingOperator

    texts = [{"id": f"doc-{n}", "text": f"the text of document {n}"} for n in range(10)]
    output = tmp_path / "vectors.jsonl"
    with new_dag() as dag:
        OpenAIEmbeddingOperator(
            task_id="embed", texts=texts, inputs_per_request=4, dimensions=64, output_path=str(output)
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"embed": "success"}
    rows = {row["id"]: row for row in _rows(output)}
    assert sorted(rows) == sorted(text["id"] for text in texts)
    assert all(row["status"] == "succeeded" and len(row["embedding"]) == 64 for row in rows.values())
    assert emu.requests("/v1/embeddings", "POST") == 3, "ten texts, four to a request"
    direct = emu_hook.create_embedding(
        model="text-embedding-3-small", input="the text of document 3", dimensions=64
    )
    assert rows["doc-3"]["embedding"] == direct.data[0].embedding, (
        "the base64 vector decodes to the float one"
    )
    manifest = xcom_value(dag_run, "embed")
    assert manifest["succeeded"] == 10 and manifest["failed"] == 0 and manifest["usage"]["total_tokens"] > 0


def test_a_folder_of_documents_is_embedded_by_path(airflow_db, emu, new_dag, tmp_path):
    from airflow_openai.operators.embeddings import OpenAIEmbeddingOperator

    folder = tmp_path / "docs"
    (folder / "guides").mkdir(parents=True)
    (folder / "a.md").write_text("alpha")
    (folder / "guides" / "b.md").write_text("beta")
    (folder / ".hidden.md").write_text("skipped as a shell skips it")
    output = tmp_path / "vectors.jsonl"
    with new_dag() as dag:
        OpenAIEmbeddingOperator(task_id="embed", source=f"{folder}/**/*.md", output_path=str(output))
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"embed": "success"}
    assert sorted(row["id"] for row in _rows(output)) == ["a.md", "guides/b.md"]


def test_an_empty_text_fails_naming_it_before_any_call(emu, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.embeddings import OpenAIEmbeddingOperator

    operator = OpenAIEmbeddingOperator(
        task_id="embed", texts=["fine", "  "], output_path=str(tmp_path / "v.jsonl")
    )
    with pytest.raises(AirflowFailException, match=r"nothing was sent: line 2: text '1' is empty"):
        operator.execute({})

    assert emu.requests("/v1/embeddings", "POST") == 0
