"""The batch job end to end, without Airflow: submit (or reattach), then collect joined results.

`BatchJob` is what `OpenAIBatchOperator` drives; it holds no Airflow objects, so every
step can be exercised against the emulator directly.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from airflow_openai.batch.chunks import PreparedInput
from airflow_openai.batch.identity import TaskIdentity
from airflow_openai.batch.record import BatchRecord
from airflow_openai.batch.results import (
    MISSING_RESULT,
    ResultFiles,
    ResultTally,
    count_lines,
    missing_row,
    read_jsonl,
    result_rows,
    write_joined,
)
from airflow_openai.batch.submission import Submission, submit_round
from airflow_openai.models import Batch
from airflow_openai.records import RecordStore
from airflow_openai.structured import StructuredOutput

log = logging.getLogger(__name__)


@dataclass
class BatchJob:
    hook: Any
    endpoint: str
    completion_window: str
    identity: TaskIdentity
    metadata: Mapping[str, str] | None = None
    structured: StructuredOutput | None = None

    # -- submission ------------------------------------------------------------------------------

    def submit(
        self, prepared: PreparedInput, round: int, record: RecordStore[BatchRecord] | None = None
    ) -> Submission:
        """A batch per chunk: reattached when this task already has one, created otherwise.

        `record` keeps what the round made as soon as it exists (each input file, then each
        batch), so a retried task, or the same step run again after an outage, reattaches or
        creates on the uploaded file instead of paying or uploading twice (see `submission`).
        """
        return submit_round(
            self, prepared, round, record if record is not None else RecordStore(None, BatchRecord)
        )

    # -- results ---------------------------------------------------------------------------------

    def retryable(self, batch_ids: list[str], prepared: PreparedInput, workdir: Path) -> set[str]:
        """custom_ids of the first round worth one more try: expired, rate-limited or server-failed lines.

        A request with no result at all is not among them: it may have run, and been paid for.
        """
        tally = ResultTally()
        files = ResultFiles(self.hook.download_file, workdir)
        for _ in self._first_round(batch_ids, prepared, files, tally, answered=frozenset(), report=False):
            pass
        return tally.retryable

    def write(
        self, rounds: list[list[str]], prepared: PreparedInput, workdir: Path, sink: IO[bytes]
    ) -> ResultTally:
        """Write one joined row per request of `prepared`, whatever the result files hold.

        A request answered again in a later round takes its latest answer (its first answer
        when the later round returned none for it); one without any answer is a failed row with error code `missing_result`; a line that repeats a request,
        or names one its batch was not given, is left out. So the rows, and the tally's total,
        are always the requests submitted.
        """
        tally = ResultTally()
        files = ResultFiles(self.hook.download_file, workdir)

        def latest_first() -> Iterator[dict[str, Any]]:
            answered: set[str] = set()  # ids of the later rounds only: the retried lines, not all lines
            if len(rounds) > 1:
                resubmitted = self.retryable(rounds[0], prepared, workdir)
                awaiting = FirstAnswers(resubmitted)
                for batch_ids in reversed(rounds[1:]):
                    for batch_id in batch_ids:
                        fetched = self._fetch(batch_id, files)
                        yield from result_rows(
                            awaiting.take(fetched.read()), batch_id, self.structured, tally
                        )
                        _report_ignored(batch_id, awaiting)
                if awaiting.awaited:
                    log.warning(
                        "%d resubmitted requests have no result in the resubmission; their first answer is kept",
                        len(awaiting.awaited),
                    )
                answered = resubmitted - awaiting.awaited
            yield from self._first_round(rounds[0], prepared, files, tally, answered, report=True)

        write_joined(latest_first(), prepared, sink)
        tally.retryable.clear()
        return tally

    def _first_round(
        self,
        batch_ids: list[str],
        prepared: PreparedInput,
        files: ResultFiles,
        tally: ResultTally,
        answered: Container[str],
        report: bool,
    ) -> Iterator[dict[str, Any]]:
        """A row for every request of every chunk not in `answered`: its result, or `missing_result`."""
        if len(batch_ids) != len(prepared.chunks):
            raise ValueError(
                f"{len(batch_ids)} batch ids for {len(prepared.chunks)} input chunks: "
                "the first round has one batch per chunk, in chunk order"
            )
        for chunk, batch_id in zip(prepared.chunks, batch_ids, strict=True):
            fetched = self._fetch(batch_id, files)
            awaiting = FirstAnswers(prepared.custom_ids(chunk.index), skip=answered)
            yield from result_rows(awaiting.take(fetched.read()), batch_id, self.structured, tally)
            if report:
                _report_ignored(batch_id, awaiting)
            if not awaiting.awaited:
                continue
            if report:
                log.warning(
                    "Batch %s: %d of its %d requests have no result; each is written as a failed row "
                    "with error code %s",
                    batch_id,
                    len(awaiting.awaited),
                    chunk.requests,
                    MISSING_RESULT,
                )
            why = fetched.why_missing()
            for custom_id in prepared.custom_ids(chunk.index):  # in input order
                if custom_id in awaiting.awaited:
                    yield missing_row(custom_id, batch_id, why, tally)

    def _fetch(self, batch_id: str, files: ResultFiles) -> FetchedResults:
        """The batch's output and error files on local disk, downloaded again once if they hold
        fewer lines than its `request_counts` promise."""
        batch = self.hook.get_batch(batch_id)
        file_ids = [file_id for file_id in (batch.output_file_id, batch.error_file_id) if file_id]
        fetched = FetchedResults(batch, [files.path(file_id) for file_id in file_ids])
        promised = promised_lines(batch)
        if fetched.lines >= promised or all(files.fetched_again(file_id) for file_id in file_ids):
            return fetched
        log.warning(
            "Batch %s: its result files hold %d lines but its request_counts promise %d (%s); "
            "downloading them again",
            batch_id,
            fetched.lines,
            promised,
            fetched.counts,
        )
        fetched = FetchedResults(batch, [files.path(file_id, again=True) for file_id in file_ids])
        if fetched.lines < promised:
            log.warning(
                "Batch %s: still %d result lines of the %d promised after downloading again; the requests "
                "without a result are written as failed rows with error code %s",
                batch_id,
                fetched.lines,
                promised,
                MISSING_RESULT,
            )
        else:
            log.info("Batch %s: all %d result lines arrived on the second download", batch_id, fetched.lines)
        return fetched


def promised_lines(batch: Batch) -> int:
    """Result lines the batch's `request_counts` vouch for: every request it finished, and, once it
    has completed, every request it was given."""
    counts = batch.request_counts
    if counts is None:
        return 0
    finished = counts.completed + counts.failed
    return max(finished, counts.total) if batch.status == "completed" else finished


@dataclass
class FetchedResults:
    """One batch's result files on local disk, and how many lines they hold."""

    batch: Batch
    paths: list[Path]
    lines: int = field(init=False)

    def __post_init__(self) -> None:
        self.lines = sum(count_lines(path) for path in self.paths)

    @property
    def counts(self) -> str:
        counts = self.batch.request_counts
        if counts is None:
            return "no request_counts"
        return f"{counts.completed} completed, {counts.failed} failed of {counts.total}"

    def read(self) -> Iterator[dict[str, Any]]:
        """Output lines, then error lines."""
        for path in self.paths:
            yield from read_jsonl(path)

    def why_missing(self) -> str:
        return (
            f"batch {self.batch.id} ({self.batch.status}) returned no result for this request: its output "
            f"and error files held {self.lines} lines; its request_counts say {self.counts}"
        )


class FirstAnswers:
    """Lets through the first result line of each awaited custom_id, and no other line."""

    def __init__(self, awaited: Iterable[str], skip: Container[str] = frozenset()) -> None:
        self.awaited = {custom_id for custom_id in awaited if custom_id not in skip}
        self._skip = skip
        self.ignored = 0
        """lines that repeat an answered request or name one this batch was not given"""

    def take(self, lines: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for line in lines:
            custom_id = line.get("custom_id")
            if custom_id in self.awaited:
                self.awaited.discard(custom_id)
                yield line
            elif custom_id not in self._skip:  # a line answered again later is expected, not odd
                self.ignored += 1


def _report_ignored(batch_id: str, awaiting: FirstAnswers) -> None:
    if awaiting.ignored:
        log.warning(
            "Batch %s: left out %d result lines that repeat a request already answered or name one "
            "it was not given",
            batch_id,
            awaiting.ignored,
        )
        awaiting.ignored = 0
