"""The client core: settings, the send loop with retries, futures, pages and raw responses.

Everything that decides (request building, whether and how long to wait, what a poll answer
means, the next page) is shared by the sync and the async client; only the loops that send
and sleep exist twice.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, cast

import httpx

from ._auth import KeyAuth
from ._endpoint import Endpoint, Prepared, RequestOptions, prepare
from ._errors import APIConnectionError, APITimeoutError, FutureTimeoutError, TinkerError
from ._futures import POLL_TIMEOUT, RETRIEVE_PATH, Again, AsyncFuture, Future, FutureSpec, poll_step
from ._resource import AsyncResource, SyncResource
from ._response import RawResponse, parse_response, raw_requested
from ._retry import RetryPolicy

T = TypeVar("T")
R = TypeVar("R")
_C = TypeVar("_C", bound="BaseClient")
_S = TypeVar("_S", bound="SyncAPIClient")
_A = TypeVar("_A", bound="AsyncAPIClient")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
API_KEY_ENV = "TINKER_API_KEY"
BASE_URL_ENV = "TINKER_BASE_URL"
LOG_ENV = "TINKER_LOG"
MAX_POLL_CONNECTION_ERRORS = 5

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)


class BaseClient:
    """Settings shared by `Tinker` and `AsyncTinker`; see their docstrings."""

    default_base_url = ""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        default_headers: Mapping[str, str] | None,
        archive_retry_delay: float,
        archive_max_attempts: int,
        token_exchange: bool | None = False,
    ) -> None:
        api_key = api_key or os.environ.get(API_KEY_ENV) or None
        if api_key is None:
            raise TinkerError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable.")
        self.api_key = api_key
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or self.default_base_url).rstrip("/")
        self.timeout = DEFAULT_TIMEOUT if timeout is None else _timeout(timeout)
        self.retry = RetryPolicy(max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries)
        self.default_headers = dict(default_headers or {})
        self.archive_retry_delay = archive_retry_delay
        self.archive_max_attempts = archive_max_attempts
        self._auth = KeyAuth(
            api_key,
            base_url=self.base_url,
            sdk_version="0",
            token_exchange=token_exchange,
            headers=self.default_headers,
        )
        self._rng = random.Random()
        self._now = time.time
        self._monotonic = time.monotonic
        _configure_logging()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def with_options(
        self: _C,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> _C:
        """A copy with other settings that shares this client's connection pool."""
        clone = copy.copy(self)
        clone.__dict__ = {
            k: v for k, v in self.__dict__.items() if not isinstance(v, (SyncResource, AsyncResource))
        }
        clone._owns_http_client = False  # type: ignore[attr-defined]
        if timeout is not None:
            clone.timeout = _timeout(timeout)
        if max_retries is not None:
            clone.retry = RetryPolicy(**{**vars(self.retry), "max_retries": max_retries})
        if default_headers is not None:
            clone.default_headers = {**self.default_headers, **default_headers}
        return clone

    # ------------------------------------------------------------ shared decisions

    def _build_request(
        self, http: httpx.Client | httpx.AsyncClient, prepared: Prepared, options: RequestOptions
    ) -> httpx.Request:
        headers = {"Accept": "application/json", "X-API-Key": self.api_key, **self.default_headers}
        if prepared.content is not None:
            headers["Content-Type"] = "application/json"
        if prepared.method != "GET":
            headers["X-Idempotency-Key"] = options.get("idempotency_key") or os.urandom(16).hex()
        headers.update(options.get("headers", {}))
        timeout = _timeout(options["timeout"]) if "timeout" in options else self.timeout
        return http.build_request(
            prepared.method,
            self.base_url + prepared.path,
            params=prepared.query or None,  # an empty dict still costs httpx a URL merge
            content=prepared.content,
            headers=headers,
            timeout=timeout,
        )

    def _retry_delay(
        self, endpoint: Endpoint[Any], attempt: int, options: RequestOptions, response: httpx.Response | None
    ) -> float | None:
        """Seconds to wait before another attempt, or None to stop here."""
        if response is not None and response.is_success:
            return None
        if endpoint.redirect is not None and response is not None and response.status_code == 503:
            # The archive is still being generated: wait the (long) archive delay instead.
            return self.archive_retry_delay if attempt + 1 < self.archive_max_attempts else None
        if attempt >= options.get("max_retries", self.retry.max_retries):
            return None
        if response is not None and not self.retry.should_retry(response):
            return None
        return self.retry.delay(attempt, response, self._now(), self._rng)

    @staticmethod
    def _next_offset(page: Any, batch: list[Any], args: Mapping[str, object]) -> int | None:
        """The offset of the next page, or None after the last one."""
        if not batch:
            return None
        offset = int(args.get("offset") or 0) + len(batch)  # type: ignore[call-overload]
        cursor = getattr(page, "cursor", None)
        if cursor is not None:
            return offset if offset < cursor.total_count else None
        limit = args.get("limit")
        return offset if not isinstance(limit, int) or len(batch) >= limit else None

    @staticmethod
    def _log_response(request: httpx.Request, response: httpx.Response, attempt: int) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        logger.info(
            "%s %s -> %d (attempt %d)", request.method, request.url, response.status_code, attempt + 1
        )
        if logger.isEnabledFor(logging.DEBUG):
            shown = {k: ("<redacted>" if k.lower() == "x-api-key" else v) for k, v in request.headers.items()}
            logger.debug("request headers: %s", shown)

    @staticmethod
    def _log_retry(request: httpx.Request, attempt: int, delay: float, reason: str) -> None:
        logger.info(
            "retrying %s %s in %.2f s after %s (attempt %d)",
            request.method,
            request.url,
            delay,
            reason,
            attempt + 2,
        )


