"""From what a DAG author has (prompts, request dicts, a JSONL file) to checked batch request lines.

Everything here runs before anything is uploaded or paid for: a bad line stops the
task with its line number and the reason, and nothing is created remotely.

The service refuses a body field it does not know ("Unrecognized request argument supplied"), so a
row key or body field the API description (2.3.0) does not define for the endpoint is refused here,
named, rather than failing every row in production. A row carries what is not for the API in two
keys of its own, never sent as they are: `metadata`, fields of the row's own (ids, labels...) kept
in its result row; and `extra_body`, parameters the API added after 2.3.0, merged into the body
unchecked (as the openai SDK's `extra_body`; the operators take one for every row too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_openai.emulator.inference.params import FIELDS, invalid_parameter, unrecognized_fields
from airflow_openai.jsonl import UnreadableLine, parse_line

ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/completions")
REQUIRED_BODY_FIELD = {
    "/v1/chat/completions": "messages",
    "/v1/embeddings": "input",
    "/v1/completions": "prompt",
}
CUSTOM_ID_MAX = 512
COMPLETION_WINDOWS = ("24h",)
"""The spec's CreateBatch `completion_window` enum: the only window the API accepts."""
LINE_FIELDS = ("custom_id", "method", "url", "body")
"""A request line of a batch input file: all that is sent of a row."""
ROW_METADATA = "metadata"
"""A row's own fields (a JSON object): kept in its result row as `metadata`, never sent."""
ROW_EXTRA_BODY = "extra_body"
"""Parameters the API added after 2.3.0 (a JSON object): merged into the row's body unchecked."""
PROMPT_KEYS = ("prompt", "custom_id", "system_prompt", ROW_METADATA, ROW_EXTRA_BODY)
"""What a prompt row holds besides the parameters of chat completions."""
API_VERSION = "2.3.0"
"""The version of the API description the body fields are checked against."""


class InvalidBatchInput(ValueError):
    """The input cannot make a valid batch; the message names the line and the reason."""

    def __init__(self, line: int | None, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


def check_endpoint(endpoint: str) -> str:
    if endpoint not in ENDPOINTS:
        raise InvalidBatchInput(None, f"endpoint must be one of {', '.join(ENDPOINTS)}; got {endpoint!r}")
    return endpoint


def has_template(value: Any) -> bool:
    """Whether `value` holds a Jinja string: such a parameter is checked once rendered, at run time,
    and any other is checked when the DAG is parsed, where the author sees it first."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(has_template(key) or has_template(item) for key, item in value.items())
    return False


def check_completion_window(window: Any) -> str:
    if window not in COMPLETION_WINDOWS:
        raise InvalidBatchInput(
            None, f"completion_window must be {' or '.join(map(repr, COMPLETION_WINDOWS))}; got {window!r}"
        )
    return str(window)


def prompt_rows(prompts: Any) -> Iterable[Any]:
    """`prompts` as a sequence of rows: one string or one dict is one prompt.

    Iterating a dict would send its keys as prompts, and a set has no order to give
    stable `prompt-<position>` ids to; both, and anything not a sequence, are refused by type.
    """
    if isinstance(prompts, str | Mapping):
        return [prompts]
    if isinstance(prompts, set | frozenset | bytes | bytearray) or not isinstance(prompts, Iterable):
        raise InvalidBatchInput(
            None,
            "prompts must be a string, a dict with 'prompt', or a list of those; "
            f"got {type(prompts).__name__}",
        )
    return prompts


def from_prompts(
    prompts: Iterable[Any],
    *,
    model: str | None,
    system_prompt: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Chat requests for prompts given as strings, or as dicts with `prompt` and per-row overrides.

    Yields (request line, the original prompt row); ids are `prompt-<position>` unless
    a row brings its own `custom_id`, so they are stable across retries. A dict row's other keys
    are parameters of chat completions, and its `metadata` and `extra_body` go on the line for
    `checked`; any other key is refused, named.
    """
    for position, row in enumerate(prompts):
        line = position + 1
        if isinstance(row, str):
            text, overrides, custom_id = row, {}, None
        elif isinstance(row, Mapping):
            if not isinstance(row.get("prompt"), str):
                raise InvalidBatchInput(
                    line,
                    f"prompts[{position}]: a prompt given as a dict needs a string 'prompt' "
                    f"(got keys {sorted(map(str, row))[:5]})",
                )
            _check_prompt_keys(row, line, position)
            overrides = {k: v for k, v in row.items() if k not in PROMPT_KEYS}
            text, custom_id = row["prompt"], row.get("custom_id")
        else:
            raise InvalidBatchInput(
                line, f"prompts[{position}]: a prompt must be a string or a dict, not {type(row).__name__}"
            )
        system = row.get("system_prompt", system_prompt) if isinstance(row, Mapping) else system_prompt
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": text}
        ]
        body = {"model": model, **(parameters or {}), **overrides, "messages": messages}
        request = {
            "custom_id": custom_id or f"prompt-{position}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": body,
        }
        if isinstance(row, Mapping):
            request.update({key: row[key] for key in (ROW_METADATA, ROW_EXTRA_BODY) if key in row})
        yield request, row


