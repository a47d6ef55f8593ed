"""`/v1/threads/{thread_id}/runs` and `/v1/threads/runs`: create (on a thread, or with a new one), list,
submit tool outputs, cancel; and each run's steps. Retrieving and modifying one (its metadata) are
`routes_thread_objects`'s, as for messages.

A run takes its assistant's model, instructions, tools and defaults unless it gives its
own; `additional_instructions` are appended to the instructions, `additional_messages`
added to the thread first. A thread runs one run at a time: another one while a run is
going is a 400 naming it. The run then moves on by itself on the emulator's clock (see
`run_lifecycle`). `include[]` takes the one value the spec lists; as the emulator runs no
file search, it adds nothing. Runs are answered by polling: `stream: true` is a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import assistant_checks as checks
from airflow_openai.emulator.assistants import run_lifecycle
from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.assistants.assistant_bodies import dumped, parse, response_format, tool_list
from airflow_openai.emulator.assistants.beta_header import assistants_v2
from airflow_openai.emulator.assistants.routes_assistants import assistant_or_404
from airflow_openai.emulator.assistants.routes_threads import new_thread
from airflow_openai.emulator.assistants.thread_bodies import (
    INCLUDABLE,
    CreateRunRequest,
    CreateThreadAndRunRequest,
    RunOptions,
    SubmitToolOutputsRequest,
)
from airflow_openai.emulator.assistants.thread_lookup import run_or_404, step_or_404, thread_or_404
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.list_query import ListQuery, list_query
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(dependencies=[Depends(assistants_v2)])

Include = Query(default=None, alias="include[]")


def _check_include(include: list[str] | None) -> None:
    for value in include or []:
        if value not in INCLUDABLE:
            raise bad_request(
                f"Invalid value for 'include[]': '{value}'. Supported values are: {list(INCLUDABLE)}.",
                param="include[]",
                code="invalid_value",
            )


def _no_stream(stream: bool | None) -> None:
    if stream:
        raise bad_request(
            "The emulator answers runs by polling only: 'stream' must be false or left out.",
            param="stream",
            code="invalid_value",
        )


def _settings(state: EmulatorState, assistant: Obj, request: RunOptions, extra: str | None) -> dict[str, Any]:
    """What the run shows for its model, instructions, tools and options: its own, else its assistant's."""
    model = checks.chat_model(state, request.model) if request.model else assistant["model"]
    tools = assistant["tools"] if request.tools is None else tool_list(request.tools)
    checks.check_tools(tools)
    if request.response_format is None:
        shown_format = assistant["response_format"]
    else:
        shown_format = response_format(request.response_format)
        checks.check_response_format(shown_format)
    choice = request.tool_choice if isinstance(request.tool_choice, str) else dumped(request.tool_choice)
    checks.check_tool_choice(choice, tools)
    truncation = {"type": "auto", "last_messages": None, **(dumped(request.truncation_strategy) or {})}
    checks.check_truncation(truncation)
    instructions = (assistant["instructions"] or "") if request.instructions is None else request.instructions
    if extra:
        instructions = f"{instructions}\n\n{extra}" if instructions else extra
    return {
        "model": model,
        "instructions": instructions,
        "tools": tools,
        "metadata": request.metadata or {},
        "temperature": assistant["temperature"] if request.temperature is None else request.temperature,
        "top_p": assistant["top_p"] if request.top_p is None else request.top_p,
        "max_prompt_tokens": request.max_prompt_tokens,
        "max_completion_tokens": request.max_completion_tokens,
        "truncation_strategy": truncation,
        "tool_choice": choice or "auto",
        "parallel_tool_calls": True if request.parallel_tool_calls is None else request.parallel_tool_calls,
        "response_format": shown_format,
    }


