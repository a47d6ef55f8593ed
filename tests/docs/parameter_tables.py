"""The README's parameter tables, made from the code: `python -m tests.docs.parameter_tables` writes them.

For each operator and sensor (and the emulator's `Emulator`), every parameter of its `__init__` and of
the provider's bases it passes `**kwargs` to, in that order: its name, type, default, unit, whether it
is templated (in `template_fields`), and what it does. Names, defaults and templating come from the
code; the type comes from the annotation unless `NOTES` gives one (an `Any` says nothing); units and
meanings are kept here, in `NOTES`, since the code does not say them. `test_readme_parameters.py`
checks that the README holds exactly what `render` makes, that `NOTES` covers every parameter and
nothing else, and, parsing the tables back, that names, defaults and templating equal the code's.

Defaults shown are the ones a DAG gets: `poll_interval` and `max_poll_interval` are None in the
signature, standing for the operator's own `default_poll_interval` and `default_max_poll_interval`,
which are shown; `deferrable` is read from `[operators] default_deferrable` when the module is
imported, shown as that value with the option named.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"

OPERATORS = (
    "airflow_openai.operators.batch.OpenAIBatchOperator",
    "airflow_openai.operators.direct.OpenAIDirectCallsOperator",
    "airflow_openai.operators.embeddings.OpenAIEmbeddingOperator",
    "airflow_openai.operators.fine_tuning.OpenAIFineTuningJobOperator",
    "airflow_openai.operators.vector_stores.OpenAIVectorStoreIngestOperator",
    "airflow_openai.operators.runs.OpenAIAssistantRunOperator",
    "airflow_openai.operators.admin.OpenAIAuditLogsToStorageOperator",
    "airflow_openai.operators.admin.OpenAIOrganizationSnapshotOperator",
    "airflow_openai.operators.files.OpenAIUploadFileOperator",
    "airflow_openai.operators.files.OpenAIDownloadFileOperator",
    "airflow_openai.operators.files.OpenAIDeleteFilesOperator",
)
SENSORS = (
    "airflow_openai.sensors.batch.OpenAIBatchSensor",
    "airflow_openai.sensors.fine_tuning.OpenAIFineTuningJobSensor",
    "airflow_openai.sensors.vector_stores.OpenAIVectorStoreFileBatchSensor",
    "airflow_openai.sensors.runs.OpenAIRunSensor",
)
EMULATOR = "airflow_openai.emulator.server.Emulator"
SENSOR_BASE_PARAMETERS = ("poke_interval", "timeout", "mode", "soft_fail")
"""Airflow's sensor parameters each sensor table lists too (with Airflow's defaults)."""

BLOCKS = {"operators and sensors": (*OPERATORS, *SENSORS), EMULATOR: (EMULATOR,)}
"""What each `<!-- parameters: NAME -->` ... `<!-- end parameters -->` block of the README holds."""


@dataclass(frozen=True)
class Note:
    meaning: str
    unit: str = ""
    type: str = ""
    """Shown instead of the annotation (which may be `Any`)."""
    default: str = ""
    """Said after the default, in parentheses."""


SECONDS = "seconds"
SHARE = "share, 0 to 1"

COMMON = {
    "openai_conn_id": Note("the connection (type OpenAI Platform; an `openai` connection works too)"),
    "deferrable": Note(
        "wait in the triggerer instead of a worker slot", default="from `[operators] default_deferrable`"
    ),
    "poll_interval": Note(
        "shortest wait between status polls; later ones are a tenth of the job's age, sooner when it is "
        "about to finish",
        SECONDS,
    ),
    "max_poll_interval": Note("longest wait between status polls", SECONDS),
    "timeout": Note(
        "give up waiting after this long; with `cancel_on_timeout` the jobs are cancelled and the task fails "
        "without a retry",
        SECONDS,
        default="no limit",
    ),
    "cancel_on_timeout": Note(
        "cancel the jobs when `timeout` passes (else they run on, and a retry reattaches)"
    ),
    "cancel_on_kill": Note(
        "cancel the jobs when the task is really stopped (marked failed), not when cleared"
    ),
    "outage_budget": Note(
        "how long the API may not answer (refused, timed out, 429, 5xx) before the task gives up",
        SECONDS,
        default="30 minutes",
    ),
    "wait_for_completion": Note("False: return right after creating, with the ids"),
    "output_path": Note(
        "where the results go: a local path or any object storage URI", default="under the output root"
    ),
    "max_failed_fraction": Note("failed rows tolerated before the task fails (after saving results)", SHARE),
}

REQUEST_INPUTS = {
    "prompts": Note(
        "chat prompts: strings, or dicts with `prompt` and `custom_id`, `system_prompt`, chat parameters, "
        "`metadata`, `extra_body`",
        type="list[str | dict]",
    ),
    "requests": Note(
        'request bodies for `endpoint`, or lines `{"custom_id", "body"}` (with `metadata`, `extra_body`)',
        type="list[dict | str]",
    ),
    "input_file": Note("a JSONL file of request lines or bodies: a local path or object storage URI"),
    "endpoint": Note("`/v1/chat/completions`, `/v1/embeddings` or `/v1/completions`"),
    "model": Note("the model of every request that names none"),
    "system_prompt": Note("a system message before each prompt"),
    "request_parameters": Note(
        "parameters of chat completions for every prompt (`temperature`, `max_tokens`...)", type="dict"
    ),
    "response_format": Note(
        "structured outputs: a pydantic model or JSON schema, made strict; each answer validated",
        type="type[BaseModel] | dict",
    ),
    "extra_body": Note(
        "parameters newer than the API description (2.3.0), merged into every body unchecked", type="dict"
    ),
}

NOTES: dict[str, dict[str, Note]] = {
    "OpenAIBatchOperator": {
        **REQUEST_INPUTS,
        "completion_window": Note("the Batch API's window (it takes only `24h`)"),
        "metadata": Note(
            "the batches' metadata, beside the operator's own tags (16 pairs in all)", type="dict[str, str]"
        ),
        "output_path": Note(
            "where the joined results go: a local path or any object storage URI",
            default="`{root}/{dag_id}/{run_id}/{task_id}.jsonl`",
        ),
        "resubmit_failed": Note("resubmit, once, lines that expired or failed with a retryable error"),
        "wait_for_completion": Note('False: return `{"batch_ids", "requests"}` once submitted'),
    },
    "OpenAIDirectCallsOperator": {
        **REQUEST_INPUTS,
        "output_path": Note(
            "where the joined results go: a local path or any object storage URI",
            default="`{root}/{dag_id}/{run_id}/{task_id}.jsonl`",
        ),
        "concurrency": Note("requests in flight at most; the key's rate limits set the pace", "requests"),
        "timeout": Note(
            "stop sending after this long; the task fails with a retry, which sends the rest",
            "seconds or timedelta",
            type="float | timedelta",
            default="no limit",
        ),
        "log_every": Note("time between progress lines", SECONDS),
    },
    "OpenAIEmbeddingOperator": {
        "texts": Note('strings (ids: their positions) or `{"id", "text"}` dicts', type="list[str | dict]"),
        "source": Note("a glob over a folder or object storage, or a list of paths: each file is one text"),
        "model": Note("the embedding model"),
        "dimensions": Note("fewer dimensions than the model's own (`text-embedding-3` models)"),
        "inputs_per_request": Note("texts packed into one request (1 to 2,048)", "texts"),
        "output_path": Note(
            "where the rows go (`id`, `status`, `model`, `embedding`)",
            default="`{root}/{dag_id}/{run_id}/{task_id}.jsonl`",
        ),
        "concurrency": Note("requests in flight at most; the key's rate limits set the pace", "requests"),
        "timeout": Note(
            "stop sending after this long; the task fails with a retry, which sends the rest",
            "seconds or timedelta",
            type="float | timedelta",
            default="no limit",
        ),
        "log_every": Note("time between progress lines", SECONDS),
    },
    "OpenAIFineTuningJobOperator": {
        "model": Note("the base model, e.g. `gpt-4o-mini-2024-07-18`"),
        "training_file": Note(
            "records (a list of dicts, say an XCom), a JSONL path or URI, or a file id",
            type="list[dict] | str",
        ),
        "validation_file": Note("the same forms", type="list[dict] | str"),
        "hyperparameters": Note(
            '`n_epochs` (1–50), `batch_size` (1–256), `learning_rate_multiplier`, or `"auto"`'
        ),
        "suffix": Note("added to the fine-tuned model's name (up to 64 characters)"),
        "seed": Note("for a reproducible job"),
        "integrations": Note('e.g. `[{"type": "wandb", "wandb": {"project": "..."}}]`'),
        "output_path": Note(
            "the folder for `metrics.json`, `loss.svg` and `step_metrics.csv`",
            default="`{root}/{dag_id}/{run_id}/{task_id}/`",
        ),
        "check_data": Note("check the data as OpenAI's data-preparation guide does, before anything is made"),
        "wait_for_completion": Note("False: return the job id once created"),
    },
    "OpenAIVectorStoreIngestOperator": {
        "source": Note(
            "a glob over a local folder or object storage, a list of paths or URIs, or of file ids"
        ),
        "vector_store_id": Note("the store to fill (`mode` append by default)"),
        "store_key": Note(
            "a stable key naming the store, found again by its metadata, made when missing (`mode` sync)"
        ),
        "store_name": Note("the name of a store made for `store_key`", default="the key"),
        "metadata": Note("a made store's metadata (15 pairs: the key takes the 16th)", type="dict[str, str]"),
        "expires_after": Note('`{"anchor": "last_active_at", "days": 1–365}` for a made store', type="dict"),
        "mode": Note(
            "`sync` (upload what changed, remove what is gone) or `append`", default="sync with a key"
        ),
        "chunking_strategy": Note("the file batches' chunking: chunks of 100–4,096 tokens", type="dict"),
        "max_failed_fraction": Note("files attached in this run allowed to fail", SHARE),
        "upload_concurrency": Note("uploads at a time", "files"),
        "include_hidden": Note("take the hidden files a glob matches (`.env`, `.git/…`)"),
    },
    "OpenAIAssistantRunOperator": {
        "assistant_id": Note("the assistant to run"),
        "messages": Note('a string, strings, or `{"role", "content"}` dicts', type="str | list"),
        "thread_id": Note("a thread to add the messages to", default="a new thread"),
        "run_parameters": Note("the run's other fields (`instructions`, `model`, `tools`...)", type="dict"),
        "tool_handler": Note(
            'answers each function call `{"id", "name", "arguments"}`, in the worker', type="callable"
        ),
        "max_tool_rounds": Note("times the run may ask for tool outputs before the task gives up", "rounds"),
        "wait_for_completion": Note('False: return `{"thread_id", "run_id"}` once created'),
    },
    "OpenAIAuditLogsToStorageOperator": {
        "output_path": Note(
            "where the JSONL goes: a local path or object storage URI",
            type="str",
            default="`{root}/{dag_id}/{task_id}/{start}Z-{end}Z.jsonl`",
        ),
        "start": Note(
            "with `end`, the stretch to export instead of the run's data interval (ISO 8601 or Unix seconds)",
            type="str | float | datetime",
            default="the data interval",
        ),
        "end": Note(
            "the stretch's end, left out", type="str | float | datetime", default="the data interval"
        ),
        "project_ids": Note("only entries of these projects"),
        "event_types": Note("only entries of these types (`api_key.created`, `login.failed`...)"),
        "actor_ids": Note("only entries by these users, service accounts or keys"),
        "actor_emails": Note("only entries by the users with these emails"),
        "resource_ids": Note("only entries about these objects"),
    },
    "OpenAIOrganizationSnapshotOperator": {
        "output_path": Note(
            "where the JSONL goes: a local path or object storage URI",
            type="str",
            default="`{root}/{dag_id}/{run_id}/{task_id}.jsonl`",
        ),
        "unused_key_days": Note("list in XCom the keys unused this long", "days"),
    },
    "OpenAIUploadFileOperator": {
        "source": Note("a path or URI, a glob (`s3://bucket/train/*.jsonl`), or a list of them"),
        "purpose": Note("`batch`, `fine-tune`, `assistants` or `vision`"),
        "file_concurrency": Note("files uploaded at once", "files"),
        "part_size": Note("part size of files over 64 MB (5 to 64 MB)", "bytes", default="64 MB"),
        "concurrency": Note(
            "parts in flight across all files: memory stays near `concurrency × part_size`", "parts"
        ),
        "md5": Note("send each large file's md5, so OpenAI checks every byte (about 2 s of CPU per GB)"),
    },
    "OpenAIDownloadFileOperator": {
        "file_ids": Note("one file id or several"),
        "destination": Note("a file path (one id), or a folder ending in `/`: `<file_id>-<filename>` each"),
    },
    "OpenAIDeleteFilesOperator": {
        "file_ids": Note("the files to delete; those gone already are skipped"),
        "purpose": Note("with `older_than` or `created_before`: delete this purpose's files"),
        "older_than": Note("delete files created longer ago than this", SECONDS),
        "created_before": Note("delete files created before this Unix time", "Unix seconds"),
        "dry_run": Note("only log what would be deleted"),
    },
    "OpenAIBatchSensor": {"batch_id": Note("the batch to wait for")},
    "OpenAIFineTuningJobSensor": {"job_id": Note("the fine-tuning job to wait for")},
    "OpenAIVectorStoreFileBatchSensor": {
        "vector_store_id": Note("the store the file batch adds files to"),
        "batch_id": Note("the file batch to wait for"),
        "max_failed_files": Note("fail when more files than this failed", "files", default="any number"),
    },
    "OpenAIRunSensor": {"thread_id": Note("the run's thread"), "run_id": Note("the run to wait for")},
    "Emulator": {
        "data_dir": Note(
            "where objects and file contents are kept", default="a temporary folder, removed on stop"
        ),
        "speed": Note("how fast the emulated clock runs (1: real time)", "emulated s per real s"),
        "host": Note("the address to listen on"),
        "port": Note("the port", default="a free one"),
        "responder": Note(
            "`(endpoint, body) -> (status, body)` answering model calls", default="the built-in model"
        ),
        "seed": Note("makes generated ids repeatable", default="random ids"),
        "accept_fields": Note("body fields the built-in model takes though the API description lacks them"),
    },
}

SENSOR_NOTES = {
    "openai_conn_id": COMMON["openai_conn_id"],
    "deferrable": Note(
        "wait in the triggerer after the first poke", default="from `[operators] default_deferrable`"
    ),
    "outage_budget": Note(
        "how long pokes may not reach the API before the sensor gives up", SECONDS, default="30 minutes"
    ),
    "poke_interval": Note("time between pokes (Airflow's)", SECONDS, type="float | timedelta"),
    "timeout": Note(
        "fail (`AirflowSensorTimeout`, no retry) after this long (Airflow's)",
        SECONDS,
        type="float | timedelta",
        default="`[sensors] default_timeout`, 7 days",
    ),
    "mode": Note("`poke` (holds a worker slot) or `reschedule` (Airflow's)"),
    "soft_fail": Note("skip instead of failing on a timeout (Airflow's)"),
}


@dataclass(frozen=True)
class Row:
    name: str
    type: str
    default: str
    unit: str
    templated: bool | None
    meaning: str


def load(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _is_sensor(cls: Any) -> bool:
    from airflow.sdk import BaseSensorOperator

    return issubclass(cls, BaseSensorOperator)


def parameters(cls: Any) -> list[inspect.Parameter]:
    """The parameters a DAG passes: the class's own `__init__`, then each provider base's it passes on to,
    then (for a sensor) Airflow's main sensor parameters."""
    found: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("airflow_openai") or "__init__" not in vars(klass):
            continue
        for parameter in list(inspect.signature(klass.__init__).parameters.values())[1:]:
            if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                found.setdefault(parameter.name, parameter)
    if _is_sensor(cls):
        from airflow.sdk import BaseSensorOperator

        base = inspect.signature(BaseSensorOperator.__init__).parameters
        for name in SENSOR_BASE_PARAMETERS:
            found.setdefault(name, base[name])
    return list(found.values())