def _check_prompt_keys(row: Mapping[str, Any], line: int, position: int) -> None:
    """Refuse a key that is neither a prompt row's own nor a parameter of chat completions: the
    service would refuse every such row, and a row's own fields belong under `metadata`."""
    if "messages" in row:
        raise InvalidBatchInput(
            line,
            f"prompts[{position}]: 'messages' is made from 'prompt' and 'system_prompt'; "
            "to send messages of your own, give `requests` instead of `prompts`",
        )
    taken = FIELDS["/v1/chat/completions"]
    unknown = [str(key) for key in row if key not in PROMPT_KEYS and key not in taken]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        raise InvalidBatchInput(
            line,
            f"prompts[{position}]: unknown key{'s' if len(unknown) > 1 else ''} {names}: a prompt row holds "
            f"{', '.join(PROMPT_KEYS[:3])} and the parameters of /v1/chat/completions (API {API_VERSION}); "
            f"put fields of your own under '{ROW_METADATA}' (kept in the result row, never sent) and a "
            f"parameter the API added later under '{ROW_EXTRA_BODY}' (sent unchecked)",
        )


def from_requests(requests: Iterable[Any], endpoint: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """Request lines from full lines (`custom_id` + `body`) or plain bodies, which get `request-<position>` ids."""
    for position, item in enumerate(requests):
        if isinstance(item, str | bytes):
            item = _parse_json(item, position + 1)
        if not isinstance(item, Mapping):
            raise InvalidBatchInput(
                position + 1, f"a request must be a JSON object, not {type(item).__name__}"
            )
        if "body" in item or "custom_id" in item:
            request = {"method": "POST", "url": endpoint, **item}
            if "custom_id" not in item:
                request["custom_id"] = f"request-{position}"
        else:
            request = {
                "custom_id": f"request-{position}",
                "method": "POST",
                "url": endpoint,
                "body": dict(item),
            }
        yield request, request.get("body")


def from_jsonl(lines: Iterable[bytes | str]) -> Iterator[Any]:
    """Parsed lines of a JSONL source, blank lines skipped, bad JSON reported with its line number."""
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield _parse_json(raw, number)


def _parse_json(raw: bytes | str, line: int) -> Any:
    try:
        return parse_line(raw)
    except UnreadableLine as exc:
        raise InvalidBatchInput(line, str(exc)) from None


def checked(
    lines: Iterable[tuple[dict[str, Any], Any]],
    endpoint: str,
    extra_body: Mapping[str, Any] | None = None,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Pass lines through, refusing the first that the Batch API would refuse: its fields, and each
    body's fields and parameters against the spec's request schema (the emulator's reading of it,
    so both sides refuse the same lines).

    Each line yielded holds `custom_id`, `method`, `url` and `body`, and the row's `metadata` when
    it has one (for `chunks.prepare` to keep in its index, not in the file). `extra_body`, then the
    row's own `extra_body`, is merged into the body once it is checked, unchecked itself.
    """
    seen: set[str] = set()
    for number, (request, source) in enumerate(lines, start=1):
        custom_id = request.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            raise InvalidBatchInput(number, "custom_id must be a non-empty string")
        if len(custom_id) > CUSTOM_ID_MAX:
            raise InvalidBatchInput(number, f"custom_id is longer than {CUSTOM_ID_MAX} characters")
        if custom_id in seen:
            raise InvalidBatchInput(number, f"custom_id {custom_id!r} is used more than once")
        seen.add(custom_id)
        if request.get("method", "POST") != "POST":
            raise InvalidBatchInput(number, f"method must be POST, not {request.get('method')!r}")
        if request.get("url", endpoint) != endpoint:
            raise InvalidBatchInput(
                number, f"url {request.get('url')!r} does not match the batch endpoint {endpoint!r}"
            )
        body = request.get("body")
        if not isinstance(body, Mapping):
            raise InvalidBatchInput(number, "body must be a JSON object")
        if body.get("model") in (None, ""):
            raise InvalidBatchInput(
                number, "body.model is required (set `model` on the operator or in the request)"
            )
        if not isinstance(body["model"], str):
            raise InvalidBatchInput(
                number, f"body.model must be a model name (a string), not {type(body['model']).__name__}"
            )
        field = REQUIRED_BODY_FIELD[endpoint]
        if body.get(field) in (None, "", []):
            raise InvalidBatchInput(number, f"body.{field} is required for {endpoint}")
        unknown = set(request) - {*LINE_FIELDS, ROW_METADATA, ROW_EXTRA_BODY}
        if unknown:
            raise InvalidBatchInput(
                number,
                f"unknown request fields {sorted(unknown)}: a line holds {', '.join(LINE_FIELDS)}, and may "
                f"carry '{ROW_METADATA}' (kept in the result row, never sent) and '{ROW_EXTRA_BODY}'",
            )
        metadata = _json_object(request.get(ROW_METADATA), ROW_METADATA, number)
        row_extra = _json_object(request.get(ROW_EXTRA_BODY), ROW_EXTRA_BODY, number)
        not_taken = unrecognized_fields(endpoint, dict(body))
        if not_taken:
            raise InvalidBatchInput(number, _not_taken(endpoint, not_taken))
        refused = invalid_parameter(endpoint, body)
        if refused is not None:
            param, message = refused
            raise InvalidBatchInput(number, f"body.{param}: {message}" if param else f"body: {message}")
        line: dict[str, Any] = {
            "custom_id": custom_id,
            "method": "POST",
            "url": endpoint,
            "body": {**body, **(extra_body or {}), **(row_extra or {})},
        }
        if metadata is not None:
            line[ROW_METADATA] = metadata
        yield line, source


def _json_object(value: Any, key: str, line: int) -> dict[str, Any] | None:
    """A row's `metadata` or `extra_body`: a JSON object, or absent (None)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidBatchInput(line, f"{key} must be a JSON object (a dict), not {type(value).__name__}")
    return dict(value)


def _not_taken(endpoint: str, fields: list[str]) -> str:
    """Why body fields the endpoint does not define are refused, and where they go instead."""
    names = ", ".join(f"body.{name}" for name in fields)
    one = len(fields) == 1
    return (
        f"{names}: not {'a parameter' if one else 'parameters'} of {endpoint} (API {API_VERSION}), and the "
        f"service refuses {'it' if one else 'them'} (Unrecognized request argument supplied); put fields of "
        f"your own under the row's '{ROW_METADATA}' (kept in the result row, never sent) and a parameter the "
        f"API added later under '{ROW_EXTRA_BODY}' (sent unchecked)"
    )