def _create(state: EmulatorState, thread_id: str, request: CreateRunRequest) -> Obj:
    with state.lock:
        thread = thread_or_404(state, thread_id)
        assistant = assistant_or_404(state, request.assistant_id)
        settings = _settings(state, assistant, request, request.additional_instructions)
        wanted = [
            checks.message(state, message, f"additional_messages[{index}]")
            for index, message in enumerate(request.additional_messages or [])
        ]
        active = run_lifecycle.active_run(state, thread_id)
        if active is not None:
            raise bad_request(f"Thread {thread_id} already has an active run {active['id']}.")
        for message in wanted:
            threads.add_message(state, thread_id, **message)
        return threads.render(run_lifecycle.create(state, thread, assistant, settings))


@router.post("/threads/runs")
async def create_thread_and_run(
    body: Any = Body(...), include: list[str] | None = Include, state: EmulatorState = Depends(emulator)
) -> Any:
    _check_include(include)
    request = parse(CreateThreadAndRunRequest, body)
    _no_stream(request.stream)
    return await run_in_threadpool(_create_with_thread, state, request)


def _create_with_thread(state: EmulatorState, request: CreateThreadAndRunRequest) -> Obj:
    with state.lock:
        assistant = assistant_or_404(state, request.assistant_id)
        settings = _settings(state, assistant, request, None)
        thread = new_thread(state, request.thread, "thread.", request.tool_resources)
        return threads.render(run_lifecycle.create(state, thread, assistant, settings))


@router.post("/threads/{thread_id}/runs")
async def create_run(
    thread_id: str,
    body: Any = Body(...),
    include: list[str] | None = Include,
    state: EmulatorState = Depends(emulator),
) -> Any:
    _check_include(include)
    request = parse(CreateRunRequest, body)
    _no_stream(request.stream)
    return await run_in_threadpool(_create, state, thread_id, request)


def _list(state: EmulatorState, thread_id: str, query: ListQuery) -> Any:
    thread_or_404(state, thread_id)
    return query.page(run_lifecycle.runs_of(state, thread_id), render=threads.render)


@router.get("/threads/{thread_id}/runs")
async def list_runs(
    thread_id: str, query: ListQuery = Depends(list_query), state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(_list, state, thread_id, query)


def _submit(state: EmulatorState, thread_id: str, run_id: str, request: SubmitToolOutputsRequest) -> Obj:
    run = run_or_404(state, thread_id, run_id)
    outputs = [(item.tool_call_id, item.output) for item in request.tool_outputs]
    return threads.render(run_lifecycle.submit_tool_outputs(state, run, outputs))


@router.post("/threads/{thread_id}/runs/{run_id}/submit_tool_outputs")
async def submit_tool_outputs(
    thread_id: str, run_id: str, body: Any = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(SubmitToolOutputsRequest, body)
    _no_stream(request.stream)
    return await run_in_threadpool(_submit, state, thread_id, run_id, request)


def _cancel(state: EmulatorState, thread_id: str, run_id: str) -> Obj:
    return threads.render(run_lifecycle.cancel(state, run_or_404(state, thread_id, run_id)))


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def cancel_run(thread_id: str, run_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(_cancel, state, thread_id, run_id)


def _steps(state: EmulatorState, thread_id: str, run_id: str, query: ListQuery) -> Any:
    run = run_or_404(state, thread_id, run_id)
    return query.page(run_lifecycle.steps(state, run), render=threads.render)


@router.get("/threads/{thread_id}/runs/{run_id}/steps")
async def list_run_steps(
    thread_id: str,
    run_id: str,
    include: list[str] | None = Include,
    query: ListQuery = Depends(list_query),
    state: EmulatorState = Depends(emulator),
) -> Any:
    _check_include(include)
    return await run_in_threadpool(_steps, state, thread_id, run_id, query)


@router.get("/threads/{thread_id}/runs/{run_id}/steps/{step_id}")
async def get_run_step(
    thread_id: str,
    run_id: str,
    step_id: str,
    include: list[str] | None = Include,
    state: EmulatorState = Depends(emulator),
) -> Any:
    _check_include(include)
    return threads.render(await run_in_threadpool(step_or_404, state, thread_id, run_id, step_id))
