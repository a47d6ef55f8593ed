"""A fine-tuning job's result file read into per-step metrics, a small JSON summary and a loss chart.

The result file (purpose `fine-tune-results`, listed in the job's `result_files`) is a CSV with a
header `step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy` and one row per step;
validation cells are empty on steps without validation. The service may add columns (such as
`full_valid_loss`) and has been seen returning the CSV base64-encoded: both are read.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_openai import storage
from airflow_openai.fine_tuning.loss_chart import loss_chart_svg

KNOWN_COLUMNS = ("train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
_ALIASES = {"train_mean_token_accuracy": "train_accuracy"}
_MISSING = {"", "nan", "-nan", "+nan", "none", "null"}
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class StepMetrics:
    """One step's row of the result file; a figure the step did not report is None."""

    step: int
    train_loss: float | None = None
    train_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    extra: dict[str, float | None] = field(default_factory=dict, hash=False)
    """Numeric columns beyond the known ones, by their header name (`full_valid_loss`, ...)."""

    def as_dict(self) -> dict[str, Any]:
        """The row as flat JSON: the known figures, then the extra columns."""
        return {
            "step": self.step,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "valid_loss": self.valid_loss,
            "valid_mean_token_accuracy": self.valid_mean_token_accuracy,
            **self.extra,
        }


