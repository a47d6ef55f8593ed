"""The emulator's ASGI app: the API under `/v1`, the control plane under `/_emulator`.

A thin ASGI layer in front of FastAPI does what the real service does before any
route: give every response an `x-request-id`, check the bearer key (admin keys only for
`/v1/organization/*`, and never elsewhere; an unexpired access token from `POST /oauth/token`
wherever a project key goes), apply rate limits and injected faults.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from airflow_openai.emulator import control
from airflow_openai.emulator.assistants import routes as assistants_api
from airflow_openai.emulator.assistants import routes_control as runs_control
from airflow_openai.emulator.assistants import routes_dashboard as thread_dashboard
from airflow_openai.emulator.batches import routes as batches
from airflow_openai.emulator.batches import routes_control as batches_control
from airflow_openai.emulator.batches import routes_dashboard as batch_dashboard
from airflow_openai.emulator.core import access_tokens
from airflow_openai.emulator.core import routes_dashboard as dashboard_index
from airflow_openai.emulator.core import routes_index as control_index
from airflow_openai.emulator.core.errors import EmulatorError, unauthorized
from airflow_openai.emulator.core.faults import Fault
from airflow_openai.emulator.core.lost_answers import (
    AnswerLost,
    act_then_fault,
    drop_mid_answer,
    fault_error,
    send_error,
)
from airflow_openai.emulator.core.slow_link import paced
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.files import routes as files
from airflow_openai.emulator.files import routes_dashboard as file_dashboard
from airflow_openai.emulator.files import routes_uploads as uploads
from airflow_openai.emulator.fine_tuning import fine_tuning_lifecycle
from airflow_openai.emulator.fine_tuning import routes as fine_tuning
from airflow_openai.emulator.fine_tuning import routes_control as fine_tuning_control
from airflow_openai.emulator.fine_tuning import routes_dashboard as fine_tuning_dashboard
from airflow_openai.emulator.identity import routes as identity
from airflow_openai.emulator.identity import routes_control as identity_control
from airflow_openai.emulator.inference import routes as inference
from airflow_openai.emulator.inference import routes_audio as audio
from airflow_openai.emulator.inference import routes_control as inference_control
from airflow_openai.emulator.inference import routes_image_files as image_files
from airflow_openai.emulator.inference import routes_images as images
from airflow_openai.emulator.inference import routes_models as models
from airflow_openai.emulator.inference import tuned_answers
from airflow_openai.emulator.organization import routes_audit_logs as audit_logs
from airflow_openai.emulator.organization import routes_control as organization_control
from airflow_openai.emulator.organization import routes_members as project_members
from airflow_openai.emulator.organization import routes_people as organization_people
from airflow_openai.emulator.organization import routes_projects as organization_projects
from airflow_openai.emulator.vector_stores import for_assistants
from airflow_openai.emulator.vector_stores import routes as vector_stores
from airflow_openai.emulator.vector_stores import routes_control as vector_stores_control
from airflow_openai.emulator.vector_stores import routes_dashboard as vector_store_dashboard
from airflow_openai.emulator.vector_stores import routes_file_batches as vector_store_file_batches
from airflow_openai.emulator.vector_stores import routes_files as vector_store_files

log = logging.getLogger(__name__)

ADMIN_KEY_PREFIX = "sk-admin-"
ADMIN_PATH_PREFIX = "/v1/organization"


def is_admin_path(path: str) -> bool:
    """`/v1/organization` and what lies under it, not `/v1/organizationX`."""
    return path == ADMIN_PATH_PREFIX or path.startswith(ADMIN_PATH_PREFIX + "/")


DASHBOARD_SECTIONS = (
    batch_dashboard.SECTION,
    fine_tuning_dashboard.SECTION,
    vector_store_dashboard.SECTION,
    thread_dashboard.SECTION,
    file_dashboard.SECTION,
)
"""What the dashboard's index (`/_emulator/dashboard`) links, in this order."""


