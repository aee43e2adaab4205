"""Handles of long-running operations, resolved by polling `retrieve_future` (api-facts 1.7).

`Poller` decides everything about one future's polling (the next request, what an answer
means, how long to pause, when to give up) and is shared by both clients, whose loops only
send and sleep. A handle holds a `poll` callable and the options of the call that made it.

Poll answers are classified by the spec's shapes, not by the presence of a key: a `try_again`
answer is one that validates as `TryAgainResponse`, the metadata-only answer one that
validates as `FutureMetadataResponse`. An answer that validates as `RequestFailedResponse` is a
failure unless the expected result model declares an `error` field, or the answer also carries a
field the result model declares (beyond `error` and `category`): a result whose fields are all
optional validates `{"error": ..., "category": ...}` too, and must not turn a failure into a
success. Any other answer is the result when it validates as the expected result model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ._errors import (
    APIResponseValidationError,
    FutureExpiredError,
    FutureTimeoutError,
    RequestFailedError,
    TinkerError,
    parse_body,
    status_error,
)
from ._http import Budget, exchange_error, retryable
from ._response import validate
from ._retry import server_delay

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from ._clock import Clock
    from ._endpoint import RequestOptions
    from ._retry import RetryPolicy

T = TypeVar("T")

__all__ = ["AsyncFuture", "Future", "FutureSpec"]

RETRIEVE_PATH = "/api/v1/retrieve_future"
POLL_TIMEOUT = 45.0  # seconds one poll may take: the server holds it open while work runs
MAX_POLL_DELAY = 1.0
MAX_POLL_HINT = 10.0  # the longest pause a try_again answer's retry_after_ms may ask for
MAX_POLL_CONNECTION_ERRORS = 5


@dataclass(frozen=True)
class FutureSpec(Generic[T]):
    """What a long-running operation resolves to, and its X-Tinker-Request-Type."""

    result: type[T]
    request_type: str


@dataclass(frozen=True)
class Again:
    """Poll again after `delay` seconds (`full_payload`: then without `allow_metadata_only`)."""

    delay: float
    full_payload: bool = False


class _TryAgain(BaseModel):
    """The spec's TryAgainResponse."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: Literal["try_again"]
    request_id: str
    queue_state: str
    queue_state_reason: str | None = None
    retry_after_ms: Any = None  # read defensively: a bad hint means the usual pause


class _Metadata(BaseModel):
    """The spec's FutureMetadataResponse: the result is ready, this many bytes."""

    model_config = ConfigDict(extra="allow", strict=True)
    status: Literal["complete_metadata"]
    response_payload_size: int


class _Failed(BaseModel):
    """The spec's RequestFailedResponse."""

    model_config = ConfigDict(extra="allow", strict=True)
    error: str
    category: Literal["unknown", "server", "user"]


def _shape(model: type[BaseModel], body: object) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError:
        return None


class Poller(Generic[T]):
    """One future's polling, shared by the sync and async loops.

    build: makes the HTTP request of a poll (the client's headers, key and timeouts).
    """

    def __init__(
        self,
        spec: FutureSpec[T],
        request_id: str,
        build: Callable[[str, Mapping[str, str]], httpx.Request],
        budget: Budget,
        retry: RetryPolicy,
        clock: Clock,
    ) -> None:
        self.spec, self.request_id, self.budget = spec, request_id, budget
        self._build, self._retry, self._clock = build, retry, clock
        self.iteration = self.failures = 0
        self.metadata_only = True  # the first polls may be answered with the result's size only

    def request(self) -> httpx.Request:
        """The next poll; FutureTimeoutError once the deadline has passed."""
        body = json.dumps({"request_id": self.request_id, "allow_metadata_only": self.metadata_only})
        headers = {
            "X-Tinker-Request-Iteration": str(self.iteration),
            "X-Tinker-Request-Type": self.spec.request_type,
        }
        request = self._build(body, headers)
        self.budget.limit_timeout(request, httpx.Timeout(POLL_TIMEOUT))
        return request

    def failed(self, request: httpx.Request, exc: BaseException, closed: bool) -> Again:
        """Poll again after a connection error, unless there were too many in a row."""
        error = exchange_error(exc, request, closed)
        self.failures += 1
        if not retryable(error) or self.failures >= MAX_POLL_CONNECTION_ERRORS:
            raise error from exc
        return Again(self._retry.delay(self.failures - 1, None, self._clock.now(), self._clock.jitter))

    def answered(self, response: httpx.Response) -> T | Again:
        """The result, or when to poll again, from one poll answer; raise when it failed."""
        self.failures = 0
        clock = self._clock
        step = poll_step(
            self.spec,
            self.request_id,
            self.iteration,
            response,
            self._retry,
            clock.now(),
            clock.jitter,
            metadata_only=self.metadata_only,
        )
        if isinstance(step, Again) and step.full_payload:
            self.metadata_only = False
        return step

    def pause(self, step: Again) -> float:
        """Seconds to sleep before the next poll, never past the deadline."""
        self.iteration += 1
        remaining = self.budget.remaining(httpx.Request("POST", RETRIEVE_PATH))
        return step.delay if remaining is None else min(step.delay, remaining)


