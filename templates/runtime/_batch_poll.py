"""Many pending futures of one sampling session learn of their completion from one poll.

Polled one by one, N pending futures hold N requests open at `retrieve_future`. A batcher
instead long-polls `POST /api/v1/retrieve_futures` for the whole session (api-facts 1.7, 7):
the answer lists the requests that finished or failed since the last cursor; each waiter
then fetches its own payload with `retrieve_future` (a `fetch` function the caller gives),
and the ids whose payload was fetched are reported back with the next poll.

There is no background thread or task: the first waiter without a poll in flight sends one
("leads") and every waiter re-checks when it ends. `_Session` holds every decision (request
body, what an answer means, retries) for both `FuturesBatcher` and `AsyncFuturesBatcher`.
`worth_batching` says from how many pending futures the batch form pays (bench/batch_poll.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, Field, ValidationError

from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    FutureTimeoutError,
    RequestFailedError,
    TinkerError,
    parse_body,
    status_error,
)

if TYPE_CHECKING:
    import asyncio

    from ._base_client import AsyncAPIClient, SyncAPIClient

R = TypeVar("R")

__all__ = ["AsyncFuturesBatcher", "Completion", "FuturesBatcher", "worth_batching"]

RETRIEVE_MANY_PATH = "/api/v1/retrieve_futures"
POLL_TIMEOUT = 45.0  # seconds one poll may take: the server holds it open up to ~30 s
MIN_PENDING = 8  # from bench/batch_poll.py; see worth_batching
MAX_FAILURES = 5  # connection errors in a row before the waiters get APIConnectionError
MAX_BAD_REQUESTS = 3  # bare 400s in a row (proxies inject them) before they count
EMPTY_PAUSE = 0.1  # after an answer without completions, doubling to 1 s: no hot loop on a quick server
MAX_UNCLAIMED = 4096  # completions kept for waiters yet to come; the oldest go first


def worth_batching(pending: int) -> bool:
    """Whether `pending` concurrent futures of one session should wait on one batch poll.

    Measured on a loopback stub (bench/batch_poll.py): both ways resolve K futures in the same
    wall time (within 2%, K = 1..256); per-future polling holds ~K requests open (up to the
    pool's 100), the batch at most 4, but the batch costs one more, short, request per future
    (the payload fetch). From 8 pending futures the open requests saved are worth that.
    """
    return pending >= MIN_PENDING


@dataclass(frozen=True)
class Completion:
    """A request the server reported done: `state` "finished" (payload ready) or "failed"."""

    request_id: str
    state: Literal["finished", "failed"]
    payload_size: int | None = None


class _Finished(BaseModel):
    state: Literal["finished"]
    request_id: str
    response_payload_uncompressed_size: int | None = None


class _Failed(BaseModel):
    state: Literal["failed"]
    request_id: str


class _Answer(BaseModel):
    completions: list[Annotated[_Finished | _Failed, Field(discriminator="state")]]
    cursor: int


@dataclass(frozen=True)
class _Sent:
    request: httpx.Request
    acks: frozenset[str]


class _Session:
    """The batch poll's state and decisions, shared by both batchers (callers hold their lock)."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], sampling_session_id: str, cloned_sampler_id: int
    ) -> None:
        self.url = base_url.rstrip("/") + RETRIEVE_MANY_PATH
        self.headers = {**headers, "Accept": "application/json", "Content-Type": "application/json"}
        self.target = {
            "type": "sampling_session",
            "sampling_session_id": sampling_session_id,
            "cloned_sampler_id": cloned_sampler_id,
        }
        self.cursor = 0
        self.done: dict[str, Completion] = {}  # reported, not yet taken by a waiter
        self.retrieved: set[str] = set()  # payload fetched: reported with the next poll
        self.waiting: Counter[str] = Counter()
        self.error: TinkerError | None = None  # terminal: every waiter raises it
        self.failures = self.bad_requests = 0  # connection errors / bare 400s in a row
        self.streak = 0  # polls in a row without an answer: the backoff grows with it

    def take(self, request_id: str) -> Completion | None:
        """This request's completion once reported; the batch's error if it broke first."""
        found = self.done.pop(request_id, None)
        if found is None and self.error is not None:
            raise self.error
        return found

    def next_poll(self, remaining: float | None) -> _Sent:
        """The next `retrieve_futures` request; with a deadline the server holds it no longer."""
        acks = frozenset(self.retrieved)
        body: dict[str, object] = {"target": self.target, "prev_cursor": self.cursor}
        if remaining is not None:
            body["timeout"] = round(remaining, 3)
        body["retrieved_request_ids"] = sorted(acks)
        timeout = POLL_TIMEOUT if remaining is None else min(POLL_TIMEOUT, remaining + 1.0)
        request = httpx.Request(
            "POST",
            self.url,
            headers=self.headers,
            content=json.dumps(body).encode(),
            extensions={"timeout": httpx.Timeout(timeout, connect=5.0).as_dict()},
        )
        return _Sent(request, acks)

    def settle(self, sent: _Sent, outcome: httpx.Response | httpx.TransportError) -> float:
        """Take in one poll's outcome; the seconds to wait before the next poll."""
        try:
            delay = self._settle(sent, outcome)
        except TinkerError as exc:
            self.error = exc
            return 0.0
        self.streak = 0 if delay == 0 else self.streak + 1
        return delay

    def _settle(self, sent: _Sent, outcome: httpx.Response | httpx.TransportError) -> float:
        if isinstance(outcome, httpx.TransportError):
            self.failures += 1
            if self.failures >= MAX_FAILURES:
                timed_out = isinstance(outcome, httpx.TimeoutException)
                raise APITimeoutError(sent.request) if timed_out else APIConnectionError(sent.request)
            return _backoff(self.streak)
        self.failures = 0
        status = outcome.status_code
        if outcome.is_success:
            self.bad_requests = 0
            if self._absorb(outcome, sent.acks):
                return 0.0
            return min(EMPTY_PAUSE * 2.0**self.streak, 1.0)  # a server that does not hold the poll
        if status == 408:
            return 0.0
        if status == 429 or status >= 500:
            return _backoff(self.streak)
        if status == 400 and self.bad_requests < MAX_BAD_REQUESTS:
            self.bad_requests += 1
            return _backoff(self.streak)
        raise status_error(outcome)

    def _absorb(self, response: httpx.Response, acks: frozenset[str]) -> bool:
        """Take in an answer's completions; whether it had any."""
        try:
            answer = _Answer.model_validate_json(response.content)
        except ValidationError as exc:
            raise APIResponseValidationError(response, parse_body(response), str(exc)) from None
        self.retrieved -= acks
        self.cursor = answer.cursor
        for item in answer.completions:
            size = item.response_payload_uncompressed_size if isinstance(item, _Finished) else None
            self.done[item.request_id] = Completion(item.request_id, item.state, size)
        while len(self.done) > MAX_UNCLAIMED:  # reported ids no waiter came for (polled one by one)
            del self.done[next(iter(self.done))]
        return bool(answer.completions)

    def retrieved_one(self, request_id: str) -> None:
        self.retrieved.add(request_id)


