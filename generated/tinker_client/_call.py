"""One call of an operation, from its checked arguments to its answer: the request (built
once, resent by every attempt), the budget, and the retry decisions. Shared by both clients.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from ._endpoint import Endpoint, Prepared, RequestOptions
from ._errors import APIResponseValidationError, APITimeoutError, ClientClosedError, parse_body
from ._futures import RETRIEVE_PATH, future_timeout
from ._http import Budget, RedactedHeaders, check_headers, exchange_error, retryable, timeout_of
from ._log import log_response, log_retry
from ._response import RawResponse, parse_response
from ._settings import USER_AGENT, Settings, seconds

T = TypeVar("T")

__all__ = ["Call", "Lifecycle", "answer", "build_request", "new_future", "poll_parts"]


class Lifecycle:
    """Whether a connection pool is closed, shared by a client and its `with_options` copies."""

    def __init__(self, owns_pool: bool) -> None:
        self.owns_pool = owns_pool
        self._state = {"closed": False}
        self._lock = threading.Lock()

    def shared(self) -> Lifecycle:
        """The same pool's state for a derived client, which never closes the pool itself."""
        other = Lifecycle(owns_pool=False)
        other._state, other._lock = self._state, self._lock
        return other

    @property
    def closed(self) -> bool:
        return self._state["closed"]

    def close(self) -> bool:
        """Mark closed; whether the caller should now close the pool."""
        if not self.owns_pool:
            return False
        with self._lock:
            first = not self._state["closed"]
            self._state["closed"] = True
        return first

    def check(self, request: httpx.Request) -> None:
        if self._state["closed"]:
            raise ClientClosedError(request)


def build_request(
    http: httpx.Client | httpx.AsyncClient, settings: Settings, prepared: Prepared, options: RequestOptions
) -> httpx.Request:
    """The HTTP request of a call: the client's headers, the key (redacted when shown), the body."""
    headers = {
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "X-API-Key": settings.api_key,
        **settings.default_headers,
        **prepared.headers,
    }
    if prepared.content is not None:
        headers["Content-Type"] = "application/json"
    if prepared.method != "GET":
        headers["X-Idempotency-Key"] = options.get("idempotency_key") or os.urandom(16).hex()
    extra = options.get("headers", {})
    check_headers(extra)
    headers.update(extra)
    request = http.build_request(
        prepared.method,
        settings.base_url + prepared.path,
        params=prepared.query or None,  # an empty dict still costs httpx a URL merge
        content=prepared.content,
        headers=headers,
    )
    request.headers = RedactedHeaders(request.headers)
    return request


def _budget(
    settings: Settings, clock: Any, options: RequestOptions, deadline: float | None, expired: Any
) -> Budget:
    size = options.get("max_response_size", settings.max_response_size)
    return Budget(clock.monotonic, deadline, size, expired)


class Call:
    """The state of one call across its attempts."""

    def __init__(
        self,
        settings: Settings,
        clock: Any,
        life: Lifecycle,
        endpoint: Endpoint[Any],
        prepared: Prepared,
        options: RequestOptions,
        http: httpx.Client | httpx.AsyncClient,
    ) -> None:
        self.settings, self.clock, self.life, self.endpoint, self.options = (
            settings,
            clock,
            life,
            endpoint,
            options,
        )
        deadline = seconds("deadline", options["deadline"]) if "deadline" in options else settings.deadline
        expired = lambda request: APITimeoutError(request, f"the call's deadline of {deadline:g} s passed")  # noqa: E731
        self.budget = _budget(settings, clock, options, deadline, expired)
        self.timeout = timeout_of(options["timeout"], 5.0) if "timeout" in options else settings.timeout
        self.request = build_request(http, settings, prepared, options)
        self.max_retries = options.get("max_retries", settings.retry.max_retries)
        self.attempt = 0

    def next_request(self) -> httpx.Request:
        """The request for the next attempt; the typed error if closed or past the deadline."""
        self.life.check(self.request)
        self.budget.limit_timeout(self.request, self.timeout)
        return self.request

    def failed(self, request: httpx.Request, exc: BaseException) -> float:
        """Seconds to wait after a failed exchange; raise the typed error when giving up."""
        error = exchange_error(exc, request, self.life.closed)
        if retryable(error):
            delay = self._delay(None)
            if delay is not None:
                log_retry(request, self.attempt, delay, type(exc).__name__)
                self.attempt += 1
                return delay
        raise error from exc

    def answered(self, request: httpx.Request, response: httpx.Response) -> float | None:
        """Seconds to wait before another attempt, or None: `response` is the answer."""
        log_response(request, response, self.attempt)
        delay = self._delay(response)
        if delay is not None:
            log_retry(request, self.attempt, delay, f"HTTP {response.status_code}")
            self.attempt += 1
        return delay

    def _delay(self, response: httpx.Response | None) -> float | None:
        if response is not None and response.is_success:
            return None
        settings, retry = self.settings, self.settings.retry
        if self.endpoint.redirect is not None and response is not None and response.status_code == 503:
            # The archive is still being generated: wait the (long) archive delay instead.
            if self.attempt + 1 >= settings.archive_max_attempts:
                return None
            delay = settings.archive_retry_delay
        elif self.attempt >= self.max_retries or (response is not None and not retry.should_retry(response)):
            return None
        else:
            delay = retry.delay(self.attempt, response, self.clock.now(), self.clock.jitter)
        return delay if self.budget.allows(delay) else None


def poll_parts(
    settings: Settings,
    clock: Any,
    life: Lifecycle,
    http: httpx.Client | httpx.AsyncClient,
    request_id: str,
    options: RequestOptions,
    timeout: float | None,
) -> tuple[Callable[[str, Mapping[str, str]], httpx.Request], Budget]:
    """How a future's polls are built, and their budget: `timeout`, else the call's deadline
    option, else the client's `future_deadline`."""
    if timeout is not None:
        limit = seconds("timeout", timeout)
    elif "deadline" in options:
        limit = seconds("deadline", options["deadline"])
    else:
        limit = settings.future_deadline
    budget = _budget(settings, clock, options, limit, future_timeout(request_id, limit))
    extra = {k: v for k, v in options.items() if k == "headers"}

    def build(body: str, headers: Mapping[str, str]) -> httpx.Request:
        poll_options: RequestOptions = {"headers": {**extra.get("headers", {}), **headers}}  # type: ignore[dict-item]
        request = build_request(
            http, settings, Prepared("POST", RETRIEVE_PATH, {}, body.encode()), poll_options
        )
        life.check(request)
        return request

    return build, budget


def answer(call: Call, response: httpx.Response, raw: bool) -> Any:
    """The parsed value, or for a raw client the response with `.parse()` for later."""

    def parse() -> Any:
        return parse_response(call.endpoint, response)

    return RawResponse(response, parse) if raw else parse()


def new_future(cls: Any, poll: Any, spec: Any, call: Call, response: httpx.Response, raw: bool) -> Any:
    """The handle of a long-running call (refused at once if the server gave no request id)."""

    def parse() -> Any:
        initial = parse_response(call.endpoint, response)
        request_id = getattr(initial, "request_id", None)
        if not isinstance(request_id, str) or not request_id:
            raise APIResponseValidationError(
                response, parse_body(response), "the future has an empty request_id"
            )
        return cls(poll, spec, initial, call.options)

    return RawResponse(response, parse) if raw else parse()
