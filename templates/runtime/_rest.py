"""The seed RestClient's machinery: tinker:// paths, and futures that block or can be awaited.

The RestClient itself is generated (`rest_client.py`) from the spec's x-tinker-rest marks;
this module holds what every one of its methods shares.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Generator
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
        try:
            return APIFuture(self._pool.submit(fn, *args, **kwargs))
        except RuntimeError:  # shut down: run it here, where the closed client refuses it
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            try:
                future.set_result(fn(*args, **kwargs))
            except Exception as exc:
                future.set_exception(exc)
            return APIFuture(future)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class PerLoop:
    """One async client per running event loop (an httpx.AsyncClient belongs to one loop).

    Each client is closed inside its own loop when that loop shuts down (`asyncio.run` closes
    the loop's async generators, and a small one here holds the client's closing); `close()`
    closes the clients of loops that are still alive. No connection outlives either.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._by_loop: dict[asyncio.AbstractEventLoop, Any] = {}
        self._keepers: dict[asyncio.AbstractEventLoop, Any] = {}  # held: the loop tracks them weakly
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._by_loop.get(loop)
            if client is None:
                client = self._factory()
                if self._closed:
                    client._life.close()  # its calls raise ClientClosedError; it holds no socket
                else:
                    self._by_loop[loop] = client
                    self._keepers[loop] = _tie_to_loop(client, self._forget(loop))
            return client

    def _forget(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        def forget() -> None:
            with self._lock:
                self._by_loop.pop(loop, None)
                self._keepers.pop(loop, None)

        return forget

    async def aclose_current(self) -> None:
        """Close the running loop's client, if there is one."""
        with self._lock:
            client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def close(self) -> None:
        """Close every client whose loop is still alive; later `get()`s give closed clients."""
        with self._lock:
            self._closed = True
            alive, self._by_loop = list(self._by_loop.items()), {}
        for loop, client in alive:
            _close_on(loop, client)


async def _keeper(client: Any, forget: Callable[[], None]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        forget()
        await client.close()


def _tie_to_loop(client: Any, forget: Callable[[], None]) -> Any:
    """Start an async generator that closes `client` when the running loop shuts it down."""
    keeper = _keeper(client, forget)
    step: Any = keeper.__anext__()
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs to the first yield: the loop now tracks (and will close) it
    return keeper


def _close_on(loop: asyncio.AbstractEventLoop, client: Any) -> None:
    """Close `client` in its own `loop`, from outside that loop."""
    if loop.is_closed():
        return  # closed by the loop's shutdown already
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is running:
        loop.create_task(client.close())  # inside this loop: finishes at its next await
    elif loop.is_running():
        asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=10)
    else:
        loop.run_until_complete(client.close())


class RestClientBase:
    """Settings, a blocking client, one async client per event loop, and the thread pool.

    Arguments (keyword-only): the same as `Tinker`'s (api_key, base_url, timeout,
    max_retries, default_headers), plus `max_workers`, the calls that may run at once.
    `close()` waits for running calls, then closes every connection; later calls raise
    ClientClosedError.
    """

    _client_class: Any
    _async_client_class: Any

    def __init__(self, *, max_workers: int = 4, **settings: Any) -> None:
        self.client = self._client_class(**settings)
        self._settings = settings
        self._async_clients = PerLoop(lambda: self._async_client_class(**settings))
        self._submitter = Submitter(max_workers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.client.base_url!r})"

    def get_telemetry(self) -> None:
        """The SDK's telemetry handle; this client collects no telemetry, so always None."""
        return None

    def close(self) -> None:
        """Wait for running calls, then close every connection (blocking and async)."""
        self._submitter.shutdown()
        self.client.close()
        self._async_clients.close()

    async def aclose(self) -> None:
        """`close()` for async code: the running loop's client is closed in this loop."""
        await self._async_clients.aclose_current()
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
