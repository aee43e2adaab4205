"""The seed RestClient's machinery: tinker:// paths, and futures that block or can be awaited.

The RestClient itself is generated (`rest_client.py`) from the spec's x-tinker-rest marks;
this module holds what every one of its methods shares.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")
_R = TypeVar("_R", bound="RestClientBase")

__all__ = ["APIFuture", "ParsedCheckpointTinkerPath", "RestClientBase", "parse_tinker_path"]

TINKER_PATH_FORM = "tinker://<training_run_id>/<weights|sampler_weights|external_weights>/<name>"
CHECKPOINT_TYPES = {"weights": "training", "sampler_weights": "sampler", "external_weights": "external"}


@dataclass(frozen=True)
class ParsedCheckpointTinkerPath:
    """The parts of `tinker://<training_run_id>/<segment>/<name>`.

    `checkpoint_id` is `<segment>/<name>`, the form the checkpoint paths of the API take.
    """

    tinker_path: str
    training_run_id: str
    checkpoint_type: str
    checkpoint_id: str


def parse_tinker_path(tinker_path: str) -> ParsedCheckpointTinkerPath:
    """Split a checkpoint's tinker path; ValueError naming the path and the expected form."""
    if not isinstance(tinker_path, str) or not tinker_path.startswith("tinker://"):
        raise ValueError(f"Invalid tinker path {tinker_path!r}: expected {TINKER_PATH_FORM}")
    parts = tinker_path[len("tinker://") :].split("/")
    if len(parts) != 3 or parts[1] not in CHECKPOINT_TYPES or not parts[0] or parts[2] in ("", ".", ".."):
        raise ValueError(f"Invalid tinker path {tinker_path!r}: expected {TINKER_PATH_FORM}")
    run, segment, name = parts
    return ParsedCheckpointTinkerPath(tinker_path, run, CHECKPOINT_TYPES[segment], f"{segment}/{name}")


class APIFuture(Generic[T]):
    """The result of a RestClient call that is already under way.

    `result(timeout=None)` blocks until it is there; in async code, `await future`.
    """

    def __init__(self, future: concurrent.futures.Future[T]) -> None:
        self._future = future

    def result(self, timeout: float | None = None) -> T:
        return self._future.result(timeout)

    def done(self) -> bool:
        return self._future.done()

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self._future).__await__()

    def __repr__(self) -> str:
        state = "done" if self._future.done() else "running"
        return f"<APIFuture {state}>"


class Submitter:
    """Runs blocking calls on a small thread pool and hands out `APIFuture`s."""

    def __init__(self, max_workers: int) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="tinker-rest")

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> APIFuture[T]:
        return APIFuture(self._pool.submit(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class PerLoop(Generic[T]):
    """One object per running event loop (an httpx.AsyncClient belongs to one loop)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if loop not in self._by_loop:
            self._by_loop[loop] = self._factory()
        return self._by_loop[loop]

    def values(self) -> list[T]:
        return list(self._by_loop.values())


class RestClientBase:
    """Settings, a blocking client, one async client per event loop, and the thread pool.

    Arguments (keyword-only): the same as `Tinker`'s (api_key, base_url, timeout,
    max_retries, default_headers), plus `max_workers`, the calls that may run at once.
    """

    _client_class: Any
    _async_client_class: Any

    def __init__(self, *, max_workers: int = 4, **settings: Any) -> None:
        self.client = self._client_class(**settings)
        self._settings = settings
        self._async_clients: PerLoop[Any] = PerLoop(lambda: self._async_client_class(**settings))
        self._submitter = Submitter(max_workers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.client.base_url!r})"

    def close(self) -> None:
        """Wait for running calls, then close the blocking client's connections."""
        self._submitter.shutdown()
        self.client.close()

    async def aclose(self) -> None:
        """Close the async client of the running event loop."""
        await self._async_clients.get().close()

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
