"""Fine-tuning job parameters checked before anything is created: each refusal names the parameter and the reason."""

from __future__ import annotations

import math

import pytest

from airflow_openai.fine_tuning.parameters import (
    check_hyperparameters,
    check_integrations,
    check_job_parameters,
    check_model_name,
    check_seed,
    check_suffix,
    has_template,
)

WANDB = {"type": "wandb", "wandb": {"project": "tickets"}}


def test_hyperparameters_the_spec_allows_come_back_as_sent():
    given = {"n_epochs": 50, "batch_size": "auto", "learning_rate_multiplier": 0.05}

    assert check_hyperparameters(given) == given
    assert check_hyperparameters({"n_epochs": 1, "batch_size": 256, "learning_rate_multiplier": 2}) == {
        "n_epochs": 1,
        "batch_size": 256,
        "learning_rate_multiplier": 2,
    }
    assert check_hyperparameters(None) == {}
    assert check_hyperparameters({"n_epochs": None, "batch_size": 8}) == {"batch_size": 8}


@pytest.mark.parametrize(
    "hyperparameters, message",
    [
        ({"n_epochs": 0}, "hyperparameters.n_epochs must be 'auto' or an integer from 1 to 50 (got 0)"),
        ({"n_epochs": 51}, "hyperparameters.n_epochs must be 'auto' or an integer from 1 to 50 (got 51)"),
        ({"n_epochs": True}, "hyperparameters.n_epochs must be 'auto' or an integer from 1 to 50 (got True)"),
        ({"n_epochs": "3"}, "hyperparameters.n_epochs must be 'auto' or an integer from 1 to 50 (got '3')"),
        ({"n_epochs": 3.0}, "hyperparameters.n_epochs must be 'auto' or an integer from 1 to 50 (got 3.0)"),
        ({"batch_size": 0}, "hyperparameters.batch_size must be 'auto' or an integer from 1 to 256 (got 0)"),
        (
            {"batch_size": 257},
            "hyperparameters.batch_size must be 'auto' or an integer from 1 to 256 (got 257)",
        ),
        (
            {"batch_size": "Auto"},
            "hyperparameters.batch_size must be 'auto' or an integer from 1 to 256 (got 'Auto')",
        ),
        (
            {"learning_rate_multiplier": 0},
            "hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got 0)",
        ),
        (
            {"learning_rate_multiplier": -0.1},
            "hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got -0.1)",
        ),
        (
            {"learning_rate_multiplier": math.inf},
            "hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got inf)",
        ),
        (
            {"learning_rate_multiplier": math.nan},
            "hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got nan)",
        ),
        (
            {"learning_rate_multiplier": True},
            "hyperparameters.learning_rate_multiplier must be 'auto' or a number greater than 0 (got True)",
        ),
        (
            {"epochs": 3},
            "hyperparameters.epochs is not a hyperparameter (known: n_epochs, batch_size, learning_rate_multiplier)",
        ),
        ([("n_epochs", 3)], "hyperparameters must be a dict, not list"),
    ],
)
def test_hyperparameters_the_api_refuses_are_refused(hyperparameters, message):
    with pytest.raises(ValueError) as caught:
        check_hyperparameters(hyperparameters)
    assert str(caught.value) == message


def test_a_suffix_has_1_to_64_characters():
    assert check_suffix("ticket-router") == "ticket-router"
    assert check_suffix("x" * 64) == "x" * 64
    assert check_suffix(None) is None
    for suffix, message in [
        ("", "suffix must have 1 to 64 characters (got 0)"),
        ("x" * 65, "suffix must have 1 to 64 characters (got 65)"),
        (7, "suffix must be a string, not int"),
    ]:
        with pytest.raises(ValueError) as caught:
            check_suffix(suffix)
        assert str(caught.value) == message


@pytest.mark.parametrize("seed", [0, 42, 2_147_483_647])
def test_a_seed_is_an_integer_in_the_specs_range(seed):
    assert check_seed(seed) == seed


@pytest.mark.parametrize("seed", [-1, 2_147_483_648, True, 4.0, "42"])
def test_a_seed_the_api_refuses_is_refused(seed):
    with pytest.raises(ValueError) as caught:
        check_seed(seed)
    assert str(caught.value) == f"seed must be an integer from 0 to 2147483647 (got {seed!r})"


def test_no_seed_is_none():
    assert check_seed(None) is None


def test_the_model_is_a_non_empty_string():
    assert check_model_name("gpt-4o-mini-2024-07-18") == "gpt-4o-mini-2024-07-18"
    for model in ("", "  ", None, 4):
        with pytest.raises(ValueError) as caught:
            check_model_name(model)
        assert (
            str(caught.value)
            == f"model must be a non-empty string naming the model to fine-tune (got {model!r})"
        )


