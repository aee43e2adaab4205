"""Exceptions raised by the client. Every one derives from `TinkerError`."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BillingError",
    "ClientClosedError",
    "ConflictError",
    "FutureExpiredError",
    "FutureTimeoutError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestFailedError",
    "ResponseTooLargeError",
    "TinkerError",
    "UnprocessableEntityError",
]


class TinkerError(Exception):
    """Base class of every error this package raises on purpose."""


class APIError(TinkerError):
    """A request was sent (or attempted) and did not give a usable result."""

    def __init__(self, message: str, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke."""

    def __init__(self, request: httpx.Request, message: str = "Connection error.") -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request timed out, or the call's deadline passed."""

    def __init__(self, request: httpx.Request, message: str = "Request timed out.") -> None:
        super().__init__(request, message)


class ClientClosedError(APIConnectionError):
    """The client was closed before or while this call ran; the call was not retried."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(request, "The client has been closed.")


class ResponseTooLargeError(APIError):
    """The response body is larger than the client's `max_response_size`."""

    def __init__(self, request: httpx.Request, limit: int) -> None:
        super().__init__(f"{request.method} {request.url.path}: response body over {limit} bytes", request)
        self.limit = limit


class APIResponseValidationError(APIError):
    """A 2xx response whose body does not match the model the spec promises."""

    def __init__(self, response: httpx.Response, body: object, detail: str) -> None:
        method, url = response.request.method, response.request.url
        super().__init__(f"{method} {url}: unexpected response body: {detail}", response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class APIStatusError(APIError):
    """The server answered with a non-2xx status. `body` is the parsed JSON, else the text."""

    def __init__(self, response: httpx.Response, body: object) -> None:
        request = response.request
        detail = _detail(body)
        message = f"{request.method} {request.url.path}: HTTP {response.status_code}"
        super().__init__(f"{message}: {detail}" if detail else message, request)
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = body


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing, wrong or expired."""


class BillingError(APIStatusError):
    """HTTP 402: a billing problem on the account."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


class RequestFailedError(APIError):
    """A long-running operation failed on the server (`category`: user, server or unknown)."""

    def __init__(
        self, request_id: str, error: str, category: str, request: httpx.Request | None = None
    ) -> None:
        super().__init__(f"request {request_id} failed ({category}): {error}", request or _poll_request())
        self.request_id = request_id
        self.error = error
        self.category = category


class FutureExpiredError(APIStatusError):
    """HTTP 410 while polling: the future expired; submit the request again."""

    def __init__(self, response: httpx.Response, body: object, request_id: str) -> None:
        super().__init__(response, body)
        self.message = f"future {request_id} expired; submit the request again"
        self.args = (self.message,)
        self.request_id = request_id


class FutureTimeoutError(APITimeoutError, TimeoutError):
    """The future did not resolve within `result(timeout=...)` (or the future deadline)."""

    def __init__(self, request_id: str, timeout: float, request: httpx.Request | None = None) -> None:
        super().__init__(
            request or _poll_request(), f"future {request_id} did not resolve within {timeout:g} s"
        )
        self.request_id = request_id
        self.timeout = timeout


def _poll_request() -> httpx.Request:
    return httpx.Request("POST", "/api/v1/retrieve_future")


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: BillingError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for a non-2xx `response` (its body already read)."""
    body = parse_body(response)
    if response.status_code >= 500:
        return InternalServerError(response, body)
    return _BY_STATUS.get(response.status_code, APIStatusError)(response, body)


def parse_body(response: httpx.Response) -> object:
    """The JSON body of `response`, else its text, else None."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _detail(body: object) -> str:
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value: Any = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    if isinstance(body, str):
        return body[:200]
    return ""
