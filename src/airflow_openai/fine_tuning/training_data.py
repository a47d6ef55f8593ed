"""Training and validation data checked before it is uploaded: what the API would refuse stops the task,
what would waste money is reported.

`check_training_data` reads each JSONL source once, line by line, keeping only a digest and a
token estimate per example. A line the API would refuse (not JSON, not an example of the model's
format) and a training file of fewer than 10 examples raise `InvalidTrainingData`, naming the
file, the line, the field and the reason. Over-long examples, duplicates and examples in both
files are flagged in the `DataReport`, with the token and cost estimates, not refused.
Blank lines are skipped, as the batch checks skip them; line numbers count them.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_openai.fine_tuning.examples import Format, Refused, check_example, data_format
from airflow_openai.fine_tuning.parameters import check_model_name, check_n_epochs
from airflow_openai.fine_tuning.report import DataReport, Flagged
from airflow_openai.fine_tuning.tokens import (
    billed_tokens_per_epoch,
    default_epochs,
    estimate_tokens,
    training_context,
)
from airflow_openai.jsonl import UnreadableLine, parse_line, refuse_unencodable

__all__ = [
    "MIN_EXAMPLES",
    "DataReport",
    "Flagged",
    "InvalidTrainingData",
    "Problem",
    "check_training_data",
    "records_to_jsonl",
]

MIN_EXAMPLES = 10
"""The fewest training examples the API starts a job with."""
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong: in which file (the caller's label), on which 1-based line, in which field
    (a JSON path such as `messages[2].weight`, empty for the whole line or file), and why."""

    label: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.label if self.line is None else f"{self.label} line {self.line}"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class InvalidTrainingData(ValueError):
    """The data cannot be trained on; nothing was uploaded. `problems` holds the first few (at most
    5), `bad_lines` how many lines were refused in all; `label`, `line`, `field` and `reason` are
    the first problem's."""

    def __init__(self, problems: Sequence[Problem], bad_lines: int | None = None) -> None:
        self.problems = list(problems[:SHOWN_PROBLEMS])
        self.bad_lines = len(problems) if bad_lines is None else bad_lines
        first = self.problems[0]
        self.label, self.line, self.field, self.reason = first.label, first.line, first.field, first.reason
        if self.bad_lines <= 1:
            message = str(first)
        else:
            shown = f", the first {len(self.problems)} shown" if self.bad_lines > len(self.problems) else ""
            message = f"{self.bad_lines} lines are not valid training examples{shown}:\n" + "\n".join(
                f"  {problem}" for problem in self.problems
            )
        super().__init__(message)


