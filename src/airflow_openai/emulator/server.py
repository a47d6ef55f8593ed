"""Running the emulator: in-process on a free port (`with Emulator() as emu:`) or as a command.

airflow-openai-emulator --host 127.0.0.1 --port 8089 --data-dir /tmp/emu --speed 60
"""

from __future__ import annotations

import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from airflow_openai.emulator.app import create_app
from airflow_openai.emulator.core import command_line
from airflow_openai.emulator.core.answers import Responder
from airflow_openai.emulator.core.request_log import matching
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.inference.responder import builtin_responder, load_responder, upstream_responder

DEFAULT_SPEED = 60.0
PROJECT_KEY = "sk-emulator-project-key-0000000000000000"
ADMIN_KEY = "sk-admin-emulator-key-000000000000000000"


class Emulator:
    """A local OpenAI platform server in a background thread.

    ``with Emulator() as emu:`` gives ``emu.base_url`` (ends in ``/v1``) and keys it
    accepts; the control-plane helpers (``advance``, ``fault``, ``force_batch``...) act on it.

    Model calls (direct, and batch lines) with a body field the API description (2.3.0) does not
    define are refused as the service refuses them (400, ``Unrecognized request argument supplied:
    <name>``); ``accept_fields`` names fields the built-in model takes anyway, for a DAG that sends
    a parameter the API added later (the operators' ``extra_body``). A ``responder`` of one's own
    decides for itself, so the two exclude each other.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        speed: float = DEFAULT_SPEED,
        host: str = "127.0.0.1",
        port: int = 0,
        responder: Responder | None = None,
        seed: int | None = None,
        accept_fields: Iterable[str] = (),
    ) -> None:
        accept_fields = tuple(accept_fields)
        if responder is not None and accept_fields:
            raise ValueError(
                "accept_fields is for the built-in model: a responder of your own decides for itself"
            )
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="openai-emulator-")
        self.data_dir = Path(data_dir or self._tmp.name)  # type: ignore[union-attr]
        self.state = EmulatorState.open(
            self.data_dir, speed=speed, responder=responder or builtin_responder(accept_fields), seed=seed
        )
        self.host = host
        self.port = port or _free_port(host)
        config = uvicorn.Config(
            create_app(self.state),
            host=host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openai-emulator", daemon=True)
        self.api_key = PROJECT_KEY
        self.admin_key = ADMIN_KEY
        self._control: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def dashboard_url(self) -> str:
        """The root of the emulator's dashboard pages (batches, fine-tuning jobs, vector stores), standing
        in for platform.openai.com."""
        return f"{self.url}/_emulator/dashboard"

    @property
    def token_url(self) -> str:
        """The workload identity token exchange (`https://auth.openai.com/oauth/token` on the service)."""
        return f"{self.url}/oauth/token"

    def connection(self, conn_type: str = "openai_platform") -> dict[str, Any]:
        """An Airflow connection (JSON form) pointing at this emulator; task links open its dashboard."""
        return {
            "conn_type": conn_type,
            "host": self.base_url,
            "password": self.api_key,
            "extra": {"admin_api_key": self.admin_key, "dashboard_url": self.dashboard_url},
        }

    def start(self) -> Emulator:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.url}")
            time.sleep(0.01)
        self._control = httpx.Client(base_url=self.url + "/_emulator", timeout=30)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        if self._control is not None:
            self._control.close()
        self.state.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- control plane -----------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        assert self._control is not None, "start the emulator first"
        response = self._control.post(path, json=body or {})
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Forget every object and fault."""
        self._post("/reset")

    def seed(self, seed: int) -> None:
        """Make the ids that follow repeatable."""
        self._post("/seed", {"seed": seed})

    def advance(self, seconds: float) -> float:
        """Move emulated time forward; returns the new emulated Unix time."""
        return self._post("/clock", {"advance": seconds})["now"]

    def set_speed(self, speed: float) -> None:
        self._post("/clock", {"speed": speed})

    def set_line_time(self, seconds_per_line: float) -> None:
        """How long, in emulated seconds, each batch line takes (default 0.06)."""
        self._post("/clock", {"seconds_per_line": seconds_per_line})

    def force_batch(self, batch_id: str, status: str) -> dict[str, Any]:
        return self._post(f"/state/batch/{batch_id}", {"status": status})

    def force_fine_tuning(self, job_id: str, status: str) -> dict[str, Any]:
        """Move a fine-tuning job on to `status` (queued, running, succeeded, failed, cancelled) now."""
        return self._post(f"/state/fine_tuning/{job_id}", {"status": status})

    def fail_fine_tuning(
        self,
        job_id: str | None = None,
        *,
        at_step: int = 1,
        message: str = "The job failed due to an internal error.",
        code: str = "internal_error",
    ) -> dict[str, Any]:
        """Make fine-tuning job `job_id` (the next one created, when None) fail at step `at_step`
        (its last step if it has fewer) with `error: {code, message, param: null}`."""
        body = {"job_id": job_id, "at_step": at_step, "message": message, "code": code}
        return self._post("/faults/fine_tuning", body)

    def fail_vector_store_file(
        self,
        file_id: str | None = None,
        *,
        filename: str | None = None,
        code: str = "server_error",
        message: str = "The file could not be processed due to a server error.",
    ) -> dict[str, Any]:
        """Make the next attachment of a matching file to a vector store end `failed` with
        `last_error: {code, message}` (code: server_error, unsupported_file or invalid_file). The file
        matches by id, by the filename it was uploaded with, or both; with neither, the next file
        attached fails. Each call fails one attachment; `reset` and `clear_faults` drop pending ones."""
        body = {"file_id": file_id, "filename": filename, "code": code, "message": message}
        return self._post("/faults/vector_store_files", body)

    def fail_run(
        self, run_id: str | None = None, *, code: str = "server_error", message: str | None = None
    ) -> dict[str, Any]:
        """Make Assistants API run `run_id` (the next one created, when None) fail when its current or next
        turn of work ends, with `last_error: {code, message}` (code: server_error, rate_limit_exceeded or
        invalid_prompt; the service's message for it by default). A run waiting for tool outputs fails once
        they are submitted; to make it expire instead, advance the clock past its `expires_at` (600 s)."""
        return self._post("/faults/runs", {"run_id": run_id, "code": code, "message": message})

    def fault(
        self, path: str, *, method: str = "*", status: int | None = 500, count: int = 1, **options: Any
    ) -> None:
        """Answer the next `count` requests to `path` (a glob such as ``/v1/batches/*``) with a fault."""
        self._post("/faults", {"path": path, "method": method, "status": status, "count": count, **options})

    def clear_faults(self) -> None:
        assert self._control is not None
        self._control.delete("/faults").raise_for_status()

    def rate_limit(self, requests_per_minute: int | None) -> None:
        self._post("/rate_limit", {"requests_per_minute": requests_per_minute})

    def limit_inference(
        self,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        *,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Rate-limit model calls (chat, completions, embeddings, moderations, images, audio) per key, as the
        service does: each key (or only `key`) gets these requests and tokens per minute, answered with
        `x-ratelimit-*` headers and, past them, 429 `rate_limit_exceeded` with `retry-after`. None lifts a
        limit. Returns the limits now set."""
        body = {
            "requests_per_minute": requests_per_minute,
            "tokens_per_minute": tokens_per_minute,
            "key": key,
        }
        return self._post("/rate_limits", body)

    def set_latency(self, latency_ms: int) -> None:
        """Add this many milliseconds to every model call admitted (0 removes it)."""
        self._post("/latency", {"latency_ms": latency_ms})

    def requests(self, path: str = "*", method: str = "*") -> int:
        """API requests received since the last reset whose method and path match these globs,
        e.g. ``emu.requests("/v1/files/*/content", method="GET")``."""
        assert self._control is not None, "start the emulator first"
        response = self._control.get("/requests")
        response.raise_for_status()
        return matching(response.json()["requests"], path, method)

    def link(self, megabytes_per_second: float | None) -> None:
        """Carry each request body no faster than this (one connection over a long link); None lifts the cap."""
        self._post("/link", {"megabytes_per_second": megabytes_per_second})

    # -- workload identity (see `identity.routes_control`) --------------------------------------------------

    def configure_identity(
        self,
        identity_provider_id: str | None = None,
        service_account_id: str | None = None,
        token_lifetime_seconds: int | None = None,
    ) -> dict[str, Any]:
        """What `POST /oauth/token` (`token_url`) accepts: only these ids (None: any) and access tokens living
        `token_lifetime_seconds` real seconds (None: 3600), whatever the clock's speed. Replaces the previous
        configuration; `reset` forgets it. Returns `identity()`."""
        body = {
            "identity_provider_id": identity_provider_id,
            "service_account_id": service_account_id,
            "token_lifetime_seconds": token_lifetime_seconds,
        }
        return self._post("/identity", body)

    def identity(self) -> dict[str, Any]:
        """The token exchange's configuration, `effective_token_lifetime_seconds`, `tokens_issued` since the
        last reset and `tokens_live` (unexpired)."""
        assert self._control is not None, "start the emulator first"
        response = self._control.get("/identity")
        response.raise_for_status()
        return response.json()

    def expire_tokens(self) -> int:
        """Every access token issued so far expires now (the next call with one gets a 401); returns how many."""
        return self._post("/identity/expire")["expired"]

    # -- organization (see `organization.routes_control`) ----------------------------------------------------

    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        """The invitee accepts invite `invite_id`: returns ``{"invite", "user"}`` with the new organization
        user, and logs `invite.accepted` and `user.added` in their session."""
        return self._post(f"/organization/invites/{invite_id}/accept")

    def audit_event(
        self,
        type: str,
        *,
        email: str | None = None,
        project_id: str | None = None,
        payload: dict[str, Any] | None = None,
        effective_at: int | None = None,
    ) -> dict[str, Any]:
        """Write an audit log entry of `type` as if it had happened (at `effective_at`, now by default): by
        the user with `email` in a session, or else by the admin key (logins and logouts: the owner's
        session), scoped to `project_id` if given, with `payload` under the type's key. Returns the entry."""
        body = {"type": type, "email": email, "project_id": project_id, "payload": payload}
        return self._post("/organization/audit_logs", {**body, "effective_at": effective_at})

    def login(
        self, email: str | None = None, *, succeeded: bool = True, effective_at: int | None = None
    ) -> dict[str, Any]:
        """Log `login.succeeded` (or `login.failed`) for the user with `email` (the owner by default)."""
        kind = "login.succeeded" if succeeded else "login.failed"
        return self.audit_event(kind, email=email, effective_at=effective_at)

    def seed_organization_activity(
        self, hours: int = 24, events_per_hour: int = 10, *, seed: int | None = 0
    ) -> dict[str, Any]:
        """Fill the audit log's past: `events_per_hour` entries in each of the last `hours` hours (logins,
        logouts, API key and settings changes by the organization's users), repeatable for a `seed`.
        Returns ``{"written", "since", "until"}``."""
        body = {"hours": hours, "events_per_hour": events_per_hour, "seed": seed}
        return self._post("/organization/activity", body)


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = command_line.parser(default_speed=DEFAULT_SPEED)
    args = parser.parse_args(argv)
    if args.responder and args.upstream:
        parser.error("--responder and --upstream exclude each other")
    if args.accept_field and (args.responder or args.upstream):
        parser.error(
            "--accept-field is for the built-in model: --responder and --upstream decide for themselves"
        )
    responder = load_responder(args.responder) if args.responder else None
    if args.upstream:
        responder = upstream_responder(args.upstream, args.upstream_key)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    state = EmulatorState.open(
        Path(args.data_dir),
        speed=args.speed,
        responder=responder or builtin_responder(args.accept_field),
        seed=args.seed,
    )
    if args.link_mb_per_second:
        state.faults.link_bytes_per_second = args.link_mb_per_second * 1e6
    root = f"http://{args.host}:{args.port}"
    print(
        f"OpenAI emulator on {root}/v1 (data in {args.data_dir}, speed x{args.speed:g}); "
        f"control plane {root}/_emulator/, dashboard {root}/_emulator/dashboard",
        flush=True,
    )
    uvicorn.run(
        create_app(state),
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="off",
        interface="asgi3",
        access_log=False,
    )


if __name__ == "__main__":
    main()
