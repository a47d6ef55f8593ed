"""The Assistants API: `/assistants`, `/threads` with their messages, runs and run steps.

Every call here goes out with the `OpenAI-Beta: assistants=v2` header the service requires on
these paths (added in `client.exchange`, by path).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import (
    AssistantObject,
    DeletedObject,
    MessageObject,
    RunObject,
    RunStepObject,
    ThreadObject,
)

RECONCILE_PAGE = 20
"""How many of a thread's newest runs a lost create is looked for among: a thread runs one run at
a time, and a lost answer is looked up within seconds."""


def _given(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _listing(
    limit: int | None, order: str | None, after: str | None, before: str | None, **more: Any
) -> dict[str, Any]:
    return {"limit": limit, "order": order, "after": after, "before": before, **more}


def _include(include: list[str] | None) -> dict[str, Any] | None:
    return {"include[]": list(include)} if include else None


# -- assistants ----------------------------------------------------------------------------------------


def _assistant(assistant_id: str) -> str:
    return f"/assistants/{segment(assistant_id)}"


def create_assistant(model: str, **options: Any) -> ApiCall[AssistantObject]:
    """Create an assistant; `options` are the spec's other fields (name, description, instructions,
    tools, tool_resources, metadata, temperature, top_p, response_format).

    If the answer is lost, the newest assistants are looked through for one made since with the
    same model (as asked or as its dated snapshot), name, description, instructions and metadata,
    before a second one is made.
    """
    body = {"model": model, **_given(options)}

    def same(assistant: AssistantObject) -> bool:
        return (
            (assistant.model == model or assistant.model.startswith(f"{model}-"))
            and (assistant.name or None) == (body.get("name") or None)
            and (assistant.description or None) == (body.get("description") or None)
            and (assistant.instructions or None) == (body.get("instructions") or None)
            and (assistant.metadata or {}) == (body.get("metadata") or {})
        )

    reconcile: Reconcile[AssistantObject] = Reconcile(
        list_assistants(limit=100, order="desc"), same, what=f"an assistant on {model}"
    )
    return ApiCall("POST", "/assistants", AssistantObject.model_validate, json=body, reconcile=reconcile)


def get_assistant(assistant_id: str) -> ApiCall[AssistantObject]:
    return ApiCall("GET", _assistant(assistant_id), AssistantObject.model_validate)


def update_assistant(assistant_id: str, **changes: Any) -> ApiCall[AssistantObject]:
    """Change an assistant's fields (model, name, instructions, tools, metadata...).

    Sent again when its answer is lost: setting the same values twice leaves what once does.
    """
    return ApiCall(
        "POST", _assistant(assistant_id), AssistantObject.model_validate, json=changes, repeatable=True
    )


def list_assistants(
    limit: int | None = None, order: str | None = None, after: str | None = None, before: str | None = None
) -> ListCall[AssistantObject]:
    params = _listing(limit, order, after, before)
    return ListCall("GET", "/assistants", AssistantObject.model_validate, params=params)


def delete_assistant(assistant_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", _assistant(assistant_id), DeletedObject.model_validate)


# -- threads -------------------------------------------------------------------------------------------


def _thread(thread_id: str) -> str:
    return f"/threads/{segment(thread_id)}"


def create_thread(messages: list[dict[str, Any]] | None = None, **options: Any) -> ApiCall[ThreadObject]:
    """Start a thread, with its first `messages` (each ``{"role", "content"}``, and optionally
    attachments and metadata); `options` are tool_resources and metadata.

    Sent again when its answer is lost: threads cannot be listed, so the lost one cannot be
    looked for; a second thread costs nothing (tokens are spent by runs, never by a thread), and
    the first, whose id nobody ever saw, is never run.
    """
    body = _given({"messages": messages, **options})
    return ApiCall("POST", "/threads", ThreadObject.model_validate, json=body, repeatable=True)


def get_thread(thread_id: str) -> ApiCall[ThreadObject]:
    return ApiCall("GET", _thread(thread_id), ThreadObject.model_validate)


def update_thread(thread_id: str, **changes: Any) -> ApiCall[ThreadObject]:
    """Change a thread's metadata or tool_resources.

    Sent again when its answer is lost: setting the same values twice leaves what once does.
    """
    return ApiCall("POST", _thread(thread_id), ThreadObject.model_validate, json=changes, repeatable=True)


def delete_thread(thread_id: str) -> ApiCall[DeletedObject]:
    """Delete a thread, with its messages and runs."""
    return ApiCall("DELETE", _thread(thread_id), DeletedObject.model_validate)


# -- messages ------------------------------------------------------------------------------------------


def _messages(thread_id: str) -> str:
    return f"{_thread(thread_id)}/messages"


def create_message(
    thread_id: str, role: str, content: str | list[dict[str, Any]], **options: Any
) -> ApiCall[MessageObject]:
    """Add a message to a thread; `content` is a text or a list of parts (text, image_url,
    image_file), `options` are attachments and metadata.

    A message is read by every later run of the thread, so it must not be added twice: if the
    answer is lost, the thread's newest message is read, and taken for this one when it was made
    since and has the same role, content and metadata; otherwise the message is sent again.
    Only the newest is looked at, so an earlier message that says the same is never taken for
    it, unless it is the very last one, made within `CLOCK_SKEW`: then the two would be alike
    in every way the API shows, and one such message is what the thread is left with.
    """
    body = {"role": role, "content": content, **_given(options)}
    wanted = _content_key(content)

    def same(message: MessageObject) -> bool:
        return (
            message.role == role
            and _content_key(message.content) == wanted
            and (message.metadata or {}) == (body.get("metadata") or {})
        )

    path = _messages(thread_id)
    newest = ApiCall("GET", path, _newest_message, params={"limit": 1, "order": "desc"})
    reconcile: Reconcile[MessageObject] = Reconcile(newest, same, what=f"the {role} message on {thread_id}")
    return ApiCall("POST", path, MessageObject.model_validate, json=body, reconcile=reconcile)


def _newest_message(page: Any) -> MessageObject | None:
    """The first message of a page of them (the thread's newest, listed newest first), if any."""
    data = page.get("data") if isinstance(page, Mapping) else None
    return MessageObject.model_validate(data[0]) if data else None


def get_message(thread_id: str, message_id: str) -> ApiCall[MessageObject]:
    path = f"{_messages(thread_id)}/{segment(message_id)}"
    return ApiCall("GET", path, MessageObject.model_validate)


def update_message(thread_id: str, message_id: str, metadata: dict[str, Any]) -> ApiCall[MessageObject]:
    """Change a message's metadata (its content cannot change).

    Sent again when its answer is lost: setting the same values twice leaves what once does.
    """
    path = f"{_messages(thread_id)}/{segment(message_id)}"
    body = {"metadata": metadata}
    return ApiCall("POST", path, MessageObject.model_validate, json=body, repeatable=True)


def list_messages(
    thread_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
    run_id: str | None = None,
) -> ListCall[MessageObject]:
    """The thread's messages, newest first unless `order="asc"`; `run_id` keeps those a run wrote."""
    params = _listing(limit, order, after, before, run_id=run_id)
    return ListCall("GET", _messages(thread_id), MessageObject.model_validate, params=params)


def delete_message(thread_id: str, message_id: str) -> ApiCall[DeletedObject]:
    path = f"{_messages(thread_id)}/{segment(message_id)}"
    return ApiCall("DELETE", path, DeletedObject.model_validate)


def _content_key(content: Any) -> tuple[tuple[str, str], ...]:
    """What a message says, the same whether written as the request has it (a text, or parts with
    ``"text": "..."``) or as the API answers it (parts with ``"text": {"value": ...}``)."""
    if isinstance(content, str):
        return (("text", content),)
    key = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, Mapping):
            key.append(("?", repr(part)))
            continue
        kind = str(part.get("type"))
        value = part.get(kind)
        if kind == "text":
            value = value.get("value") if isinstance(value, Mapping) else value
        elif kind == "image_url" and isinstance(value, Mapping):
            value = value.get("url")
        elif kind == "image_file" and isinstance(value, Mapping):
            value = value.get("file_id")
        key.append((kind, str(value)))
    return tuple(key)


