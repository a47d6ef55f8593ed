"""The parameters of a fine-tuning job, checked before anything is uploaded or created.

Ranges and shapes are the spec's `CreateFineTuningJobRequest`. Each check raises `ValueError`
naming the parameter and the reason, and returns the value as it will be sent. A value that is
still a Jinja template (see `has_template`) is the caller's to skip until it is rendered;
`check_job_parameters(skip_templates=True)` does that for each parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from airflow_openai.batch.requests import has_template

__all__ = [
    "check_hyperparameters",
    "check_integrations",
    "check_job_parameters",
    "check_model_name",
    "check_n_epochs",
    "check_seed",
    "check_suffix",
    "has_template",
]

N_EPOCHS = (1, 50)
BATCH_SIZE = (1, 256)
SUFFIX_MAX = 64
SEED = (0, 2_147_483_647)
MAX_INTEGRATIONS = 5
"""The spec's FineTuningJob.integrations `maxItems`: a job holds at most 5."""
WANDB_KEYS = ("project", "name", "entity", "tags")


def check_model_name(model: Any) -> str:
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a non-empty string naming the model to fine-tune (got {model!r})")
    return model


def check_n_epochs(value: Any, name: str = "hyperparameters.n_epochs") -> int | str:
    return _auto_or_integer(value, name, N_EPOCHS)


def check_hyperparameters(hyperparameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The hyperparameters as sent; a key set to None is left out (the API's default, "auto")."""
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise ValueError(f"hyperparameters must be a dict, not {type(hyperparameters).__name__}")
    checks = {
        "n_epochs": check_n_epochs,
        "batch_size": lambda value: _auto_or_integer(value, "hyperparameters.batch_size", BATCH_SIZE),
        "learning_rate_multiplier": _learning_rate_multiplier,
    }
    cleaned: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if key not in checks:
            raise ValueError(f"hyperparameters.{key} is not a hyperparameter (known: {', '.join(checks)})")
        if value is not None:
            cleaned[key] = checks[key](value)
    return cleaned


def check_suffix(suffix: Any) -> str | None:
    if suffix is None:
        return None
    if not isinstance(suffix, str):
        raise ValueError(f"suffix must be a string, not {type(suffix).__name__}")
    if not 1 <= len(suffix) <= SUFFIX_MAX:
        raise ValueError(f"suffix must have 1 to {SUFFIX_MAX} characters (got {len(suffix)})")
    return suffix


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if not _is_int(seed) or not SEED[0] <= seed <= SEED[1]:
        raise ValueError(f"seed must be an integer from {SEED[0]} to {SEED[1]} (got {seed!r})")
    return int(seed)


def check_integrations(integrations: Any) -> list[dict[str, Any]] | None:
    """Weights and Biases integrations: `{"type": "wandb", "wandb": {"project": ..., "name"?,
    "entity"?, "tags"?}}`, at most 5."""
    if integrations is None:
        return None
    if not isinstance(integrations, list | tuple):
        raise ValueError(f"integrations must be a list, not {type(integrations).__name__}")
    if len(integrations) > MAX_INTEGRATIONS:
        raise ValueError(
            f"integrations has {len(integrations)} entries; a job takes at most {MAX_INTEGRATIONS}"
        )
    return [_integration(item, f"integrations[{index}]") for index, item in enumerate(integrations)]


def check_job_parameters(
    *,
    model: Any,
    hyperparameters: Any = None,
    suffix: Any = None,
    seed: Any = None,
    integrations: Any = None,
    training_file: Any = None,
    validation_file: Any = None,
    skip_templates: bool = False,
) -> dict[str, Any]:
    """All of a job's parameters checked, as the request's fields (those left None are left out).

    With `skip_templates`, a value still holding a Jinja template is passed through unchecked:
    call again once it is rendered.
    """
    checks = {
        "model": check_model_name,
        "training_file": lambda value: _file_id(value, "training_file"),
        "validation_file": lambda value: None if value is None else _file_id(value, "validation_file"),
        "hyperparameters": lambda value: check_hyperparameters(value) or None,
        "suffix": check_suffix,
        "seed": check_seed,
        "integrations": check_integrations,
    }
    given = {
        "model": model,
        "training_file": training_file,
        "validation_file": validation_file,
        "hyperparameters": hyperparameters,
        "suffix": suffix,
        "seed": seed,
        "integrations": integrations,
    }
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if name == "training_file" and value is None:
            continue  # not known yet when the operator checks before uploading
        if skip_templates and _templated(value):
            checked[name] = value
            continue
        result = checks[name](value)
        if result is not None:
            checked[name] = result
    return checked


def _auto_or_integer(value: Any, name: str, bounds: tuple[int, int]) -> int | str:
    if value == "auto" or (_is_int(value) and bounds[0] <= value <= bounds[1]):
        return value if isinstance(value, str) else int(value)
    raise ValueError(f"{name} must be 'auto' or an integer from {bounds[0]} to {bounds[1]} (got {value!r})")


def _learning_rate_multiplier(value: Any) -> float | str:
    if value == "auto":
        return "auto"
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return value
    raise ValueError(
        f"hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got {value!r})"
    )


def _integration(item: Any, path: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError(f"{path} must be a dict with type and wandb, not {type(item).__name__}")
    unknown = sorted(set(map(str, item)) - {"type", "wandb"})
    if unknown:
        raise ValueError(f"{path}.{unknown[0]} is not a field of an integration (known: type, wandb)")
    if item.get("type") != "wandb":
        raise ValueError(
            f"{path}.type must be 'wandb', the only integration the API has (got {item.get('type')!r})"
        )
    wandb = item.get("wandb")
    if not isinstance(wandb, Mapping):
        raise ValueError(f"{path}.wandb must be a dict with at least a project (got {wandb!r})")
    unknown = sorted(set(map(str, wandb)) - set(WANDB_KEYS))
    if unknown:
        raise ValueError(f"{path}.wandb.{unknown[0]} is not a wandb setting (known: {', '.join(WANDB_KEYS)})")
    project = wandb.get("project")
    if not isinstance(project, str) or not project:
        raise ValueError(f"{path}.wandb.project must be a non-empty string (got {project!r})")
    for key in ("name", "entity"):
        if wandb.get(key) is not None and not isinstance(wandb[key], str):
            raise ValueError(f"{path}.wandb.{key} must be a string or None (got {wandb[key]!r})")
    tags = wandb.get("tags")
    if tags is not None:
        if not isinstance(tags, list | tuple):
            raise ValueError(f"{path}.wandb.tags must be a list of strings, not {type(tags).__name__}")
        for index, tag in enumerate(tags):
            if not isinstance(tag, str):
                raise ValueError(f"{path}.wandb.tags[{index}] must be a string (got {tag!r})")
    settings = {key: value for key, value in wandb.items() if value is not None}
    if tags is not None:
        settings["tags"] = list(tags)
    return {"type": "wandb", "wandb": settings}


def _file_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be the id of an uploaded file, a non-empty string (got {value!r})")
    return value


def _is_int(value: Any) -> bool:
    """An integer, not a bool (True is an int to Python, not to the API)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _templated(value: Any) -> bool:
    """`has_template`, looking into lists too (integrations, wandb tags)."""
    if isinstance(value, list | tuple):
        return any(_templated(item) for item in value)
    if isinstance(value, Mapping):
        return any(_templated(item) for item in value.values()) or has_template(value)
    return has_template(value)
