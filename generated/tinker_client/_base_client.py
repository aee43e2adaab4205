"""The client core: configuration, sending, and parsing, for the sync and the async client.

Request preparation (`_endpoint`) and error mapping (`_errors`) are shared; only the send
call exists twice, once blocking and once awaited.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import httpx
from pydantic import BaseModel, ValidationError

from ._endpoint import Endpoint, Prepared, RequestOptions, prepare
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    TinkerError,
    parse_body,
    status_error,
)

T = TypeVar("T")
_S = TypeVar("_S", bound="SyncAPIClient")
_A = TypeVar("_A", bound="AsyncAPIClient")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
API_KEY_ENV = "TINKER_API_KEY"
BASE_URL_ENV = "TINKER_BASE_URL"


class BaseClient:
    """Settings shared by `Tinker` and `AsyncTinker`; see their docstrings."""

    default_base_url = ""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        api_key = api_key or os.environ.get(API_KEY_ENV) or None
        if api_key is None:
            raise TinkerError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable.")
        self.api_key = api_key
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or self.default_base_url).rstrip("/")
        self.timeout = DEFAULT_TIMEOUT if timeout is None else _timeout(timeout)
        self.default_headers = dict(default_headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _build_request(
        self, client: httpx.Client | httpx.AsyncClient, prepared: Prepared, options: RequestOptions
    ) -> httpx.Request:
        headers = {
            "Accept": "application/json",
            "X-API-Key": self.api_key,
            **self.default_headers,
            **options.get("headers", {}),
        }
        if prepared.content is not None:
            headers["Content-Type"] = "application/json"
        if prepared.method != "GET":
            headers.setdefault("X-Idempotency-Key", uuid.uuid4().hex)
        timeout = _timeout(options["timeout"]) if "timeout" in options else self.timeout
        return client.build_request(
            prepared.method,
            self.base_url + prepared.path,
            params=prepared.query,
            content=prepared.content,
            headers=headers,
            timeout=timeout,
        )


class SyncAPIClient(BaseClient):
    """A blocking client over `httpx.Client`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, default_headers=default_headers)
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(follow_redirects=False)

    def request(self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None) -> T:
        """Send one call of `endpoint` and return its parsed result."""
        request = self._build_request(self._http, prepare(endpoint, args), options or {})
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(request) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(request) from exc
        try:
            return _parse(endpoint, response)
        finally:
            response.close()

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
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, default_headers=default_headers)
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(follow_redirects=False)

    async def request(
        self, endpoint: Endpoint[T], args: Mapping[str, object], options: RequestOptions | None
    ) -> T:
        """Send one call of `endpoint` and return its parsed result."""
        request = self._build_request(self._http, prepare(endpoint, args), options or {})
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(request) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(request) from exc
        try:
            return _parse(endpoint, response)
        finally:
            await response.aclose()

    async def close(self) -> None:
        """Close the connection pool (not an `http_client` that the caller passed in)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _parse(endpoint: Endpoint[T], response: httpx.Response) -> T:
    """The result of a read `response`: the endpoint's model, or None; raise on errors."""
    if not response.is_success:
        raise status_error(response)
    result_type: Any = endpoint.response
    if result_type is type(None):
        return None  # type: ignore[return-value]
    if not (isinstance(result_type, type) and issubclass(result_type, BaseModel)):
        raise TypeError(f"unsupported result type {result_type!r}")
    try:
        return cast(T, result_type.model_validate_json(response.content))
    except ValidationError as exc:
        raise APIResponseValidationError(response, parse_body(response), str(exc)) from None


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    return httpx.Timeout(
        value, connect=None if value is None else min(value, DEFAULT_TIMEOUT.connect or value)
    )
