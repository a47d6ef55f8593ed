"""Hooks pointed at a test server, with short retry delays unless a test needs the real ones."""

from __future__ import annotations

from airflow_openai.client.policy import RetryPolicy
from airflow_openai.client.settings import ClientSettings
from airflow_openai.hooks.openai import OpenAIHook
from tests.support.keys import ADMIN_KEY, PROJECT_KEY

FAST_RETRIES = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, settle=(0.05, 0.1))


def hook_for(
    base_url: str,
    *,
    max_retries: int = 2,
    fast: bool = True,
    policy: RetryPolicy | None = None,
    **overrides: object,
) -> OpenAIHook:
    values = {
        "api_key": PROJECT_KEY,
        "admin_api_key": ADMIN_KEY,
        "base_url": base_url,
        "organization": "org-test",
        "project": "proj_test",
        "timeout": 10.0,
        "max_retries": max_retries,
        "source": "test_conn",
        **overrides,
    }
    settings = ClientSettings(**values)  # type: ignore[arg-type]
    if policy is None and fast:
        policy = RetryPolicy(max_retries, initial_delay=0.01, max_delay=0.05, settle=(0.05, 0.1))
    return OpenAIHook(settings=settings, retry_policy=policy)
