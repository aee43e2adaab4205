"""Production behaviour of the generated client on a real loopback server (issue 3).

Time goes through the client's one clock object (`_clock`), so retry and polling tests record
the delays asked for and run fast.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import tinker_client

from .loopback import FakeTime, Loopback, Reply

FUTURE_OK = Reply(200, {"request_id": "req-1", "model_id": "run-1"})
TRY_AGAIN = Reply(200, {"type": "try_again", "request_id": "req-1", "queue_state": "active"})
SAVED = Reply(200, {"path": "tinker://run-1/weights/0002", "type": "save_weights"})
SAMPLER = {"sampler_id": "s", "base_model": "b"}


def make(loopback: Loopback, **kwargs: Any) -> tuple[tinker_client.Tinker, FakeTime]:
    client = tinker_client.Tinker(api_key="tml-secret", base_url=loopback.url, **kwargs)
    loopback.closers.append(client.close)
    fake = FakeTime()
    client._clock = fake
    return client, fake


def make_async(loopback: Loopback, **kwargs: Any) -> tuple[tinker_client.AsyncTinker, FakeTime]:
    client = tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url, **kwargs)
    fake = FakeTime()
    client._clock = fake
    return client, fake


# ------------------------------------------------------------------- retries


def test_retries_5xx_then_succeeds_with_one_idempotency_key(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), Reply(500), Reply(503), FUTURE_OK)
    client, fake = make(loopback)
    future = client.weights.save(model_id="run-1")
    assert future.request_id == "req-1"
    keys = {seen.headers["X-Idempotency-Key"] for seen in loopback.seen}
    assert len(loopback.seen) == 3 and len(keys) == 1
    assert 0.375 <= fake.sleeps[0] <= 0.5 and 0.75 <= fake.sleeps[1] <= 1.0


def test_gives_up_after_max_retries_with_the_typed_error(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(502, {"error": "bad gateway"}))
    client, fake = make(loopback)
    with pytest.raises(tinker_client.InternalServerError, match="bad gateway"):
        client.samplers.get("s")
    assert len(loopback.seen) == 3 and len(fake.sleeps) == 2


@pytest.mark.parametrize("status", [408, 409, 429])
def test_retryable_statuses(loopback: Loopback, status: int) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(status), Reply(200, SAMPLER))
    client, _ = make(loopback)
    assert client.samplers.get("s").sampler_id == "s"
    assert len(loopback.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(loopback: Loopback, status: int) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(status, {"error": "no"}))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.APIStatusError):
        client.samplers.get("s")
    assert len(loopback.seen) == 1


def test_x_should_retry_overrides_the_status(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(500, headers={"x-should-retry": "false"}))
    loopback.script(
        ("GET", "/api/v1/samplers/t"), Reply(400, headers={"x-should-retry": "true"}), Reply(200, SAMPLER)
    )
    client, _ = make(loopback)
    with pytest.raises(tinker_client.InternalServerError):
        client.samplers.get("s")
    assert client.samplers.get("t").base_model == "b"
    assert len(loopback.seen) == 3


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "600"}, 60.0),
    ],
)
def test_retry_after_is_honoured_up_to_the_cap(
    loopback: Loopback, headers: dict[str, str], expected: float
) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(429, headers=headers), Reply(200, SAMPLER))
    client, fake = make(loopback)
    client.samplers.get("s")
    assert fake.sleeps == [expected]


def test_retry_after_as_an_http_date(loopback: Loopback) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    loopback.script(
        ("GET", "/api/v1/samplers/s"), Reply(503, headers={"retry-after": when}), Reply(200, SAMPLER)
    )
    client, fake = make(loopback)
    client.samplers.get("s")
    assert 25 <= fake.sleeps[0] <= 30


def test_max_retries_on_client_per_call_and_with_options(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(500))
    client, _ = make(loopback, max_retries=0)
    with pytest.raises(tinker_client.InternalServerError):
        client.samplers.get("s")
    assert len(loopback.seen) == 1
    with pytest.raises(tinker_client.InternalServerError):
        client.samplers.get("s", options={"max_retries": 3})
    assert len(loopback.seen) == 1 + 4
    patient = client.with_options(max_retries=1)
    assert patient._clock is client._clock and patient._http is client._http  # one pool, one clock
    with pytest.raises(tinker_client.InternalServerError):
        patient.samplers.get("s")
    assert len(loopback.seen) == 5 + 2
    assert client.retry.max_retries == 0


def test_connection_reset_is_retried(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(reset=True), Reply(200, SAMPLER))
    client, fake = make(loopback)
    assert client.samplers.get("s").sampler_id == "s"
    assert len(fake.sleeps) == 1


def test_slow_answer_times_out(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER, delay=0.5))
    client, fake = make(loopback, max_retries=1)
    with pytest.raises(tinker_client.APITimeoutError):
        client.samplers.get("s", options={"timeout": 0.05})
    assert len(fake.sleeps) == 1


def test_caller_idempotency_key_and_none_on_get(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), Reply(500), FUTURE_OK)
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    client, _ = make(loopback)
    client.weights.save(model_id="run-1", options={"idempotency_key": "mine-1"})
    client.samplers.get("s")
    assert [s.headers.get("X-Idempotency-Key") for s in loopback.seen] == ["mine-1", "mine-1", None]


def test_malformed_json_is_a_response_validation_error(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, raw=b'{"sampler_id": '))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.APIResponseValidationError) as caught:
        client.samplers.get("s")
    assert caught.value.body == '{"sampler_id": '


def test_async_retries_share_the_policy(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), Reply(429, headers={"retry-after": "3"}), FUTURE_OK)
    client, fake = make_async(loopback)

    async def run() -> Any:
        async with client:
            return await client.weights.save(model_id="run-1")

    future = asyncio.run(run())
    assert future.request_id == "req-1" and fake.sleeps == [3.0]
    assert len({s.headers["X-Idempotency-Key"] for s in loopback.seen}) == 1


# ------------------------------------------------------------------- futures


def test_future_create_poll_result_sync(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), TRY_AGAIN, Reply(408), Reply(502), TRY_AGAIN, SAVED)
    client, _ = make(loopback)
    future = client.weights.save(model_id="run-1", path="0002")
    assert isinstance(future, tinker_client.Future)
    result = future.result(timeout=60)
    assert result.path == "tinker://run-1/weights/0002"
    assert future.result() is result  # resolved once
    polls = loopback.seen[1:]
    assert len(polls) == 5
    assert [p.headers["X-Tinker-Request-Iteration"] for p in polls] == ["0", "1", "2", "3", "4"]
    assert {p.headers["X-Tinker-Request-Type"] for p in polls} == {"SaveWeights"}
    assert polls[0].json() == {"request_id": "req-1", "allow_metadata_only": True}


def test_future_create_poll_result_async(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/optim_step"), FUTURE_OK)
    loopback.script(
        ("POST", "/api/v1/retrieve_future"), TRY_AGAIN, TRY_AGAIN, Reply(200, {"metrics": {"loss": 0.5}})
    )
    client, _ = make_async(loopback)

    async def run() -> Any:
        async with client:
            future = await client.training.optim_step(
                model_id="run-1", adam_params=tinker_client.types.AdamParams()
            )
            assert isinstance(future, tinker_client.AsyncFuture)
            return await future

    assert asyncio.run(run()).metrics == {"loss": 0.5}
    assert len(loopback.seen) == 4


def test_future_failure_carries_category_and_request_id(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/create_model"), FUTURE_OK)
    loopback.script(
        ("POST", "/api/v1/retrieve_future"), Reply(200, {"error": "bad rank", "category": "user"})
    )
    client, _ = make(loopback)
    future = client.models.create(session_id="s", model_seq_id=0, base_model="b")
    with pytest.raises(tinker_client.RequestFailedError) as caught:
        future.result()
    assert (caught.value.category, caught.value.request_id, caught.value.error) == (
        "user",
        "req-1",
        "bad rank",
    )


def test_future_expired(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/unload_model"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(410, {"error": "expired"}))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.FutureExpiredError, match="req-1") as caught:
        client.models.unload(model_id="run-1").result()
    assert caught.value.status_code == 410


def test_future_deadline_names_the_request(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), TRY_AGAIN)
    client, fake = make(loopback)
    with pytest.raises(tinker_client.FutureTimeoutError, match="req-1"):
        client.weights.save(model_id="run-1").result(timeout=5)
    assert sum(fake.sleeps) == pytest.approx(5.0)


def test_future_429_backs_off(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(429, headers={"retry-after": "4"}), SAVED)
    client, fake = make(loopback)
    client.weights.save(model_id="run-1").result()
    assert fake.sleeps == [4.0]


def test_future_result_that_does_not_match_its_type(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(200, {"unexpected": True}))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.APIResponseValidationError):
        client.weights.save(model_id="run-1").result()


def test_raw_retrieve_stays_available(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/retrieve_future"), TRY_AGAIN)
    client, _ = make(loopback)
    answer = client.futures.retrieve(request_id="req-1")
    assert answer.root.type == "try_again"


# --------------------------------------------------------- checkpoint archive

ARCHIVE = ("GET", "/api/v1/training_runs/run-1/checkpoints/weights/0001/archive")


def test_archive_302_becomes_the_url_and_expiry(loopback: Loopback) -> None:
    expires = "Wed, 15 Jan 2025 10:15:00 GMT"
    loopback.script(
        ARCHIVE, Reply(302, headers={"Location": "https://storage.example/a?sig=1", "Expires": expires})
    )
    client, _ = make(loopback)
    result = client.weights.get_checkpoint_archive_url("run-1", "weights/0001")
    assert result.url == "https://storage.example/a?sig=1"
    assert result.expires == datetime(2025, 1, 15, 10, 15, tzinfo=UTC)
    assert len(loopback.seen) == 1  # the redirect was not followed


def test_archive_302_without_expires_defaults_to_15_minutes(loopback: Loopback) -> None:
    loopback.script(ARCHIVE, Reply(302, headers={"Location": "https://storage.example/a"}))
    client, _ = make(loopback)
    expires = client.weights.get_checkpoint_archive_url("run-1", "weights/0001").expires
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)


def test_archive_302_without_location_is_an_error(loopback: Loopback) -> None:
    loopback.script(ARCHIVE, Reply(302))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.APIResponseValidationError, match="Location"):
        client.weights.get_checkpoint_archive_url("run-1", "weights/0001")


def test_archive_200_json(loopback: Loopback) -> None:
    loopback.script(ARCHIVE, Reply(200, {"url": "https://u", "expires": "2025-01-15T10:15:00Z"}))
    client, _ = make(loopback)
    assert client.weights.get_checkpoint_archive_url("run-1", "weights/0001").url == "https://u"


def test_archive_503_waits_then_succeeds(loopback: Loopback) -> None:
    busy = Reply(503, {"error": "Archive still being generated"})
    loopback.script(ARCHIVE, busy, busy, Reply(302, headers={"Location": "https://u"}))
    client, fake = make(loopback, archive_retry_delay=30.0)
    assert client.weights.get_checkpoint_archive_url("run-1", "weights/0001").url == "https://u"
    assert fake.sleeps == [30.0, 30.0]


def test_archive_503_gives_up_after_max_attempts(loopback: Loopback) -> None:
    loopback.script(ARCHIVE, Reply(503, {"error": "Archive still being generated"}))
    client, fake = make(loopback, archive_retry_delay=1.0, archive_max_attempts=3)
    with pytest.raises(tinker_client.InternalServerError, match="still being generated"):
        client.weights.get_checkpoint_archive_url("run-1", "weights/0001")
    assert len(loopback.seen) == 3 and fake.sleeps == [1.0, 1.0]


# ----------------------------------------------------------------- pagination


def _run(i: int) -> dict[str, Any]:
    return {
        "training_run_id": f"run-{i}",
        "base_model": "b",
        "model_owner": "me",
        "is_lora": True,
        "last_request_time": "2025-01-15T10:00:00Z",
    }


def test_pages_until_total_count(loopback: Loopback) -> None:
    def page(offset: int, count: int) -> Reply:
        runs = [_run(i) for i in range(offset, offset + count)]
        return Reply(200, {"training_runs": runs, "cursor": {"offset": offset, "limit": 2, "total_count": 5}})

    loopback.script(("GET", "/api/v1/training_runs"), page(0, 2), page(2, 2), page(4, 1))
    client, _ = make(loopback)
    ids = [run.training_run_id for run in client.training_runs.list_all(limit=2)]
    assert ids == [f"run-{i}" for i in range(5)]
    assert [s.query["offset"] for s in loopback.seen] == ["0", "2", "4"]
    assert {s.query["limit"] for s in loopback.seen} == {"2"}


def test_pages_stop_on_an_empty_page_and_on_a_short_page(loopback: Loopback) -> None:
    loopback.script(
        ("GET", "/api/v1/sessions"), Reply(200, {"sessions": ["a", "b"]}), Reply(200, {"sessions": ["c"]})
    )
    loopback.script(
        ("GET", "/api/v1/checkpoints"),
        Reply(200, {"checkpoints": [], "cursor": {"offset": 0, "limit": 100, "total_count": 9}}),
    )
    client, _ = make(loopback)
    assert list(client.sessions.list_all(limit=2)) == ["a", "b", "c"]
    assert list(client.checkpoints.list_all()) == []
    assert len(loopback.seen) == 3


def test_async_pages(loopback: Loopback) -> None:
    loopback.script(
        ("GET", "/api/v1/sessions"), Reply(200, {"sessions": ["a", "b"]}), Reply(200, {"sessions": []})
    )
    client, _ = make_async(loopback)

    async def run() -> list[str]:
        async with client:
            return [s async for s in client.sessions.list_all(limit=2)]

    assert asyncio.run(run()) == ["a", "b"]


# -------------------------------------------------------------- raw responses


def test_raw_responses(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER, headers={"X-Request-Id": "abc"}))
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    client, _ = make(loopback)
    raw = client.with_raw_response.samplers.get("s")
    assert isinstance(raw, tinker_client.RawResponse)
    assert raw.status_code == 200 and raw.headers["X-Request-Id"] == "abc"
    assert raw.parse().base_model == "b"
    raw_future = client.with_raw_response.weights.save(model_id="run-1")
    assert raw_future.parse().request_id == "req-1"


def test_async_raw_responses(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    client, _ = make_async(loopback)

    async def run() -> Any:
        async with client:
            return await client.with_raw_response.samplers.get("s")

    raw = asyncio.run(run())
    assert raw.status_code == 200 and raw.parse().sampler_id == "s"


# ---------------------------------------------------------- configuration, logs


def test_logs_show_method_url_status_attempt_and_delay_but_never_the_key(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TINKER_LOG", "debug")
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(500), Reply(200, SAMPLER))
    client, _ = make(loopback)
    with caplog.at_level(logging.DEBUG, logger="tinker_client"):
        client.samplers.get("s")
    text = caplog.text
    assert f"GET {loopback.url}/api/v1/samplers/s -> 500 (attempt 1)" in text
    assert "-> 200 (attempt 2)" in text
    assert "retrying GET" in text and "after HTTP 500 (attempt 2)" in text
    assert "tml-secret" not in text and "[secure]" in text


def test_injected_http_client_and_default_headers(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    http = httpx.Client(headers={"X-From-Pool": "1"})
    client = tinker_client.Tinker(
        api_key="k", base_url=loopback.url, http_client=http, default_headers={"X-Team": "t"}
    )
    client.samplers.get("s")
    client.close()
    assert not http.is_closed
    assert loopback.seen[0].headers["X-From-Pool"] == "1" and loopback.seen[0].headers["X-Team"] == "t"
    http.close()
