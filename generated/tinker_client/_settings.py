"""A client's settings, checked once at construction: `with_options` derives new ones."""

from __future__ import annotations

import dataclasses
import math
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._errors import TinkerError
from ._http import check_api_key, check_headers, timeout_of
from ._retry import RetryPolicy
from ._version import __version__

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_FUTURE_DEADLINE", "DEFAULT_MAX_RESPONSE_SIZE", "Settings"]

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_DEADLINE = 300.0  # seconds a call may take, every attempt and its reading included
DEFAULT_FUTURE_DEADLINE = 3600.0  # seconds `Future.result()` polls when given no timeout
DEFAULT_MAX_RESPONSE_SIZE = 512 * 1024 * 1024
API_KEY_ENV = "TINKER_API_KEY"
BASE_URL_ENV = "TINKER_BASE_URL"
USER_AGENT = (
    f"tinker_client/{__version__} (python {'.'.join(platform.python_version_tuple()[:2])};"
    f" httpx {httpx.__version__})"
)


@dataclass(frozen=True)
class Settings:
    """Everything a client was configured with (the API key is not shown by repr)."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    default_headers: Mapping[str, str] = field(default_factory=dict)
    archive_retry_delay: float = 30.0
    archive_max_attempts: int = 6
    deadline: float | None = DEFAULT_DEADLINE
    future_deadline: float | None = DEFAULT_FUTURE_DEADLINE
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE

    @classmethod
    def create(cls, default_base_url: str, **given: Any) -> Settings:
        """Settings from keyword arguments (None: the default) and the environment."""
        api_key = given.pop("api_key", None) or os.environ.get(API_KEY_ENV) or None
        if api_key is None:
            raise TinkerError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable.")
        base_url = given.pop("base_url", None) or os.environ.get(BASE_URL_ENV) or default_base_url
        settings = cls(api_key=check_api_key(api_key), base_url=_base_url(base_url))
        return settings.replace(**{k: v for k, v in given.items() if v is not None})

    def replace(self, **changes: Any) -> Settings:
        """These settings with `changes` (same names as the client's arguments), checked."""
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "timeout":
                values["timeout"] = timeout_of(value, DEFAULT_TIMEOUT.connect or 5.0)
            elif name == "max_retries":
                values["retry"] = dataclasses.replace(self.retry, max_retries=_count(name, value))
            elif name == "default_headers":
                check_headers(value)
                values["default_headers"] = {**self.default_headers, **value}
            elif name in ("deadline", "future_deadline"):
                values[name] = seconds(name, value)
            elif name in ("max_response_size", "archive_max_attempts"):
                values[name] = _count(name, value)
            elif name == "archive_retry_delay":
                values[name] = seconds(name, value)
            else:
                raise TypeError(f"unknown setting {name!r}")
        return dataclasses.replace(self, **values)


def seconds(name: str, value: object) -> float | None:
    """A non-negative finite number of seconds, or None (no limit)."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a non-negative number of seconds or None, not {value!r}")
    return float(value)


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, not {value!r}")
    return value


def _base_url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"base_url {value!r} is not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url {value!r} must be an http:// or https:// URL")
    return value.rstrip("/")