def create_app(state: EmulatorState) -> Any:
    """The ASGI application serving `state`: each service's API routers under `/v1` (the token exchange at
    `/oauth/token`, as on `auth.openai.com`), the control plane
    and the services' own control routes and dashboards under `/_emulator`, and the seams between
    services registered on the state."""
    api = FastAPI(title="OpenAI platform emulator", openapi_url=None, docs_url=None, redoc_url=None)
    api.state.emulator = state
    for router in (
        files.router,
        uploads.router,
        batches.router,
        fine_tuning.router,
        models.router,
        inference.router,
        images.router,
        audio.router,
        vector_stores.router,
        vector_store_files.router,
        vector_store_file_batches.router,
        organization_people.router,
        organization_projects.router,
        project_members.router,
        audit_logs.router,
        assistants_api.router,
    ):
        api.include_router(router, prefix="/v1")
    for router in (
        control_index.router,
        control.router,
        inference_control.router,
        image_files.router,
        batches_control.router,
        fine_tuning_control.router,
        vector_stores_control.router,
        runs_control.router,
        organization_control.router,
        identity.router,
        identity_control.router,
        batch_dashboard.router,
        fine_tuning_dashboard.router,
        vector_store_dashboard.router,
        thread_dashboard.router,
        file_dashboard.router,
        dashboard_index.router(DASHBOARD_SECTIONS),
    ):
        api.include_router(router)
    connect_services(state)
    api.add_exception_handler(EmulatorError, _emulator_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(Exception, _unexpected_error)
    return Gate(api, state)


def connect_services(state: EmulatorState) -> None:
    """The seams between services (see `core.seams`): no service imports another, so what one asks of
    another is registered here, on the state both share."""
    state.seams.answer_first(tuned_answers.respond)
    state.seams.makes("model", fine_tuning_lifecycle.advance_all)
    state.seams.new_vector_store = for_assistants.new_store


def _envelope(error: EmulatorError) -> JSONResponse:
    return JSONResponse(error.envelope(), status_code=error.status, headers=error.headers)


async def _emulator_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmulatorError)
    return _envelope(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(location) or None
    kind = first.get("type", "")
    message = (
        f"Missing required parameter: '{param}'"
        if kind == "missing"
        else f"Invalid value for '{param}': {first.get('msg', '')}"
    )
    return _envelope(
        EmulatorError(
            400,
            message,
            param=param,
            code="missing_required_parameter" if kind == "missing" else "invalid_value",
        )
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = (
        f"Invalid URL ({request.method} {request.url.path})"
        if exc.status_code in (404, 405)
        else str(exc.detail)
    )
    return _envelope(EmulatorError(exc.status_code, message))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    return _envelope(EmulatorError(500, f"The emulator failed: {exc}", type="server_error"))


class Gate:
    """ASGI middleware: request ids, authentication, rate limits, fault injection and a simulated link."""

    def __init__(self, app: Any, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._serve(scope, receive, send_tracked)
        except AnswerLost:
            raise  # an injected fault: the connection is meant to drop
        except Exception as exc:
            # Starlette answers an unexpected error with the 500 envelope and then re-raises it,
            # which makes the server close the connection. The service keeps it open: so do we.
            log.exception("The emulator failed on %s %s", scope["method"], scope["path"])
            if not started:
                await send_error(
                    send_tracked, EmulatorError(500, f"The emulator failed: {exc}", type="server_error")
                )

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request_id = "req_" + secrets.token_hex(16)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        path: str = scope["path"]
        if not path.startswith("/v1/"):
            await self.app(scope, receive, send_with_id)
            return
        self.state.requests.count(scope["method"], path)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            key = self._authenticate(path, headers.get("authorization", ""))
            extra_headers, late_fault = await self._admit(scope["method"], path, key, send_with_id)
        except EmulatorError as error:
            await send_error(send_with_id, error)
            return

        async def send_with_limits(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and extra_headers:
                encoded = [(k.encode(), v.encode()) for k, v in extra_headers.items()]
                message["headers"] = [*message.get("headers", []), *encoded]
            await send_with_id(message)

        link = self.state.faults.link_bytes_per_second
        receive = paced(receive, link) if link else receive
        if late_fault is not None:
            await act_then_fault(self.app, scope, receive, send_with_limits, late_fault)
            return
        await self.app(scope, receive, send_with_limits)

    def _authenticate(self, path: str, authorization: str) -> str:
        """The bearer key (or access token) of a request allowed on `path`, else its 401 or 403."""
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise unauthorized(
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        key = key.strip()
        if not key.startswith("sk-"):
            # An access token from `POST /oauth/token` stands for a service account's project key.
            access_tokens.admit(self.state.store, key)
            if is_admin_path(path):
                raise EmulatorError(
                    403, "Organization endpoints require an admin API key.", code="insufficient_permissions"
                )
            return key
        is_admin_key = key.startswith(ADMIN_KEY_PREFIX)
        if is_admin_path(path) and not is_admin_key:
            raise EmulatorError(
                403, "Organization endpoints require an admin API key.", code="insufficient_permissions"
            )
        if is_admin_key and not is_admin_path(path):
            raise EmulatorError(
                403,
                "Admin API keys cannot be used for non-administration endpoints.",
                code="insufficient_permissions",
            )
        return key

    async def _admit(
        self, method: str, path: str, key: str, send: Any
    ) -> tuple[dict[str, str], Fault | None]:
        """Rate limit and faults that strike before the service acts; returns headers to add and a
        fault that strikes after it has acted (or None)."""
        allowed, limit_headers = self.state.faults.rate_limit(key)
        if not allowed:
            raise EmulatorError(
                429,
                "Rate limit reached for requests",
                type="requests",
                code="rate_limit_exceeded",
                headers=limit_headers,
            )
        fault = self.state.faults.take(method, path)
        if fault is None:
            return limit_headers, None
        if fault.acts_first:
            return limit_headers, fault
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.drop:
            await drop_mid_answer(send)
        if fault.status is None:
            return limit_headers, None
        raise fault_error(fault)