# -- runs ----------------------------------------------------------------------------------------------


def _runs(thread_id: str) -> str:
    return f"{_thread(thread_id)}/runs"


def _run(thread_id: str, run_id: str) -> str:
    return f"{_runs(thread_id)}/{segment(run_id)}"


def create_run(
    thread_id: str, assistant_id: str, include: list[str] | None = None, **options: Any
) -> ApiCall[RunObject]:
    """Run an assistant on a thread; `options` are the spec's other fields (model, instructions,
    additional_instructions, additional_messages, tools, metadata, max_prompt_tokens...), and
    `include` the run steps' extra fields (``include[]``).

    If the answer is lost, the thread's newest runs are looked through for one of this
    assistant (with the same metadata) created since, before another (paid) run is started.
    A thread runs one run at a time, so a run the lost create did make also makes a second
    create refused until it ends; the look-up after that refusal still finds it. A run of the
    same assistant made on the same thread less than `CLOCK_SKEW` before this one, and already
    ended, could be taken for it: give each run its own metadata to tell them apart.
    """
    body = {"assistant_id": assistant_id, **_given(options)}

    def same(run: RunObject) -> bool:
        return run.assistant_id == assistant_id and (run.metadata or {}) == (body.get("metadata") or {})

    lookup = list_runs(thread_id, limit=RECONCILE_PAGE, order="desc")
    reconcile: Reconcile[RunObject] = Reconcile(lookup, same, what=f"a run of {assistant_id}")
    return ApiCall(
        "POST",
        _runs(thread_id),
        RunObject.model_validate,
        params=_include(include),
        json=body,
        reconcile=reconcile,
    )


