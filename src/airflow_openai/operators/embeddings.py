"""`OpenAIEmbeddingOperator`: many texts embedded by direct calls, many texts to a request, vectors written to storage."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import IO, Any

from airflow_openai.operators.direct_base import DirectCallsBase, add_usage

LOOKUP_GROUP = 200
"""Journal rows whose texts' ids are looked up together."""


class OpenAIEmbeddingOperator(DirectCallsBase):
    """Embed texts, or every file of a folder, now, by direct calls at the rate limit, and write one
    JSONL row per text: ``id``, ``status``, ``model`` and ``embedding`` (or ``error``).

    Give ``texts`` (strings, whose ids are their positions, or ``{"id", "text"}`` dicts) or a
    ``source`` (a glob over a local folder or object storage, or a list of paths: each file's
    text is embedded, its id its path under the glob's root). Texts are packed
    ``inputs_per_request`` to a request (at most 2,048, and 300,000 tokens), so a rate limit on
    requests is spent hundreds of times more slowly than with one text a request; vectors travel
    as base64 and are written as numbers. An empty text, a repeated id or a file that is not
    UTF-8 fails the task, naming it, before anything is sent.

    Sending, pacing, resuming and the failure policy are those of `OpenAIDirectCallsOperator`:
    a retried or killed task sends only the requests not answered yet. The task returns the
    manifest (``output_path``, ``succeeded``/``failed`` texts, ``usage``).

    :param model: the embedding model (``text-embedding-3-small``).
    :param dimensions: fewer dimensions than the model's own (``text-embedding-3`` models only).
    :param inputs_per_request: texts in one request (256).
    """

    template_fields: Sequence[str] = ("texts", "source", "model", "dimensions", "output_path")
    ui_color = "#e6f2d9"
    endpoint = "/v1/embeddings"

    def __init__(
        self,
        *,
        texts: Any = None,
        source: str | list[str] | None = None,
        model: str = "text-embedding-3-small",
        dimensions: int | None = None,
        inputs_per_request: int = 256,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (texts is None) == (source is None):
            raise ValueError("give exactly one of texts or source")
        from airflow_openai.direct.embedding_inputs import MAX_INPUTS_PER_REQUEST

        if not isinstance(inputs_per_request, int) or not 1 <= inputs_per_request <= MAX_INPUTS_PER_REQUEST:
            raise ValueError(
                f"inputs_per_request is between 1 and {MAX_INPUTS_PER_REQUEST}, got {inputs_per_request!r}"
            )
        self.texts = texts
        self.source = source
        self.model = model
        self.dimensions = dimensions
        self.inputs_per_request = inputs_per_request

    def request_lines(self) -> Iterator[tuple[dict[str, Any], Any]]:
        from airflow_openai.batch import requests as batch_requests
        from airflow_openai.direct.embedding_inputs import files_of, packed, texts_of

        texts = texts_of(self.texts) if self.texts is not None else files_of(self.source or [])
        lines = packed(
            texts, model=self.model, dimensions=self.dimensions, per_request=self.inputs_per_request
        )
        yield from batch_requests.checked(lines, self.endpoint)

    def lineage_inputs(self) -> list[str]:
        from airflow_openai.lineage import source_locations

        return source_locations(self.source)[0] if self.source is not None else []

    def write_rows(self, journal: Any, prepared: Any, sink: IO[bytes], tally: Any) -> None:
        """One row per text, in the order the answers came; each text counted into `tally`."""
        from airflow_openai.direct.embedding_inputs import rows_of

        group: list[dict[str, Any]] = []

        def flush() -> None:
            ids = prepared.inputs(result["custom_id"] for result in group)
            out = []
            for result in group:
                add_usage(tally, result.get("response"))
                for row in rows_of(result, json.loads(ids[result["custom_id"]])):
                    tally.count(row)
                    out.append(json.dumps(row, ensure_ascii=False) + "\n")
            sink.write("".join(out).encode())
            group.clear()

        for result in journal.rows():
            group.append(result)
            if len(group) >= LOOKUP_GROUP:
                flush()
        if group:
            flush()
