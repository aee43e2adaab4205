"""One Tinker session: created once, kept alive by heartbeats, finished with a reason.

A `Session` owns the background event loop (`LoopThread`) and the `AsyncTinker` the
workflow layer sends through, the per-session counters (`model_seq_id`,
`sampling_session_seq_id`), and the heartbeat task. `close()` finishes the session, stops
the heartbeat, closes the connections and joins the thread; it also runs at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar, cast

import httpx
from pydantic import BaseModel, ConfigDict

from ._client import AsyncTinker
from ._endpoint import Endpoint, Param, RequestOptions
from ._errors import APIConnectionError, APIStatusError
from ._version import __version__
from ._workflow_loop import LoopThread
from ._workflow_wait import SessionEndedError, WaitPolicy, Waits, call_with_waits

__all__ = ["FinishStatus", "Session"]

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)

T = TypeVar("T")
FinishStatus = Literal["success", "errored", "interrupted"]
HEARTBEAT_TIMEOUT = 10.0


class _FinishReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: FinishStatus


class _FinishSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _FinishReason
    detail: str | None = None


# POST /api/v1/sessions/{session_id}/finish (sessions.finish), sent through the client's
# own request path so that it does not depend on the generated resource's signature.
_FINISH = Endpoint(
    "POST",
    "/api/v1/sessions/{session_id}/finish",
    type(None),
    params=(Param("session_id", "session_id", "path", "str"),),
    body=_FinishSessionRequest,
)


class Session:
    """A session and the machinery every client of one ServiceClient shares."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        default_headers: Mapping[str, str] | None,
        http_client: httpx.AsyncClient | None,
        policy: WaitPolicy,
        user_metadata: dict[str, str] | None,
        project_id: str | None,
        display_name: str | None,
    ) -> None:
        self.client = AsyncTinker(
            api_key=api_key, base_url=base_url, default_headers=default_headers, http_client=http_client
        )
        self.policy = policy
        self._create_args: dict[str, Any] = {
            "user_metadata": user_metadata or {},
            "project_id": project_id,
            "display_name": display_name,
        }
        self.project_id = project_id
        self.session_id: str | None = None
        self.ended: str | None = None
        self.closed = False
        self.model_counter = 0
        self.sampling_counter = 0
        self.heartbeats = 0
        self.config: Any = None  # the service's client config, when the spec has get_client_config
        self.closers: list[Callable[[], Awaitable[None]]] = []  # run on the loop before the finish
        self._heartbeat: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: LoopThread | None = None
        self._loop_lock = threading.Lock()
        self._atexit = _weak_close(self)
        atexit.register(self._atexit)

    @property
    def loop(self) -> LoopThread:
        """The background event loop, started on first use (a RestClient-only program needs none)."""
        with self._loop_lock:
            if self._loop is None:
                if self.closed:
                    raise RuntimeError("this ServiceClient is closed")
                self._loop = LoopThread("tinker-session")
            return self._loop

    # ------------------------------------------------------------------ on the loop

    async def ensure(self) -> str:
        """The session id, creating the session (and starting its heartbeat) the first time."""
        self.check()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.session_id is None:
                self.config = await self._client_config()
                self.session_id = await self._create()
                self._heartbeat = asyncio.get_running_loop().create_task(self._beat(self.session_id))
        return self.session_id

    def check(self) -> None:
        """SessionEndedError if the server ended the session; RuntimeError once closed."""
        if self.ended is not None:
            raise SessionEndedError(self.session_id or "?", self.ended)
        if self.closed:
            raise RuntimeError("this ServiceClient is closed")

    def waits(self, what: str) -> Waits:
        return Waits(what, self.policy, self._ended_by_server)

    def _ended_by_server(self, detail: str) -> None:
        """A call found the session gone (HTTP 410): remember it and raise SessionEndedError."""
        self.ended = detail
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        raise SessionEndedError(self.session_id or "?", detail)

    def next_model_seq_id(self) -> int:
        self.model_counter += 1
        return self.model_counter - 1

    def next_sampling_seq_id(self) -> int:
        self.sampling_counter += 1
        return self.sampling_counter - 1

    def setting(self, name: str, default: T) -> T:
        """A value of the service's client config (e.g. `fwdbwd_max_chunk_len`), else `default`."""
        value = getattr(self.config, name, None)
        return default if value is None else cast(T, value)

    async def _client_config(self) -> Any:
        """The service's client config, asked first as the SDK does (when the spec has the call)."""
        get_config = getattr(self.client.service, "get_client_config", None)
        if get_config is None:
            return None

        async def ask(options: RequestOptions) -> Any:
            return await get_config(sdk_version=__version__, options=options)

        try:
            return await call_with_waits(ask, self.waits("client config"))
        except APIStatusError as exc:
            if exc.status_code != 404:
                raise
            logger.info("the server has no client config (HTTP 404); using the defaults")
            return None

    async def _create(self) -> str:
        tags = [t for t in os.environ.get("TINKER_TAGS", "").split(",") if t]
        args = self._create_args

        async def create(options: RequestOptions) -> Any:
            return await self.client.service.create_session(
                tags=tags, sdk_version=__version__, options=options, **args
            )

        answer = await call_with_waits(create, self.waits("create session"))
        for level, message in (
            (logging.INFO, answer.info_message),
            (logging.WARNING, answer.warning_message),
            (logging.ERROR, answer.error_message),
        ):
            if message:
                logger.log(level, "%s", message)
        logger.info("session %s created", answer.session_id)
        return str(answer.session_id)

    async def _beat(self, session_id: str) -> None:
        interval = self.policy.heartbeat_interval
        delay = interval
        while True:
            await asyncio.sleep(delay)
            options: RequestOptions = {"max_retries": 0, "timeout": HEARTBEAT_TIMEOUT}
            try:
                await self.client.service.session_heartbeat(session_id=session_id, options=options)
            except APIStatusError as exc:
                if exc.status_code in (404, 410):
                    self.ended = f"heartbeat answered HTTP {exc.status_code}"
                    logger.warning("session %s was ended by the server; heartbeats stop", session_id)
                    return
                logger.warning("session heartbeat failed (HTTP %d); retrying", exc.status_code)
                delay = min(1.0, interval)
            except APIConnectionError as exc:
                logger.warning("session heartbeat failed (%s); retrying", exc.message)
                delay = min(1.0, interval)
            else:
                self.heartbeats += 1
                delay = interval

    async def _finish(self, status: FinishStatus, detail: str | None) -> None:
        if self.session_id is None or self.ended is not None:
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        args = {"session_id": self.session_id, "reason": {"type": status}, "detail": detail}
        try:
            await self.client.request(_FINISH, args, {"max_retries": 2, "timeout": 30.0})
            logger.info("session %s finished (%s)", self.session_id, status)
        except (APIStatusError, APIConnectionError) as exc:
            logger.warning("finishing session %s failed: %s", self.session_id, exc)

    async def _shutdown(self, status: FinishStatus, detail: str | None) -> None:
        try:
            for close in self.closers:
                try:
                    await close()
                except Exception as exc:  # a closer's failure must not keep the session open
                    logger.warning("closing %r failed: %s", close, exc)
            await self._finish(status, detail)
        finally:
            await self.client.close()

    # ------------------------------------------------------------------ from any thread

    def close(self, status: FinishStatus = "success", detail: str | None = None) -> None:
        """Finish the session with `status`, stop the heartbeat, close connections, join the thread."""
        if self.closed:
            return
        atexit.unregister(self._atexit)
        with self._loop_lock:
            loop, self.closed = self._loop, True
        if loop is None:
            return
        try:
            if not loop.on_loop():
                loop.run(self._shutdown(status, detail), timeout=60.0)
        finally:
            loop.stop()


def _weak_close(session: Session) -> Any:
    ref = weakref.ref(session)

    def close_at_exit() -> None:
        target = ref()
        if target is not None:
            target.close("interrupted", "the Python interpreter exited")

    return close_at_exit
