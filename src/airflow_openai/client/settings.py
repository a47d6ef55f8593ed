"""Where to send requests and with which credentials: plain values, resolved once by the hook."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class ClientSettings:
    """Credentials and endpoint for one OpenAI organization/project.

    `source` names where the values came from (a connection id) so that errors can
    point the user at the right place. Keys are hidden from `repr` so a settings
    object can be logged or shown in a traceback without leaking them.
    """

    api_key: str | None = field(default=None, repr=False)
    admin_api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    organization: str | None = None
    project: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    source: str = "settings"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
