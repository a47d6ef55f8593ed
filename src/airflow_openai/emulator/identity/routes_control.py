"""The token exchange's control plane (see `token_exchange`):

- `POST /_emulator/identity` `{"identity_provider_id", "service_account_id", "token_lifetime_seconds"}`:
  replace the configuration whole; a field left out or null accepts any id (the lifetime: 3600).
  The lifetime is in real seconds, whatever the clock's speed. Answers as `GET`.
- `GET /_emulator/identity`: the configuration, `effective_token_lifetime_seconds`,
  `tokens_issued` (exchanges that succeeded since the last reset) and `tokens_live`.
- `POST /_emulator/identity/expire`: every token issued so far expires now; answers `GET` plus `expired`.

`POST /_emulator/reset` forgets the configuration and every token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from airflow_openai.emulator.core.bodies import Forbidding, parse
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.identity import token_exchange

router = APIRouter(prefix="/_emulator")

Id = Annotated[str, Field(min_length=1)]


class IdentityRequest(Forbidding):
    identity_provider_id: Id | None = None
    service_account_id: Id | None = None
    token_lifetime_seconds: Annotated[int, Field(ge=1, le=86400)] | None = None


@router.post("/identity")
async def configure(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Configure the token exchange: `{"identity_provider_id", "service_account_id",
    "token_lifetime_seconds"}` (null: any id; 3600 real seconds)."""
    request = parse(IdentityRequest, body)
    return token_exchange.configure(
        state, request.identity_provider_id, request.service_account_id, request.token_lifetime_seconds
    )


@router.get("/identity")
async def identity(state: EmulatorState = Depends(emulator)) -> Any:
    """The token exchange's configuration and the tokens issued and live."""
    return token_exchange.describe(state)


@router.post("/identity/expire")
async def expire(state: EmulatorState = Depends(emulator)) -> Any:
    """Expire every access token issued so far (the next call with one gets a 401)."""
    expired = token_exchange.expire_all(state)
    return {**token_exchange.describe(state), "expired": expired}
