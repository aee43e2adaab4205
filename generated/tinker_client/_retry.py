"""When to retry and how long to wait: pure functions shared by the sync and async send loops."""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass

import httpx

__all__ = ["RetryPolicy"]

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter that honours the server's Retry-After, up to a cap.

    max_retries: retries after the first attempt (0 turns retrying off).
    initial_delay, max_delay: the backoff grows from `initial_delay` doubling to `max_delay`.
    max_retry_after: a longer Retry-After asked for by the server is cut to this.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, response: httpx.Response) -> bool:
        """Whether a response is worth another attempt: x-should-retry wins, then the status."""
        verdict = str(response.headers.get("x-should-retry", "")).strip().lower()
        if verdict in ("true", "false"):
            return verdict == "true"
        return response.status_code in RETRY_STATUSES or response.status_code >= 500

    def delay(self, retry: int, response: httpx.Response | None, now: float, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0-based), given the failed response."""
        asked = retry_after(response, now) if response is not None else None
        if asked is not None:
            return min(asked, self.max_retry_after)
        backoff = min(self.initial_delay * 2.0**retry, self.max_delay)
        return backoff * (1 - 0.25 * rng.random())


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds the server asked to wait (retry-after-ms, else retry-after: seconds or HTTP date)."""
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return max(float(headers["retry-after-ms"]) / 1000, 0.0)
    except ValueError:
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)
