"""`OpenAIDirectCallsOperator`: the batch operator's inputs and results, sent now as direct calls at the rate limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_openai.operators.direct_base import DirectCallsBase
from airflow_openai.operators.request_inputs import INPUT_TEMPLATE_FIELDS, RequestInputs


class OpenAIDirectCallsOperator(RequestInputs, DirectCallsBase):
    """Send the requests of a batch as direct calls, now, at the rate limit: for answers needed within
    the hour (the Batch API costs half as much and may take up to 24 hours).

    Takes what `OpenAIBatchOperator` takes (``prompts`` with ``model``, ``requests`` or a JSONL
    ``input_file``; ``endpoint``; ``response_format``; ``extra_body``), checks it the same way before
    anything is sent (a row key or body field the API description does not define is refused: a
    row's own fields go under its ``metadata``, never sent), and writes the same rows to
    ``output_path`` (``custom_id``, ``input``, ``metadata``, ``status``, ``content``, ``parsed``,
    ``response`` or ``error``); it returns the same manifest, without batch ids.

    As many requests are in flight as ``concurrency`` and the key's rate limits allow: the limits
    are read from the answers' ``x-ratelimit-*`` headers and each request waits for its share of
    requests and (estimated) tokens, so the service seldom answers 429; when it does, every request
    waits as long as it says. Each answer is written to a journal beside the output as it arrives: a
    retried task, or one killed and run again, sends only the requests not answered yet, so no
    request is paid twice once its answer was written and none is lost. Runs in the worker:
    direct calls are not a wait, there is nothing to defer.

    :param extra_body: body parameters the API added after 2.3.0, merged into every request body
        unchecked (as the openai SDK's ``extra_body``); a row's own ``extra_body`` wins over it.
    :param output_path: where the joined results go (default: under ``$AIRFLOW_HOME/openai_direct``).
    :param concurrency: requests in flight at most (50).
    :param max_failed_fraction: the share of failed rows tolerated before the task fails (after saving results).
    :param timeout: seconds (or a ``timedelta``) after which nothing more is sent; the task then fails
        with a retry, which sends what is missing.
    :param log_every: seconds between progress lines (done / total, rate, tokens, time left).
    """

    template_fields: Sequence[str] = (*INPUT_TEMPLATE_FIELDS, "output_path")
    template_fields_renderers = {"requests": "json", "request_parameters": "json", "extra_body": "json"}
    ui_color = "#e6f2d9"

    def __init__(
        self,
        *,
        prompts: Any = None,
        requests: Any = None,
        input_file: str | None = None,
        endpoint: str = "/v1/chat/completions",
        model: str | None = None,
        system_prompt: str | None = None,
        request_parameters: Mapping[str, Any] | None = None,
        response_format: Any = None,
        extra_body: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.take_inputs(
            prompts=prompts,
            requests=requests,
            input_file=input_file,
            endpoint=endpoint,
            model=model,
            system_prompt=system_prompt,
            request_parameters=request_parameters,
            response_format=response_format,
            extra_body=extra_body,
        )

    def lineage_inputs(self) -> list[str]:
        return [str(self.input_file)] if self.input_file else []