def create_thread_and_run(
    assistant_id: str, thread: dict[str, Any] | None = None, **options: Any
) -> ApiCall[RunObject]:
    """Start a thread (``{"messages", "metadata", "tool_resources"}``) and run an assistant on it
    in one request; `options` are the run's other fields, as for `create_run`.

    Not sent again when its answer is lost, and not looked for: the thread it made has an id
    nobody saw, and threads cannot be listed, so its run cannot be found; sending it again would
    start, and pay for, a second run. It raises `AnswerLostError` instead. Where a lost answer
    must be recovered from, use `create_thread` and then `create_run`, which is looked for.
    """
    body = _given({"assistant_id": assistant_id, "thread": thread, **options})
    return ApiCall("POST", "/threads/runs", RunObject.model_validate, json=body)


def get_run(thread_id: str, run_id: str) -> ApiCall[RunObject]:
    return ApiCall("GET", _run(thread_id, run_id), RunObject.model_validate)


def list_runs(
    thread_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> ListCall[RunObject]:
    params = _listing(limit, order, after, before)
    return ListCall("GET", _runs(thread_id), RunObject.model_validate, params=params)


def update_run(thread_id: str, run_id: str, metadata: dict[str, Any]) -> ApiCall[RunObject]:
    """Change a run's metadata (nothing else of a run can change).

    Sent again when its answer is lost: setting the same values twice leaves what once does.
    """
    body = {"metadata": metadata}
    return ApiCall("POST", _run(thread_id, run_id), RunObject.model_validate, json=body, repeatable=True)


def cancel_run(thread_id: str, run_id: str) -> ApiCall[RunObject]:
    """Ask a run to stop: it goes `cancelling`, then `cancelled`. Sent again when its answer is
    lost: a second cancel of a cancelling run changes nothing."""
    path = f"{_run(thread_id, run_id)}/cancel"
    return ApiCall("POST", path, RunObject.model_validate, repeatable=True)


@dataclass(frozen=True)
class _RunSeen:
    """A run as read while reconciling, with when it was read."""

    run: RunObject
    seen_at: float


def _seen_now(data: Any) -> _RunSeen:
    return _RunSeen(RunObject.model_validate(data), time.time())


def submit_tool_outputs(
    thread_id: str, run_id: str, tool_outputs: list[dict[str, str]]
) -> ApiCall[RunObject]:
    """Answer the function calls a run waits on (`requires_action`): ``[{"tool_call_id", "output"}]``,
    one for each call. The run goes back to `queued` and works on with the outputs.

    If the answer is lost, the run is read: outputs are taken only for calls the run waits on,
    so a run no longer waiting on these calls took them (it is queued, working, done, or waits
    on a new round of calls) and is the answer; a run still waiting on them did not, and they
    are sent again. A run that ended meanwhile (expired, cancelled) refuses them, and that
    refusal is what the caller hears. What decides is the run's state when read, so the
    reading's own time, not the run's creation, is what the look-up is timed by.
    """
    submitted = {o.get("tool_call_id") for o in tool_outputs if isinstance(o, Mapping)}

    def took_them(seen: _RunSeen) -> bool:
        run = seen.run
        if run.status == "requires_action":
            return not submitted & {call.id for call in run.tool_calls}
        return run.status not in ("expired", "cancelled", "cancelling")

    lookup = ApiCall("GET", _run(thread_id, run_id), _seen_now)
    reconcile: Reconcile[RunObject] = Reconcile(
        lookup, took_them, answer=lambda seen: seen.run, what=f"outputs taken by {run_id}", made_at="seen_at"
    )
    path = f"{_run(thread_id, run_id)}/submit_tool_outputs"
    body = {"tool_outputs": list(tool_outputs)}
    return ApiCall("POST", path, RunObject.model_validate, json=body, reconcile=reconcile)


# -- run steps -----------------------------------------------------------------------------------------


def list_run_steps(
    thread_id: str,
    run_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
    include: list[str] | None = None,
) -> ListCall[RunStepObject]:
    """The run's steps, newest first unless `order="asc"`; `include` asks for extra fields
    (``step_details.tool_calls[*].file_search.results[*].content``)."""
    params = _listing(limit, order, after, before, **(_include(include) or {}))
    path = f"{_run(thread_id, run_id)}/steps"
    return ListCall("GET", path, RunStepObject.model_validate, params=params)


def get_run_step(
    thread_id: str, run_id: str, step_id: str, include: list[str] | None = None
) -> ApiCall[RunStepObject]:
    path = f"{_run(thread_id, run_id)}/steps/{segment(step_id)}"
    return ApiCall("GET", path, RunStepObject.model_validate, params=_include(include))
