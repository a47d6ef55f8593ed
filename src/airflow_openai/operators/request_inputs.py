"""The inputs both request operators take, checked the same way: the Batch API's and direct calls'.

A DAG author switching a task from `OpenAIBatchOperator` to `OpenAIDirectCallsOperator` (an
answer needed within the hour, not the day) changes the class name and nothing else: `prompts`
(with `model`, `system_prompt`, `request_parameters`), `requests` or a JSONL `input_file`, an
`endpoint`, a `response_format` and an `extra_body`, refused with the same messages before
anything is sent.

Every body field is checked against the API description (2.3.0), since the service refuses one it
does not know: `extra_body` is the way to send a parameter the API added later, merged into every
body unchecked (as the openai SDK's `extra_body`); a row may bring its own (`batch.requests`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from airflow_openai.storage import open_binary

INPUT_TEMPLATE_FIELDS = (
    "prompts",
    "requests",
    "input_file",
    "endpoint",
    "model",
    "system_prompt",
    "request_parameters",
    "extra_body",
)


class RequestInputs:
    """Mixed into an operator: `take_inputs` in `__init__`, `request_lines` when it runs."""

    prompts: Any
    requests: Any
    input_file: str | None
    endpoint: str
    model: str | None
    system_prompt: str | None
    request_parameters: dict[str, Any]
    response_format: Any
    extra_body: Any

    def take_inputs(
        self,
        *,
        prompts: Any,
        requests: Any,
        input_file: str | None,
        endpoint: str,
        model: str | None,
        system_prompt: str | None,
        request_parameters: Mapping[str, Any] | None,
        response_format: Any,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep the inputs, refusing at DAG parse time what no run could send."""
        given = [
            name
            for name, value in (("prompts", prompts), ("requests", requests), ("input_file", input_file))
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError(f"give exactly one of prompts, requests or input_file (got {given or 'none'})")
        if prompts is not None and endpoint != "/v1/chat/completions":
            raise ValueError(
                "prompts make chat requests: leave endpoint at /v1/chat/completions or pass requests"
            )
        self.prompts = prompts
        self.requests = requests
        self.input_file = input_file
        self.endpoint = endpoint
        self.model = model
        self.system_prompt = system_prompt
        self.request_parameters = dict(request_parameters or {})
        self.response_format = response_format
        # Anything but a dict is kept as given, for the check to name its type (now, or once rendered).
        self.extra_body = dict(extra_body) if isinstance(extra_body, Mapping) else extra_body
        _check_parameters(self.request_parameters, self.extra_body)

    def request_lines(self) -> Iterator[tuple[dict[str, Any], Any]]:
        """Each checked request line (`custom_id`, `method`, `url`, `body`) with the input it came from."""
        from airflow_openai.batch import requests as batch_requests
        from airflow_openai.structured import StructuredOutput

        endpoint = batch_requests.check_endpoint(self.endpoint)
        _check_parameters(self.request_parameters, self.extra_body, rendered=True)
        if self.prompts is not None:
            lines = batch_requests.from_prompts(
                batch_requests.prompt_rows(self.prompts),
                model=self.model,
                system_prompt=self.system_prompt,
                parameters=self.request_parameters,
            )
        elif self.requests is not None:
            lines = _default_model(batch_requests.from_requests(self.requests, endpoint), self.model)
        else:
            items = batch_requests.from_jsonl(_open_lines(self.input_file))
            lines = _default_model(batch_requests.from_requests(items, endpoint), self.model)
        structured = StructuredOutput.of(self.response_format)
        for request, source in batch_requests.checked(lines, endpoint, self.extra_body):
            if structured is not None:
                request["body"]["response_format"] = structured.response_format()
            yield request, source


def _check_parameters(request_parameters: Any, extra_body: Any, *, rendered: bool = False) -> None:
    """`request_parameters` are parameters of chat completions (API 2.3.0) and `extra_body` a dict:
    refused when the DAG is parsed, or once rendered when they hold a template.

    A key of `request_parameters` the API does not define would fail every row at the service;
    this names it, and says where it goes instead.
    """
    from airflow_openai.batch import requests as batch_requests

    checked_now = rendered or not batch_requests.has_template(extra_body)
    if checked_now and extra_body is not None and not isinstance(extra_body, Mapping):
        raise batch_requests.InvalidBatchInput(
            None, f"extra_body must be a dict of body parameters, not {type(extra_body).__name__}"
        )
    if rendered or not batch_requests.has_template(request_parameters):
        taken = batch_requests.FIELDS["/v1/chat/completions"]
        unknown = [str(key) for key in request_parameters if key not in taken]
        if unknown:
            raise batch_requests.InvalidBatchInput(
                None,
                f"request_parameters: {', '.join(map(repr, unknown))} "
                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of /v1/chat/completions "
                f"(API {batch_requests.API_VERSION}), and the service refuses unknown ones; a parameter the API "
                "added later goes in extra_body (sent unchecked)",
            )


def _default_model(
    lines: Iterator[tuple[dict[str, Any], Any]], model: str | None
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Requests without a `body.model` take the operator's `model`."""
    for request, source in lines:
        body = request.get("body")
        if model and isinstance(body, dict) and not body.get("model"):
            request["body"] = {**body, "model": model}
        yield request, source


def _open_lines(source: str | None) -> Iterator[bytes]:
    if source is None:
        raise ValueError("no input_file given")
    with open_binary(source, "rb") as stream:
        yield from stream
