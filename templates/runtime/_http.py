"""What one HTTP exchange needs, shared by both clients: checked headers that never show the
API key, the call's budget (deadline and response size cap), and turning any failure of an
exchange into one of the package's errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    ResponseTooLargeError,
    TinkerError,
)

__all__ = ["Budget", "RedactedHeaders", "check_api_key", "check_headers", "exchange_error"]

# Credentials: shown as [secure] wherever request headers are shown (errors, reprs, logs).
SECRET_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "x-tinker-weights-access-token"}
)
# A header value: visible ASCII, space and tab (RFC 9110 field-value without obs-text).
_FIELD_VALUE = re.compile(r"[\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?|")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class RedactedHeaders(httpx.Headers):
    """Request headers whose repr shows the credentials as '[secure]'."""

    def __repr__(self) -> str:
        shown = [(k, "[secure]" if k.lower() in SECRET_HEADERS else v) for k, v in self.multi_items()]
        return f"Headers({shown!r})"


def check_api_key(key: str) -> str:
    """The key without surrounding whitespace; ValueError (never showing it) if unsendable."""
    if not isinstance(key, str):
        raise TypeError(f"api_key must be str, not {type(key).__name__}")
    key = key.strip()
    if not key:
        raise ValueError("api_key is empty")
    for position, char in enumerate(key):
        if not "\x21" <= char <= "\x7e":
            raise ValueError(
                f"api_key has a character that cannot be sent in an HTTP header at position {position}"
                " (only visible ASCII is allowed)"
            )
    return key


def check_headers(headers: Mapping[str, str]) -> None:
    """ValueError/TypeError naming the header (not its value) for one that cannot be sent."""
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        if not isinstance(value, str):
            raise TypeError(f"header {name} must be str, not {type(value).__name__}")
        if not _FIELD_VALUE.fullmatch(value):
            raise ValueError(
                f"header {name} has a value that cannot be sent (control or non-ASCII character)"
            )


class Budget:
    """A call's limits: a deadline on the client's monotonic clock and a response size cap."""

    def __init__(
        self,
        monotonic: Callable[[], float],
        seconds: float | None,
        max_size: int,
        expired: Callable[[httpx.Request], TinkerError],
    ) -> None:
        self._monotonic = monotonic
        self.seconds = seconds
        self.deadline = None if seconds is None else monotonic() + seconds
        self.max_size = max_size
        self._expired = expired

    def remaining(self, request: httpx.Request) -> float | None:
        """Seconds left (None: no deadline); the expiry error once none are left."""
        if self.deadline is None:
            return None
        left = self.deadline - self._monotonic()
        if left <= 0:
            raise self._expired(request)
        return left

    def allows(self, delay: float) -> bool:
        """Whether a pause of `delay` seconds still ends before the deadline."""
        return self.deadline is None or self._monotonic() + delay < self.deadline

    def limit_timeout(self, request: httpx.Request, timeout: httpx.Timeout) -> None:
        """Cut the request's socket timeouts so that none outlasts the deadline."""
        left = self.remaining(request)
        values = timeout.as_dict()
        if left is not None:
            values = {k: left if v is None else min(v, left) for k, v in values.items()}
        request.extensions["timeout"] = values

    def check_length(self, request: httpx.Request, response: httpx.Response) -> None:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_size and "content-encoding" not in response.headers:
            raise ResponseTooLargeError(request, self.max_size)

    def collect(self, request: httpx.Request, chunks: list[bytes], chunk: bytes, size: int) -> int:
        """Add `chunk` to the body read so far; the typed error past the cap or the deadline."""
        size += len(chunk)
        if size > self.max_size:
            raise ResponseTooLargeError(request, self.max_size)
        chunks.append(chunk)
        self.remaining(request)
        return size


def finish_body(response: httpx.Response, chunks: list[bytes]) -> None:
    """Give the streamed `response` the body read in `chunks` (as `.read()` would)."""
    response._content = b"".join(chunks)


def exchange_error(exc: BaseException, request: httpx.Request, closed: bool) -> TinkerError:
    """The package's error for a failed exchange; re-raise what is not an I/O failure."""
    if isinstance(exc, TinkerError):
        return exc
    if closed and isinstance(exc, (httpx.HTTPError, httpx.StreamError, RuntimeError, OSError)):
        return ClientClosedError(request)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request)
    if isinstance(exc, httpx.DecodingError):
        return APIConnectionError(request, "Connection error: the response body could not be decoded.")
    if isinstance(exc, (httpx.HTTPError, httpx.StreamError)):
        return APIConnectionError(request, f"Connection error: {type(exc).__name__}.")
    raise exc


def retryable(error: TinkerError) -> bool:
    """Whether a failed exchange is worth another attempt."""
    return isinstance(error, APIConnectionError) and not isinstance(error, ClientClosedError)


def timeout_of(value: Any, default_connect: float) -> httpx.Timeout:
    """An httpx.Timeout from seconds, a Timeout or None (no timeout)."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"timeout must be a positive number of seconds or an httpx.Timeout, not {value!r}")
    return httpx.Timeout(float(value), connect=min(float(value), default_connect))
