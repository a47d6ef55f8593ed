"""The batch job end to end, without Airflow: submit (or reattach), then collect joined results.

`BatchJob` is what `OpenAIBatchOperator` drives; it holds no Airflow objects, so every
step can be exercised against the emulator directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from airflow_openai.batch.chunks import Chunk, PreparedInput
from airflow_openai.batch.identity import TaskIdentity, batch_metadata, find_reattachable
from airflow_openai.batch.results import ResultTally, download_lines, result_rows, write_joined
from airflow_openai.batch.structured import StructuredOutput
from airflow_openai.models import Batch

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """The batches of one round: the first, or the one resubmission of retryable lines."""

    round: int
    batch_ids: dict[str, str] = field(default_factory=dict)
    """chunk fingerprint → batch id"""
    reattached: list[str] = field(default_factory=list)


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
        self,
        prepared: PreparedInput,
        round: int,
        recorded: Mapping[str, str] | None = None,
        record: Callable[[str, str], None] | None = None,
    ) -> Submission:
        """A batch per chunk: reattached when this task already has one, created otherwise.

        `recorded` holds what an earlier attempt wrote to the task state store
        (fingerprint → batch id); `record` is called as soon as a batch exists.
        """
        submission = Submission(round)
        for chunk in prepared.chunks:
            tags = self.identity.tags(chunk.fingerprint, chunk.index, len(prepared.chunks))
            if round:
                tags["airflow_chunk"] = f"retry{round}-{chunk.index + 1}/{len(prepared.chunks)}"
            batch = self._reattach((recorded or {}).get(chunk.fingerprint), tags)
            if batch is not None:
                log.info(
                    "Reattached to batch %s (%s) for chunk %d: not submitting again",
                    batch.id,
                    batch.status,
                    chunk.index + 1,
                )
                submission.reattached.append(batch.id)
            else:
                batch = self._create(chunk, tags)
                log.info(
                    "Submitted batch %s for chunk %d (%d requests)", batch.id, chunk.index + 1, chunk.requests
                )
            submission.batch_ids[chunk.fingerprint] = batch.id
            if record is not None:
                record(chunk.fingerprint, batch.id)
        return submission

    def _reattach(self, recorded_id: str | None, tags: dict[str, str]) -> Batch | None:
        if recorded_id:
            batch = self.hook.get_batch(recorded_id)
            if find_reattachable([batch], tags) is not None:
                return batch
        return find_reattachable(self.hook.list_batches(limit=100), tags)

    def _create(self, chunk: Chunk, tags: dict[str, str]) -> Batch:
        source = self.hook.create_file(
            chunk.path, purpose="batch", filename=f"{tags['airflow_input_sha']}.jsonl"
        )
        metadata = batch_metadata(self.metadata, tags)
        return self.hook.create_batch(source.id, self.endpoint, self.completion_window, metadata)

    # -- results ---------------------------------------------------------------------------------

    def rows(
        self, batch_ids: list[str], workdir: Path, tally: ResultTally, superseded: set[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Result rows of these batches (output then error lines), counted into `tally`.

        Lines whose custom_id is in `superseded` (answered again in a later round) are skipped.
        """
        for batch_id in batch_ids:
            batch = self.hook.get_batch(batch_id)
            for file_id in (batch.output_file_id, batch.error_file_id):
                lines = download_lines(self.hook.download_file, file_id, workdir)
                if superseded:
                    lines = (line for line in lines if line["custom_id"] not in superseded)
                yield from result_rows(lines, batch_id, self.structured, tally)

    def retryable(self, batch_ids: list[str], workdir: Path) -> set[str]:
        """custom_ids worth one more try: expired, rate-limited or server-failed lines."""
        tally = ResultTally()
        for _ in self.rows(batch_ids, workdir, tally):
            pass
        return tally.retryable

    def write(
        self, rounds: list[list[str]], prepared: PreparedInput, workdir: Path, sink: IO[bytes]
    ) -> ResultTally:
        """Write joined results of all rounds; a line answered in a later round replaces its earlier answer."""
        tally = ResultTally()

        def latest_first() -> Iterator[dict[str, Any]]:
            answered: set[str] = set()  # ids of the later rounds only: the retried lines, not all lines
            for position, batch_ids in enumerate(reversed(rounds)):
                oldest = position == len(rounds) - 1
                for row in self.rows(batch_ids, workdir, tally, superseded=set(answered)):
                    if not oldest:
                        answered.add(row["custom_id"])
                    yield row

        write_joined(latest_first(), prepared, sink)
        tally.retryable.clear()
        return tally
