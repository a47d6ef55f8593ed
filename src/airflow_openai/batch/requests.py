"""From what a DAG author has (prompts, request dicts, a JSONL file) to checked batch request lines.

Everything here runs before anything is uploaded or paid for: a bad line stops the
task with its line number and the reason, and nothing is created remotely.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_openai.emulator.inference.params import invalid_parameter
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
    a row brings its own `custom_id`, so they are stable across retries.
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
            overrides = {k: v for k, v in row.items() if k not in ("prompt", "custom_id", "system_prompt")}
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
        yield request, row


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
    lines: Iterable[tuple[dict[str, Any], Any]], endpoint: str
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Pass lines through, refusing the first that the Batch API would refuse: its fields, and each
    body's parameters against the spec's request schema (the emulator's reading of it, so both
    sides refuse the same lines)."""
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
        unknown = set(request) - {"custom_id", "method", "url", "body"}
        if unknown:
            raise InvalidBatchInput(number, f"unknown request fields {sorted(unknown)}")
        refused = invalid_parameter(endpoint, body)
        if refused is not None:
            param, message = refused
            raise InvalidBatchInput(number, f"body.{param}: {message}" if param else f"body: {message}")
        yield {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": dict(body)}, source
