"""An assistant with one function tool, answered by a Python callable in the worker.

`make_assistant` creates (once per run) a support assistant that can look orders up; `ask`
asks it about an order and waits in the triggerer. When the run needs the tool's output,
the task resumes in a worker, `order_status` answers from "our" order system, the outputs go
back, and the task defers again until the assistant has answered. The answer and the usage
are in the task's XCom. Runs unchanged against the real API or the local emulator
(`make demo`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_openai.operators.runs import OpenAIAssistantRunOperator

ORDERS = {"ORD-1234": {"status": "shipped", "carrier": "DHL", "eta": "2026-12-02"}}
ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "order_status",
        "description": "Look up where a customer's order is.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "description": "like ORD-1234"}},
            "required": ["order_id"],
            "additionalProperties": False,
        },
    },
}


def order_status(tool_call: dict[str, Any]) -> str:
    """Answer the assistant's `order_status` call from the order system (here, a dict)."""
    arguments = json.loads(tool_call["arguments"] or "{}")
    found = re.search(r"ORD-[0-9]{4}", str(arguments.get("order_id", "")))  # models add words at times
    order_id = found.group(0) if found else None
    return json.dumps({"order_id": order_id, **ORDERS.get(order_id or "", {"status": "unknown order"})})


with DAG(
    dag_id="example_openai_runs",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"question": Param("Where is my order ORD-1234? Use order_status.", type="string")},
    tags=["openai", "example", "assistants"],
) as dag:

    @task
    def make_assistant() -> str:
        """A support assistant that may call `order_status`."""
        from airflow_openai.hooks.openai import OpenAIHook

        with OpenAIHook() as hook:
            assistant = hook.create_assistant(
                "gpt-4o-mini",
                name="Order support",
                instructions="Answer questions about orders. Look orders up with order_status.",
                tools=[ORDER_TOOL],
            )
        return str(assistant.id)

    OpenAIAssistantRunOperator(
        task_id="ask",
        assistant_id=make_assistant(),
        messages="{{ params.question }}",
        tool_handler=order_status,
        deferrable=True,
        poll_interval=1.0,
    )
