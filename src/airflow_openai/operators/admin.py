"""Organization admin exports: the audit log, one data interval per run, and an inventory for access reviews.

Both operators use only the connection's admin API key (its ``admin_api_key`` extra, or
``OPENAI_ADMIN_KEY``), which the hook sends to ``/organization/*`` and nowhere else; without
one they fail before any request. Neither ever logs or returns a key: API keys appear only as
the API lists them, by id, name and ``redacted_value``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_openai.admin.audit_export import FILTERS, AuditLogFilters, audit_log_query, read_interval
from airflow_openai.admin.interval import Interval
from airflow_openai.admin.inventory import take_inventory, unused_keys
from airflow_openai.admin.jsonl import write_jsonl
from airflow_openai.operators.base import OpenAIBaseOperator, check_output_writable
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
from airflow_openai.storage import replaced_whole

if TYPE_CHECKING:
    from airflow_openai.hooks.openai import OpenAIHook

LOCAL_FOLDER = "openai_admin"
"""Where exports go without an output root: under the worker's own `$AIRFLOW_HOME`."""


def require_admin_key(hook: OpenAIHook, what: str) -> None:
    """Fail, before any request, when the connection has no admin key (the key itself is never shown)."""
    settings = hook.settings
    if not settings.admin_api_key:
        raise AirflowFailException(
            f"{what} reads the organization through the Admin API, which needs an admin API key "
            f"(sk-admin-..., made by an organization owner under Settings > Admin keys); connection "
            f"{settings.source!r} has none: set its extra 'admin_api_key', or OPENAI_ADMIN_KEY on the "
            "worker. Nothing was requested."
        )


