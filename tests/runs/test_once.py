"""The plain logic of starting a run and answering its tool calls once, with a hook and a record alone
(no Airflow): answers written down before they are submitted, a refusal from a run that took them
counted as done, a bare thread, an assistant looked up before anything is made."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from airflow_openai.records import RecordStore
from airflow_openai.runs.record import RunRecord

TOOL = {
    "type": "function",
    "function": {
        "name": "order_status",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}
TAGS = {"airflow_dag_id": "d", "airflow_task_id": "t", "airflow_run_id": "r", "airflow_map_index": "-1"}


class Lines:
    """A logger that keeps its lines."""

    def __init__(self):
        self.lines = []

    def _keep(self, message, *args):
        self.lines.append(message % args if args else message)

    info = warning = _keep


def _waiting_run(emu, hook, text="order_status for ORD-1234"):
    """A run waiting on one tool call, the emulator's clock moved on to it and then stopped."""
    emu.set_speed(0)
    assistant = hook.create_assistant("gpt-4o-mini", tools=[TOOL])
    thread = hook.create_thread([{"role": "user", "content": text}])
    run = hook.create_run(thread.id, assistant.id)
    emu.advance(5)
    run = hook.get_run(thread.id, run.id)
    assert run.status == "requires_action"
    return run


def _calls(run):
    return [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in run.tool_calls]


