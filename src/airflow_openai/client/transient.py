"""The one answer to "is this failure transient?": worth trying again after a pause.

Asked by the HTTP retry (`policy`, a few retries within seconds) and by every wait that
rides out an outage (`airflow_openai.outage.is_outage`, the same function, retried over
minutes): a failure that would pass by waiting is transient for both, and a failure that
would not is transient for neither, so a poll never gives up early on what a request would
have retried, nor retries for half an hour what a request would have raised at once.

Decided in this order:

1. The server's word wins: an `x-should-retry: true` or `false` header decides alone,
   whatever the status (the API sends it where the status alone would mislead).
2. A download whose body came whole-looking but of the wrong length
   (`IncompleteDownloadError`) is not transient here: the API answered, so it is no
   outage; the download itself tries again from the start (`policy.retried_download`).
3. A connection error or a timeout is transient: no answer came, the next may.
4. Among statuses, transient are 408 (request timeout), 409 (the API's lock conflicts: the
   object is busy with another change for a moment), 429 (rate limits, except the
   `LASTING_CODES`, a quota or budget used up, which no pause restores), 500, 502, 503
   and 504, and the 5xx no HTTP RFC defines (512 and up: what the proxies and CDNs in
   front of the API answer when it is unreachable, e.g. Cloudflare's 520-524).
   Not transient: 501 (not implemented) and the other 5xx the RFCs define (505-511), which
   name a lasting mismatch, and every other 4xx, which says the request itself is wrong.

A `WorkloadIdentityError` (no access token could be had) is transient when it says so: the
token exchange or a metadata server unreachable, or answering 429 or 5xx.

Anything else (an unreadable answer, a missing key, a lost create's `AnswerLostError`, a body
refused before sending for text that is not UTF-8, `UnencodableTextError`, an error that is
not about the API) is not transient. No Airflow import, and only the light
`errors` module: the outage waits import it on every DAG parse.
"""

from __future__ import annotations

from airflow_openai.client.errors import (
    APIConnectionError,
    APIStatusError,
    IncompleteDownloadError,
    WorkloadIdentityError,
)

TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
FIRST_UNDEFINED_5XX = 512
"""5xx from here on are defined by no HTTP RFC: a gateway's or CDN's own, in front of an unreachable API."""
LASTING_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
"""429 error codes that do not pass by waiting: the quota or the budget is used up."""


def is_transient(error: BaseException) -> bool:
    """True when `error` may well not happen again after a pause (see the module docstring)."""
    if isinstance(error, APIStatusError):
        advice = error.headers.get("x-should-retry")
        if advice is not None and advice.lower() in ("true", "false"):
            return advice.lower() == "true"
        status = error.status_code
        if status == 429:
            return error.code not in LASTING_CODES
        return status in TRANSIENT_STATUSES or FIRST_UNDEFINED_5XX <= status < 600
    if isinstance(error, IncompleteDownloadError):
        return False
    if isinstance(error, WorkloadIdentityError):
        return error.transient
    return isinstance(error, APIConnectionError)
