"""Waiting, decided once for the whole workflow layer: when to try again, how long, and why.

Where a request cannot go on (HTTP 402, 408, 429, 5xx, a broken connection, a paused queue,
a future that expired on a poll) the workflow layer waits and tries again. Every wait is
logged with its reason (a changed reason as a warning), and the time one request spends
waiting is bounded by `WaitPolicy.deadline`: past it, `WaitDeadlineError` says what it
waited for. A request that is running is not waiting: `result(timeout=...)` bounds that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._endpoint import RequestOptions
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    RequestFailedError,
    TinkerError,
    status_error,
)
from ._futures import _Failed, _result_evidence, _shape, _TryAgain
from ._response import validate
from ._workflow_loop import QueueState

if TYPE_CHECKING:
    import httpx

    from ._client import AsyncTinker

T = TypeVar("T")

__all__ = ["SessionEndedError", "WaitDeadlineError", "WaitPolicy", "Waits", "call_with_waits", "poll_result", "run_request"]

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)

POLL_TIMEOUT = 45.0  # the server holds a poll open while the work runs
MAX_EXPIRED_RESUBMITS = 3


class SessionEndedError(TinkerError):
    """The server ended this client's session; create a new ServiceClient."""

    def __init__(self, session_id: str, detail: str) -> None:
        super().__init__(f"session {session_id} was ended by the server ({detail}); create a new ServiceClient")
        self.session_id = session_id
        self.detail = detail


class WaitDeadlineError(TinkerError, TimeoutError):
    """A request waited longer than `WaitPolicy.deadline` for a reason it could not change."""

    def __init__(self, what: str, reason: str, waited: float) -> None:
        super().__init__(f"{what}: gave up after waiting {waited:.0f} s ({reason})")
        self.what = what
        self.reason = reason
        self.waited = waited


class ExpiredFuture(Exception):
    """A poll answered 410: the request must be submitted again."""


@dataclass(frozen=True)
class WaitPolicy:
    """`deadline`: seconds one request may spend waiting in total (None: no limit).

    `max_delay`: the longest single pause; `heartbeat_interval`: seconds between heartbeats.
    """

    deadline: float | None = 3600.0
    max_delay: float = 30.0
    heartbeat_interval: float = 10.0


class Waits:
    """The waiting of one request: total time, the last reason, the deadline."""

    def __init__(self, what: str, policy: WaitPolicy, ended: Callable[[str], None] | None = None) -> None:
        self.what = what
        self.policy = policy
        self.ended = ended  # called (and raises SessionEndedError) when the session is gone
        self.waited = 0.0
        self.reason: str | None = None
        self.attempt = 0

    def backoff(self) -> float:
        return min(0.5 * 2.0 ** min(self.attempt, 10), self.policy.max_delay)

    async def pause(self, reason: str, delay: float | None = None) -> None:
        """Log and sleep `delay` (else the backoff); WaitDeadlineError past the deadline."""
        delay = self.backoff() if delay is None else min(delay, self.policy.max_delay)
        deadline = self.policy.deadline
        if deadline is not None and self.waited + delay > deadline:
            raise WaitDeadlineError(self.what, reason, self.waited)
        level = logging.WARNING if reason != self.reason else logging.INFO
        logger.log(level, "%s: waiting %.1f s: %s", self.what, delay, reason)
        self.reason = reason
        self.attempt += 1
        self.waited += delay
        await asyncio.sleep(delay)


def wait_reason(exc: BaseException) -> tuple[str, float | None] | None:
    """Why `exc` is worth waiting out (and how long, None: backoff), or None to raise it."""
    if isinstance(exc, APIStatusError):
        status = exc.status_code
        if status == 402:
            return "paused: billing (HTTP 402)", None
        if status == 429:
            return "paused: rate limit (HTTP 429)", _retry_after(exc.headers)
        if status in (408, 409) or status >= 500:
            return f"server busy (HTTP {status})", None
        return None
    if isinstance(exc, APIConnectionError):
        return f"connection problem ({exc.message})", None
    return None


async def call_with_waits(
    call: Callable[[RequestOptions], Awaitable[T]], waits: Waits, headers: dict[str, str] | None = None
) -> T:
    """`call(options)` until it answers; all attempts share one idempotency key."""
    options: RequestOptions = {"max_retries": 0, "idempotency_key": os.urandom(16).hex()}
    if headers:
        options["headers"] = headers
    while True:
        try:
            return await call(options)
        except (APIStatusError, APIConnectionError) as exc:
            if isinstance(exc, APIStatusError) and exc.status_code == 410 and waits.ended is not None:
                waits.ended(f"{waits.what} answered HTTP 410")
            decision = wait_reason(exc)
            if decision is None:
                raise
            await waits.pause(*decision)


