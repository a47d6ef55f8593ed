"""What a check of training data found: counts, token and cost estimates, and flags worth a look.

Every token figure is an estimate (see `tokens`). A flag keeps its count and the first 20 line
numbers (or pairs of them), so `to_dict()` stays small enough for an XCom however big the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LISTED = 20
"""Line numbers kept per flag."""
IN_SENTENCE = 5
"""Line numbers quoted per warning."""


@dataclass
class Flagged:
    """How many examples a flag applies to, and the first 20 line numbers (or [line, line] pairs)."""

    count: int = 0
    lines: list[Any] = field(default_factory=list)

    def add(self, where: Any) -> None:
        self.count += 1
        if len(self.lines) < LISTED:
            self.lines.append(where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "lines": [list(x) if isinstance(x, list | tuple) else x for x in self.lines],
        }


@dataclass
class DataReport:
    """A checked training file (and validation file) and the job it would make.

    `duplicates` pairs are [earlier training line, repeating training line]; `overlap` pairs are
    [training line, validation line]. `median_tokens` is the lower median. `n_epochs` is the given
    count, or when `n_epochs_auto` the one the API picks by default for this many examples.
    """

    model: str
    format: str
    context_limit: int
    examples: int = 0
    validation_examples: int | None = None
    blank_lines: int = 0
    estimated_tokens: int = 0
    min_tokens: int = 0
    median_tokens: int = 0
    max_tokens: int = 0
    over_context: Flagged = field(default_factory=Flagged)
    duplicates: Flagged = field(default_factory=Flagged)
    overlap: Flagged = field(default_factory=Flagged)
    without_user_message: Flagged = field(default_factory=Flagged)
    nothing_to_learn: Flagged = field(default_factory=Flagged)
    without_system_message: int = 0
    n_epochs: int = 0
    n_epochs_auto: bool = True
    billed_tokens_per_epoch: int = 0
    estimated_billed_tokens: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (for an XCom); token figures are estimates."""
        return {
            "model": self.model,
            "format": self.format,
            "examples": self.examples,
            "validation_examples": self.validation_examples,
            "blank_lines": self.blank_lines,
            "tokens_are_estimates": True,
            "estimated_tokens": self.estimated_tokens,
            "min_tokens": self.min_tokens,
            "median_tokens": self.median_tokens,
            "max_tokens": self.max_tokens,
            "context_limit": self.context_limit,
            "over_context": {**self.over_context.to_dict(), "limit": self.context_limit},
            "duplicates": self.duplicates.to_dict(),
            "overlap": self.overlap.to_dict(),
            "without_user_message": self.without_user_message.to_dict(),
            "nothing_to_learn": self.nothing_to_learn.to_dict(),
            "without_system_message": self.without_system_message,
            "n_epochs": self.n_epochs,
            "n_epochs_auto": self.n_epochs_auto,
            "billed_tokens_per_epoch": self.billed_tokens_per_epoch,
            "estimated_billed_tokens": self.estimated_billed_tokens,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataReport:
        """The report back from `to_dict()`'s output, as a downstream task reads it from an XCom."""
        flags = ("over_context", "duplicates", "overlap", "without_user_message", "nothing_to_learn")
        values = {key: value for key, value in data.items() if key != "tokens_are_estimates"}
        for name in flags:
            values[name] = Flagged(values[name]["count"], list(values[name]["lines"]))
        return cls(**values)

    def summary(self) -> str:
        """A few lines for the task log."""
        validation = (
            ""
            if self.validation_examples is None
            else f"; validation: {_count(self.validation_examples, 'example')}"
        )
        lines = [
            f"Training data: {_count(self.examples, 'example')} ({self.format}), ~{self.estimated_tokens:,} tokens "
            f"(estimate; per example ~{self.min_tokens:,} min, ~{self.median_tokens:,} median, "
            f"~{self.max_tokens:,} max){validation}",
            f"{_count(self.n_epochs, 'epoch')} ({'auto' if self.n_epochs_auto else 'given'}) "
            f"→ ~{self.estimated_billed_tokens:,} billed tokens (estimate)",
        ]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def flag_sentences(self) -> list[str]:
        """A sentence for each flag that applies."""
        sentences = []
        flag = self.over_context
        if flag.count:
            sentences.append(
                f"{_count(flag.count, 'training example')} {_are(flag.count)} over the {self.context_limit:,}-token "
                f"limit of {self.model} by the estimate, and would be truncated to it: {_lines(flag)}"
            )
        flag = self.duplicates
        if flag.count:
            repeat = "repeats" if flag.count == 1 else "repeat"
            pairs = _lines(flag, lambda pair: f"line {pair[1]} = line {pair[0]}")
            sentences.append(f"{_count(flag.count, 'training example')} {repeat} an earlier one: {pairs}")
        flag = self.overlap
        if flag.count:
            pairs = _lines(flag, lambda pair: f"validation line {pair[1]} = training line {pair[0]}")
            sentences.append(
                f"{_count(flag.count, 'validation example')} {_are(flag.count)} also in the training data, "
                f"so validation loss says less about unseen data: {pairs}"
            )
        flag = self.without_user_message
        if flag.count:
            sentences.append(
                f"{_count(flag.count, 'training example')} {_have(flag.count)} no user message: {_lines(flag)}"
            )
        flag = self.nothing_to_learn
        if flag.count:
            sentences.append(
                f"{_count(flag.count, 'training example')} {_have(flag.count)} every assistant message at weight 0, "
                f"so nothing in them is trained on: {_lines(flag)}"
            )
        if self.blank_lines:
            sentences.append(f"{_count(self.blank_lines, 'blank line')} skipped")
        return sentences


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _are(number: int) -> str:
    return "is" if number == 1 else "are"


def _have(number: int) -> str:
    return "has" if number == 1 else "have"


def _lines(flag: Flagged, show: Any = None) -> str:
    """The first few places of a flag, `line 4, line 9 and 12 more`."""
    shown = [show(where) if show else f"line {where}" for where in flag.lines[:IN_SENTENCE]]
    more = flag.count - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")
