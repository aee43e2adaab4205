"""Batch polling of a sampling session's futures (`_batch_poll`) on a real loopback server (issue 11)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import tinker_client
from pydantic import BaseModel
from tinker_client._batch_poll import AsyncFuturesBatcher, Completion, FuturesBatcher
from tinker_client._clock import Clock
from tinker_client._futures import FutureSpec

from .loopback import Loopback, Reply
from .test_auth import exchange_on, jwt

MANY = ("POST", "/api/v1/retrieve_futures")
ONE = ("POST", "/api/v1/retrieve_future")
PAYLOAD = Reply(200, {"text": "done"})
FAILED = Reply(200, {"error": "bad prompt", "category": "user"})


class Result(BaseModel):
    text: str


SPEC = FutureSpec(Result, "Sample")


def finished(request_id: str, size: int | None = None) -> dict[str, Any]:
    return {"state": "finished", "request_id": request_id, "response_payload_uncompressed_size": size}


class _RecordedSleeps(Clock):
    """Real time, but the pauses asked for are recorded instead of slept."""

    def __init__(self, sleeps: list[float]) -> None:
        super().__init__()
        self.sleeps = sleeps

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def answer(cursor: int, *completions: dict[str, Any], delay: float = 0.0) -> Reply:
    return Reply(200, {"completions": list(completions), "cursor": cursor}, delay=delay)


def polls(loopback: Loopback) -> list[dict[str, Any]]:
    return [seen.json() for seen in loopback.seen if seen.path.endswith("retrieve_futures")]


def make(loopback: Loopback, **kwargs: Any) -> tuple[tinker_client.Tinker, FuturesBatcher, list[float]]:
    client = tinker_client.Tinker(api_key="tml-secret", base_url=loopback.url, **kwargs)
    loopback.closers.append(client.close)
    sleeps: list[float] = []
    client._clock = _RecordedSleeps(sleeps)
    return client, FuturesBatcher.for_client(client, "sess-1"), sleeps


def run_threads(batcher: FuturesBatcher, client: tinker_client.Tinker, ids: list[str]) -> dict[str, Any]:
    outcomes: dict[str, Any] = {}

    def one(request_id: str) -> None:
        try:
            outcomes[request_id] = batcher.result(request_id, lambda rid, t: client._poll(SPEC, rid, {}, t), 10)
        except Exception as exc:  # the test inspects what each waiter got
            outcomes[request_id] = exc

    threads = [threading.Thread(target=one, args=(request_id,)) for request_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_one_batch_round_resolves_several_futures_and_a_failure_raises(loopback: Loopback) -> None:
    loopback.script(
        MANY,
        answer(2, finished("r1", 10), finished("r2")),
        answer(3, {"state": "failed", "request_id": "r3"}, delay=0.3),
    )
    loopback.script(ONE, PAYLOAD, PAYLOAD, FAILED)
    client, batcher, _ = make(loopback)
    outcomes = run_threads(batcher, client, ["r1", "r2", "r3"])
    assert outcomes["r1"] == outcomes["r2"] == Result(text="done")
    failure = outcomes["r3"]
    assert isinstance(failure, tinker_client.RequestFailedError) and failure.category == "user"
    batcher.close()
    sent = polls(loopback)
    assert len(sent) == 3  # two rounds, then close() reports the last fetched id
    assert sent[0]["target"] == {
        "type": "sampling_session",
        "sampling_session_id": "sess-1",
        "cloned_sampler_id": 0,
    }
    assert [body["prev_cursor"] for body in sent] == [0, 2, 3]
    assert set().union(*(body["retrieved_request_ids"] for body in sent)) == {"r1", "r2", "r3"}
    assert sorted(
        seen.json()["request_id"] for seen in loopback.seen if seen.path.endswith("retrieve_future")
    ) == [
        "r1",
        "r2",
        "r3",
    ]
    assert batcher.pending == 0


def test_a_failed_completion_raises_even_when_the_fetch_answers(loopback: Loopback) -> None:
    loopback.script(MANY, answer(1, {"state": "failed", "request_id": "r1"}))
    loopback.script(ONE, PAYLOAD)
    client, batcher, _ = make(loopback)
    with pytest.raises(tinker_client.RequestFailedError) as caught:
        batcher.result("r1", lambda rid, t: client._poll(SPEC, rid, {}, t))
    assert caught.value.request_id == "r1" and caught.value.category == "unknown"
    batcher.close()
    assert polls(loopback)[-1]["retrieved_request_ids"] == ["r1"] and polls(loopback)[-1]["timeout"] == 0


def test_a_completion_reported_before_its_waiter_arrives_is_kept(loopback: Loopback) -> None:
    loopback.script(MANY, answer(2, finished("r1"), finished("r2")))
    _client, batcher, _ = make(loopback)
    assert batcher.wait("r1") == Completion("r1", "finished", None)
    assert batcher.wait("r2") == Completion("r2", "finished", None)
    assert len(polls(loopback)) == 1


def test_transient_answers_are_polled_again_after_a_pause(loopback: Loopback) -> None:
    loopback.script(MANY, Reply(503), Reply(408), Reply(400), answer(1, finished("r1", 5)))
    _client, batcher, sleeps = make(loopback)
    assert batcher.wait("r1") == Completion("r1", "finished", 5)
    assert len(polls(loopback)) == 4 and len(sleeps) == 2 and all(0 < pause <= 5 for pause in sleeps)


def test_answers_without_completions_pause_before_the_next_poll(loopback: Loopback) -> None:
    loopback.script(MANY, answer(0), answer(0), answer(0), answer(0), answer(0), answer(1, finished("r1")))
    _client, batcher, sleeps = make(loopback)
    assert batcher.wait("r1") == Completion("r1", "finished", None)
    assert sleeps == [0.1, 0.2, 0.4, 0.8, 1.0]  # a server answering at once is not polled in a hot loop


def test_a_fatal_answer_fails_every_waiter_with_the_typed_error(loopback: Loopback) -> None:
    loopback.script(MANY, Reply(403, {"detail": "not your session"}))
    loopback.script(ONE, PAYLOAD)
    client, batcher, _ = make(loopback)
    outcomes = run_threads(batcher, client, ["r1", "r2"])
    assert all(isinstance(value, tinker_client.PermissionDeniedError) for value in outcomes.values())
    with pytest.raises(tinker_client.PermissionDeniedError):
        batcher.wait("r3")
    assert len(polls(loopback)) == 1 and "tml-secret" not in str(outcomes["r1"])


def test_connection_errors_give_up_with_api_connection_error(loopback: Loopback) -> None:
    loopback.script(MANY, Reply(reset=True))
    _client, batcher, sleeps = make(loopback)
    with pytest.raises(tinker_client.APIConnectionError):
        batcher.wait("r1")
    assert len(polls(loopback)) == 5 and len(sleeps) == 4


def test_an_unknown_completion_state_is_a_validation_error(loopback: Loopback) -> None:
    loopback.script(MANY, answer(1, {"state": "exploded", "request_id": "r1"}))
    _client, batcher, _ = make(loopback)
    with pytest.raises(tinker_client.APIResponseValidationError):
        batcher.wait("r1")


def test_a_deadline_is_sent_as_the_long_poll_timeout_and_ends_the_wait(loopback: Loopback) -> None:
    loopback.script(MANY, answer(0, delay=0.05))
    _client, batcher, _ = make(loopback)
    with pytest.raises(tinker_client.FutureTimeoutError):
        batcher.wait("r1", timeout=0.3)
    sent = polls(loopback)
    assert sent and all(0 < body["timeout"] <= 0.3 for body in sent)


def test_the_batch_poll_sends_the_exchanged_token(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"))
    loopback.script(MANY, answer(1, finished("r1")))
    _client, batcher, _ = make(loopback, token_exchange=True)
    batcher.wait("r1")
    assert [seen.path.rsplit("/", 1)[-1] for seen in loopback.seen] == ["token", "retrieve_futures"]
    assert loopback.seen[1].headers["X-API-Key"] == jwt("a")


def test_async_waiters_share_one_round(loopback: Loopback) -> None:
    loopback.script(
        MANY,
        answer(2, finished("r1"), finished("r2"), delay=0.1),
        answer(3, {"state": "failed", "request_id": "r3"}, delay=0.3),  # after r1, r2 fetched
    )
    loopback.script(ONE, PAYLOAD, PAYLOAD, FAILED)

    async def run() -> list[Any]:
        async with tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url) as client:
            batcher = AsyncFuturesBatcher.for_client(client, "sess-1", cloned_sampler_id=7)

            async def fetch(request_id: str, timeout: float | None) -> Result:
                return await client._poll(SPEC, request_id, {}, timeout)

            outcomes = await asyncio.gather(
                *(batcher.result(rid, fetch, timeout=10) for rid in ("r1", "r2", "r3")),
                return_exceptions=True,
            )
            assert batcher.pending == 0
            await batcher.close()
            return outcomes

    outcomes = asyncio.run(run())
    assert outcomes[:2] == [Result(text="done")] * 2
    assert isinstance(outcomes[2], tinker_client.RequestFailedError)
    sent = polls(loopback)
    assert len(sent) == 3 and sent[0]["target"]["cloned_sampler_id"] == 7
    assert [body["prev_cursor"] for body in sent] == [0, 2, 3]
    assert set().union(*(body["retrieved_request_ids"] for body in sent)) == {"r1", "r2", "r3"}


def test_async_deadline_ends_the_wait(loopback: Loopback) -> None:
    loopback.script(MANY, answer(0, delay=0.05))

    async def run() -> None:
        async with tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url) as client:
            batcher = AsyncFuturesBatcher.for_client(client, "sess-1")
            with pytest.raises(tinker_client.FutureTimeoutError):
                await batcher.wait("r1", timeout=0.2)
            await asyncio.sleep(0.1)  # the last round, sent before the deadline, is answered
            await batcher.close()

    assert all(0 < body["timeout"] <= 0.2 for body in polls(loopback))

    asyncio.run(run())
