"""Every example object the spec gives for our schemas, and every example response of our paths,
parses with the model named as its schema."""

from __future__ import annotations

import pytest

import airflow_openai.models as models
from tests.support.spec import load_spec, path_examples, read_example, response_schema, spec_path, sse_objects

SCHEMAS = [
    "OpenAIFile",
    "Upload",
    "UploadPart",
    "Batch",
    "BatchRequestInput",
    "BatchRequestOutput",
    "FineTuningJob",
    "FineTuningJobEvent",
    "FineTuningJobCheckpoint",
    "VectorStoreObject",
    "VectorStoreFileObject",
    "VectorStoreFileBatchObject",
    "RunObject",
    "AuditLog",
    "Invite",
    "User",
    "Project",
    "ProjectUser",
    "ProjectServiceAccount",
    "ProjectApiKey",
    "Model",
]

IN_SCOPE = (
    "/files",
    "/uploads",
    "/fine_tuning",
    "/models",
    "/vector_stores",
    "/batches",
    "/organization",
    "/threads/{thread_id}/runs",
)
OUT_OF_SCOPE = ("/steps", "/submit_tool_outputs")

# Responses whose list or delete envelope has no model of its own: the items are parsed instead.
LIST_ITEM = {
    "ListFilesResponse": "OpenAIFile",
    "ListBatchesResponse": "Batch",
    "ListPaginatedFineTuningJobsResponse": "FineTuningJob",
    "ListFineTuningJobEventsResponse": "FineTuningJobEvent",
    "ListFineTuningJobCheckpointsResponse": "FineTuningJobCheckpoint",
    "ListModelsResponse": "Model",
    "ListVectorStoresResponse": "VectorStoreObject",
    "ListVectorStoreFilesResponse": "VectorStoreFileObject",
    "ListRunsResponse": "RunObject",
    "ListAuditLogsResponse": "AuditLog",
    "InviteListResponse": "Invite",
    "UserListResponse": "User",
    "ProjectListResponse": "Project",
    "ProjectUserListResponse": "ProjectUser",
    "ProjectServiceAccountListResponse": "ProjectServiceAccount",
    "ProjectApiKeyListResponse": "ProjectApiKey",
}

# Examples in this version of the spec that show another object than the schema they document.
# Parsing them with the documented model would test the spec's copy-paste, not our models.
SPEC_MISTAKES = {
    ("get", "/fine_tuning/jobs"): "the example lists fine-tuning events, not jobs",
}


def _operations():
    if spec_path() is None:
        return []
    spec = load_spec()
    found = []
    for path, item in spec["paths"].items():
        if not path.startswith(IN_SCOPE) or any(part in path for part in OUT_OF_SCOPE):
            continue
        for method in ("get", "post", "delete"):
            if method in item:
                found.append(pytest.param(method, path, id=f"{method.upper()} {path}"))
    return found


@pytest.mark.parametrize("schema", SCHEMAS)
def test_schema_example_parses(schema):
    spec = load_spec()
    example = spec["components"]["schemas"][schema].get("x-oaiMeta", {}).get("example")
    if example is None:
        pytest.skip(f"the spec gives no example object for {schema}")
    parsed = getattr(models, schema).model_validate(read_example(example))
    assert parsed.model_dump(exclude_unset=True)


OPERATIONS = _operations()


@pytest.mark.skipif(not OPERATIONS, reason="the OpenAI spec is not beside the checkout")
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_path_example_response_parses(method, path):
    spec = load_spec()
    if (method, path) in SPEC_MISTAKES:
        pytest.skip(SPEC_MISTAKES[(method, path)])
    schema = response_schema(spec, path, method)
    examples = path_examples(spec, path, method)
    if schema is None or not examples:
        pytest.skip(f"{method.upper()} {path} documents no JSON example response")
    for text in examples:
        if text.lstrip().startswith("event:"):
            objects = [data for _, data in sse_objects(text) if data.get("object") == "thread.run"]
            assert objects, "a streamed example should include the run"
            for data in objects:
                models.RunObject.model_validate(data)
            continue
        body = read_example(text)
        if schema in LIST_ITEM:
            assert body["object"] == "list"
            for item in body["data"]:
                getattr(models, LIST_ITEM[schema]).model_validate(item)
        elif "Delete" in schema:
            assert models.DeletedObject.model_validate(body).deleted is True
        else:
            getattr(models, schema).model_validate(body)
