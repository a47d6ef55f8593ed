"""What every organization route takes the same way, declared once: the emulator state it acts on and
the JSON body it reads.

FastAPI reads where a parameter comes from out of its `Annotated` metadata, so a route says
`state: State` and `body: JsonBody` rather than repeating `= Depends(emulator)` and `= Body(...)`
in each of its signatures. The body stays a plain dict: every route reads it through
`core.strict.parse`, so a bad one is refused in the service's words, not in FastAPI's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

State = Annotated[EmulatorState, Depends(emulator)]
"""The emulator the request is made to."""

JsonBody = Annotated[dict[str, Any], Body()]
"""The request's JSON object, required, read strictly by the route."""
