"""The small value types of the fake: what it was sent, what it applied, faults, replies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Applied", "Fault", "Reply", "Seen"]


@dataclass(frozen=True)
class Seen:
    """One HTTP request the fake received (every one, polls and refused ones included)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)  # carries the API key: kept out of reprs
    body: bytes
    operation: str | None  # `<resource>.<method>`, None when no route matched
    status: int  # what the fake answered

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Applied:
    """A request the fake carried out, in the order it did (training: seq_id order per model)."""

    operation: str
    body: dict[str, Any]
    seq_id: int | None = None
    model_id: str | None = None
    request_id: str | None = None  # of its future, for a long-running operation


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering: an error status, a delay, or both.

    status: answer this status (with an error body) instead of handling the request;
        None adds only `latency`.
    retry_after: seconds sent as Retry-After (e.g. with 429 or 503).
    latency: seconds to wait before answering.
    body: the JSON error body; default `{"error": ..., "category": "server"}`.
    headers: extra response headers (e.g. {"x-should-retry": "false"}).
    after: carry the request out first, then answer `status`: a lost answer, which a
        retry with the same X-Idempotency-Key recovers without applying it twice.
    """

    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    after: bool = False


@dataclass(frozen=True)
class Reply:
    """What the fake answers: status, headers, body bytes and how long to wait first."""

    status: int
    headers: dict[str, str]
    content: bytes
    delay: float = 0.0

    @classmethod
    def json(
        cls, status: int, value: Any, headers: Mapping[str, str] | None = None, delay: float = 0.0
    ) -> Reply:
        if value is None and status == 204:
            return cls(status, dict(headers or {}), b"", delay)
        content = json.dumps(value, separators=(",", ":")).encode()
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, content, delay)

    @classmethod
    def error(
        cls, status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any
    ) -> Reply:
        category = "server" if status >= 500 else "user"
        return cls.json(status, {"error": message, "category": category, **extra}, headers)
