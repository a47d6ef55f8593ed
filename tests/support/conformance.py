"""One check of the emulator's answers against the OpenAI spec, shared by the conformance test of every route group.

`checked_client(emu)` gives an httpx client whose every answer is validated as it arrives:
a 2xx against the schema the spec gives the operation and status, anything else against
`ErrorResponse`; server-sent events event by event against the stream's schema (`STREAMED`), ending with
`[DONE]`; audio and text transcripts as non-empty bodies of their content type (`NOT_JSON`). The `Checker` it yields records which (method, path template) got a
checked success, so a group's test can assert it exercised every operation of the group the
emulator serves (`Checker.assert_covers`). `served_operations()` reads those operations from
the emulator's own app, so a route added to the emulator is a route the check must cover.

`SPEC_DEFECTS` is the single list of the spec's own faults the check forgives, each with its
reason: nothing else is excused, and a defect a group's answers no longer hit fails the test.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from tests.support.spec import load_spec, schema_validator, spec_operation

Operation = tuple[str, str]
"""(HTTP method, the spec's path template), e.g. `("GET", "/files/{file_id}")`."""
DefectKey = tuple[str, str, str]
"""(schema validated, fault, where): the fault is a jsonschema message, `unexpected field 'x'` (a closed check)
or a named fault (see `faults_of`); where is the dotted path in the answer, `*` for any list index."""

ANY_SCHEMA = "*"
EMPTY_LIST_IDS = "an empty list without first_id/last_id"
JSON_SCHEMA_TYPE = "json_schema.type"
NUMBER_DURATION = "a number where the spec types a string"
BASE64_EMBEDDING = "a base64 string where the spec types an array"


def _unexpected(field: str) -> str:
    return f"unexpected field '{field}'"


def _at(places: list[tuple[str, str]], fault: str, reason: str) -> dict[DefectKey, str]:
    """One defect of the spec, met at each of `places` (schema validated, where)."""
    return {(schema, fault, where): reason for schema, where in places}


SPEC_DEFECTS: dict[DefectKey, str] = {
    (ANY_SCHEMA, EMPTY_LIST_IDS, ""): (
        "most list schemas require first_id and last_id, typed as strings, but an empty list has no first or "
        "last object: the emulator leaves both out (the service sends null, which breaks the type instead)"
    ),
    ("Upload", "'step_number' is a required property", ""): (
        "Upload lists `step_number` as required but never defines it, and the service does not send it"
    ),
    **_at(
        [
            ("AssistantObject", "response_format"),
            ("RunObject", "response_format"),
            ("ListAssistantsResponse", "data.*.response_format"),
            ("ListRunsResponse", "data.*.response_format"),
        ],
        JSON_SCHEMA_TYPE,
        "ResponseFormatJsonSchema requires a `type` inside `json_schema`, a field it does not define and that "
        "no request sends (the service echoes the format as given)",
    ),
    (
        "VectorStoreFileBatchObject",
        "'cancelling' is not one of ['in_progress', 'completed', 'cancelled', 'failed']",
        "status",
    ): "the enum lacks `cancelling`, which the spec's own cancel example (and the service) returns",
    **{
        ("ListFilesResponse", _unexpected(field), ""): (
            "ListFilesResponse has no pagination fields, but the service pages `GET /files` (`limit`, `after`, "
            "`order`) and answers `has_more`, `first_id` and `last_id`, which the SDK's pager reads"
        )
        for field in ("has_more", "first_id", "last_id")
    },
    **_at(
        [("ProjectApiKeyListResponse", "data.*"), ("ProjectApiKey", "")],
        _unexpected("last_used_at"),
        "ProjectApiKey lacks `last_used_at`, which the service sends and the SDK reads",
    ),
    ("ListAuditLogsResponse", _unexpected("user_agent"), "data.*.actor.session"): (
        "AuditLogActorSession lacks `user_agent`, which the spec's own examples show"
    ),
    ("CreateEmbeddingResponse", BASE64_EMBEDDING, "data.*.embedding"): (
        "Embedding types `embedding` as an array of numbers only, but `encoding_format: base64` (which the "
        "official SDK sends by default) answers the base64 of its float32s, as the request schema offers"
    ),
    ("CreateChatCompletionStreamResponse", "None is not of type 'object'", "usage"): (
        "the stream chunk's `usage` is not nullable, but with `stream_options.include_usage` the service sends "
        "`usage: null` on every chunk before the last, as the spec's own description of the option says"
    ),
    **{
        ("CreateCompletionResponse", fault, "choices.*.finish_reason"): (
            "the spec gives a streamed completion the schema of the whole answer, whose `finish_reason` is not "
            "nullable, but every chunk before a choice's last has `finish_reason: null`"
        )
        for fault in (
            "None is not of type 'string'",
            "None is not one of ['stop', 'length', 'content_filter']",
        )
    },
    **_at(
        [("CreateTranscriptionResponseVerboseJson", ""), ("CreateTranslationResponseVerboseJson", "")],
        _unexpected("task"),
        "the verbose answers lack `task` (`transcribe` or `translate`), which the spec's own examples show",
    ),
    **_at(
        [
            ("CreateTranscriptionResponseVerboseJson", "duration"),
            ("CreateTranslationResponseVerboseJson", "duration"),
        ],
        NUMBER_DURATION,
        "`duration` is typed as a string, but the spec's own examples, the service and the SDK's types have a "
        "number of seconds",
    ),
}
"""The spec's own faults, each with its reason: the only mismatches the check forgives."""

GROUPS: dict[str, tuple[str, ...]] = {
    "files": ("/files", "/uploads"),
    "batches": ("/batches",),
    "inference": ("/models", "/chat/completions", "/completions", "/embeddings"),
    "media": ("/moderations", "/images", "/audio"),
    "fine_tuning": ("/fine_tuning",),
    "vector_stores": ("/vector_stores",),
    "assistants": ("/assistants", "/threads"),
    "organization": ("/organization",),
}
"""Each route group and the path prefixes of its operations in the spec."""

STREAMED: dict[Operation, str] = {
    ("POST", "/chat/completions"): "CreateChatCompletionStreamResponse",
    ("POST", "/completions"): "CreateCompletionResponse",
}
"""The operations that answer `stream: true` with server-sent events, and the schema of each event's data."""
NOT_JSON: dict[Operation, tuple[str, ...]] = {
    ("POST", "/audio/speech"): ("audio/wav", "audio/pcm"),
    ("POST", "/audio/transcriptions"): ("text/plain",),
    ("POST", "/audio/translations"): ("text/plain",),
}
"""The operations that may answer a body that is not JSON (audio; the text, srt and vtt transcripts), and its
content types: such a body is checked to be one of them and not empty, as the spec says no more of it."""

_PARAMETER = re.compile(r"\{[^}]+\}")


def group_of(template: str) -> str | None:
    for group, prefixes in GROUPS.items():
        if any(template == prefix or template.startswith(prefix + "/") for prefix in prefixes):
            return group
    return None


@cache
def served_operations() -> frozenset[Operation]:
    """Every API operation the emulator's app serves that the spec defines: its `/v1` routes, not the
    `/_emulator` control plane or the dashboard pages under it."""
    from airflow_openai.emulator.app import create_app
    from airflow_openai.emulator.core.state import EmulatorState
    from airflow_openai.emulator.inference.responder import default_responder

    spec = load_spec()
    served: set[Operation] = set()
    with tempfile.TemporaryDirectory(prefix="openai-emulator-routes-") as data_dir:
        state = EmulatorState.open(Path(data_dir), responder=default_responder)
        app = create_app(state).app
        for route in app.routes:
            path = getattr(route, "path", "")
            if not path.startswith("/v1/"):
                continue
            normalised = _PARAMETER.sub("{}", path.removeprefix("/v1"))
            for method in getattr(route, "methods", None) or ():
                template = next(
                    (
                        template
                        for template, item in spec["paths"].items()
                        if method.lower() in item and _PARAMETER.sub("{}", template) == normalised
                    ),
                    None,
                )
                if template is not None:
                    served.add((method, template))
    return frozenset(served)


def group_operations(group: str) -> set[Operation]:
    return {operation for operation in served_operations() if group_of(operation[1]) == group}


def _closed(node: Any) -> Any:
    """Each object schema that lists its properties refuses others."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if "properties" in node and "$ref" not in node and "additionalProperties" not in node:
        closed["additionalProperties"] = False
    return closed


@cache
def _closed_spec() -> dict[str, Any]:
    closed = copy.deepcopy(load_spec())
    closed["components"]["schemas"] = _closed(closed["components"]["schemas"])
    return closed


_VALIDATORS: dict[tuple[bool, str], Any] = {}


def _validator(closed: bool, name: str, schema: dict[str, Any]) -> Any:
    key = (closed, name)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = schema_validator(_closed_spec() if closed else load_spec(), schema)
    return _VALIDATORS[key]


def faults_of(spec: dict[str, Any], error: jsonschema.ValidationError) -> list[str]:
    """What `error` is in `SPEC_DEFECTS`' terms: one `unexpected field` per field a closed schema refuses, a
    named fault of the spec, or else the error's message."""
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        named = error.schema.get("properties", {})
        return [_unexpected(field) for field in instance if field not in named]
    if (
        error.validator == "required"
        and isinstance(instance, dict)
        and instance.get("data") == []
        and error.message in ("'first_id' is a required property", "'last_id' is a required property")
    ):
        return [EMPTY_LIST_IDS]
    last = error.absolute_path[-1] if error.absolute_path else None
    if error.validator == "type" and error.validator_value == "string" and last == "duration":
        return [NUMBER_DURATION] if isinstance(instance, int | float) else [error.message]
    if error.validator == "type" and error.validator_value == "array" and last == "embedding":
        return [BASE64_EMBEDDING] if isinstance(instance, str) else [error.message]
    if isinstance(instance, dict) and instance.get("type") == "json_schema":
        schema = copy.deepcopy(spec["components"]["schemas"]["ResponseFormatJsonSchema"])
        schema["properties"]["json_schema"]["required"] = ["name"]
        schema["properties"]["json_schema"]["properties"]["schema"] = {"type": "object"}
        if jsonschema.Draft202012Validator(schema).is_valid(instance):
            return [JSON_SCHEMA_TYPE]
    return [error.message]


def defects_met(spec: dict[str, Any], name: str, error: jsonschema.ValidationError) -> set[DefectKey] | None:
    """The spec defects that account for `error` in an answer validated against `name`, or None when it is
    a mismatch of the emulator's."""
    at = where(error)
    keys: set[DefectKey] = set()
    for fault in faults_of(spec, error):
        key = next((k for k in ((name, fault, at), (ANY_SCHEMA, fault, at)) if k in SPEC_DEFECTS), None)
        if key is None:
            return None
        keys.add(key)
    return keys


def where(error: jsonschema.ValidationError) -> str:
    return ".".join("*" if isinstance(part, int) else str(part) for part in error.absolute_path)


class Checker:
    """An httpx response hook validating each answer. Closed (the default), each object schema that names its
    properties refuses any other, so a misspelt or invented field cannot hide."""

    def __init__(self, *, closed: bool = True) -> None:
        self.spec = load_spec()
        self.closed = closed
        self.answered: set[tuple[str, str, int]] = set()
        self.validated: set[str] = set()
        self.excused: set[DefectKey] = set()

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        method, status = response.request.method, response.status_code
        template, operation = spec_operation(self.spec, method, response.request.url.path)
        content_type = response.headers.get("content-type", "")
        if 200 <= status < 300 and content_type.startswith("text/event-stream"):
            self._check_events(method, template, response.text)
        elif (
            200 <= status < 300
            and (method, template) in NOT_JSON
            and not content_type.startswith("application/json")
        ):
            kinds = NOT_JSON[(method, template)]
            assert content_type.startswith(kinds) and response.content, (
                f"{method} {template} -> {status} answered {content_type!r} ({len(response.content)} bytes)"
            )
        else:
            if 200 <= status < 300:
                responses = operation["responses"]
                content = responses.get(str(status), responses.get("200", {})).get("content", {})
                schema = content["application/json"]["schema"]
            else:
                schema = {"$ref": "#/components/schemas/ErrorResponse"}
            answer = response.json() if content_type.startswith("application/json") else response.text
            self._validate(method, template, status, schema, answer)
        assert response.headers["x-request-id"].startswith("req_")
        self.answered.add((method, template, status))

    def _check_events(self, method: str, template: str, text: str) -> None:
        """Each event's data against the stream's schema, the last one `[DONE]`."""
        name = STREAMED.get((method, template))
        assert name is not None, f"{method} {template} answered server-sent events"
        data = [line.removeprefix("data: ") for line in text.split("\n\n") if line.startswith("data: ")]
        assert data and data[-1] == "[DONE]", f"{method} {template}: the stream does not end with [DONE]"
        assert len(data) > 1, f"{method} {template}: the stream has no chunk"
        for item in data[:-1]:
            self._validate(method, template, 200, {"$ref": f"#/components/schemas/{name}"}, json.loads(item))

    def _validate(self, method: str, template: str, status: int, schema: dict[str, Any], answer: Any) -> None:
        """`answer` against `schema`: a `oneOf` of named schemas passes when one of them does."""
        branches = [branch["$ref"] for branch in schema.get("oneOf", ()) if "$ref" in branch]
        if len(branches) != len(schema.get("oneOf", [None])):
            branches = []
        candidates = [{"$ref": ref} for ref in branches] or [schema]
        failures = []
        for candidate in candidates:
            name = candidate["$ref"].rsplit("/", 1)[-1] if "$ref" in candidate else f"{method} {template}"
            errors, excused = [], set()
            for error in _validator(self.closed, name, candidate).iter_errors(answer):
                met = defects_met(self.spec, name, error)
                if met is None:
                    errors.append(error)
                else:
                    excused |= met
            if not errors:
                self.excused |= excused
                self.validated.add(name)
                return
            failures.append((name, errors[0]))
        name, first = failures[0]
        raise AssertionError(
            f"{method} {template} -> {status} breaks {name}: {first.message} at {list(first.absolute_path)}"
        )

    def covered(self) -> set[Operation]:
        """The operations that got a checked success."""
        return {(method, template) for method, template, status in self.answered if 200 <= status < 300}

    def statuses(self) -> set[int]:
        return {status for _, _, status in self.answered}

    def assert_covers(self, group: str) -> None:
        """Every operation of `group` the emulator serves got a checked success, and each spec defect of a
        schema this client validated was met (an excuse no answer needs any more must go)."""
        expected = group_operations(group)
        assert expected, f"the emulator serves no operation of group {group}"
        missing = expected - self.covered()
        assert not missing, f"{group}: not exercised with a checked success: {sorted(missing)}"
        unneeded = {
            key
            for key in SPEC_DEFECTS
            if key[0] in self.validated
            and key not in self.excused
            and (self.closed or not key[1].startswith("unexpected field"))
        }
        assert not unneeded, f"{group}: spec defects no answer met: {sorted(unneeded)}"


@contextmanager
def checked_client(
    emu: Any, *, admin: bool = False, closed: bool = True, headers: dict[str, str] | None = None
) -> Iterator[tuple[httpx.Client, Checker]]:
    """An httpx client to the emulator (with its project key, or its admin key) whose every answer is checked
    against the spec, and the `Checker` that saw them."""
    checker = Checker(closed=closed)
    key = emu.admin_key if admin else emu.api_key
    with httpx.Client(
        base_url=emu.base_url + "/",
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
        event_hooks={"response": [checker]},
    ) as client:
        yield client, checker
