"""Dataset names by the OpenLineage naming conventions, for every kind of place a task reads or writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airflow_openai.lineage.naming import DatasetName, dataset_name, openai_namespace, source_locations


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/data/in.jsonl", ("file", "/data/in.jsonl")),
        ("file:///data/in.jsonl", ("file", "/data/in.jsonl")),
        (Path("/data/../data/in.jsonl"), ("file", "/data/in.jsonl")),
        ("s3://bucket/openai/out.jsonl", ("s3://bucket", "openai/out.jsonl")),
        ("s3a://bucket/openai/out.jsonl", ("s3://bucket", "openai/out.jsonl")),
        ("s3://aws_default@bucket/out.jsonl", ("s3://bucket", "out.jsonl")),  # Airflow's connection id
        ("s3://AKIA:secret@bucket/out.jsonl", ("s3://bucket", "out.jsonl")),
        ("s3://bucket", ("s3://bucket", "/")),
        ("gs://bucket/a/b.jsonl", ("gs://bucket", "a/b.jsonl")),
        ("gcs://bucket/a/b.jsonl", ("gs://bucket", "a/b.jsonl")),
        ("az://container/a/b.jsonl", ("az://container", "a/b.jsonl")),
        ("abfs://wasb_default@container/a.jsonl", ("abfs://container", "a.jsonl")),
        (
            "abfss://container@account.dfs.core.windows.net/a/b.jsonl",
            ("abfss://container@account.dfs.core.windows.net", "a/b.jsonl"),
        ),
    ],
)
def test_dataset_names(location, expected):
    assert dataset_name(location) == DatasetName(*expected)


def test_a_relative_or_home_path_is_made_absolute():
    assert dataset_name("out/results.jsonl") == DatasetName(
        "file", os.path.join(os.getcwd(), "out/results.jsonl")
    )
    assert dataset_name("~/results.jsonl") == DatasetName("file", os.path.expanduser("~/results.jsonl"))


def test_an_object_storage_path_is_named_by_its_uri():
    from airflow.sdk import ObjectStoragePath

    assert dataset_name(ObjectStoragePath("s3://aws_default@bucket/k.jsonl")) == DatasetName(
        "s3://bucket", "k.jsonl"
    )
    assert source_locations([ObjectStoragePath("gs://bucket/docs/*.md")]) == (["gs://bucket/docs"], [])


def test_names_agree_with_the_openlineage_clients_naming():
    naming = pytest.importorskip("openlineage.client.naming.dataset")
    for location, expected in (
        ("s3://bucket/k/v.jsonl", naming.S3("bucket", "k/v.jsonl")),
        ("gs://bucket/k/v.jsonl", naming.GCS("bucket", "k/v.jsonl")),
        ("/tmp/v.jsonl", naming.LocalFileSystem("/tmp/v.jsonl")),
        ("abfss://c@acct.dfs.core.windows.net/k", naming.ABFSS("c", "acct", "k")),
    ):
        assert dataset_name(location) == DatasetName(expected.get_namespace(), expected.get_name())


def test_source_locations_a_glob_stands_for_its_folder_and_file_ids_are_apart():
    assert source_locations("/data/docs/**/*.md") == (["/data/docs"], [])
    assert source_locations(["s3://b/in/*.jsonl", "file-abc", "/x/y.jsonl", "/x/y.jsonl"]) == (
        ["s3://b/in", "/x/y.jsonl"],
        ["file-abc"],
    )
    assert source_locations("*.md") == (["."], [])
    assert source_locations("/*.md") == (["/"], [])
    assert source_locations(None) == ([], [])


def test_openai_namespace_is_the_base_url_without_credentials():
    assert openai_namespace("https://api.openai.com/v1") == "openai://api.openai.com/v1"
    assert openai_namespace("http://127.0.0.1:8765/v1/") == "openai://127.0.0.1:8765/v1"
    assert openai_namespace("https://me:sk-secret@proxy.example.com:8443/openai/v1") == (
        "openai://proxy.example.com:8443/openai/v1"
    )


def test_operator_lineage_names_api_objects_in_that_namespace_and_keeps_no_credentials():
    pytest.importorskip("airflow.providers.openlineage")
    from openlineage.client.serde import Serde

    from airflow_openai.lineage import RemoteObject, TaskReport
    from airflow_openai.operators.lineage import operator_lineage

    report = TaskReport(
        inputs=["file:///data/docs"],
        remote_outputs=[RemoteObject("vector_store", "vs_1")],
        facts={"vector_store_id": "vs_1"},
    )
    lineage = operator_lineage(report, operator="Op", base_url="https://me:sk-secret@proxy.example.com/v1")
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", "/data/docs")]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [
        ("openai://proxy.example.com/v1", "vector_store/vs_1")
    ]
    facet = Serde.to_dict(lineage.run_facets["openai_run"])
    assert facet["base_url"] == "proxy.example.com/v1" and facet["vector_store_id"] == "vs_1"
    assert "sk-secret" not in Serde.to_json(lineage.run_facets["openai_run"])
