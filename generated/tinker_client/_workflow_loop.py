"""The workflow layer's event loop thread and its futures.

Every decision of ServiceClient, TrainingClient and SamplingClient is written once, as a
coroutine; it runs on one background event loop per ServiceClient. Blocking callers get an
`APIFuture` at once (`.result()` waits); async callers `await` it from their own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

from ._rest import APIFuture

T = TypeVar("T")

__all__ = ["ClientFuture", "LoopThread", "QueueState"]

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)


class QueueState:
    """Where a pending request stands, as the server last said; logged once per change."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.state: str | None = None
        self.reason: str | None = None

    def update(self, state: str | None, reason: str | None = None) -> None:
        if (state, reason) == (self.state, self.reason):
            return
        self.state, self.reason = state, reason
        if state is None or state in ("active", "done"):
            logger.info("%s: %s", self.what, state or "submitted")
        else:
            logger.warning("%s: %s%s", self.what, state.replace("_", " "), f" ({reason})" if reason else "")


class ClientFuture(APIFuture[T], Generic[T]):
    """The result of a training or sampling call that is already under way.

    `result(timeout=None)` blocks; `await future` or `await future.result_async()` in async
    code; `done()`; `queue_state` / `queue_state_reason` tell where a pending request stands.
    """

    def __init__(self, future: concurrent.futures.Future[T], queue: QueueState | None = None) -> None:
        super().__init__(future)
        self._cf = future
        self._queue = queue

    @property
    def queue_state(self) -> str | None:
        """`active`, `paused_rate_limit`, `paused_capacity`, ... or None before the server said."""
        return None if self._queue is None else self._queue.state

    @property
    def queue_state_reason(self) -> str | None:
        return None if self._queue is None else self._queue.reason

    def result(self, timeout: float | None = None) -> T:
        """The result, waiting at most `timeout` seconds (TimeoutError after)."""
        return self._cf.result(timeout)

    async def result_async(self, timeout: float | None = None) -> T:
        """The result, awaited from any event loop."""
        return await asyncio.wait_for(asyncio.wrap_future(self._cf), timeout)

    def done(self) -> bool:
        return self._cf.done()

    def future(self) -> concurrent.futures.Future[T]:
        """The underlying `concurrent.futures.Future`."""
        return self._cf

    async def coroutine(self) -> T:
        return await self.result_async()

    def __await__(self) -> Generator[Any, None, T]:
        return self.result_async().__await__()

    def __repr__(self) -> str:
        state = "done" if self._cf.done() else self.queue_state or "pending"
        return f"<{type(self).__name__} {state}>"


class LoopThread:
    """An event loop on a daemon thread; `submit` runs a coroutine there."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, T], queue: QueueState | None = None) -> ClientFuture[T]:
        if self.loop.is_closed() or not self._thread.is_alive():
            coro.close()
            raise RuntimeError("this client is closed")
        return ClientFuture(asyncio.run_coroutine_threadsafe(coro, self.loop), queue)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for it (never call from the loop itself)."""
        if self.on_loop():
            coro.close()
            raise RuntimeError("a blocking call was made on the client's own event loop")
        return self.submit(coro).result(timeout)

    def on_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self) -> None:
        """Stop the loop and join its thread (cancelling what still runs)."""
        if not self._thread.is_alive():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if not self.on_loop():
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(5.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.on_loop():
            self._thread.join(5.0)
