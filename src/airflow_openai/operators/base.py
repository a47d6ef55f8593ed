"""What every operator of this provider shares: a connection id and a hook built only when it runs;
one rule for a request that cannot be sent (the task fails without a retry); and one account of
each finished run (`lineage_report`), published as OpenLineage facets, asset events and metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_openai.operators.lineage import LineageMixin

if TYPE_CHECKING:
    from airflow_openai.hooks.openai import OpenAIHook
    from airflow_openai.lineage.report import TaskReport

GUARDED_METHODS = ("execute", "execute_complete")
"""Where a task runs: its first entry and its resumption after a deferral."""
ENDINGS_NOT_FAILURES = ("TaskDeferred", "AirflowSkipException")
"""Exceptions that end an attempt without failing it: no error to report."""


class OpenAIBaseOperator(LineageMixin, BaseOperator):
    """Base of the OpenAI operators.

    Constructing one (which Airflow does every time it parses the DAG file) reads no
    connection, imports no HTTP client and builds nothing: the hook appears on first use
    inside the running task.

    A request holding text that is not UTF-8 (a lone surrogate, say in a tool output or in
    metadata) is refused by the HTTP client before it is sent (`UnencodableTextError`, naming
    the field). Every subclass's `execute` and `execute_complete` turn that into an
    `AirflowFailException` with the same message: a retry would send the same text.

    When `execute` or `execute_complete` returns (the task is done, not deferred), the value it
    returns is turned into a `TaskReport` (`lineage_report`), which gives the OpenLineage facets,
    the `extra` of each asset in `outlets`, and the task's metrics.

    :param openai_conn_id: the Airflow connection with the OpenAI credentials.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in GUARDED_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "_fails_unsendable_text", False):
                setattr(cls, name, fails_unsendable_text(method))

    def __init__(self, *, openai_conn_id: str = "openai_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openai_conn_id = openai_conn_id

    @cached_property
    def hook(self) -> OpenAIHook:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)

    _default_output: str | None = None

    def output_location(self, context: Any, *, local_folder: str, suffix: str) -> str:
        """`output_path` when the DAG names one, else a place under the output root (see
        `default_output_path`): worked out once per process, its warning said once per task (a
        deferred task's resumption does not say it again)."""
        given = getattr(self, "output_path", None)
        if given:
            return str(given)
        if self._default_output is None:
            from airflow_openai.operators.output import default_output_path

            self._default_output = default_output_path(
                context,
                self.hook.settings.output_root,
                local_folder=local_folder,
                suffix=suffix,
                log=self.log,
                warn=not getattr(self, "resumed", False),
            )
        return self._default_output

    def lineage_report(self, result: Any) -> TaskReport | None:
        """What this run read, wrote, created and spent, from what it returns; None: nothing to tell."""
        return None

    def publish_report(self, context: Any, result: Any) -> None:
        """Keep the run's report for OpenLineage, fill the outlets' asset events and emit the metrics."""
        from airflow_openai.metrics import emit_report, task_tags

        report = self.lineage_report(result)
        if report is None:
            return
        self.openai_report = report
        emit_report(report, task_tags(self))
        assets = [outlet for outlet in self.outlets or () if type(outlet).__name__ == "Asset"]
        events = context.get("outlet_events") if assets else None
        if events is not None:
            extra = report.asset_extra()
            for asset in assets:
                events[asset].extra.update(extra)


def fails_unsendable_text(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, with an `UnencodableTextError` turned into an `AirflowFailException` (no retry),
    and its result reported (`publish_report`) once, by the outermost of nested calls."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        from airflow_openai.client.errors import UnencodableTextError

        outermost = not getattr(self, "_openai_in_task", False)
        self._openai_in_task = True
        try:
            result = method(self, *args, **kwargs)
        except UnencodableTextError as exc:
            from airflow.sdk.exceptions import AirflowFailException

            self.openai_error = str(exc)[:1000]
            raise AirflowFailException(
                f"{exc}. The task fails without a retry: a retry would send the same text"
            ) from exc
        except Exception as exc:
            if outermost and type(exc).__name__ not in ENDINGS_NOT_FAILURES:
                self.openai_error = f"{type(exc).__name__}: {exc}"[:1000]
            raise
        finally:
            if outermost:
                self._openai_in_task = False
        publish = getattr(self, "publish_report", None)  # sensors share the guard, not the report
        # The task runner calls `execute(context=context)`; a resumption passes it positionally.
        context = args[0] if args else kwargs.get("context")
        if outermost and context is not None and publish is not None:
            publish(context, result)
        return result

    guarded._fails_unsendable_text = True  # type: ignore[attr-defined]
    return guarded


def check_output_writable(
    output: Any, *, folder: bool = False, name: str = "output_path", nothing: str = "nothing was sent"
) -> None:
    """Fail the task (no retry) when `output` could not be written: before any request, so that no
    job runs and is paid for whose results are then lost. `folder` for an output of several files.

    The message names the parameter, the path and the reason, then what was spared (`nothing`).
    """
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.storage import UnwritablePath, probe_writable, probe_writable_folder

    try:
        (probe_writable_folder if folder else probe_writable)(output)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, UnwritablePath) else f"{type(exc).__name__}: {exc}"
        raise AirflowFailException(f"{name} {output} cannot be written: {reason}; {nothing}") from None
