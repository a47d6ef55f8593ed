"""The hook's blocking waits, one per job kind, all run by the engine's blocking driver.

Each returns the final assessment(s) once the wait is over, raises its kind's timeout error
past `deadline` (a Unix time), and `OutageExceeded` when no poll has reached the API for
`pacing.outage_budget` seconds (polls back off meanwhile). `sleep` and `clock` are seams for
tests. A wait over several jobs returns as soon as one of them has failed: what to do with
the others is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from airflow_openai.fine_tuning.events import PAGE_SIZE, EventCursor, unseen
from airflow_openai.models import FineTuningJobEvent
from airflow_openai.pacing import PollPacing

if TYPE_CHECKING:
    from typing_extensions import Unpack


class BatchTimeout(TimeoutError):
    """The batches did not finish before the deadline."""


class FineTuningTimeout(TimeoutError):
    """The job did not finish before the deadline."""


class FileBatchTimeout(TimeoutError):
    """The file batches did not finish before the deadline."""


class RunTimeout(TimeoutError):
    """The run did not finish, nor ask for tool outputs, before the deadline."""


class WaitOptions(TypedDict, total=False):
    """What every wait takes besides its jobs."""

    started_at: float | None
    """When the jobs were created (it paces the polls); default now."""
    deadline: float | None
    """A Unix time past which the wait raises its timeout error."""
    pacing: PollPacing | None
    """The poll pacing and outage budget; default the kind's."""
    on_progress: Callable[[Any], None] | None
    """Hears of each assessment worth a line (a change of status, or progress)."""
    sleep: Callable[[float], Any]
    clock: Callable[[], float]


class WaitsMixin:
    """`wait_for_batches`, `wait_for_fine_tuning_job`, `wait_for_vector_store_file_batches` and
    `wait_for_run` for the hook."""

    def _waited(
        self: Any, kind_name: str, ref: dict[str, Any], timeout: type[Exception], **options: Any
    ) -> Any:
        from airflow_openai.engine.blocking import wait
        from airflow_openai.engine.registry import kind
        from airflow_openai.outage import OutageExceeded

        ended, watch = wait(self, kind(kind_name), ref, log=self.log, **options)
        if ended["status"] == "timeout":
            raise timeout(ended["message"])
        if ended["status"] == "error":
            raise OutageExceeded(ended["message"])
        return watch.latest

    def wait_for_batches(
        self: Any, batch_ids: Sequence[str], **options: Unpack[WaitOptions]
    ) -> dict[str, Any]:
        """Poll until every batch has finished (or one failed); the final assessment of each."""
        return self._waited("batch", {"ids": list(batch_ids)}, BatchTimeout, **options)

    def wait_for_vector_store_file_batches(
        self: Any, vector_store_id: str, batch_ids: Sequence[str], **options: Unpack[WaitOptions]
    ) -> dict[str, Any]:
        """Poll until every file batch of the store has finished (or one failed or was cancelled).

        A batch that completed with some files failed has finished: its counts say how many."""
        ref = {"ids": list(batch_ids), "vector_store_id": vector_store_id}
        return self._waited("file_batch", ref, FileBatchTimeout, **options)

    def wait_for_run(self: Any, thread_id: str, run_id: str, **options: Unpack[WaitOptions]) -> Any:
        """Poll until the run has ended or waits on tool outputs; its assessment says which
        (``succeeded``, ``failed`` with the reason, or ``action`` with the tool calls to answer)."""
        return self._waited("run", {"ids": [run_id], "thread_id": thread_id}, RunTimeout, **options)[run_id]

    def new_fine_tuning_events(self: Any, job_id: str, cursor: EventCursor) -> list[FineTuningJobEvent]:
        """The job's events after `cursor`, oldest first (reading only the newest pages needed)."""
        return unseen(self.list_fine_tuning_events(job_id, limit=PAGE_SIZE), cursor)

    def wait_for_fine_tuning_job(
        self: Any,
        job_id: str,
        *,
        cursor: EventCursor | None = None,
        on_events: Callable[[list[FineTuningJobEvent], EventCursor], None] | None = None,
        **options: Unpack[WaitOptions],
    ) -> tuple[Any, EventCursor]:
        """Poll until the job has finished; its final assessment and the event cursor.

        After each poll the events since `cursor` go to `on_events` (oldest first) with the
        cursor that follows them; the events read after the job's last status include its last
        events."""
        place = [cursor or EventCursor()]

        def read_events() -> None:
            from airflow_openai.fine_tuning.events import advanced

            events = self.new_fine_tuning_events(job_id, place[0])
            if events:
                place[0] = advanced(place[0], events)
                if on_events is not None:
                    on_events(events, place[0])

        latest = self._waited(
            "fine_tuning", {"ids": [job_id]}, FineTuningTimeout, after_poll=read_events, **options
        )
        return latest[job_id], place[0]
