from __future__ import annotations

import pytest

from airflow_openai.client.settings import ClientSettings
from airflow_openai.hooks.openai import OpenAIHook
from tests.support.clients import FAST_RETRIES


@pytest.fixture
def hook(emu):
    settings = ClientSettings(
        api_key=emu.api_key, admin_api_key=emu.admin_key, base_url=emu.base_url, source="emulator"
    )
    with OpenAIHook(settings=settings, retry_policy=FAST_RETRIES) as hook:
        yield hook
