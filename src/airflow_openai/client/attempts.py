"""What a retry of a create must do first: look for what an attempt whose answer was lost made.

Reads and deletes are simply repeated (`policy` decides whether and when). A create is
different: when its answer may have been lost after the server acted, sending it again
could make, and bill, a second object. `CallAttempts` keeps one call's history across its
attempts and tells both transports what the next attempt must do first.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.errors import AnswerLostError, APIConnectionError, APIStatusError

log = logging.getLogger(__name__)


def answer_may_be_lost(error: BaseException) -> bool:
    """The request may have reached the server and been acted on, but its answer did not arrive
    whole: a connection that dropped or timed out once the request was out, or a 5xx.

    A refusal (429, 408, 409, any 4xx) or a connection that was never made is not such a case.
    """
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    return False


class CallAttempts:
    """One call's history across its attempts, and so what the next attempt must do first.

    Both transports run this same decision: after an attempt whose answer may have been lost,
    an idempotent call is simply repeated; a create with a `reconcile` first looks for the
    object it may have made (and returns it if found); any other create is not repeated.
    """

    def __init__(self, call: ApiCall[Any]) -> None:
        self.call = call
        self.sent_at = time.time()
        self.lost: BaseException | None = None

    def failed(self, error: BaseException) -> None:
        """Record a failed attempt; raises `AnswerLostError` when the call must not be sent again."""
        if self.call.idempotent or not answer_may_be_lost(error):
            return
        self.lost = error
        if self.call.reconcile is None:
            raise AnswerLostError(
                f"{self.call.describe} was sent and its answer was lost ({error}); it is not sent again: the "
                "service may have done it, and charged for it, already, and that cannot be looked up"
            ) from error

    def worth_a_last_look(self, error: BaseException) -> bool:
        """After the last attempt failed: an answer was lost on the way, so what the create made may
        exist (the last answer lost, or a re-sent create refused because the first one went through)."""
        return (
            self.lost is not None
            and self.call.reconcile is not None
            and not isinstance(error, AnswerLostError)
        )

    @property
    def look_first(self) -> bool:
        """The next attempt must first look for what an earlier one may have made."""
        return self.lost is not None and self.call.reconcile is not None

    def found(self, obj: Any) -> Any:
        what = self.call.reconcile.what if self.call.reconcile is not None else "the object"
        log.warning(
            "The answer to %s was lost (%s), but the server had made %s: found %s, not creating another",
            self.call.describe,
            self.lost,
            what,
            getattr(obj, "id", obj),
        )
        return obj
