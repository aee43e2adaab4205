"""When to retry and how long to wait: pure functions shared by the sync and async send loops.

Every delay a server supplies (Retry-After, retry-after-ms, a poll's retry_after_ms) is read
defensively: a value that is not a finite, non-negative number is ignored, and a long one is
cut to a cap, so no answer can crash a loop or park it for an hour.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

__all__ = ["RetryPolicy", "http_date", "server_delay"]

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

    def delay(
        self,
        retry: int,
        response: httpx.Response | None,
        now: float,
        jitter: Callable[[], float] | random.Random,
    ) -> float:
        """Seconds to wait before retry number `retry` (0-based), given the failed response.

        `jitter` gives numbers in [0, 1): a Clock's `jitter`, or a `random.Random`."""
        if isinstance(jitter, random.Random):
            jitter = jitter.random
        asked = retry_after(response, now, self.max_retry_after) if response is not None else None
        if asked is not None:
            return asked
        backoff = min(self.initial_delay * 2.0 ** min(retry, 30), self.max_delay)
        return backoff * (1 - 0.25 * jitter())


def server_delay(value: object, scale: float, cap: float) -> float | None:
    """`value` (a number or numeric text) times `scale`, in [0, cap]; None when unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    seconds = float(value) * scale
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def retry_after(response: httpx.Response, now: float, cap: float) -> float | None:
    """Seconds the server asked to wait (retry-after-ms, else retry-after: seconds or HTTP date)."""
    headers = response.headers
    asked = server_delay(headers.get("retry-after-ms"), 0.001, cap)
    if asked is not None:
        return asked
    value = headers.get("retry-after")
    if value is None:
        return None
    asked = server_delay(value, 1.0, cap)
    if asked is not None:
        return asked
    when = http_date(value)
    return None if when is None else min(max(when.timestamp() - now, 0.0), cap)


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (any of its three forms) as an aware datetime; None when unreadable.

    The obsolete forms carry no zone; HTTP dates are always GMT, so they are read as UTC.
    """
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