class OpenAIAuditLogsToStorageOperator(OpenAIBaseOperator):
    """Export the organization's audit log for this run's data interval to a JSONL file.

    The file holds every audit log entry (logins, API key, invite, user, project and service
    account changes...) whose ``effective_at`` falls in the interval, start included and end
    left out, each exactly once, one entry per line as the API sends it, oldest first. On an
    hourly schedule with a data interval (``CronDataIntervalTimetable("0 * * * *", "UTC")``),
    each run writes one file, named after its interval, so a rerun overwrites the same file and
    a catch-up fills exactly the missing hours. Every page is read (the API gives at most 100
    entries a page) before the file is written; an API outage is waited out for up to
    ``outage_budget`` seconds, the listing starting again from scratch. A failed export leaves no file.

    Returns (XCom) ``{"path", "count", "event_types": {type: n}, "start", "end"}``, the bounds in
    ISO 8601 (UTC).

    :param output_path: where to write (a local path or object storage URI such as
        ``s3://bucket/audit/{{ dag_run.run_id }}.jsonl``). Default: one file per interval under
        the connection's ``output_root`` extra or ``[openai] output_root``,
        ``{root}/{dag_id}/{task_id}/{start:%Y%m%dT%H%M%S}Z-{end:%Y%m%dT%H%M%S}Z.jsonl``.
    :param start: with ``end``, the interval to export instead of the run's data interval (ISO
        8601 or Unix seconds; a time without zone is UTC). A run triggered without a logical date
        has no data interval: it needs these, or it fails saying so. Blank means not given.
    :param end: the interval's end, left out.
    :param project_ids: only entries of these projects.
    :param event_types: only entries of these types, e.g. ``["api_key.created", "login.failed"]``.
    :param actor_ids: only entries by these users, service accounts or API keys (tracking ids).
    :param actor_emails: only entries by the users with these emails.
    :param resource_ids: only entries about these objects (e.g. a project id).
    :param outage_budget: seconds without a successful call before an API outage fails the task.
    """

    template_fields: Sequence[str] = ("output_path", "start", "end", *FILTERS)

    def __init__(
        self,
        *,
        output_path: Any = None,
        start: Any = None,
        end: Any = None,
        project_ids: str | list[str] | None = None,
        event_types: str | list[str] | None = None,
        actor_ids: str | list[str] | None = None,
        actor_emails: str | list[str] | None = None,
        resource_ids: str | list[str] | None = None,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path
        self.start = start
        self.end = end
        self.project_ids = project_ids
        self.event_types = event_types
        self.actor_ids = actor_ids
        self.actor_emails = actor_emails
        self.resource_ids = resource_ids
        self.outage_budget = outage_budget

    def execute(self, context: Any) -> dict[str, Any]:
        try:
            interval = Interval.resolve(
                self.start,
                self.end,
                data_interval_start=context.get("data_interval_start"),
                data_interval_end=context.get("data_interval_end"),
            )
            filters = AuditLogFilters.of(**{name: getattr(self, name) for name in FILTERS})
        except (TypeError, ValueError) as exc:
            raise AirflowFailException(f"Cannot export the audit log: {exc}") from None
        require_admin_key(self.hook, "Exporting the audit log")
        output = self.output_path or self._default_path(context, interval)
        check_output_writable(output, nothing="nothing was requested")
        query = audit_log_query(interval, filters)
        self.log.info("Exporting the audit log of %s (%s) to %s", interval, filters.describe(), output)

        def read() -> Any:
            def progress(read_so_far: int) -> None:
                self.log.info("Read %d audit log entries so far", read_so_far)

            return read_interval(self.hook.list_audit_logs(**query), interval, on_page=progress)

        export = waited_out(read, "Reading the audit log", budget=self.outage_budget)
        if export.repeated or export.outside:
            self.log.warning(
                "Left out %d entries the API sent twice and %d outside %s",
                export.repeated,
                export.outside,
                interval,
            )
        with replaced_whole(output) as sink:
            write_jsonl(export.entries, sink)
        types = export.event_types()
        self.log.info(
            "Wrote %d audit log entries of %s (read in %d pages) to %s: %s",
            export.count,
            interval,
            export.pages,
            output,
            ", ".join(f"{name}: {n}" for name, n in types.items()) or "none",
        )
        return {"path": str(output), "count": export.count, "event_types": types, **interval.to_dict()}

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport

        return TaskReport(outputs=[str(self.output_path)] if self.output_path else [])

    def lineage_report(self, result: Any) -> Any:
        """The export's file and how many entries it holds."""
        from airflow_openai.lineage import TaskReport

        if not isinstance(result, dict):
            return None
        return TaskReport(
            outputs=[result["path"]], facts={"path": result["path"], "count": result.get("count")}
        )

    def _default_path(self, context: Any, interval: Interval) -> str:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        task = f"{ti.task_id}-{map_index}" if map_index not in (-1, None) else ti.task_id
        return f"{self._output_root()}/{ti.dag_id}/{task}/{interval.file_name()}"

    def _output_root(self) -> str:
        from airflow_openai.operators.output import output_root

        return output_root(self.hook.settings.output_root, local_folder=LOCAL_FOLDER, log=self.log)


class OpenAIOrganizationSnapshotOperator(OpenAIBaseOperator):
    """Write a point-in-time inventory of the organization to one JSONL file, for access reviews.

    One line per object, each with a ``kind``: ``user``, ``invite`` (pending and past invites),
    ``project`` (archived ones included), then for each active project its ``project_user``s,
    ``service_account``s and ``api_key``s, these three with ``project_id`` and ``project_name``.
    An API key appears by id, name and ``redacted_value``, with its ``owner`` and ``last_used_at``
    (null when never used); never the key itself. Load it with ``pandas.read_json(path,
    lines=True)`` and filter by ``kind``. Every listing is read to its last page; an API outage
    is waited out for up to ``outage_budget`` seconds, the reading starting again. A failed
    snapshot leaves no file.

    Returns (XCom) ``{"path", "taken_at", "counts": {kind: n}, "unused_key_days", "unused_keys"}``:
    with ``unused_key_days``, ``unused_keys`` lists the keys unused that long, each ``{id, name,
    project: {id, name}, owner: {type, id, name[, email]}, last_used_at, created_at}``, least
    recently active first; without it, ``unused_keys`` is None.

    :param output_path: where to write (local path or object storage URI). Default:
        ``{root}/{dag_id}/{run_id}/{task_id}.jsonl`` under the connection's ``output_root`` extra
        or ``[openai] output_root``.
    :param unused_key_days: list the keys last used at least this many days before the snapshot,
        or never used and created at least this many days before it.
    :param outage_budget: seconds without a successful call before an API outage fails the task.
    """

    template_fields: Sequence[str] = ("output_path", "unused_key_days")

    def __init__(
        self,
        *,
        output_path: Any = None,
        unused_key_days: int | str | None = None,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path
        self.unused_key_days = unused_key_days
        self.outage_budget = outage_budget

    def execute(self, context: Any) -> dict[str, Any]:
        days = _days(self.unused_key_days)
        require_admin_key(self.hook, "Taking an organization snapshot")
        output = self.output_location(context, local_folder=LOCAL_FOLDER, suffix=".jsonl")
        check_output_writable(output, nothing="nothing was requested")

        def read() -> Any:
            def progress(project: dict[str, Any]) -> None:
                self.log.info("Reading the members, service accounts and keys of project %s", project["id"])

            return take_inventory(self.hook, now=time.time(), on_project=progress)

        inventory = waited_out(read, "Reading the organization", budget=self.outage_budget)
        with replaced_whole(output) as sink:
            write_jsonl(inventory.records, sink)
        counts = inventory.counts()
        archived = sum(1 for project in inventory.of_kind("project") if project.get("status") == "archived")
        self.log.info(
            "Organization snapshot of %s written to %s: %s (%d of the projects archived)",
            inventory.taken_at_iso,
            output,
            ", ".join(f"{n} {kind}" for kind, n in counts.items()),
            archived,
        )
        result: dict[str, Any] = {
            "path": str(output),
            "taken_at": inventory.taken_at_iso,
            "counts": counts,
            "unused_key_days": days,
            "unused_keys": None,
        }
        if days is not None:
            unused = unused_keys(inventory.of_kind("api_key"), days, inventory.taken_at)
            self.log.info("%d of %d API keys unused for %s days", len(unused), counts["api_key"], days)
            for key in unused:
                self.log.info(
                    "Unused: %s (%s) in project %s, owner %s %s, last used %s",
                    key["id"],
                    key["name"],
                    key["project"]["id"],
                    key["owner"].get("type"),
                    key["owner"].get("email") or key["owner"].get("id"),
                    key["last_used_at"] or "never",
                )
            result["unused_keys"] = unused
        return result

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport

        return TaskReport(outputs=[str(self.output_path)] if self.output_path else [])

    def lineage_report(self, result: Any) -> Any:
        from airflow_openai.lineage import TaskReport

        if not isinstance(result, dict):
            return None
        return TaskReport(outputs=[result["path"]], facts={"path": result["path"]})


def _days(value: Any) -> int | None:
    """`unused_key_days` as rendered: None or blank for none, else a whole number of days, 0 or more."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text):
        raise AirflowFailException(
            f"unused_key_days must be a whole number of days, 0 or more; got {value!r}"
        )
    return int(text)
