"""A direct run end to end, without Airflow: every request sent at the rate limit, each answer written as it arrives.

`DirectRun` takes checked requests (the batch pipeline's prepared chunk files) and sends those the
journal does not hold yet, through the hook's async calls, with at most `concurrency` in flight and
each one let go by the `RatePacer`. An answer becomes a result row (the same rows a batch gives)
in the journal the moment it arrives; the requests are read from disk as they are sent.

The hook given makes one attempt per call (`RetryPolicy(max_retries=0)`): retrying is decided
here, where the pacer sees it. A 429 pauses every request for the wait the service advised, and
the refused request is sent again; so is a request whose connection was never made (nothing was
paid). A request refused that way `ATTEMPTS` times is not journaled: the run ends short and the
task's retry sends it. What was sent and lost on the way (`AnswerLostError`) may have been paid
for: its row says `answer_lost` and it is not sent again. A request larger than the key's whole
token budget a minute is a failed row at once, never sent. Stopping (a kill, the deadline) stops
sending; answers already written stay written.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
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

ATTEMPTS = 6
"""Sends of one request refused without being paid (429, 408, 409, no connection) before it is left to the task's retry."""
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
"""429s that no wait cures: the run stops at once."""
UNPAID_STATUSES = frozenset({408, 409})


class DirectRunStopped(Exception):
    """The run stopped before every request was answered; the message says why."""


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
    unsent: int = 0
    """Requests refused `ATTEMPTS` times without being paid: not journaled, for the retry to send."""

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
        left = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        try:
            await asyncio.wait_for(self._send_all(progress), timeout=left)
        except asyncio.TimeoutError:
            raise DirectRunStopped("the timeout passed") from None
        finally:
            log.info(progress.line())
        if self.unsent:
            raise DirectRunStopped(
                f"{self.unsent} requests were refused {ATTEMPTS} times (rate limited or unreachable) and not "
                "sent; nothing was paid for them"
            )
        return self.tally

    async def _send_all(self, progress: Progress) -> None:
        """Workers take requests from a bounded queue; a worker that fails stops the whole run at once
        (the feeder would otherwise wait forever on a full queue nobody empties)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=self.concurrency * 2)
        workers = [asyncio.ensure_future(self._worker(queue, progress)) for _ in range(self.concurrency)]
        feeder = asyncio.ensure_future(self._feed(queue, len(workers)))
        reporter = asyncio.ensure_future(self._report(progress))
        try:
            running: set[asyncio.Future[None]] = {feeder, *workers}
            while running:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    if task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
        finally:
            for task in (feeder, reporter, *workers):
                task.cancel()
            await asyncio.gather(feeder, reporter, *workers, return_exceptions=True)

    async def _feed(self, queue: asyncio.Queue[dict[str, Any] | None], workers: int) -> None:
        for request in self.pending():
            await queue.put(request)
        for _ in range(workers):
            await queue.put(None)

    async def _worker(self, queue: asyncio.Queue[dict[str, Any] | None], progress: Progress) -> None:
        while (request := await queue.get()) is not None:
            line = await self._answer(request)
            if line is None:
                self.unsent += 1
                continue
            for counted in result_rows(iter([line]), "", self.structured, self.tally):
                counted.pop("batch_id", None)
                self.journal.write(counted)
                usage = (counted.get("response") or {}).get("usage") or {}
                progress.answered(usage.get("total_tokens", 0) if isinstance(usage, dict) else 0)

    async def _answer(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The batch-shaped output line for one request: its answer, the error that ended it, or None
        when it was refused `ATTEMPTS` times without being paid."""
        body = request["body"]
        tokens = estimated_tokens(body, self.endpoint)
        call = ApiCall("POST", self.endpoint.removeprefix("/v1"), raw_json, json=body)
        for attempt in range(1, ATTEMPTS + 1):
            budget = self.pacer.tokens
            if budget is not None and tokens > budget.limit:
                return _failed_line(
                    request,
                    "request_too_large",
                    f"about {tokens} tokens, more than the key's {budget.limit:.0f} tokens a minute: never sent",
                )
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
                if exc.code in QUOTA_CODES:
                    raise DirectRunStopped(
                        f"the key's quota is used up ({exc.code}): {exc.message}"
                    ) from None
                if "too large" in (exc.message or "").lower():
                    return _status_line(request, exc)
                self.pacer.refused(advised_delay(exc.headers))
                continue
            except APIStatusError as exc:
                self.pacer.answered(tokens, self.hook.rate_limits, time.monotonic() - started)
                if exc.status_code in UNPAID_STATUSES:
                    await asyncio.sleep(_backoff(attempt))
                    continue
                return _status_line(request, exc)
            except AnswerLostError as exc:
                self.pacer.answered(tokens, None, time.monotonic() - started)
                return _failed_line(request, "answer_lost", str(exc))
            except APIConnectionError as exc:
                self.pacer.answered(tokens, None, time.monotonic() - started)
                if not exc.sent:
                    await asyncio.sleep(_backoff(attempt))
                    continue
                return _failed_line(request, "answer_lost", str(exc))
            except BaseException:
                self.pacer.forget(tokens)
                raise
            self.pacer.answered(tokens, self.hook.rate_limits, time.monotonic() - started)
            return {"custom_id": request["custom_id"], "response": {"status_code": 200, "body": answer}}
        return None

    async def _report(self, progress: Progress) -> None:
        while True:
            await asyncio.sleep(self.log_every)
            log.info(progress.line())


def _backoff(attempt: int) -> float:
    return min(0.5 * 2 ** (attempt - 1), 8.0) * (1 - 0.25 * random.random())


def _status_line(request: dict[str, Any], exc: APIStatusError) -> dict[str, Any]:
    error = {"code": exc.code, "type": exc.type, "param": exc.param, "message": exc.message}
    return {
        "custom_id": request["custom_id"],
        "response": {"status_code": exc.status_code, "body": {"error": error}},
    }


def _failed_line(request: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return {"custom_id": request["custom_id"], "error": {"code": code, "message": message}}