class SyncAPIClient(BaseClient):
    """A blocking client over `httpx.Client`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        archive_retry_delay: float = 30.0,
        archive_max_attempts: int = 6,
        token_exchange: bool | None = False,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            archive_retry_delay=archive_retry_delay,
            archive_max_attempts=archive_max_attempts,
            token_exchange=token_exchange,
        )
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(follow_redirects=False)
        self._sleep = time.sleep

    def request(self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None) -> T:
        """Send one call of `endpoint` (with retries) and return its parsed result."""
        response = self._send(endpoint, prepare(endpoint, args), options or {})
        return _answer(response, lambda: parse_response(endpoint, response))

    def start_future(
        self,
        endpoint: Endpoint[Any],
        spec: FutureSpec[R],
        args: Mapping[str, object],
        options: RequestOptions | None,
    ) -> Future[R]:
        """Send a long-running call; the handle polls for its result."""
        response = self._send(endpoint, prepare(endpoint, args), options or {})
        return _answer(response, lambda: Future(self, spec, parse_response(endpoint, response)))

    def paginate(
        self, endpoint: Endpoint[Any], args: Mapping[str, object], items: str, options: RequestOptions | None
    ) -> Iterator[Any]:
        """Every item of every page, fetching the next page when the last is used up."""
        args = {**args, "offset": 0}
        while True:
            page = self.request(endpoint, args, options)
            batch = list(getattr(page, items))
            yield from batch
            offset = self._next_offset(page, batch, args)
            if offset is None:
                return
            args["offset"] = offset

    def _send(self, endpoint: Endpoint[Any], prepared: Prepared, options: RequestOptions) -> httpx.Response:
        request = self._build_request(self._http, prepared, options)
        attempt = 0
        while True:
            try:
                response = self._http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                delay = self._retry_delay(endpoint, attempt, options, None)
                if delay is None:
                    raise _connection_error(request, exc) from exc
                reason = type(exc).__name__
            else:
                self._log_response(request, response, attempt)
                delay = self._retry_delay(endpoint, attempt, options, response)
                if delay is None:
                    return response
                response.close()
                reason = f"HTTP {response.status_code}"
            self._log_retry(request, attempt, delay, reason)
            self._sleep(delay)
            attempt += 1

    def _poll(self, spec: FutureSpec[R], request_id: str, timeout: float | None) -> R:
        poller = _Poller(self, spec, request_id, timeout)
        while True:
            request = poller.request(self._http)
            try:
                response = self._http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                step: R | Again = poller.failed(request, exc)
            else:
                step = poller.answered(request, response)
            if not isinstance(step, Again):
                return step
            self._sleep(poller.pause(step))

    def close(self) -> None:
        """Close the connection pool (not an `http_client` that the caller passed in)."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncAPIClient(BaseClient):
    """An asyncio client over `httpx.AsyncClient`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        archive_retry_delay: float = 30.0,
        archive_max_attempts: int = 6,
        token_exchange: bool | None = False,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            archive_retry_delay=archive_retry_delay,
            archive_max_attempts=archive_max_attempts,
            token_exchange=token_exchange,
        )
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(follow_redirects=False)
        import asyncio  # here, so that a blocking-only program never imports it

        self._sleep = asyncio.sleep

    async def request(
        self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None
    ) -> T:
        """Send one call of `endpoint` (with retries) and return its parsed result."""
        response = await self._send(endpoint, prepare(endpoint, args), options or {})
        return _answer(response, lambda: parse_response(endpoint, response))

    async def start_future(
        self,
        endpoint: Endpoint[Any],
        spec: FutureSpec[R],
        args: Mapping[str, object],
        options: RequestOptions | None,
    ) -> AsyncFuture[R]:
        """Send a long-running call; the handle polls for its result."""
        response = await self._send(endpoint, prepare(endpoint, args), options or {})
        return _answer(response, lambda: AsyncFuture(self, spec, parse_response(endpoint, response)))

    async def paginate(
        self, endpoint: Endpoint[Any], args: Mapping[str, object], items: str, options: RequestOptions | None
    ) -> AsyncIterator[Any]:
        """Every item of every page, fetching the next page when the last is used up."""
        args = {**args, "offset": 0}
        while True:
            page = await self.request(endpoint, args, options)
            batch = list(getattr(page, items))
            for item in batch:
                yield item
            offset = self._next_offset(page, batch, args)
            if offset is None:
                return
            args["offset"] = offset

    async def _send(
        self, endpoint: Endpoint[Any], prepared: Prepared, options: RequestOptions
    ) -> httpx.Response:
        request = self._build_request(self._http, prepared, options)
        attempt = 0
        while True:
            try:
                response = await self._http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                delay = self._retry_delay(endpoint, attempt, options, None)
                if delay is None:
                    raise _connection_error(request, exc) from exc
                reason = type(exc).__name__
            else:
                self._log_response(request, response, attempt)
                delay = self._retry_delay(endpoint, attempt, options, response)
                if delay is None:
                    return response
                await response.aclose()
                reason = f"HTTP {response.status_code}"
            self._log_retry(request, attempt, delay, reason)
            await self._sleep(delay)
            attempt += 1

    async def _poll(self, spec: FutureSpec[R], request_id: str, timeout: float | None) -> R:
        poller = _Poller(self, spec, request_id, timeout)
        while True:
            request = poller.request(self._http)
            try:
                response = await self._http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                step: R | Again = poller.failed(request, exc)
            else:
                step = poller.answered(request, response)
            if not isinstance(step, Again):
                return step
            await self._sleep(poller.pause(step))

    async def close(self) -> None:
        """Close the connection pool (not an `http_client` that the caller passed in)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _Poller(Generic[R]):
    """One future's polling: requests, deadline and failure count, shared by both loops."""

    def __init__(
        self, client: BaseClient, spec: FutureSpec[R], request_id: str, timeout: float | None
    ) -> None:
        self.client, self.spec, self.request_id, self.timeout = client, spec, request_id, timeout
        self.deadline = None if timeout is None else client._monotonic() + timeout
        self.iteration = self.failures = 0
        body = f'{{"request_id": {json.dumps(request_id)}, "allow_metadata_only": false}}'
        self.prepared = Prepared("POST", RETRIEVE_PATH, {}, body.encode())

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The next poll; FutureTimeoutError once the deadline has passed."""
        remaining = self._remaining()
        timeout = POLL_TIMEOUT if remaining is None else max(min(POLL_TIMEOUT, remaining), 0.001)
        headers = {
            "X-Tinker-Request-Iteration": str(self.iteration),
            "X-Tinker-Request-Type": self.spec.request_type,
        }
        return self.client._build_request(http, self.prepared, {"timeout": timeout, "headers": headers})

    def failed(self, request: httpx.Request, exc: httpx.TransportError) -> Again:
        """Poll again after a connection error, unless there were too many in a row."""
        self.failures += 1
        if self.failures >= MAX_POLL_CONNECTION_ERRORS:
            raise _connection_error(request, exc) from exc
        return Again(self.client.retry.delay(self.failures - 1, None, self.client._now(), self.client._rng))

    def answered(self, request: httpx.Request, response: httpx.Response) -> R | Again:
        self.failures = 0
        self.client._log_response(request, response, self.iteration)
        client = self.client
        return poll_step(
            self.spec, self.request_id, self.iteration, response, client.retry, client._now(), client._rng
        )

    def pause(self, step: Again) -> float:
        """Seconds to sleep before the next poll, never past the deadline."""
        remaining = self._remaining()
        self.iteration += 1
        return step.delay if remaining is None else min(step.delay, remaining)

    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        remaining = self.deadline - self.client._monotonic()
        if remaining <= 0:
            raise FutureTimeoutError(self.request_id, self.timeout or 0.0)
        return remaining


def _answer(response: httpx.Response, parse: Callable[[], T]) -> T:
    """The parsed value, or under `with_raw_response` the response with `.parse()` for later."""
    if raw_requested():
        return cast(T, RawResponse(response, parse))
    return parse()


def _connection_error(request: httpx.Request, exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request)
    return APIConnectionError(request, f"Connection error: {type(exc).__name__}.")


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    return httpx.Timeout(value, connect=min(value, DEFAULT_TIMEOUT.connect or value))


def _configure_logging() -> None:
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
