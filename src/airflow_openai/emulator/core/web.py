"""Request-scoped access to the emulator state for route handlers."""

from __future__ import annotations

from fastapi import Request

from airflow_openai.emulator.core.state import EmulatorState


async def emulator(request: Request) -> EmulatorState:
    return request.app.state.emulator
