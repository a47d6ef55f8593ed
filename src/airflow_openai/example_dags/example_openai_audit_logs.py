"""The organization's audit trail, hour by hour, into storage; and once a day an inventory for access reviews.

Runs unchanged against the real API or the local emulator. It needs the connection's
admin API key (extra ``admin_api_key``, or ``OPENAI_ADMIN_KEY``): the Admin API takes no
other, and the tasks fail before any request without one.

Every hour, `export_audit_logs` writes the audit log entries of the hour that just ended
(logins, key, invite, user, project and service account changes) to one JSONL file under
`[openai] output_root`, named after its hour: ``{root}/example_openai_audit_logs/
export_audit_logs/20260101T040000Z-20260101T050000Z.jsonl``. The schedule is a data-interval
timetable, so each run covers exactly its hour (start in, end out): a rerun overwrites its
file, and catching up (``catchup=True``, from yesterday's midnight here; give your own fixed
``start_date``) fills every missing hour, each once.

The run whose hour ends at midnight UTC also takes a `snapshot` of who and what can reach the
organization (users, invites, projects, project members, service accounts, API keys with
``last_used_at``), listing in its XCom the keys unused for ``unused_key_days``.

A run triggered without a logical date (the REST API, ``airflow dags trigger`` without ``-l``)
has no hour of its own: it exports the last full hour before it was triggered, or the stretch its conf
names, e.g. ``airflow dags trigger example_openai_audit_logs -c '{"start":
"2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}'``. Such a run always takes the
snapshot.

Each export publishes the asset `openai://example/audit-log` (`outlets`): its event's `extra`
holds the file's path and how many entries it has, and `example_openai_audit_log_review`,
scheduled on the asset, reads the new files (a SIEM import would start there).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Param, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_openai.operators.admin import (
    OpenAIAuditLogsToStorageOperator,
    OpenAIOrganizationSnapshotOperator,
)

AUDIT_LOG = Asset("openai://example/audit-log")

with DAG(
    dag_id="example_openai_audit_logs",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),  # each run covers its hour
    start_date=pendulum.today("UTC").subtract(days=1),
    catchup=True,
    max_active_runs=4,
    params={
        "start": Param(
            "", type="string", description="for a run without a logical date: export from (ISO 8601)"
        ),
        "end": Param("", type="string", description="for a run without a logical date: export until"),
        "unused_key_days": Param(
            90, type="integer", minimum=0, description="the snapshot lists keys unused this many days"
        ),
    },
    tags=["openai", "example", "admin"],
) as dag:
    export_audit_logs = OpenAIAuditLogsToStorageOperator(
        task_id="export_audit_logs",
        # The run's own hour; a run without one (no logical date) exports the last full hour before
        # it was triggered (the same file an hourly run writes), unless its conf names a stretch.
        start="{{ params.start or dag_run.data_interval_start or (dag_run.run_after.replace(minute=0, second=0, microsecond=0) - macros.timedelta(hours=1)) }}",
        end="{{ params.end or dag_run.data_interval_end or dag_run.run_after.replace(minute=0, second=0, microsecond=0) }}",
        outlets=[AUDIT_LOG],
    )

    @task.short_circuit
    def once_a_day(data_interval_end: Any = None) -> bool:
        """Go on to the snapshot in the run whose hour ends at midnight UTC, or a run without one."""
        return data_interval_end is None or pendulum.instance(data_interval_end).in_timezone("UTC").hour == 0

    snapshot = OpenAIOrganizationSnapshotOperator(
        task_id="snapshot",
        unused_key_days="{{ params.unused_key_days }}",
    )

    once_a_day() >> snapshot


with DAG(
    dag_id="example_openai_audit_log_review",
    schedule=[AUDIT_LOG],  # after each export (several hours at once while catching up)
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example", "admin"],
) as review_dag:

    @task
    def new_exports(triggering_asset_events: Any = None) -> list[dict]:
        """The files exported since this DAG last ran, with their entry counts."""
        exports = [dict(event.extra) for event in (triggering_asset_events or {}).get(AUDIT_LOG, [])]
        for extra in exports:
            print(f"{extra['count']} audit log entries in {extra['path']}")
        return exports

    new_exports()