def _backoff(attempt: int) -> float:
    return float(min(0.25 * 2.0**attempt, 5.0))


def _remaining(deadline: float | None, now: float, request_id: str, timeout: float | None) -> float | None:
    if deadline is None:
        return None
    if now >= deadline:
        raise FutureTimeoutError(request_id, timeout or 0.0)
    return deadline - now


def _checked(completion: Completion, value: R) -> R:
    """The fetched value, unless the batch reported the request failed (and the fetch did not raise)."""
    if completion.state == "failed":
        raise RequestFailedError(completion.request_id, "the server reported the request failed", "unknown")
    return value


def _client_parts(client: SyncAPIClient | AsyncAPIClient) -> dict[str, Any]:
    """What a batcher takes from its client: base URL, headers with the key, auth and clock."""
    return {
        "base_url": client.base_url,
        "headers": {"X-API-Key": client.api_key, **client.default_headers},
        "auth": client._auth,
        "monotonic": client._clock.monotonic,
    }


class FuturesBatcher:
    """Blocking waiters of one sampling session's futures, sharing one batch poll.

    `result(request_id, fetch)` waits until the batch reports the request, then calls
    `fetch(request_id, remaining_seconds)` (e.g. the client's per-future poll, which answers
    at once now) and reports the id as retrieved. Safe to use from many threads.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        sampling_session_id: str,
        cloned_sampler_id: int = 0,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = _Session(base_url, headers or {}, sampling_session_id, cloned_sampler_id)
        self._http, self._auth, self._sleep, self._monotonic = http, auth, sleep, monotonic
        self._cond = threading.Condition()
        self._polling = False

    @classmethod
    def for_client(
        cls, client: SyncAPIClient, sampling_session_id: str, cloned_sampler_id: int = 0
    ) -> FuturesBatcher:
        """A batcher sending through `client`'s connection pool, base URL, headers and key."""
        return cls(
            client._http,
            sampling_session_id=sampling_session_id,
            cloned_sampler_id=cloned_sampler_id,
            sleep=client._clock.sleep,
            **_client_parts(client),
        )

    @property
    def pending(self) -> int:
        """How many waiters are waiting now."""
        return sum(self._session.waiting.values())

    def result(
        self, request_id: str, fetch: Callable[[str, float | None], R], timeout: float | None = None
    ) -> R:
        """The request's result: wait for the batch to report it, then `fetch` its payload."""
        deadline = None if timeout is None else self._monotonic() + timeout
        completion = self.wait(request_id, timeout)
        remaining = _remaining(deadline, self._monotonic(), request_id, timeout)
        try:
            value = fetch(request_id, remaining)
        finally:
            self.mark_retrieved(request_id)
        return _checked(completion, value)

    def wait(self, request_id: str, timeout: float | None = None) -> Completion:
        """Block until the batch poll reports `request_id` (FutureTimeoutError after `timeout` s)."""
        deadline = None if timeout is None else self._monotonic() + timeout
        with self._cond:
            self._session.waiting[request_id] += 1
            try:
                while True:
                    found = self._session.take(request_id)
                    if found is not None:
                        return found
                    remaining = _remaining(deadline, self._monotonic(), request_id, timeout)
                    if self._polling:
                        self._cond.wait(remaining)
                    else:
                        self._lead(remaining)
            finally:
                self._session.waiting -= Counter({request_id: 1})

    def mark_retrieved(self, request_id: str) -> None:
        """Report `request_id`'s payload as fetched with the next poll (the server may drop it)."""
        with self._cond:
            self._session.retrieved_one(request_id)

    def close(self) -> None:
        """Report the fetched ids not reported yet, in one poll that does not wait."""
        with self._cond:
            if not self._session.retrieved or self._polling:
                return
            sent = self._session.next_poll(0.0)
        try:
            self._http.send(sent.request, auth=self._auth or httpx.USE_CLIENT_DEFAULT).close()
        except httpx.TransportError:
            return
        with self._cond:
            self._session.retrieved -= sent.acks

    def _lead(self, remaining: float | None) -> None:
        """Send one batch poll for every waiter (called and returning with the lock held)."""
        self._polling = True
        sent = self._session.next_poll(remaining)
        self._cond.release()
        try:
            outcome: httpx.Response | httpx.TransportError = self._http.send(
                sent.request, auth=self._auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.TransportError as exc:
            outcome = exc
        finally:
            self._cond.acquire()
        try:
            delay = self._session.settle(sent, outcome)
            if delay > 0:
                self._cond.release()
                try:
                    self._sleep(delay if remaining is None else min(delay, remaining))
                finally:
                    self._cond.acquire()
        finally:
            self._polling = False
            self._cond.notify_all()


class AsyncFuturesBatcher:
    """The asyncio form of `FuturesBatcher` (one event loop); `fetch` is a coroutine function."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        sampling_session_id: str,
        cloned_sampler_id: int = 0,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = _Session(base_url, headers or {}, sampling_session_id, cloned_sampler_id)
        self._http, self._auth, self._sleep, self._monotonic = http, auth, sleep, monotonic
        self._round: asyncio.Future[None] | None = None

    @classmethod
    def for_client(
        cls, client: AsyncAPIClient, sampling_session_id: str, cloned_sampler_id: int = 0
    ) -> AsyncFuturesBatcher:
        """A batcher sending through `client`'s connection pool, base URL, headers and key."""
        return cls(
            client._http,
            sampling_session_id=sampling_session_id,
            cloned_sampler_id=cloned_sampler_id,
            sleep=client._clock.asleep,
            **_client_parts(client),
        )

    @property
    def pending(self) -> int:
        """How many waiters are waiting now."""
        return sum(self._session.waiting.values())

    async def result(
        self,
        request_id: str,
        fetch: Callable[[str, float | None], Awaitable[R]],
        timeout: float | None = None,
    ) -> R:
        """The request's result: wait for the batch to report it, then `fetch` its payload."""
        deadline = None if timeout is None else self._monotonic() + timeout
        completion = await self.wait(request_id, timeout)
        remaining = _remaining(deadline, self._monotonic(), request_id, timeout)
        try:
            value = await fetch(request_id, remaining)
        finally:
            self.mark_retrieved(request_id)
        return _checked(completion, value)

    async def wait(self, request_id: str, timeout: float | None = None) -> Completion:
        """Wait until the batch poll reports `request_id` (FutureTimeoutError after `timeout` s)."""
        import asyncio

        deadline = None if timeout is None else self._monotonic() + timeout
        self._session.waiting[request_id] += 1
        try:
            while True:
                found = self._session.take(request_id)
                if found is not None:
                    return found
                remaining = _remaining(deadline, self._monotonic(), request_id, timeout)
                if self._round is None:
                    self._round = asyncio.ensure_future(self._lead(remaining))
                try:
                    await asyncio.wait_for(asyncio.shield(self._round), remaining)
                except asyncio.TimeoutError:
                    continue  # the deadline check above raises FutureTimeoutError
        finally:
            self._session.waiting -= Counter({request_id: 1})

    def mark_retrieved(self, request_id: str) -> None:
        """Report `request_id`'s payload as fetched with the next poll (the server may drop it)."""
        self._session.retrieved_one(request_id)

    async def close(self) -> None:
        """Stop a poll in flight; report the fetched ids not reported yet, in one that does not wait."""
        import asyncio

        flight = self._round
        if flight is not None:
            flight.cancel()
            await asyncio.gather(flight, return_exceptions=True)
        if not self._session.retrieved:
            return
        sent = self._session.next_poll(0.0)
        try:
            await (await self._http.send(sent.request, auth=self._auth or httpx.USE_CLIENT_DEFAULT)).aclose()
        except httpx.TransportError:
            return
        self._session.retrieved -= sent.acks

    async def _lead(self, remaining: float | None) -> None:
        """One batch poll for every waiter; the round ends after the pause it asks for."""
        import asyncio

        try:
            sent = self._session.next_poll(remaining)
            try:
                outcome: httpx.Response | httpx.TransportError = await self._http.send(
                    sent.request, auth=self._auth or httpx.USE_CLIENT_DEFAULT
                )
            except httpx.TransportError as exc:
                outcome = exc
            delay = self._session.settle(sent, outcome)
            if delay > 0:
                pause = delay if remaining is None else min(delay, remaining)
                await (self._sleep or asyncio.sleep)(pause)
        finally:
            self._round = None
