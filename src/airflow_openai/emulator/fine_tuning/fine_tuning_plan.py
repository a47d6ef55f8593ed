"""What a fine-tuning job will be: its base model, its hyperparameters, its steps and its model names.

Decided once, from the request (checked at create, as the service refuses a bad one at
once) and from the training file's example count (known only after validation, when
"auto" hyperparameters are resolved). Nothing here reads the clock or the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core.errors import EmulatorError, bad_request

ORGANIZATION = "org-emulator"
"""The organization the emulator's keys belong to: it owns the jobs and the fine-tuned models."""

CHAT = "chat"
COMPLETION = "completion"


@dataclass(frozen=True)
class FineTunable:
    snapshot: str
    """The dated model the job reports and names its fine-tuned model after."""
    family: str
    """The built-in model whose rules (parameters, endpoints) the fine-tuned model answers by."""
    format: str
    """`chat` (a `messages` list per example) or `completion` (`prompt` and `completion`)."""


_CHAT_MODELS = {
    "gpt-4o-mini": ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    "gpt-4o": ("gpt-4o-2024-08-06", "gpt-4o"),
    "gpt-4.1-mini": ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
    "gpt-3.5-turbo": ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
}
FINE_TUNABLE: dict[str, FineTunable] = {
    **{alias: FineTunable(snapshot, family, CHAT) for alias, (snapshot, family) in _CHAT_MODELS.items()},
    **{snapshot: FineTunable(snapshot, family, CHAT) for snapshot, family in _CHAT_MODELS.values()},
    "babbage-002": FineTunable("babbage-002", "babbage-002", COMPLETION),
    "davinci-002": FineTunable("davinci-002", "davinci-002", COMPLETION),
}
"""Fine-tunable names, as asked, to what they resolve to: an alias reports its dated snapshot
(`gpt-4o-mini` trains `gpt-4o-mini-2024-07-18`), as the service does."""

# n_epochs "auto", as OpenAI's data-preparation cookbook computes it: 3 epochs, unless that
# makes fewer than 100 or more than 25,000 example passes.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MAX_DEFAULT_EPOCHS = 25
# batch_size "auto": about 0.2% of the examples, at least 1 and at most 256 (1 for up to 500).
AUTO_BATCH_FRACTION = 0.002
# learning_rate_multiplier "auto": one fixed value, the one the service reports for small jobs.
AUTO_LEARNING_RATE_MULTIPLIER = 1.8

RANGES = {"n_epochs": (1, 50), "batch_size": (1, 256)}
MAX_SUFFIX = 64
MAX_SEED = 2_147_483_647


def base_model(name: str) -> FineTunable:
    """The base model `name` fine-tunes, or the service's 400."""
    base = FINE_TUNABLE.get(name)
    if base is None:
        raise bad_request(
            f"Model {name} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    return base


def check_hyperparameters(given: dict[str, Any], where: str = "hyperparameters") -> dict[str, Any]:
    """`given` with "auto" for what is missing, or a 400 naming the first value out of range
    (as `<where>.<name>`: the hyperparameters come at the top or under `method.supervised`)."""
    checked: dict[str, Any] = {}
    for name in ("n_epochs", "batch_size", "learning_rate_multiplier"):
        value = given.get(name, "auto")
        checked[name] = value if value == "auto" else _checked(name, value, f"{where}.{name}")
    return checked


def _checked(name: str, value: Any, param: str) -> int | float:
    if name == "learning_rate_multiplier":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid_type(param, "'auto' or a number", value)
        if not math.isfinite(value) or value <= 0:
            raise bad_request(
                f"Invalid '{param}': value below minimum value. Expected a value > 0, but got {value} instead.",
                param=param,
                code="decimal_below_min_value",
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_type(param, "'auto' or an integer", value)
    low, high = RANGES[name]
    if value < low:
        raise bad_request(
            f"Invalid '{param}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            param=param,
            code="integer_below_min_value",
        )
    if value > high:
        raise bad_request(
            f"Invalid '{param}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
            param=param,
            code="integer_above_max_value",
        )
    return value


def _invalid_type(param: str, expected: str, value: Any) -> EmulatorError:
    return bad_request(
        f"Invalid type for '{param}': expected {expected}, but got {type(value).__name__} {value!r} instead.",
        param=param,
        code="invalid_type",
    )


def check_suffix(suffix: str | None) -> None:
    if suffix is not None and not 1 <= len(suffix) <= MAX_SUFFIX:
        raise bad_request(
            f"Invalid 'suffix': string must be between 1 and {MAX_SUFFIX} characters long, got {len(suffix)}.",
            param="suffix",
            code="string_above_max_length" if len(suffix) > MAX_SUFFIX else "string_below_min_length",
        )


def check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise bad_request(
            f"Invalid 'seed': expected an integer between 0 and {MAX_SEED}, but got {seed} instead.",
            param="seed",
            code="invalid_value",
        )


def resolve(requested: dict[str, Any], examples: int) -> dict[str, Any]:
    """The hyperparameters a job over `examples` training examples runs with: "auto" made a number."""
    n_epochs = requested.get("n_epochs", "auto")
    batch_size = requested.get("batch_size", "auto")
    multiplier = requested.get("learning_rate_multiplier", "auto")
    return {
        "n_epochs": default_epochs(examples) if n_epochs == "auto" else n_epochs,
        "batch_size": min(256, max(1, round(examples * AUTO_BATCH_FRACTION)))
        if batch_size == "auto"
        else batch_size,
        "learning_rate_multiplier": AUTO_LEARNING_RATE_MULTIPLIER if multiplier == "auto" else multiplier,
    }


def default_epochs(examples: int) -> int:
    examples = max(examples, 1)
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(1, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


def steps_per_epoch(examples: int, batch_size: int) -> int:
    return max(1, math.ceil(examples / batch_size))


def model_name(snapshot: str, suffix: str | None, job_suffix: str) -> str:
    """`ft:<base>:<org>:<suffix>:<id>`; without a suffix its place stays empty
    (`ft:gpt-4o-mini-2024-07-18:org-emulator::7p4lURel`), as the service names it."""
    return f"ft:{snapshot}:{ORGANIZATION}:{suffix or ''}:{job_suffix}"


def checkpoint_name(model: str, step: int) -> str:
    return f"{model}:ckpt-step-{step}"
