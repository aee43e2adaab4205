"""Turning a response into the value a method returns; `RawResponse` for the raw variants."""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast

import httpx
from pydantic import BaseModel, ValidationError

from ._errors import APIResponseValidationError, parse_body, status_error
from ._retry import http_date

if TYPE_CHECKING:
    from ._endpoint import Endpoint

T = TypeVar("T")
P = ParamSpec("P")

__all__ = ["RawResponse", "parse_response", "to_async_raw", "to_raw"]


def to_raw(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """`method` of a resource, answering `RawResponse[T]` (status, headers, `.parse()` → T).

    The raw variant calls the same method on a copy of the resource whose client answers
    raw responses: nothing travels implicitly.
    """
    bound = _raw_bound(method)

    @functools.wraps(method)
    def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return cast("RawResponse[T]", bound(*args, **kwargs))

    return raw


def to_async_raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """The async `method` of a resource, answering `RawResponse[T]`."""
    bound = _raw_bound(method)

    @functools.wraps(method)
    async def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return cast("RawResponse[T]", await bound(*args, **kwargs))

    return raw


def _raw_bound(method: Callable[..., Any]) -> Callable[..., Any]:
    resource = getattr(method, "__self__", None)
    if resource is None or not hasattr(resource, "_client"):
        raise TypeError("to_raw wraps a method of a resource")
    view = copy.copy(resource)
    view._client = resource._client.raw_view()
    return cast("Callable[..., Any]", getattr(view, method.__name__))


REDIRECTS = frozenset({301, 302, 303, 307, 308})


def parse_response(endpoint: Endpoint[T], response: httpx.Response) -> T:
    """The endpoint's result from a read `response`; raise the matching error otherwise."""
    if endpoint.redirect is not None and response.status_code in REDIRECTS:
        return _from_redirect(endpoint, response)
    if not response.is_success:
        raise status_error(response)
    if endpoint.response is type(None):
        return None
    return validate(endpoint.response, response)


def validate(model: type[T], response: httpx.Response) -> T:
    """`response`'s JSON body as `model`, or APIResponseValidationError carrying the body."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"unsupported result type {model!r}")
    try:
        return cast(T, model.model_validate_json(response.content, strict=True))  # JSON: dates still parse
    except ValidationError as exc:
        raise APIResponseValidationError(response, parse_body(response), str(exc)) from None


def _from_redirect(endpoint: Endpoint[T], response: httpx.Response) -> T:
    redirect = endpoint.redirect
    assert redirect is not None
    location = response.headers.get("location")
    if not location:
        raise APIResponseValidationError(response, parse_body(response), "redirect without a Location header")
    expires = http_date(response.headers.get("expires"))
    if expires is None:
        expires = datetime.now(timezone.utc) + timedelta(seconds=redirect.default_expiry_seconds)
    values: dict[str, Any] = {redirect.url_field: location, redirect.expires_field: expires}
    model: Any = endpoint.response
    try:
        return cast(T, model.model_validate(values))
    except ValidationError as exc:
        raise APIResponseValidationError(response, parse_body(response), str(exc)) from None


class RawResponse(Generic[T]):
    """The HTTP response of one call; `parse()` gives what the plain method returns."""

    def __init__(self, response: httpx.Response, parse: Any) -> None:
        self.http_response = response
        self._parse = parse

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def content(self) -> bytes:
        return self.http_response.content

    def parse(self) -> T:
        return cast(T, self._parse())

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {self.http_response.request.method} {self.http_response.request.url.path}>"
