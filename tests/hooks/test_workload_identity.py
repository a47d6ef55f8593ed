"""Keyless auth end to end: a connection with `auth_type: workload_identity` against the emulator's token
exchange; hook calls sync and async, a 401 refreshes the token once, a deferrable batch outlives its tokens,
and neither the subject token nor an access token reaches a log, an XCom or a trigger's kwargs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid

import pytest

from airflow_openai.client.identity import WorkloadIdentitySettings, clear_token_sources, token_source_for

SUBJECT = "SUBJECT-CANARY-4e8d21"
PROVIDER = "idp_wif_test"
ACCOUNT = "svc_acct_wif_test"


@pytest.fixture
def wif(emu, tmp_path, monkeypatch):
    """A workload identity connection (`AIRFLOW_CONN_<ID>`) on the emulator; yields its id and a
    list that receives every access token its token source gets."""
    token_file = tmp_path / "token"
    token_file.write_text(SUBJECT)
    conn_id = f"openai_wif_{uuid.uuid4().hex[:8]}"  # the hook remembers settings per id for a minute
    extra = {
        "auth_type": "workload_identity",
        "workload_identity_provider": "kubernetes",
        "token_file_path": str(token_file),
        "identity_provider_id": PROVIDER,
        "service_account_id": ACCOUNT,
        "token_exchange_url": emu.token_url,
        "dashboard_url": emu.dashboard_url,
    }
    connection = {"conn_type": "openai_platform", "host": emu.base_url, "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    emu.configure_identity(PROVIDER, ACCOUNT)
    clear_token_sources()
    tokens: list[str] = []
    token_source_for(WorkloadIdentitySettings.from_extra(extra, source=conn_id)).on_new_token(tokens.append)
    yield conn_id, tokens
    clear_token_sources()


def _issued(emu) -> int:
    return emu.identity()["tokens_issued"]


def _assert_secret_free(texts, tokens):
    assert tokens, "no access token was seen"
    for text in texts:
        assert SUBJECT not in text
        for token in tokens:
            assert token not in text


def test_sync_and_async_calls_carry_an_access_token_and_no_key(wif, emu, caplog):
    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, tokens = wif
    caplog.set_level(logging.DEBUG)
    with OpenAIHook(conn_id) as hook:
        assert hook.settings.api_key is None and hook.settings.workload_identity is not None
        assert list(hook.list_models())
        answer = hook.create_chat_completion("gpt-4o-mini", [{"role": "user", "content": "Hi"}])
        assert answer.choices[0].message.content

    async def calls():
        async with OpenAIHook(conn_id) as hook:
            return [model async for model in hook.alist_models()]

    assert asyncio.run(calls())
    assert _issued(emu) == 1 and len(tokens) == 1, "one token for the process, sync and async alike"
    _assert_secret_free([caplog.text], tokens)


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(wif, emu, caplog):
    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, tokens = wif
    caplog.set_level(logging.DEBUG)
    with OpenAIHook(conn_id, max_retries=0) as hook:  # the refresh is not a retry of the policy
        list(hook.list_models())
        assert emu.expire_tokens() == 1
        before = _issued(emu)
        assert list(hook.list_models())
        assert _issued(emu) == before + 1

        emu.expire_tokens()
        before = _issued(emu)

        async def again():
            return [model async for model in hook.alist_models()]

        assert asyncio.run(again())
        assert _issued(emu) == before + 1
    _assert_secret_free([caplog.text], tokens)


def test_a_multipart_upload_refused_for_its_token_is_sent_again_whole(wif, emu, tmp_path):
    from airflow_openai.hooks.openai import OpenAIHook
    from tests.support.media import wav

    conn_id, _ = wif
    (tmp_path / "talk.wav").write_bytes(wav())
    with OpenAIHook(conn_id, max_retries=0) as hook:
        list(hook.list_models())
        emu.expire_tokens()
        before = _issued(emu)
        text = hook.create_transcription(tmp_path / "talk.wav", "whisper-1", response_format="text")
        assert text.strip() and _issued(emu) == before + 1


def test_fifty_concurrent_calls_refused_together_cause_one_exchange(wif, emu):
    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, _ = wif

    async def fan_out():
        async with OpenAIHook(conn_id, max_retries=0) as hook:

            async def models():
                return [model async for model in hook.alist_models()]

            await models()
            emu.expire_tokens()
            before = _issued(emu)
            models = await asyncio.gather(*(models() for _ in range(50)))
            return before, models

    before, models = asyncio.run(fan_out())
    assert len(models) == 50
    assert _issued(emu) == before + 1


def test_the_admin_key_stays_the_admin_key(wif, emu, monkeypatch):
    """Workload identity replaces the project key only; `/organization/*` takes no access token."""
    from airflow_openai.client import MissingCredentialsError
    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, _ = wif
    with OpenAIHook(conn_id) as hook, pytest.raises(MissingCredentialsError, match="admin API key"):
        list(hook.list_projects())

    connection = json.loads(os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"])
    connection["extra"]["admin_api_key"] = emu.admin_key
    admin_conn = conn_id + "_admin"
    monkeypatch.setenv(f"AIRFLOW_CONN_{admin_conn.upper()}", json.dumps(connection))
    with OpenAIHook(admin_conn) as hook:
        assert isinstance(list(hook.list_projects()), list)
        assert list(hook.list_models())


def test_the_test_connection_button_works_with_workload_identity(wif, emu):
    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, _ = wif
    ok, message = OpenAIHook(conn_id).test_connection()
    assert ok, message
    assert "workload identity (kubernetes)" in message


def test_access_tokens_are_registered_with_the_secret_masker(wif, emu):
    from airflow.sdk.log import _secrets_masker

    from airflow_openai.hooks.openai import OpenAIHook

    conn_id, tokens = wif
    with OpenAIHook(conn_id) as hook:
        list(hook.list_models())
        emu.expire_tokens()
        list(hook.list_models())
    assert len(tokens) == 2
    for token in tokens:
        assert token not in str(_secrets_masker().redact(f"token {token}"))


def test_the_deferred_trigger_carries_no_token(wif, emu, tmp_path):
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_openai.operators.batch import OpenAIBatchOperator
    from tests.support.task_instance import TaskInstanceStandIn

    conn_id, tokens = wif
    emu.set_speed(0)
    op = OpenAIBatchOperator(
        task_id="batch",
        openai_conn_id=conn_id,
        prompts=["a", "b"],
        model="gpt-4o-mini",
        deferrable=True,
        output_path=str(tmp_path / "out.jsonl"),
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": TaskInstanceStandIn("batch")})
    _, kwargs = deferred.value.trigger.serialize()
    _assert_secret_free([repr(kwargs), repr(deferred.value.kwargs)], tokens)
    assert kwargs["openai_conn_id"] == conn_id, "the trigger finds the identity again by the connection id"


def test_a_deferrable_batch_outlives_its_access_tokens(wif, emu, airflow_db, new_dag, tmp_path, caplog):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_openai.operators.batch import OpenAIBatchOperator
    from tests.support.dag_runner import run_dag, task_states

    conn_id, tokens = wif
    caplog.set_level(logging.DEBUG)
    emu.configure_identity(PROVIDER, ACCOUNT, token_lifetime_seconds=2)
    emu.set_speed(1)
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            openai_conn_id=conn_id,
            prompts=[f"q{n}" for n in range(5)],
            model="gpt-4o-mini",
            deferrable=True,
            poll_interval=0.2,
            output_path=str(tmp_path / "out.jsonl"),
        )
    started = time.monotonic()
    dag_run = run_dag(dag)
    waited = time.monotonic() - started

    assert task_states(dag_run) == {"batch": "success"}
    assert waited > 2, f"the batch took {waited:.1f} s: no token expired during the wait"
    assert _issued(emu) > 1 and len(tokens) == _issued(emu)
    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id)).all()
        xcoms = [repr(XComModel.deserialize_value(row)) for row in rows]
    assert xcoms
    _assert_secret_free([caplog.text, *xcoms], tokens)