def effective_default(cls: Any, parameter: inspect.Parameter) -> Any:
    """The default a DAG gets (see the module's docstring); `inspect.Parameter.empty` when required."""
    if parameter.default is None and parameter.name in ("poll_interval", "max_poll_interval"):
        return getattr(cls, f"default_{parameter.name}")
    return parameter.default


def shown_value(value: Any) -> str:
    """A default as the table writes it, between backticks."""
    if value is inspect.Parameter.empty:
        return "required"
    if isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, str):
        text = f'"{value}"'
    else:
        text = repr(value)
    return f"`{text}`"


def note_of(cls: Any, name: str) -> Note | None:
    own = NOTES.get(cls.__name__, {})
    if name in own:
        return own[name]
    if _is_sensor(cls):
        return SENSOR_NOTES.get(name)
    return COMMON.get(name)


def shown_type(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = text.replace("Mapping[str, Any]", "dict").replace("dict[str, Any]", "dict")
    text = text.replace("Mapping[str, str]", "dict[str, str]")
    text = re.sub(r" \| None$", "", text)
    return text


def rows(cls: Any) -> list[Row]:
    templated = set(getattr(cls, "template_fields", ()) or ())
    made = []
    for parameter in parameters(cls):
        note = note_of(cls, parameter.name)
        if note is None:
            raise KeyError(f"NOTES lacks {cls.__name__}.{parameter.name}")
        default = shown_value(effective_default(cls, parameter))
        if note.default:
            default = f"{default} ({note.default})"
        made.append(
            Row(
                name=parameter.name,
                type=note.type or shown_type(parameter.annotation),
                default=default,
                unit=note.unit,
                templated=None if cls.__name__ == "Emulator" else parameter.name in templated,
                meaning=note.meaning,
            )
        )
    return made


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(cls: Any) -> str:
    made = rows(cls)
    with_templated = made[0].templated is not None
    header = (
        ["parameter", "type", "default", "unit"]
        + (["templated"] if with_templated else [])
        + ["what it does"]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in made:
        cells = [f"`{row.name}`", f"`{row.type}`", row.default, row.unit]
        if with_templated:
            cells.append("yes" if row.templated else "no")
        cells.append(row.meaning)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def _summary(cls: Any) -> str:
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def render(block: str) -> str:
    """The text between a block's markers (see `BLOCKS`)."""
    parts = []
    for path in BLOCKS[block]:
        cls = load(path)
        if block == EMULATOR:
            parts.append(table(cls))
            continue
        module = cls.__module__
        parts.append(
            f"### {cls.__name__}\n\n`from {module} import {cls.__name__}`: {_summary(cls)}\n\n{table(cls)}"
        )
    return "\n\n".join(parts)


MARKER = re.compile(r"<!-- parameters: (?P<block>[^>]+?) -->\n(?P<body>.*?)<!-- end parameters -->", re.S)


def blocks_in(text: str) -> dict[str, str]:
    """Each parameters block of the README: its name and the text between its markers."""
    return {match["block"]: match["body"] for match in MARKER.finditer(text)}


def rewritten(text: str) -> str:
    def fill(match: re.Match[str]) -> str:
        block = match["block"]
        return f"<!-- parameters: {block} -->\n{render(block)}\n<!-- end parameters -->"

    return MARKER.sub(fill, text)


def main() -> int:
    text = README.read_text()
    found = blocks_in(text)
    missing = set(BLOCKS) - set(found)
    if missing:
        print(f"README.md lacks the markers of {sorted(missing)}", file=sys.stderr)
        return 1
    README.write_text(rewritten(text))
    print(f"Wrote {len(found)} parameter blocks into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
