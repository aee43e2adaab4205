"""Handles of long-running operations, resolved by polling `retrieve_future` (api-facts 1.7).

`poll_step` decides what one poll answer means and is shared by both handles; the poll
loops themselves live in the clients (`SyncAPIClient._poll`, `AsyncAPIClient._poll`).
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._errors import FutureExpiredError, RequestFailedError, parse_body, status_error
from ._response import validate
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

T = TypeVar("T")

__all__ = ["AsyncFuture", "Future", "FutureSpec"]

RETRIEVE_PATH = "/api/v1/retrieve_future"
POLL_TIMEOUT = 45.0  # seconds one poll may take: the server holds it open while work runs
MAX_POLL_DELAY = 1.0


@dataclass(frozen=True)
class FutureSpec(Generic[T]):
    """What a long-running operation resolves to, and its X-Tinker-Request-Type."""

    result: type[T]
    request_type: str


@dataclass(frozen=True)
class Again:
    """Poll again after `delay` seconds."""

    delay: float


def poll_step(
    spec: FutureSpec[T],
    request_id: str,
    iteration: int,
    response: httpx.Response,
    policy: RetryPolicy,
    now: float,
    rng: random.Random,
) -> T | Again:
    """The result, or when to poll again, from one poll answer; raise when it failed."""
    status = response.status_code
    if response.is_success:
        body = parse_body(response)
        if isinstance(body, dict):
            if body.get("type") == "try_again":
                hint = body.get("retry_after_ms")
                return Again(hint / 1000 if isinstance(hint, int) and hint >= 0 else poll_delay(iteration))
            if "error" in body:
                raise RequestFailedError(request_id, str(body["error"]), str(body.get("category", "unknown")))
        return validate(spec.result, response)
    if status == 408:
        return Again(0.0)
    if status == 410:
        raise FutureExpiredError(response, parse_body(response), request_id)
    if status == 429:
        return Again(policy.delay(min(iteration, 6), response, now, rng))
    if status >= 500:
        return Again(poll_delay(iteration))
    raise status_error(response)


def poll_delay(iteration: int) -> float:
    """Pause between polls: the server holds each poll open, so this stays short."""
    return min(0.05 * 2.0**iteration, MAX_POLL_DELAY)


class _Handle(Generic[T]):
    """What both handles hold: `request_id`, and `initial`, the server's first answer."""

    def __init__(self, client: Any, spec: FutureSpec[T], initial: Any) -> None:
        self._client = client
        self._spec = spec
        self.initial = initial
        self.request_id: str = initial.request_id
        self._done = False
        self._value: T | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.request_type} request_id={self.request_id!r}>"


class Future(_Handle[T]):
    """A long-running operation. `result()` polls until it resolves (blocking)."""

    _client: SyncAPIClient

    def result(self, timeout: float | None = None) -> T:
        """The result; raise FutureTimeoutError if `timeout` seconds pass first."""
        if not self._done:
            self._value = self._client._poll(self._spec, self.request_id, timeout)
            self._done = True
        return self._value  # type: ignore[return-value]


class AsyncFuture(_Handle[T]):
    """A long-running operation; `await future` or `await future.result(timeout=...)`."""

    _client: AsyncAPIClient

    async def result(self, timeout: float | None = None) -> T:
        """The result; raise FutureTimeoutError if `timeout` seconds pass first."""
        if not self._done:
            self._value = await self._client._poll(self._spec, self.request_id, timeout)
            self._done = True
        return self._value  # type: ignore[return-value]

    def __await__(self) -> Generator[Any, None, T]:
        return self.result().__await__()
