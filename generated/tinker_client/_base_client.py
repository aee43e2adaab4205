"""The client core: one constructor, the send loop with retries, future polls and pages.

Everything that decides (the request, whether and how long to wait, the call's budget, what
a failure becomes) is shared by the sync and the async client (`_call.py`, `_http.py`,
`_futures.py`); only the loops that send, read and sleep exist twice.

Closing: `close()` does not wait for running calls. It closes the connection pool at once;
a call still running ends with `ClientClosedError` (or finishes, if its answer was already
read), without retries, and a call on a closed client raises `ClientClosedError` at once.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Generic, TypeVar

import httpx

from ._auth import KeyAuth
from ._call import Call, Lifecycle, answer, new_future, poll_parts
from ._clock import Clock
from ._endpoint import Endpoint, RequestOptions, prepare
from ._futures import Again, AsyncFuture, Future, FutureSpec, Poller
from ._http import Budget, finish_body
from ._log import configure_logging
from ._settings import DEFAULT_DEADLINE, DEFAULT_FUTURE_DEADLINE, DEFAULT_MAX_RESPONSE_SIZE, Settings
from ._version import __version__

T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
_C = TypeVar("_C", bound="BaseClient[Any]")

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


class BaseClient(Generic[H]):
    """Settings and connection pool shared by `Tinker` and `AsyncTinker`; see their docstrings."""

    default_base_url = ""
    _http_class: type[H]
    _http: H

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: H | None = None,
        archive_retry_delay: float = 30.0,
        archive_max_attempts: int = 6,
        deadline: float | None = DEFAULT_DEADLINE,
        future_deadline: float | None = DEFAULT_FUTURE_DEADLINE,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        token_exchange: bool | None = False,
    ) -> None:
        settings = Settings.create(
            self.default_base_url,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            archive_retry_delay=archive_retry_delay,
            archive_max_attempts=archive_max_attempts,
            max_response_size=max_response_size,
        ).replace(deadline=deadline, future_deadline=future_deadline)
        owns = http_client is None
        http = http_client if http_client is not None else self._http_class(follow_redirects=False)
        auth = KeyAuth(
            settings.api_key,
            base_url=settings.base_url,
            sdk_version=__version__,
            token_exchange=token_exchange,
            headers=settings.default_headers,
        )
        self._adopt(settings, http, Lifecycle(owns), Clock(), auth)
        configure_logging()

    def _adopt(
        self, settings: Settings, http: H, life: Lifecycle, clock: Clock, auth: KeyAuth, raw: bool = False
    ) -> None:
        self.settings = settings
        self._auth = auth  # shared by with_options copies: one token for them all
        # With the exchange off the request already carries the key: skip the auth flow's cost.
        self._send_auth = None if auth.exchanging is False else auth
        self._http = http
        self._life = life
        self._clock = clock
        self._raw = raw

    def _rebuild(self: _C, settings: Settings, life: Lifecycle, raw: bool = False) -> _C:
        clone = type(self).__new__(type(self))
        clone._adopt(settings, self._http, life, self._clock, self._auth, raw)
        return clone

    # The settings most often read, as attributes.
    api_key = property(lambda self: self.settings.api_key)
    base_url = property(lambda self: self.settings.base_url)
    timeout = property(lambda self: self.settings.timeout)
    retry = property(lambda self: self.settings.retry)
    default_headers = property(lambda self: self.settings.default_headers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def with_options(
        self: _C,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        max_response_size: int | None = None,
    ) -> _C:
        """A client with other settings that shares this one's connection pool (and its closing)."""
        changes = {
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "deadline": deadline,
            "max_response_size": max_response_size,
        }
        settings = self.settings.replace(**{k: v for k, v in changes.items() if v is not None})
        return self._rebuild(settings, self._life.shared())

    def raw_view(self: _C) -> _C:
        """This client answering `RawResponse` (what the `with_raw_response` methods use)."""
        return self._rebuild(self.settings, self._life.shared(), raw=True)

    @property
    def is_closed(self) -> bool:
        return self._life.closed

    def _call(
        self, endpoint: Endpoint[Any], args: Mapping[str, object], options: RequestOptions | None
    ) -> Call:
        """Check the arguments and start the call's budget; raise before anything is sent."""
        prepared = prepare(endpoint, args)
        if endpoint.deprecated is not None:
            _warn_deprecated(endpoint, endpoint.deprecated)
        return Call(self.settings, self._clock, self._life, endpoint, prepared, options or {}, self._http)

    def _poller(
        self, spec: FutureSpec[R], request_id: str, options: RequestOptions, timeout: float | None
    ) -> Poller[R]:
        settings = self.settings
        build, budget = poll_parts(
            settings, self._clock, self._life, self._http, request_id, options, timeout
        )
        return Poller(spec, request_id, build, budget, settings.retry, self._clock)

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