def poll_step(
    spec: FutureSpec[T],
    request_id: str,
    iteration: int,
    response: httpx.Response,
    policy: RetryPolicy,
    now: float,
    jitter: Callable[[], float] | random.Random,
    metadata_only: bool = False,
) -> T | Again:
    """The result, or when to poll again, from one poll answer (of `retrieve_future`, or one
    entry of a batch poll); raise when it failed. `jitter` may also be a `random.Random`."""
    if isinstance(jitter, random.Random):
        jitter = jitter.random
    status = response.status_code
    if response.is_success:
        return _classify(spec, request_id, iteration, response, metadata_only)
    if status == 408:
        return Again(0.0)
    if status == 410:
        raise FutureExpiredError(response, parse_body(response), request_id)
    if status == 429:
        return Again(policy.delay(min(iteration, 6), response, now, jitter))
    if status >= 500:
        return Again(poll_delay(iteration))
    raise status_error(response)


def _classify(
    spec: FutureSpec[T], request_id: str, iteration: int, response: httpx.Response, metadata_only: bool
) -> T | Again:
    body = parse_body(response)
    again = _shape(_TryAgain, body)
    if again is not None:
        hint = server_delay(again.retry_after_ms, 0.001, MAX_POLL_HINT)
        return Again(poll_delay(iteration) if hint is None else hint)
    if metadata_only and _shape(_Metadata, body) is not None:
        return Again(0.0, full_payload=True)
    failed = _shape(_Failed, body)
    if failed is not None and not _result_evidence(spec.result, body):
        raise RequestFailedError(request_id, failed.error, failed.category, response.request)
    try:
        return validate(spec.result, response)
    except APIResponseValidationError:
        if failed is None:
            raise
    raise RequestFailedError(request_id, failed.error, failed.category, response.request)


_FAILURE_KEYS = frozenset(_Failed.model_fields)


def _result_evidence(result: type[Any], body: object) -> bool:
    """Whether a failure-shaped `body` may still be a result: the result model declares `error`,
    or `body` carries one of the result's own fields (by name or alias)."""
    fields = getattr(result, "model_fields", {})
    declared = set(fields) | {f.alias for f in fields.values() if f.alias}
    keys = set(body) if isinstance(body, dict) else set()
    return "error" in declared or bool((declared - _FAILURE_KEYS) & keys)


def poll_delay(iteration: int) -> float:
    """Pause between polls: the server holds each poll open, so this stays short."""
    return min(0.05 * 2.0 ** min(iteration, 10), MAX_POLL_DELAY)


def future_timeout(request_id: str, seconds: float | None) -> Callable[[httpx.Request], TinkerError]:
    return lambda request: FutureTimeoutError(request_id, seconds or 0.0, request)


class _Handle(Generic[T]):
    """What both handles hold: `request_id`, and `initial`, the server's first answer."""

    def __init__(self, poll: Any, spec: FutureSpec[T], initial: Any, options: RequestOptions) -> None:
        request_id = getattr(initial, "request_id", None)
        if not isinstance(request_id, str) or not request_id:
            raise ValueError("a future needs a non-empty request_id")
        self._poll = poll
        self._spec = spec
        self._options = options
        self.initial = initial
        self.request_id: str = request_id
        self._done = False
        self._value: T | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.request_type} request_id={self.request_id!r}>"


class Future(_Handle[T]):
    """A long-running operation. `result()` polls until it resolves (blocking)."""

    _poll: Callable[[FutureSpec[T], str, RequestOptions, float | None], T]

    def result(self, timeout: float | None = None) -> T:
        """The result; FutureTimeoutError if `timeout` seconds (default: the future deadline) pass first.

        After a FutureTimeoutError, calling `result()` again polls on.
        """
        if not self._done:
            self._value = self._poll(self._spec, self.request_id, self._options, timeout)
            self._done = True
        return self._value  # type: ignore[return-value]


class AsyncFuture(_Handle[T]):
    """A long-running operation; `await future` or `await future.result(timeout=...)`."""

    _poll: Callable[[FutureSpec[T], str, RequestOptions, float | None], Awaitable[T]]

    async def result(self, timeout: float | None = None) -> T:
        """The result; FutureTimeoutError if `timeout` seconds (default: the future deadline) pass first."""
        if not self._done:
            self._value = await self._poll(self._spec, self.request_id, self._options, timeout)
            self._done = True
        return self._value  # type: ignore[return-value]

    def __await__(self) -> Generator[Any, None, T]:
        return self.result().__await__()