def decode_result_file(data: bytes | str) -> bytes:
    """The CSV text of a result file as it was downloaded: the bytes themselves when they start
    with a header naming `step`, else their base64 decoding when that does. `ValueError` otherwise."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raw = raw.removeprefix(_BOM)
    if not raw.strip():
        raise ValueError("the fine-tuning result file is empty; expected a CSV with a 'step' column")
    if _starts_with_step_header(raw):
        return raw
    compact = b"".join(raw.split())
    try:
        decoded: bytes | None = base64.b64decode(compact + b"=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None:
        decoded = decoded.removeprefix(_BOM)
        if _starts_with_step_header(decoded):
            return decoded
    found = f"it starts with {_preview(raw)}"
    if decoded and _is_text(decoded[:60]):
        found += f"; read as base64, with {_preview(decoded)}"
    raise ValueError(
        "the fine-tuning result file is neither a CSV whose header names a 'step' column "
        f"nor base64 of one; {found}"
    )


def parse_step_metrics(data: bytes | str) -> list[StepMetrics]:
    """The rows of a result file (plain or base64 CSV), in step order.

    Empty and NaN cells are None. Columns beyond the known ones go into `extra` when every
    non-empty cell of theirs is a number; a column with text in it is left out.
    `ValueError` names the line and column of a cell that cannot be read.
    """
    text = _text_of(decode_result_file(data)).lstrip()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader)]
    columns = [_ALIASES.get(name.lower(), name.lower()) for name in header]
    for n, name in enumerate(columns):
        if name in columns[:n]:
            raise ValueError(f"the fine-tuning result file's header names the column {header[n]!r} twice")
    step_at = columns.index("step")

    cells: list[tuple[int, list[str]]] = []
    for line in reader:
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != len(header):
            raise ValueError(
                f"line {reader.line_num} of the fine-tuning result file has {len(line)} cells "
                f"where the header has {len(header)}"
            )
        cells.append((reader.line_num, line))

    extras = [
        n
        for n, name in enumerate(columns)
        if header[n]
        and name != "step"
        and name not in KNOWN_COLUMNS
        and all(_is_number_or_missing(line[n]) for _, line in cells)
    ]
    rows = []
    for line_num, line in cells:

        def number(n: int, line: list[str] = line, line_num: int = line_num) -> float | None:
            return _number(line[n], line_num, header[n])

        known = {name: number(n) for n, name in enumerate(columns) if name in KNOWN_COLUMNS}
        rows.append(
            StepMetrics(
                step=_step(line[step_at], line_num),
                train_loss=known.get("train_loss"),
                train_accuracy=known.get("train_accuracy"),
                valid_loss=known.get("valid_loss"),
                valid_mean_token_accuracy=known.get("valid_mean_token_accuracy"),
                extra={header[n]: number(n) for n in extras},
            )
        )
    rows.sort(key=lambda row: row.step)
    return rows


def summarize(rows: Sequence[StepMetrics], checkpoints: Iterable[Any] | None = None) -> dict[str, Any]:
    """The run's figures as small JSON, for an XCom or a log line.

    Keys: `steps` (rows read), `last_step`, `first_train_loss`, `final_train_loss`,
    `final_train_accuracy`, `final_valid_loss`, `min_valid_loss`, `min_valid_loss_step`,
    `final_valid_mean_token_accuracy`, `final_full_valid_loss` and
    `final_full_valid_mean_token_accuracy` (when the file has those columns), `improvement`
    (the fall from first to final train loss as a fraction of the first) and `best_checkpoint`
    (of `checkpoints`, the one with the lowest valid loss, else train loss; None without them).
    "Final" is the last step that reported the figure. A figure no step reported is None.
    """
    ordered = sorted(rows, key=lambda row: row.step)

    def reported(name: str) -> list[tuple[int, float]]:
        found = []
        for row in ordered:
            value = getattr(row, name) if name in KNOWN_COLUMNS else row.extra.get(name)
            if value is not None and math.isfinite(value):
                found.append((row.step, value))
        return found

    def final(name: str) -> float | None:
        values = reported(name)
        return values[-1][1] if values else None

    train = reported("train_loss")
    valid = reported("valid_loss")
    lowest_valid = min(valid, key=lambda pair: pair[1]) if valid else None
    first_train = train[0][1] if train else None
    final_train = train[-1][1] if train else None
    improvement = None
    if first_train is not None and final_train is not None and first_train > 0:
        improvement = (first_train - final_train) / first_train
    return {
        "steps": len(ordered),
        "last_step": ordered[-1].step if ordered else None,
        "first_train_loss": first_train,
        "final_train_loss": final_train,
        "final_train_accuracy": final("train_accuracy"),
        "final_valid_loss": valid[-1][1] if valid else None,
        "min_valid_loss": lowest_valid[1] if lowest_valid else None,
        "min_valid_loss_step": lowest_valid[0] if lowest_valid else None,
        "final_valid_mean_token_accuracy": final("valid_mean_token_accuracy"),
        "final_full_valid_loss": final("full_valid_loss"),
        "final_full_valid_mean_token_accuracy": final("full_valid_mean_token_accuracy"),
        "improvement": improvement,
        "best_checkpoint": best_checkpoint(checkpoints) if checkpoints is not None else None,
    }


def best_checkpoint(checkpoints: Iterable[Any]) -> dict[str, Any] | None:
    """Of the job's checkpoints (the API's checkpoint objects, as dicts or as SDK objects), the one
    with the lowest `metrics.valid_loss`; if none reports a valid loss, the lowest `train_loss`.
    A tie goes to the earlier step. None when no checkpoint reports either.

    The result: `step_number`, `fine_tuned_model_checkpoint`, `metrics` (its figures, NaN as None)
    and `chosen_by` (`"valid_loss"` or `"train_loss"`).
    """
    candidates = [_as_mapping(checkpoint) for checkpoint in checkpoints]
    for measure in ("valid_loss", "train_loss"):
        scored = [
            (loss, _int_or_none(checkpoint.get("step_number")), checkpoint)
            for checkpoint in candidates
            if (loss := _float_or_none(_as_mapping(checkpoint.get("metrics") or {}).get(measure))) is not None
        ]
        if scored:
            loss, step, chosen = min(
                scored, key=lambda item: (item[0], item[1] if item[1] is not None else 0)
            )
            metrics = _as_mapping(chosen.get("metrics") or {})
            return {
                "step_number": step,
                "fine_tuned_model_checkpoint": chosen.get("fine_tuned_model_checkpoint"),
                "metrics": {str(key): _json_figure(value) for key, value in metrics.items()},
                "chosen_by": measure,
            }
    return None


def write_metrics(
    data: bytes | str, output_path: Any, *, title: str, checkpoints: Iterable[Any] | None = None
) -> dict[str, Any]:
    """Read a result file and write, under the folder `output_path` (a local path, an object storage
    URI such as `s3://bucket/run/` or an `ObjectStoragePath`):

    - `step_metrics.csv`: the CSV as decoded (base64 undone),
    - `loss.svg`: the loss chart, titled `title` (say, the fine-tuned model's name),
    - `metrics.json`: `{"title", "summary", "steps": [one flat dict per step]}`, written last.

    Returns `{"summary", "metrics_path", "chart_path", "csv_path"}`, JSON small enough for an XCom.
    A file whose writing fails is removed rather than left half written.
    """
    csv_bytes = decode_result_file(data)
    rows = parse_step_metrics(csv_bytes)
    summary = summarize(rows, checkpoints)
    chart = loss_chart_svg(rows, title=title)
    document = {"title": title, "summary": summary, "steps": [row.as_dict() for row in rows]}
    paths = {
        "csv_path": _child(output_path, "step_metrics.csv"),
        "chart_path": _child(output_path, "loss.svg"),
        "metrics_path": _child(output_path, "metrics.json"),
    }
    contents = {
        "csv_path": csv_bytes,
        "chart_path": chart.encode("utf-8"),
        "metrics_path": (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8"),
    }
    for key, path in paths.items():
        with (
            storage.removed_on_failure(path),
            storage.open_binary(path, "wb", make_local_parents=True) as out,
        ):
            out.write(contents[key])
    return {"summary": summary, **{key: str(path) for key, path in paths.items()}}


def _starts_with_step_header(raw: bytes) -> bool:
    first_line = raw.lstrip().split(b"\n", 1)[0]
    try:
        names = first_line.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return False
    return "step" in (name.strip().lower() for name in names)


def _is_text(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\r\n\t" for char in text)


def _text_of(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the fine-tuning result file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})"
        ) from None


def _preview(raw: bytes) -> str:
    shown = raw[:60].decode("utf-8", errors="replace")
    return repr(shown) + (f" ({len(raw)} bytes in all)" if len(raw) > 60 else "")


def _step(cell: str, line_num: int) -> int:
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise ValueError(
            f"line {line_num} of the fine-tuning result file has step {cell!r}, not a whole number"
        )
    return int(value)


def _number(cell: str, line_num: int, column: str) -> float | None:
    text = cell.strip()
    if text.lower() in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"line {line_num} of the fine-tuning result file has {cell!r} in column {column!r}, not a number"
        ) from None
    return value if math.isfinite(value) else None


def _is_number_or_missing(cell: str) -> bool:
    text = cell.strip()
    if text.lower() in _MISSING:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "model_dump"):  # the openai SDK's objects
        dumped = value.model_dump()
        if isinstance(dumped, Mapping):
            return dumped
    raise TypeError(f"a checkpoint and its metrics are mappings (or SDK objects), got {type(value).__name__}")


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _json_figure(value: Any) -> Any:
    """A checkpoint metric as JSON can hold it: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _child(folder: Any, name: str) -> Any:
    """`name` inside `folder`, kept the kind of path `folder` is."""
    if type(folder).__name__ == "ObjectStoragePath":
        return folder / name
    if storage.is_object_storage(folder):
        return str(folder).rstrip("/") + "/" + name
    return os.path.join(os.fspath(folder), name)