class _Problems:
    """The first few problems of a check and how many lines had one."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.bad_lines = 0

    def add(self, problem: Problem) -> None:
        self.bad_lines += 1
        if len(self.shown) < SHOWN_PROBLEMS:
            self.shown.append(problem)


def check_training_data(
    training: Iterable[bytes | str],
    *,
    model: str,
    validation: Iterable[bytes | str] | None = None,
    training_label: str = "training data",
    validation_label: str = "validation data",
    n_epochs: int | str | None = "auto",
) -> DataReport:
    """Check JSONL training (and validation) lines for `model` and report what a job on them would be.

    Raises `InvalidTrainingData` if any line is not an example the API trains `model` on (every
    bad line in both sources is counted, the first 5 are shown), if the training data has fewer
    than 10 examples, or if validation data is given and has none; `ValueError` for a bad
    `model` or `n_epochs` (an integer from 1 to 50, or "auto"; None is "auto", as in hyperparameters).
    """
    check_model_name(model)
    epochs = "auto" if n_epochs is None else check_n_epochs(n_epochs, "n_epochs")
    fmt = data_format(model)
    limit = training_context(model)
    problems = _Problems()
    report = DataReport(model=model, format=fmt, context_limit=limit)
    seen: dict[bytes, int] = {}
    tokens = array("q")
    for line, example in _examples(training, training_label, fmt, problems, report):
        count = estimate_tokens(example, fmt)
        tokens.append(count)
        if count > limit:
            report.over_context.add(line)
        first = seen.setdefault(_digest(example), line)
        if first != line:
            report.duplicates.add([first, line])
        if fmt == "chat":
            _note_messages(example["messages"], line, report)
    training_blank = report.blank_lines
    if validation is not None:
        report.validation_examples = 0
        for line, example in _examples(validation, validation_label, fmt, problems, report):
            report.validation_examples += 1
            if (twin := seen.get(_digest(example))) is not None:
                report.overlap.add([twin, line])
    if problems.bad_lines:
        raise InvalidTrainingData(problems.shown, problems.bad_lines)
    if len(tokens) < MIN_EXAMPLES:
        raise InvalidTrainingData([Problem(training_label, None, "", _too_few(len(tokens), training_blank))])
    if report.validation_examples == 0:
        raise InvalidTrainingData(
            [Problem(validation_label, None, "", "no examples; leave validation out or give it some")]
        )
    report.examples = len(tokens)
    ordered = sorted(tokens)
    report.estimated_tokens = sum(ordered)
    report.min_tokens, report.max_tokens = ordered[0], ordered[-1]
    report.median_tokens = ordered[(len(ordered) - 1) // 2]
    report.n_epochs_auto = epochs == "auto"
    report.n_epochs = default_epochs(len(tokens)) if epochs == "auto" else int(epochs)
    report.billed_tokens_per_epoch = billed_tokens_per_epoch(ordered, limit)
    report.estimated_billed_tokens = report.n_epochs * report.billed_tokens_per_epoch
    report.warnings = report.flag_sentences()
    return report


def records_to_jsonl(records: Iterable[Any]) -> Iterator[bytes]:
    """JSONL lines (compact UTF-8 JSON, newline-ended) for records as an XCom carries them: dicts,
    or JSON strings of objects. A record that is neither raises `InvalidTrainingData` naming its
    index, `records[3]`; line numbers of a check of these lines are the index plus one."""
    if isinstance(records, str | bytes | bytearray | Mapping) or not isinstance(records, Iterable):
        raise InvalidTrainingData(
            [
                Problem(
                    "records",
                    None,
                    "",
                    f"must be a list of dicts or JSON strings, not {type(records).__name__}",
                )
            ]
        )
    for index, record in enumerate(records):
        label = f"records[{index}]"
        try:
            value = parse_line(record) if isinstance(record, str | bytes) else record
            if not isinstance(value, Mapping):
                raise UnreadableLine(f"must be a dict (one training example), not {type(value).__name__}")
            yield refuse_unencodable(dict(value)) + b"\n"
        except UnreadableLine as exc:
            raise InvalidTrainingData([Problem(label, None, "", str(exc))]) from None
        except TypeError as exc:  # a value json cannot write, such as a datetime
            raise InvalidTrainingData([Problem(label, None, "", f"is not JSON: {exc}")]) from None


def _examples(
    lines: Iterable[bytes | str], label: str, fmt: Format, problems: _Problems, report: DataReport
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, example) for each valid example; each bad line goes to `problems`."""
    if isinstance(lines, str | bytes | bytearray):
        raise TypeError(
            f"{label} must be an iterable of JSONL lines (an open file, a list), not one {type(lines).__name__}"
        )
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            report.blank_lines += 1
            continue
        try:
            # without its line break, a JSON error's column is on this line, not "column 1" of the next
            example = parse_line(raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw.rstrip("\r\n"))
            check_example(example, fmt)
        except UnreadableLine as exc:
            problems.add(Problem(label, number, "", str(exc)))
        except Refused as refused:
            problems.add(Problem(label, number, refused.field, refused.reason))
        else:
            yield number, example


def _note_messages(messages: list[dict[str, Any]], line: int, report: DataReport) -> None:
    roles = [message["role"] for message in messages]
    if "system" not in roles:
        report.without_system_message += 1
    if "user" not in roles:
        report.without_user_message.add(line)
    if all(message.get("weight") == 0 for message in messages if message["role"] == "assistant"):
        report.nothing_to_learn.add(line)


def _digest(example: Any) -> bytes:
    """Equal for equal examples, whatever the order of their keys or the spacing of their lines."""
    canonical = json.dumps(example, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def _too_few(count: int, blank: int) -> str:
    have = "no examples" if count == 0 else f"{count} example{'s' if count != 1 else ''}"
    skipped = f" ({blank} blank line{'s' if blank != 1 else ''} skipped)" if blank else ""
    return f"{have}{skipped}; a fine-tuning job needs at least {MIN_EXAMPLES}"