def test_wandb_integrations_come_back_as_sent():
    full = {
        "type": "wandb",
        "wandb": {"project": "tickets", "name": "run-1", "entity": "team", "tags": ["a", "b"]},
    }

    assert check_integrations([WANDB, full]) == [WANDB, full]
    assert check_integrations([{"type": "wandb", "wandb": {"project": "p", "name": None}}]) == [
        {"type": "wandb", "wandb": {"project": "p"}}
    ]
    assert check_integrations(None) is None


@pytest.mark.parametrize(
    "integrations, message",
    [
        (WANDB, "integrations must be a list, not dict"),
        ([WANDB] * 6, "integrations has 6 entries; a job takes at most 5"),
        (["wandb"], "integrations[0] must be a dict with type and wandb, not str"),
        (
            [WANDB, {"type": "mlflow", "wandb": {"project": "p"}}],
            "integrations[1].type must be 'wandb', the only integration the API has (got 'mlflow')",
        ),
        (
            [{"type": "wandb", "wandb": {"project": "p"}, "extra": 1}],
            "integrations[0].extra is not a field of an integration (known: type, wandb)",
        ),
        ([{"type": "wandb"}], "integrations[0].wandb must be a dict with at least a project (got None)"),
        (
            [{"type": "wandb", "wandb": {}}],
            "integrations[0].wandb.project must be a non-empty string (got None)",
        ),
        (
            [{"type": "wandb", "wandb": {"project": ""}}],
            "integrations[0].wandb.project must be a non-empty string (got '')",
        ),
        (
            [{"type": "wandb", "wandb": {"project": "p", "entity": 3}}],
            "integrations[0].wandb.entity must be a string or None (got 3)",
        ),
        (
            [{"type": "wandb", "wandb": {"project": "p", "tags": "a,b"}}],
            "integrations[0].wandb.tags must be a list of strings, not str",
        ),
        (
            [{"type": "wandb", "wandb": {"project": "p", "tags": ["a", 2]}}],
            "integrations[0].wandb.tags[1] must be a string (got 2)",
        ),
        (
            [{"type": "wandb", "wandb": {"project": "p", "team": "x"}}],
            "integrations[0].wandb.team is not a wandb setting (known: project, name, entity, tags)",
        ),
    ],
)
def test_integrations_the_api_refuses_are_refused(integrations, message):
    with pytest.raises(ValueError) as caught:
        check_integrations(integrations)
    assert str(caught.value) == message


def test_all_job_parameters_are_checked_in_one_call_and_come_back_as_request_fields():
    assert check_job_parameters(
        model="gpt-4o-mini",
        hyperparameters={"n_epochs": 3},
        suffix="router",
        seed=7,
        integrations=[WANDB],
        training_file="file-abc",
        validation_file="file-def",
    ) == {
        "model": "gpt-4o-mini",
        "training_file": "file-abc",
        "validation_file": "file-def",
        "hyperparameters": {"n_epochs": 3},
        "suffix": "router",
        "seed": 7,
        "integrations": [WANDB],
    }
    assert check_job_parameters(model="gpt-4o-mini", hyperparameters={}) == {"model": "gpt-4o-mini"}


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"model": ""}, "model must be a non-empty string"),
        ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs must be 'auto'"),
        ({"suffix": ""}, "suffix must have 1 to 64 characters"),
        ({"seed": -1}, "seed must be an integer"),
        ({"integrations": [{"type": "x"}]}, "integrations[0].type must be 'wandb'"),
        ({"training_file": ""}, "training_file must be the id of an uploaded file"),
        ({"validation_file": 3}, "validation_file must be the id of an uploaded file"),
    ],
)
def test_each_job_parameter_is_checked(parameters, message):
    with pytest.raises(ValueError) as caught:
        check_job_parameters(**{"model": "gpt-4o-mini", **parameters})
    assert str(caught.value).startswith(message)


def test_templated_values_pass_unchecked_when_the_caller_asks_and_are_checked_otherwise():
    templated = {
        "model": "{{ params.model }}",
        "hyperparameters": {"n_epochs": "{{ params.epochs }}"},
        "suffix": "{{ ds }}-" + "x" * 64,
        "seed": "{{ params.seed }}",
        "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["{{ ds }}"]}}, 3],
    }

    assert check_job_parameters(**templated, skip_templates=True) == templated
    with pytest.raises(ValueError, match="hyperparameters.n_epochs"):
        check_job_parameters(**templated)
    with pytest.raises(ValueError, match="seed must be"):
        check_job_parameters(model="{{ m }}", seed=-1, skip_templates=True)


def test_has_template_is_the_batch_checks_own():
    from airflow_openai.batch import requests

    assert has_template is requests.has_template
