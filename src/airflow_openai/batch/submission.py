"""Submitting one round's batches exactly once: each chunk's input file is uploaded once, and its
batch created once, however often the step is run again.

Each chunk takes two calls: upload its input file, then create the batch on it. Both results are
recorded as soon as they exist (`RoundRecord`, under the task's state record), so a step that
an outage ended after the upload (the create failing past the HTTP retries) resumes with the
batch on the file already uploaded, instead of uploading it again and leaving the first copy
behind. A batch whose id was never recorded (the worker died first) is still found by its
tags (see `identity`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_openai.batch.chunks import Chunk, PreparedInput
from airflow_openai.batch.identity import batch_metadata, find_reattachable
from airflow_openai.batch.record import BatchRecord
from airflow_openai.models import Batch
from airflow_openai.records import RecordStore

if TYPE_CHECKING:
    from airflow_openai.batch.pipeline import BatchJob

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """The batches of one round: the first, or the one resubmission of retryable lines."""

    round: int
    batch_ids: dict[str, str] = field(default_factory=dict)
    """chunk fingerprint → batch id"""
    reattached: list[str] = field(default_factory=list)


class RoundRecord:
    """What one round has made so far, in the task's `BatchRecord`."""

    def __init__(self, record: RecordStore[BatchRecord], round: int) -> None:
        self._record = record
        self._key = str(round)

    def batch(self, fingerprint: str) -> str | None:
        return self._record.read().rounds.get(self._key, {}).get(fingerprint)

    def input_file(self, fingerprint: str) -> str | None:
        return self._record.read().input_files.get(fingerprint)

    def batch_made(self, fingerprint: str, batch_id: str) -> None:
        rounds = self._record.read().rounds
        self._record.update(
            rounds={**rounds, self._key: {**rounds.get(self._key, {}), fingerprint: batch_id}}
        )

    def input_uploaded(self, fingerprint: str, file_id: str) -> None:
        files = self._record.read().input_files
        self._record.update(input_files={**files, fingerprint: file_id})


def submit_round(
    job: BatchJob, prepared: PreparedInput, round: int, record: RecordStore[BatchRecord]
) -> Submission:
    """A batch per chunk: reattached when this task already has one, created otherwise (on the
    input file uploaded before, when there is one)."""
    kept = RoundRecord(record, round)
    submission = Submission(round)
    for chunk in prepared.chunks:
        tags = job.identity.tags(chunk.fingerprint, chunk.index, len(prepared.chunks))
        if round:
            tags["airflow_chunk"] = f"retry{round}-{chunk.index + 1}/{len(prepared.chunks)}"
        batch = _reattach(job.hook, kept.batch(chunk.fingerprint), tags)
        if batch is not None:
            log.info(
                "Reattached to batch %s (%s) for chunk %d: not submitting again",
                batch.id,
                batch.status,
                chunk.index + 1,
            )
            submission.reattached.append(batch.id)
        else:
            file_id = _input_file(job.hook, chunk, tags, kept)
            metadata = batch_metadata(job.metadata, tags)
            batch = job.hook.create_batch(file_id, job.endpoint, job.completion_window, metadata)
            log.info(
                "Submitted batch %s for chunk %d (%d requests)", batch.id, chunk.index + 1, chunk.requests
            )
        submission.batch_ids[chunk.fingerprint] = batch.id
        kept.batch_made(chunk.fingerprint, batch.id)
    return submission


def _reattach(hook: Any, recorded_id: str | None, tags: dict[str, str]) -> Batch | None:
    if recorded_id:
        batch = hook.get_batch(recorded_id)
        if find_reattachable([batch], tags) is not None:
            return batch
    return find_reattachable(hook.list_batches(limit=100), tags)


def _input_file(hook: Any, chunk: Chunk, tags: dict[str, str], kept: RoundRecord) -> str:
    """The chunk's input file: the one uploaded before (by an earlier attempt, or before an outage
    ended the step), if it is still there; else uploaded now, and recorded before the batch is made."""
    from airflow_openai.client.errors import NotFoundError

    recorded = kept.input_file(chunk.fingerprint)
    if recorded:
        try:
            hook.get_file(recorded)
        except NotFoundError:
            log.info("Input file %s of chunk %d is gone; uploading it again", recorded, chunk.index + 1)
        else:
            log.info("Chunk %d's input file %s is uploaded already: not again", chunk.index + 1, recorded)
            return recorded
    uploaded = hook.create_file(chunk.path, purpose="batch", filename=f"{tags['airflow_input_sha']}.jsonl")
    kept.input_uploaded(chunk.fingerprint, uploaded.id)
    return str(uploaded.id)