def test_the_run_steps_import_no_airflow():
    probe = textwrap.dedent(
        """
        import importlib, sys
        for name in ("airflow_openai.runs.start", "airflow_openai.runs.answers", "airflow_openai.runs.messages"):
            importlib.import_module(name)
        print("AIRFLOW=" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] == "airflow")[:5]))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("AIRFLOW=", 1)[1].strip() == ""


# -- answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "output"),
    [
        ("plain", "plain"),
        ({"a": 1}, '{"a": 1}'),
        ("a smile \U0001f600", "a smile \U0001f600"),
        ("already \ufffd", "already \ufffd"),
    ],
)
def test_an_answer_becomes_the_text_the_api_takes(answer, output):
    from airflow_openai.runs.answers import as_output

    assert as_output(answer, "f(call_1)") == output


def test_an_answer_no_request_can_carry_is_refused_naming_the_call():
    from airflow_openai.client.errors import UnencodableTextError
    from airflow_openai.runs.answers import as_output

    with pytest.raises(UnencodableTextError, match=r"answer to f\(call_1\): output holds a lone surrogate"):
        as_output("bad \ud800", "f(call_1)")


def test_each_answer_is_recorded_before_the_next_call_and_never_asked_for_again():
    from airflow_openai.runs.answers import ToolHandlerFailed, answer_calls

    record = RecordStore(None, RunRecord)
    asked = []

    def handler(call):
        asked.append(call["id"])
        if call["id"] == "c2" and asked.count("c2") == 1:
            raise RuntimeError("the mail server is down")
        return {"ok": call["id"]}

    calls = [{"id": "c1", "name": "f"}, {"id": "c2", "name": "g"}]
    with pytest.raises(
        ToolHandlerFailed, match=r"tool_handler failed on g\(c2\): RuntimeError: the mail server"
    ):
        answer_calls(calls, handler, record, rounds=1)
    assert record.read().answers == {"c1": '{"ok": "c1"}'} and record.read().rounds == 1

    outputs = answer_calls(calls, handler, record, rounds=1, logger=Lines())
    assert asked == ["c1", "c2", "c2"], "c1 was answered once; c2 again only because it raised"
    assert outputs == [
        {"tool_call_id": "c1", "output": '{"ok": "c1"}'},
        {"tool_call_id": "c2", "output": '{"ok": "c2"}'},
    ]
    assert answer_calls(calls, None, record, rounds=1) == outputs, "recorded answers need no handler"


def test_a_submission_the_run_already_took_is_done_not_refused(emu, emu_hook):
    from airflow_openai.runs.answers import submit_answers

    run = _waiting_run(emu, emu_hook)
    outputs = [{"tool_call_id": call["id"], "output": "shipped"} for call in _calls(run)]
    submit_answers(emu_hook, run.thread_id, run.id, outputs)
    lines = Lines()
    submit_answers(emu_hook, run.thread_id, run.id, outputs, lines)  # its success was never recorded

    assert emu.requests("/v1/threads/*/runs/*/submit_tool_outputs", "POST") == 2
    assert lines.lines == [
        f"Run {run.id} had already taken the outputs for {outputs[0]['tool_call_id']} "
        "(it is queued now): they were not sent again"
    ]


def test_a_submission_to_a_run_that_ended_is_left_to_the_wait(emu, emu_hook):
    from airflow_openai.runs.answers import submit_answers

    run = _waiting_run(emu, emu_hook)
    emu.advance(600)
    lines = Lines()
    submit_answers(
        emu_hook, run.thread_id, run.id, [{"tool_call_id": _calls(run)[0]["id"], "output": "x"}], lines
    )
    assert (
        len(lines.lines) == 1
        and f"Run {run.id} is expired: it takes no tool outputs any more" in lines.lines[0]
    )


def test_a_submission_refused_while_the_run_still_waits_on_it_is_raised(emu, emu_hook):
    from airflow_openai.client.errors import BadRequestError
    from airflow_openai.runs.answers import AnswersRefused, submit_answers

    run = _waiting_run(emu, emu_hook)
    emu.fault("/v1/threads/*/runs/*/submit_tool_outputs", method="POST", status=400, count=1)
    with pytest.raises(AnswersRefused, match="Injected fault.*a retry submits them") as refused:
        submit_answers(
            emu_hook, run.thread_id, run.id, [{"tool_call_id": _calls(run)[0]["id"], "output": "x"}]
        )
    assert isinstance(refused.value.__cause__, BadRequestError)
    assert emu_hook.get_run(run.thread_id, run.id).status == "requires_action"


# -- starting ---------------------------------------------------------------------------------------------


def _request(assistant_id, **kwargs):
    from airflow_openai.runs.start import RunRequest

    return RunRequest(assistant_id=assistant_id, messages=[{"role": "user", "content": "hi"}], **kwargs)


def test_a_lost_thread_answer_is_said_and_the_thread_it_left_is_empty(emu, emu_hook):
    from airflow_openai.emulator.assistants.thread_messages import THREAD, messages_kind
    from airflow_openai.runs.start import start_run

    emu.set_speed(0)
    assistant = emu_hook.create_assistant("gpt-4o-mini")
    emu.fault("/v1/threads", method="POST", after=True, drop=True, status=None)
    lines, record = Lines(), RecordStore(None, RunRecord)
    thread_id, _ = start_run(emu_hook, _request(assistant.id), TAGS, record, lines)

    held = {t["id"]: len(emu.state.store.all(messages_kind(t["id"]))) for t in emu.state.store.all(THREAD)}
    assert held.pop(thread_id) == 1 and list(held.values()) == [0]
    assert emu.requests("/v1/threads", "POST") == 2 and record.read().thread_id == thread_id
    (warning,) = [line for line in lines.lines if "was lost" in line]
    assert warning.startswith("The answer to creating the thread was lost (") and "It is empty" in warning


def test_an_unknown_assistant_is_refused_before_anything_is_made(emu, emu_hook):
    from airflow_openai.runs.start import AssistantNotFound, start_run

    with pytest.raises(AssistantNotFound) as refused:
        start_run(emu_hook, _request("asst_gone"), TAGS, RecordStore(None, RunRecord))
    assert refused.value.assistant_id == "asst_gone" and "No such assistant" in str(refused.value)
    assert emu.requests("*", "POST") == 0 and emu.requests("/v1/assistants/asst_gone", "GET") == 1


def test_a_run_made_after_the_recorded_one_ended_is_found_not_made_again(emu, emu_hook):
    """The recorded run failed; the attempt that started its successor died before recording it."""
    from airflow_openai.runs.start import start_run

    emu.set_speed(0)
    assistant = emu_hook.create_assistant("gpt-4o-mini")
    thread = emu_hook.create_thread()
    emu.fail_run()
    first = emu_hook.create_run(thread.id, assistant.id, metadata=TAGS)
    emu.advance(5)
    assert emu_hook.get_run(thread.id, first.id).status == "failed"
    second = emu_hook.create_run(thread.id, assistant.id, metadata=TAGS)
    record = RecordStore(None, RunRecord)
    record.update(thread_id=thread.id, run_id=first.id, answers={"call_old": "x"}, answered_calls=["call_0"])

    assert start_run(emu_hook, _request(assistant.id), TAGS, record) == (thread.id, second.id)
    assert len(list(emu_hook.list_runs(thread.id))) == 2
    kept = record.read()
    assert (kept.run_id, kept.answers, kept.answered_calls) == (second.id, {}, [])


def test_the_messages_go_in_with_the_run_on_a_bare_thread(emu, emu_hook):
    from airflow_openai.runs.start import start_run

    emu.set_speed(0)
    assistant = emu_hook.create_assistant("gpt-4o-mini")
    thread_id, run_id = start_run(emu_hook, _request(assistant.id), TAGS, RecordStore(None, RunRecord))

    body = json.loads(json.dumps([m.text for m in emu_hook.list_messages(thread_id)]))
    assert body == ["hi"] and emu.requests("/v1/threads/*/messages", "POST") == 0
    assert emu_hook.get_thread(thread_id).metadata == {}
    assert emu_hook.get_run(thread_id, run_id).metadata == TAGS
