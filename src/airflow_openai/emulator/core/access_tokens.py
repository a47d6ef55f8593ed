"""Access tokens the gate accepts beside API keys: the contract between the gate and the service that
issues them (`identity`, the workload identity token exchange at `POST /oauth/token`).

The issuer stores each token in the store under `KIND`, its id the token itself, with
`expires_at` in wall-clock Unix seconds (`time.time()`): a token's lifetime is real seconds,
not emulated ones, so the emulator clock's speed (60x by default) and `advance` leave it
alone, as they leave the SDK's own timer (which counts real seconds) alone. The gate
reads the store here and never imports the issuer.
"""

from __future__ import annotations

import time

from airflow_openai.emulator.core.errors import unauthorized
from airflow_openai.emulator.core.store import Store

KIND = "access_token"


def admit(store: Store, token: str) -> None:
    """Accept `token` if the issuer made it and it has not expired; else the 401 of a bad key."""
    held = store.get(KIND, token)
    if held is None:
        raise unauthorized("Incorrect API key provided.")
    if time.time() >= float(held["expires_at"]):
        raise unauthorized(
            "The access token has expired. Exchange a new subject token at /oauth/token for another."
        )