def _warn_deprecated(endpoint: Endpoint[Any], message: str) -> None:
    key = (endpoint.method, endpoint.path)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(
        f"{endpoint.method} {endpoint.path} is deprecated: {message.removeprefix('Deprecated:').strip()}",
        DeprecationWarning,
        stacklevel=5,
    )


class SyncAPIClient(BaseClient[httpx.Client]):
    """A blocking client over `httpx.Client`."""

    _http_class = httpx.Client

    def request(self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None) -> T:
        """Send one call of `endpoint` (with retries) and return its parsed result."""
        call = self._call(endpoint, args, options)
        return answer(call, self._send(call), self._raw)  # type: ignore[no-any-return]

    def start_future(
        self,
        endpoint: Endpoint[Any],
        spec: FutureSpec[R],
        args: Mapping[str, object],
        options: RequestOptions | None,
    ) -> Future[R]:
        """Send a long-running call; the handle polls for its result."""
        call = self._call(endpoint, args, options)
        response = self._send(call)
        return new_future(Future, self._poll, spec, call, response, self._raw)  # type: ignore[no-any-return]

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

    def _exchange(self, request: httpx.Request, budget: Budget) -> httpx.Response:
        """One request and its whole body, read under the call's size cap and deadline."""
        response = self._http.send(request, stream=True, auth=self._send_auth)
        try:
            budget.check_length(request, response)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size = budget.collect(request, chunks, chunk, size)
            finish_body(response, chunks)
        finally:
            response.close()
        return response

    def _send(self, call: Call) -> httpx.Response:
        while True:
            request = call.next_request()
            try:
                response = self._exchange(request, call.budget)
            except Exception as exc:
                delay = call.failed(request, exc)
            else:
                wait = call.answered(request, response)
                if wait is None:
                    return response
                delay = wait
            self._clock.sleep(delay)

    def _poll(
        self, spec: FutureSpec[R], request_id: str, options: RequestOptions, timeout: float | None
    ) -> R:
        poller = self._poller(spec, request_id, options, timeout)
        while True:
            request = poller.request()
            try:
                response = self._exchange(request, poller.budget)
            except Exception as exc:
                step: R | Again = poller.failed(request, exc, self._life.closed)
            else:
                step = poller.answered(response)
            if not isinstance(step, Again):
                return step
            self._clock.sleep(poller.pause(step))

    def close(self) -> None:
        """Close the connection pool (not an `http_client` that the caller passed in); see the module doc."""
        if self._life.close():
            self._http.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncAPIClient(BaseClient[httpx.AsyncClient]):
    """An asyncio client over `httpx.AsyncClient`."""

    _http_class = httpx.AsyncClient

    async def request(
        self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None
    ) -> T:
        """Send one call of `endpoint` (with retries) and return its parsed result."""
        call = self._call(endpoint, args, options)
        return answer(call, await self._send(call), self._raw)  # type: ignore[no-any-return]

    async def start_future(
        self,
        endpoint: Endpoint[Any],
        spec: FutureSpec[R],
        args: Mapping[str, object],
        options: RequestOptions | None,
    ) -> AsyncFuture[R]:
        """Send a long-running call; the handle polls for its result."""
        call = self._call(endpoint, args, options)
        response = await self._send(call)
        return new_future(AsyncFuture, self._poll, spec, call, response, self._raw)  # type: ignore[no-any-return]

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

    async def _exchange(self, request: httpx.Request, budget: Budget) -> httpx.Response:
        """One request and its whole body, read under the call's size cap and deadline."""
        response = await self._http.send(request, stream=True, auth=self._send_auth)
        try:
            budget.check_length(request, response)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size = budget.collect(request, chunks, chunk, size)
            finish_body(response, chunks)
        finally:
            await response.aclose()
        return response

    async def _send(self, call: Call) -> httpx.Response:
        while True:
            request = call.next_request()
            try:
                response = await self._exchange(request, call.budget)
            except Exception as exc:
                delay = call.failed(request, exc)
            else:
                wait = call.answered(request, response)
                if wait is None:
                    return response
                delay = wait
            await self._clock.asleep(delay)

    async def _poll(
        self, spec: FutureSpec[R], request_id: str, options: RequestOptions, timeout: float | None
    ) -> R:
        poller = self._poller(spec, request_id, options, timeout)
        while True:
            request = poller.request()
            try:
                response = await self._exchange(request, poller.budget)
            except Exception as exc:
                step: R | Again = poller.failed(request, exc, self._life.closed)
            else:
                step = poller.answered(response)
            if not isinstance(step, Again):
                return step
            await self._clock.asleep(poller.pause(step))

    async def close(self) -> None:
        """Close the connection pool (not an `http_client` that the caller passed in); see the module doc."""
        if self._life.close():
            await self._http.aclose()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