async def poll_result(
    client: AsyncTinker,
    request_id: str,
    result_type: type[T],
    request_type: str,
    queue: QueueState,
    waits: Waits,
) -> T:
    """Poll `retrieve_future` until the result; queue states recorded; ExpiredFuture on 410."""
    iteration = 0
    while True:
        headers = {"X-Tinker-Request-Iteration": str(iteration), "X-Tinker-Request-Type": request_type}
        options: RequestOptions = {"max_retries": 0, "timeout": POLL_TIMEOUT, "headers": headers}
        iteration += 1
        try:
            raw = await client.with_raw_response.futures.retrieve(request_id=request_id, options=options)
        except APIConnectionError as exc:
            await waits.pause(f"connection problem while polling ({exc.message})")
            continue
        body = _json(raw.content)
        if raw.status_code == 410:
            raise ExpiredFuture(request_id)
        if raw.status_code == 200 and isinstance(body, dict):
            step = _answer(raw.http_response, body, request_id, result_type, queue)
            if isinstance(step, _Again):
                await _again(step, queue, waits, iteration)
                continue
            return step
        if raw.status_code == 408:
            if isinstance(body, dict) and isinstance(body.get("queue_state"), str):
                queue.update(body["queue_state"], body.get("queue_state_reason"))
            continue
        decision = wait_reason(status_error(raw.http_response))
        if decision is None:
            raise status_error(raw.http_response)
        await waits.pause(*decision)


@dataclass(frozen=True)
class _Again:
    delay: float | None


def _answer(
    response: httpx.Response, body: dict[str, Any], request_id: str, result_type: type[T], queue: QueueState
) -> T | _Again:
    """One poll answer by the spec's shapes, as `_futures` classifies them (issue 9)."""
    again = _shape(_TryAgain, body)
    if again is not None:
        queue.update(again.queue_state or "active", again.queue_state_reason)
        hint = again.retry_after_ms
        return _Again(hint / 1000 if isinstance(hint, int) and hint >= 0 else None)
    failed = _shape(_Failed, body)
    if failed is not None and not _result_evidence(result_type, body):
        raise RequestFailedError(request_id, failed.error, failed.category, response.request)
    try:
        value = validate(result_type, response)
    except APIResponseValidationError:
        if failed is None:
            raise
        raise RequestFailedError(request_id, failed.error, failed.category, response.request) from None
    queue.update("done")
    return value


async def _again(step: _Again, queue: QueueState, waits: Waits, iteration: int) -> None:
    if queue.state not in (None, "active"):
        reason = f"paused: {queue.state.replace('paused_', '').replace('_', ' ')}"
        await waits.pause(reason + (f" ({queue.reason})" if queue.reason else ""), step.delay)
    else:  # running: poll again soon; not a wait
        await asyncio.sleep(step.delay if step.delay is not None else min(0.05 * 2.0**iteration, 1.0))


def _retry_after(headers: httpx.Headers) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(float(headers.get(name, "")) / scale, 0.0)
        except ValueError:
            continue
    return None


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


async def run_request(
    client: AsyncTinker,
    send: Callable[[RequestOptions], Awaitable[Any]],
    result_type: type[T],
    request_type: str,
    queue: QueueState,
    waits: Waits,
    turn: AbstractAsyncContextManager[None] | None = None,
    headers: dict[str, str] | None = None,
    through: Callable[[str, Callable[[], Awaitable[T]]], Awaitable[T]] | None = None,
) -> T:
    """Send one long-running request (inside `turn`: in order), then poll for its result.

    `through(request_id, poll)`, when given, decides how the result is waited for (e.g. a batch
    poll first) and calls `poll()` for it. A future that expired on a poll (410) is submitted
    again, at most MAX_EXPIRED_RESUBMITS times, each logged.
    """
    if turn is not None:
        async with turn:
            started = await call_with_waits(send, waits, headers)
    else:
        started = await call_with_waits(send, waits, headers)
    for attempt in range(MAX_EXPIRED_RESUBMITS + 1):
        request_id = started.request_id

        def poll(request_id: str = request_id) -> Awaitable[T]:
            return poll_result(client, request_id, result_type, request_type, queue, waits)

        try:
            return await (poll() if through is None else through(request_id, poll))
        except ExpiredFuture:
            if attempt == MAX_EXPIRED_RESUBMITS:
                break
            logger.warning("%s: request %s expired (HTTP 410); submitting it again", waits.what, started.request_id)
            started = await call_with_waits(send, waits, headers)
    raise WaitDeadlineError(waits.what, "the request expired on every poll (HTTP 410)", waits.waited)
