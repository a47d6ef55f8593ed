"""A direct run end to end, without Airflow: every request sent at the rate limit, each answer written as it arrives.

`DirectRun` takes checked requests (the batch pipeline's prepared chunk files) and sends those the
journal does not hold yet, through the hook's async calls, with at most `concurrency` in flight and
each one let go by the `RatePacer`. An answer becomes a result row (the same rows a batch gives)
in the journal the moment it arrives; the requests are read from disk as they are sent, so memory
stays flat in the number of records. Stopping (a kill, the deadline) stops sending; answers already
written stay written, and the next attempt sends only what is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.batch.chunks import PreparedInput
from airflow_openai.batch.results import ResultTally, result_rows
from airflow_openai.client.calls import ApiCall, raw_json
from airflow_openai.client.errors import AnswerLostError, APIConnectionError, APIStatusError, RateLimitError
from airflow_openai.client.policy import advised_delay
from airflow_openai.direct.estimate import estimated_tokens
from airflow_openai.direct.journal import Journal
from airflow_openai.direct.pacing import RatePacer
from airflow_openai.direct.progress import Progress
from airflow_openai.structured import StructuredOutput

log = logging.getLogger(__name__)

REFUSALS_BEFORE_FAILING = 5
"""429s one request may meet (past the client's own retries) before its row says so."""
NOT_WAITED_OUT = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


class DirectRunStopped(Exception):
    """The run stopped before every request was answered (`why`: the deadline, or a kill)."""


def fingerprint(prepared: PreparedInput) -> str:
    """What a journal belongs to: the prepared requests, chunk by chunk."""
    digest = hashlib.sha256()
    for chunk in prepared.chunks:
        digest.update(chunk.fingerprint.encode())
    return digest.hexdigest()[:32]


@dataclass
class DirectRun:
    hook: Any
    endpoint: str
    prepared: PreparedInput
    journal: Journal
    concurrency: int = 50
    structured: StructuredOutput | None = None
    deadline: float | None = None
    """`time.monotonic()` after which nothing more is sent."""
    log_every: float = 10.0
    pacer: RatePacer = field(default_factory=RatePacer)
    tally: ResultTally = field(default_factory=ResultTally)
    sent: int = 0
    refused: int = 0

    def pending(self) -> Iterator[dict[str, Any]]:
        """The request lines the journal holds no answer for, read from the chunk files as needed."""
        for chunk in self.prepared.chunks:
            with chunk.path.open("rb") as source:
                for raw in source:
                    request = json.loads(raw)
                    if request["custom_id"] not in self.journal.answered:
                        yield request

    async def run(self) -> ResultTally:
        """Send every pending request; the tally counts this attempt's answers."""
        total = self.prepared.total
        already = len(self.journal.answered)
        progress = Progress(total=total, already=already)
        if already:
            log.info(
                "Resuming: %d of %d requests were answered by an earlier attempt; sending the %d missing",
                already,
                total,
                total - already,
            )
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=self.concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue, progress)) for _ in range(self.concurrency)]
        reporter = asyncio.create_task(self._report(progress))
        try:
            for request in self.pending():
                if self.deadline is not None and time.monotonic() > self.deadline:
                    raise DirectRunStopped("the timeout passed")
                await queue.put(request)
                self._raise_from(workers)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            reporter.cancel()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, reporter, return_exceptions=True)
        log.info(progress.line())
        return self.tally

    async def _worker(self, queue: asyncio.Queue[dict[str, Any] | None], progress: Progress) -> None:
        while (request := await queue.get()) is not None:
            row = await self._answer(request)
            for counted in result_rows(iter([row]), "", self.structured, self.tally):
                counted.pop("batch_id", None)
                self.journal.write(counted)
                usage = (counted.get("response") or {}).get("usage") or {}
                progress.answered(usage.get("total_tokens", 0) if isinstance(usage, dict) else 0)

    async def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The batch-shaped output line for one request: its answer, or the error that ended it."""
        body = request["body"]
        tokens = estimated_tokens(body, self.endpoint)
        call = ApiCall("POST", self.endpoint.removeprefix("/v1"), raw_json, json=body)
        for _ in range(REFUSALS_BEFORE_FAILING):
            while (wait := self.pacer.delay(tokens)) > 0:
                await asyncio.sleep(wait)
            self.pacer.take(tokens)
            self.sent += 1
            started = time.monotonic()
            try:
                answer = await self.hook.arun_call(call)
            except RateLimitError as exc:
                self.refused += 1
                self.pacer.answered(tokens, self.hook.rate_limits, time.monotonic() - started)
                if exc.code in NOT_WAITED_OUT:
                    return _failed(request, exc.status_code, exc)
                self.pacer.refused(advised_delay(exc.headers))
                continue
            except APIStatusError as exc:
                self.pacer.answered(tokens, self.hook.rate_limits, time.monotonic() - started)
                return _failed(request, exc.status_code, exc)
            except (AnswerLostError, APIConnectionError) as exc:
                self.pacer.answered(tokens, None, time.monotonic() - started)
                return {
                    "custom_id": request["custom_id"],
                    "error": {"code": "answer_lost", "message": str(exc)},
                }
            except BaseException:
                self.pacer.forget(tokens)
                raise
            self.pacer.answered(tokens, self.hook.rate_limits, time.monotonic() - started)
            return {"custom_id": request["custom_id"], "response": {"status_code": 200, "body": answer}}
        return {
            "custom_id": request["custom_id"],
            "error": {"code": "rate_limit_exceeded", "message": f"refused {REFUSALS_BEFORE_FAILING} times"},
        }

    async def _report(self, progress: Progress) -> None:
        while True:
            await asyncio.sleep(self.log_every)
            log.info(progress.line())

    @staticmethod
    def _raise_from(workers: list[asyncio.Task[None]]) -> None:
        """A worker that failed (not an API error: those are rows) stops the run at once."""
        for worker in workers:
            if worker.done() and not worker.cancelled() and worker.exception() is not None:
                raise worker.exception()  # type: ignore[misc]


def _failed(request: dict[str, Any], status: int, exc: APIStatusError) -> dict[str, Any]:
    error = {"code": exc.code, "type": exc.type, "param": exc.param, "message": exc.message}
    return {"custom_id": request["custom_id"], "response": {"status_code": status, "body": {"error": error}}}
