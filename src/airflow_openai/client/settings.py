"""Where to send requests and with which credentials: plain values, resolved once by the hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from airflow_openai.client.identity.settings import WorkloadIdentitySettings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_API_HOST = "api.openai.com"
PLATFORM_DASHBOARD = "https://platform.openai.com"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class ClientSettings:
    """Credentials and endpoint for one OpenAI organization/project.

    `source` names where the values came from (a connection id) so that errors can
    point the user at the right place. Keys are hidden from `repr` so a settings
    object can be logged or shown in a traceback without leaking them.

    Two values are not about requests but come from the same connection, because they
    belong to the account it names: `dashboard_url`, the root of the web dashboard that
    shows its objects (the OpenAI platform for the real API, unknown — None — for any other
    host unless given), and `output_root`, the folder or object storage path where tasks
    on any worker can write and read results.

    `workload_identity`, when set, replaces `api_key`: every call but the admin ones
    (`/organization/*`, still `admin_api_key`) carries an access token exchanged for the
    workload's own identity (`airflow_openai.client.identity`).
    """

    api_key: str | None = field(default=None, repr=False)
    admin_api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    organization: str | None = None
    project: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    source: str = "settings"
    dashboard_url: str | None = None
    output_root: str | None = None
    workload_identity: WorkloadIdentitySettings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        dashboard = self.dashboard_url or (PLATFORM_DASHBOARD if self.is_openai_api else None)
        object.__setattr__(self, "dashboard_url", dashboard.rstrip("/") if dashboard else None)

    @property
    def is_openai_api(self) -> bool:
        """True for OpenAI's own API; a proxy, Azure or a local server has a dashboard of its own, if any."""
        return urlsplit(self.base_url).hostname == OPENAI_API_HOST
