"""Errors the emulator answers with, in the OpenAI error envelope and with the real status codes."""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    """An API error: rendered as `{"error": {"message", "type", "param", "code"}}` with `status`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        """The body; a message quoting what the request sent shows a lone surrogate escaped
        (`\\ud800`), as the service does, instead of failing to encode the answer."""
        return {
            "error": {
                "message": _printable(self.message),
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def bad_request(message: str, param: str | None = None, code: str | None = None) -> EmulatorError:
    return EmulatorError(400, message, param=param, code=code)


def not_found(kind: str, object_id: str) -> EmulatorError:
    return EmulatorError(404, f"No such {kind}: '{object_id}'", param="id", code=None)


def unauthorized(message: str) -> EmulatorError:
    return EmulatorError(401, message, code="invalid_api_key")
