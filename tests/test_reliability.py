"""Reliability of the generated client under a hostile world (issue 9, items 1-6 and 8-10).

A fault-injecting loopback server (tests/loopback.py: resets, trickled and truncated bodies,
bad encodings, huge bodies, any header) and property tests over every path parameter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import pkgutil
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import tinker_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinker_client import types
from tinker_client._endpoint import Endpoint, Param
from tinker_client._retry import http_date, server_delay

from .loopback import FakeTime, Loopback, Reply

SAMPLER = {"sampler_id": "s", "base_model": "b"}
FUTURE_OK = Reply(200, {"request_id": "req-1", "model_id": "run-1"})


def make(loopback: Loopback, **kwargs: Any) -> tuple[tinker_client.Tinker, FakeTime]:
    kwargs.setdefault("api_key", "tml-secret")
    client = tinker_client.Tinker(base_url=loopback.url, **kwargs)
    loopback.closers.append(client.close)
    client._clock = fake = FakeTime()
    return client, fake


# ------------------------------------------------- 1. no value reaches another endpoint


def _endpoints() -> Iterator[tuple[str, Endpoint[Any]]]:
    import tinker_client.resources as package

    for module in pkgutil.iter_modules(package.__path__):
        loaded = importlib.import_module(f"tinker_client.resources.{module.name}")
        for name, value in vars(loaded).items():
            if isinstance(value, Endpoint):
                yield f"{module.name}.{name}", value


PATH_PARAMS = [
    (f"{where}:{param.wire}", endpoint, param)
    for where, endpoint in _endpoints()
    for param in endpoint.params
    if param.location == "path"
]
HOSTILE = st.sampled_from(
    [".", "..", "", "/", "%2e", "%2E%2E", "?", "#", "a/..", "./a", "..%2f", "\\", "a b"]
)


def test_every_path_parameter_is_covered() -> None:
    assert len(PATH_PARAMS) >= 10 and any(p.multi_segment for _, _, p in PATH_PARAMS)


@pytest.mark.parametrize(("where", "endpoint", "param"), PATH_PARAMS, ids=[p[0] for p in PATH_PARAMS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_path_value_reaches_another_endpoint(
    where: str, endpoint: Endpoint[Any], param: Param, data: Any
) -> None:
    value = data.draw(st.one_of(HOSTILE, st.text()) if param.kind == "str" else st.integers())
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    client = tinker_client.Tinker(
        api_key="tml-k",
        base_url="http://api.test/base",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    bare = dataclasses.replace(endpoint, body=None, response=type(None), redirect=None)
    args = {p.wire: "x" for p in endpoint.params if p.location == "path"} | {param.wire: value}
    try:
        client.request(bare, args, {"max_retries": 0})
    except ValueError:
        assert not sent, "refused only before sending"
        text = str(value)
        segments = text.split("/") if param.multi_segment else [text]
        assert any(s in ("", ".", "..") for s in segments), f"{value!r} refused without reason"
        return
    (request,) = sent
    got = request.url.raw_path.decode().split("?")[0].split("/")
    template = ("/base" + endpoint.path).split("/")
    expected: list[str] = []
    for part in template:
        if part == "{" + param.wire + "}":
            expected.extend(str(value).split("/") if param.multi_segment else [str(value)])
        elif part.startswith("{"):
            expected.append("x")
        else:
            expected.append(part)
    assert [unquote(s) for s in got] == expected
    assert len(got) == len(expected)


@pytest.mark.parametrize("value", [".", "..", ""])
def test_dot_segments_are_refused_before_sending(value: str) -> None:
    client = tinker_client.Tinker(
        api_key="tml-k",
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
    )
    with pytest.raises(ValueError, match="sampler_id"):
        client.samplers.get(value)
    with pytest.raises(ValueError, match="training_run_id"):
        client.weights.list(value)


# ------------------------------------------------------- 2. closing under running calls


def test_a_call_on_a_closed_client_raises_at_once(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    client, fake = make(loopback)
    client.close()
    with pytest.raises(tinker_client.ClientClosedError):
        client.samplers.get("s")
    assert loopback.seen == [] and fake.sleeps == []
    assert client.with_options(max_retries=5).is_closed  # a derived client shares the pool's state


def test_an_async_call_on_a_closed_client_raises_at_once(loopback: Loopback) -> None:
    async def run() -> None:
        async with tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url) as client:
            pass
        with pytest.raises(tinker_client.ClientClosedError):
            await client.samplers.get("s")

    asyncio.run(run())
    assert loopback.seen == []


def test_closing_under_running_calls_ends_them_typed_without_retries(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER, delay=0.5))
    client = tinker_client.Tinker(api_key="tml-secret", base_url=loopback.url, max_retries=5)
    outcomes: list[object] = []

    def call() -> None:
        try:
            outcomes.append(client.samplers.get("s"))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    client.close()
    for thread in threads:
        thread.join(5)
    assert len(outcomes) == 4
    for outcome in outcomes:
        assert isinstance(outcome, (types.GetSamplerResponse, tinker_client.ClientClosedError)), repr(outcome)
    assert len(loopback.seen) == 4  # nothing retried


def test_async_close_under_running_calls(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER, delay=0.5))

    async def run() -> list[object]:
        client = tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url, max_retries=5)
        tasks = [asyncio.ensure_future(client.samplers.get("s")) for _ in range(3)]
        await asyncio.sleep(0.2)
        await client.close()
        return await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)

    for outcome in asyncio.run(run()):
        assert isinstance(outcome, (types.GetSamplerResponse, tinker_client.ClientClosedError)), repr(outcome)
    assert len(loopback.seen) == 3


# ------------------------------------------------------------- 3. no untyped escapes


def test_an_undecodable_body_is_a_connection_error_and_retried(loopback: Loopback) -> None:
    bad = Reply(
        200, raw=b"this is not gzip", headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    loopback.script(("GET", "/api/v1/samplers/s"), bad)
    client, fake = make(loopback)
    with pytest.raises(tinker_client.APIConnectionError, match="decoded"):
        client.samplers.get("s")
    assert len(loopback.seen) == 3 and len(fake.sleeps) == 2


def test_a_truncated_body_is_a_connection_error(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER, length=500))
    client, _ = make(loopback, max_retries=0)
    with pytest.raises(tinker_client.APIConnectionError):
        client.samplers.get("s")


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"Retry-After": "-5"},
        {"Retry-After": "1e300"},
        {"retry-after-ms": "nan"},
        {"retry-after-ms": "-inf"},
        {"retry-after-ms": "99999999999"},
        {"Retry-After": "Sun, 06 Nov 2994 08:49:37 GMT"},
        {"Retry-After": "Sun Nov  6 08:49:37 1994"},
    ],
)
def test_server_delays_are_read_defensively_and_capped(loopback: Loopback, headers: dict[str, str]) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(503, headers=headers), Reply(200, SAMPLER))
    client, fake = make(loopback)
    assert client.samplers.get("s").sampler_id == "s"
    (delay,) = fake.sleeps
    assert 0.0 <= delay <= 60.0

    async def run() -> None:
        loopback.script(("GET", "/api/v1/samplers/s"), Reply(503, headers=headers), Reply(200, SAMPLER))
        async with tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url) as aclient:
            aclient._clock = fake
            await aclient.samplers.get("s")

    asyncio.run(run())
    assert 0.0 <= fake.sleeps[-1] <= 60.0 and len(fake.sleeps) == 2


@given(st.one_of(st.text(), st.floats(allow_nan=True), st.integers(), st.none(), st.booleans()))
def test_server_delay_is_none_or_within_the_cap(value: object) -> None:
    delay = server_delay(value, 0.001, 10.0)
    assert delay is None or 0.0 <= delay <= 10.0


def test_a_poll_hint_cannot_park_a_future(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    hint = {"type": "try_again", "request_id": "req-1", "queue_state": "active", "retry_after_ms": 3_600_000}
    done = {"path": "tinker://run-1/weights/0002", "type": "save_weights"}
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(200, hint), Reply(200, done))
    client, fake = make(loopback)
    assert client.weights.save(model_id="run-1").result().path.endswith("0002")
    assert fake.sleeps == [10.0]


# --------------------------------------------------------------------- 4. the API key


def test_the_key_is_stripped_and_validated_without_echoing_it(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    client, _ = make(loopback, api_key=" tml-from-a-file\n")
    client.samplers.get("s")
    assert loopback.seen[0].headers["X-API-Key"] == "tml-from-a-file"
    for bad in ("tml-sécret", "tml-a\nb", "tml-\x00", "   "):
        with pytest.raises(ValueError) as info:
            tinker_client.Tinker(api_key=bad)
        assert bad.strip() not in str(info.value) or not bad.strip()
        assert "sécret" not in repr(info.value)


def test_request_headers_shown_in_errors_never_carry_the_key(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(404, {"error": "nope"}))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.NotFoundError) as info:
        client.samplers.get("s")
    shown = repr(info.value.request.headers) + repr(info.value.response.request.headers) + repr(info.value)
    assert "tml-secret" not in shown and "[secure]" in shown
    assert info.value.request.headers["X-API-Key"] == "tml-secret"  # still sent
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(reset=True))
    with pytest.raises(tinker_client.APIConnectionError) as conn:
        client.samplers.get("s", options={"max_retries": 0})
    assert "tml-secret" not in repr(conn.value.request.headers) + repr(conn.value.__cause__)


# ----------------------------------------------------------- 5. deadline and size cap


def test_a_trickled_body_ends_at_the_deadline(loopback: Loopback) -> None:
    body = json.dumps(SAMPLER).encode()
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, raw=body, chunk_delay=0.05))
    client = tinker_client.Tinker(api_key="tml-secret", base_url=loopback.url, timeout=1.0, deadline=0.5)
    loopback.closers.append(client.close)
    start = time.monotonic()
    with pytest.raises(tinker_client.APITimeoutError, match="deadline"):
        client.samplers.get("s")
    assert time.monotonic() - start < 1.5
    assert len(loopback.seen) == 1  # the deadline is for the whole call: no attempt after it


def test_an_async_trickled_body_ends_at_the_deadline_and_the_cap_holds(loopback: Loopback) -> None:
    body = json.dumps(SAMPLER).encode()
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, raw=body, chunk_delay=0.05))

    async def run() -> None:
        async with tinker_client.AsyncTinker(
            api_key="tml-secret", base_url=loopback.url, deadline=0.5
        ) as client:
            with pytest.raises(tinker_client.APITimeoutError, match="deadline"):
                await client.samplers.get("s")
            loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, raw=body * 100))
            with pytest.raises(tinker_client.ResponseTooLargeError):
                await client.samplers.get("s", options={"max_response_size": 100})

    start = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - start < 2.0 and len(loopback.seen) == 2


def test_the_deadline_spans_attempts_and_is_set_per_call(loopback: Loopback) -> None:
    loopback.script(
        ("GET", "/api/v1/samplers/s"), Reply(503, headers={"Retry-After": "30"}), Reply(200, SAMPLER)
    )
    client, fake = make(loopback, max_retries=5)
    with pytest.raises(tinker_client.InternalServerError):
        client.samplers.get("s", options={"deadline": 10})  # a 30 s wait would pass it: give up
    assert fake.sleeps == []
    loopback.script(
        ("GET", "/api/v1/samplers/s"), Reply(503, headers={"Retry-After": "30"}), Reply(200, SAMPLER)
    )
    assert client.samplers.get("s").sampler_id == "s"  # the default deadline allows the wait
    assert fake.sleeps == [30.0]


@pytest.mark.parametrize("announced", [True, False])
def test_a_body_over_the_size_cap_is_a_typed_error(loopback: Loopback, announced: bool) -> None:
    big = json.dumps({**SAMPLER, "padding": "x" * 5000}).encode()
    reply = (
        Reply(200, raw=big) if announced else Reply(200, raw=big, headers={"Content-Encoding": "identity"})
    )
    loopback.script(("GET", "/api/v1/samplers/s"), reply)
    client, fake = make(loopback, max_response_size=1000)
    with pytest.raises(tinker_client.ResponseTooLargeError):
        client.samplers.get("s")
    assert len(loopback.seen) == 1 and fake.sleeps == []
    assert client.samplers.get("s", options={"max_response_size": 10_000}).sampler_id == "s"


# ------------------------------------------------------ 6. no pool outlives the RestClient


def test_rest_client_closes_the_pool_of_every_event_loop(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    rest = tinker_client.RestClient(api_key="tml-secret", base_url=loopback.url)
    for _ in range(3):
        asyncio.run(rest.get_sampler_async("s"))
    rest.get_sampler("s").result(5)
    rest.close()
    deadline = time.monotonic() + 3
    while loopback.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert loopback.open_connections == 0
    assert len(loopback.seen) == 4
    with pytest.raises(tinker_client.ClientClosedError):
        rest.get_sampler("s").result(5)


def test_rest_client_closes_a_live_loops_pool(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    rest = tinker_client.RestClient(api_key="tml-secret", base_url=loopback.url)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(rest.get_sampler_async("s"))
        rest.close()
        deadline = time.monotonic() + 3
        while loopback.open_connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert loopback.open_connections == 0
        with pytest.raises(tinker_client.ClientClosedError):
            loop.run_until_complete(rest.get_sampler_async("s"))
    finally:
        loop.close()


# ------------------------------------------------------------- 8. nulls of open keys


def test_null_values_of_open_keys_are_sent(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/optim_step"), FUTURE_OK)
    client, _ = make(loopback)
    params = types.OptimizerParams.model_validate({"type": "dimuon", "momentum": None, "lr": 0.01})
    client.training.optim_step(model_id="run-1", optimizer_params=params)
    sent = loopback.seen[0].json()
    assert sent["optimizer_params"] == {"type": "dimuon", "momentum": None, "lr": 0.01}
    assert "seq_id" not in sent and "adam_params" not in sent


def test_only_fields_defaulting_to_none_are_left_out(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/telemetry"), Reply(200, {"status": "accepted"}))
    client, _ = make(loopback)
    event = {
        "event": "SESSION_END",
        "event_id": "e",
        "event_session_index": 0,
        "severity": "INFO",
        "timestamp": "2026-01-01T00:00:00Z",
        "extra_note": None,
    }
    client.telemetry.send(events=[event], platform="linux", sdk_version="1", session_id="s")  # type: ignore[list-item]
    (sent,) = loopback.seen[0].json()["events"]
    assert "duration" not in sent  # the model's own None default
    assert sent["extra_note"] is None  # an open key's null


# ------------------------------------------------------- 9. poll answers by their schema


def _future(loopback: Loopback, *answers: Reply, **kwargs: Any) -> tuple[tinker_client.Future[Any], FakeTime]:
    loopback.script(("POST", "/api/v1/save_weights"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), *answers)
    client, fake = make(loopback, **kwargs)
    return client.weights.save(model_id="run-1"), fake


def test_a_valid_result_carrying_an_error_key_is_a_result(loopback: Loopback) -> None:
    done = {
        "path": "tinker://run-1/weights/0002",
        "type": "save_weights",
        "error": "none",
        "category": "user",
    }
    future, _ = _future(loopback, Reply(200, done))
    assert future.result().path.endswith("0002")


def test_a_failure_is_what_validates_as_request_failed(loopback: Loopback) -> None:
    future, _ = _future(loopback, Reply(200, {"error": "bad input", "category": "user"}))
    with pytest.raises(tinker_client.RequestFailedError, match="bad input") as info:
        future.result()
    assert isinstance(info.value, tinker_client.APIError) and info.value.category == "user"
    future, _ = _future(loopback, Reply(200, {"error": {"nested": 1}}))
    with pytest.raises(tinker_client.APIResponseValidationError):
        future.result()


OPTIONAL_RESULTS = {  # result models whose fields are all optional (or defaulted): a failure validates as them
    "optim_step": (("POST", "/api/v1/optim_step"), lambda c: c.training.optim_step(model_id="run-1")),
    "load": (("POST", "/api/v1/load_weights"), lambda c: c.weights.load(path="tinker://run-1/weights/0")),
    "save_for_sampler": (("POST", "/api/v1/save_weights_for_sampler"), lambda c: c.weights.save_for_sampler(model_id="run-1")),
    "unload": (("POST", "/api/v1/unload_model"), lambda c: c.models.unload(model_id="run-1")),
}
FAILED = Reply(200, {"error": "bad input", "category": "user"})


@pytest.mark.parametrize("call", sorted(OPTIONAL_RESULTS))
def test_a_failure_is_not_a_result_whose_fields_are_all_optional(loopback: Loopback, call: str) -> None:
    route, start = OPTIONAL_RESULTS[call]
    loopback.script(route, FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), FAILED)
    client, _ = make(loopback)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        future = start(client)
    with pytest.raises(tinker_client.RequestFailedError, match="bad input") as info:
        future.result()
    assert info.value.category == "user"


@pytest.mark.parametrize("call", sorted(OPTIONAL_RESULTS))
def test_an_async_failure_is_not_a_result_whose_fields_are_all_optional(loopback: Loopback, call: str) -> None:
    route, start = OPTIONAL_RESULTS[call]
    loopback.script(route, FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), FAILED)

    async def run() -> None:
        async with tinker_client.AsyncTinker(api_key="tml-secret", base_url=loopback.url) as client:
            client._clock = FakeTime()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                future = await start(client)
            with pytest.raises(tinker_client.RequestFailedError, match="bad input"):
                await future

    asyncio.run(run())


def test_a_failure_shaped_answer_with_result_fields_is_the_result(loopback: Loopback) -> None:
    answer = {"metrics": {"loss": 1.0}, "error": "none", "category": "user"}
    loopback.script(("POST", "/api/v1/optim_step"), FUTURE_OK)
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(200, answer))
    client, _ = make(loopback)
    assert client.training.optim_step(model_id="run-1").result().metrics == {"loss": 1.0}


def test_polls_are_bounded_by_the_deadline(loopback: Loopback) -> None:
    again = {"type": "try_again", "request_id": "req-1", "queue_state": "active"}
    future, fake = _future(loopback, Reply(200, again), future_deadline=5.0)
    with pytest.raises(tinker_client.FutureTimeoutError):
        future.result()
    assert sum(fake.sleeps) == pytest.approx(5.0) and isinstance(
        tinker_client.FutureTimeoutError("r", 1), tinker_client.APIError
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ANSWER_KEYS = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["try_again", "save_weights", 1]),
        "request_id": st.sampled_from(["r", 5]),
        "queue_state": st.sampled_from(["active", None]),
        "retry_after_ms": JSON,
        "error": JSON,
        "category": st.sampled_from(["user", "server", "other"]),
        "status": st.sampled_from(["complete_metadata", "pending"]),
        "response_payload_size": JSON,
        "path": st.sampled_from(["tinker://run-1/weights/0002", 3]),
    },
)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(JSON, ANSWER_KEYS), status=st.sampled_from([200, 200, 200, 400, 408, 410, 429, 500]))
def test_every_poll_answer_is_a_result_a_pause_or_a_typed_error(body: Any, status: int) -> None:
    from tinker_client._futures import Again, poll_step
    from tinker_client._retry import RetryPolicy
    from tinker_client.resources.weights import _SAVE_RESULT

    request = httpx.Request("POST", "http://api.test/api/v1/retrieve_future")
    content = json.dumps(body).encode()  # NaN and Infinity included: a hostile server sends them
    response = httpx.Response(status, content=content, request=request, headers={"retry-after": "nan"})
    try:
        step = poll_step(_SAVE_RESULT, "r", 3, response, RetryPolicy(), 0.0, lambda: 0.5, metadata_only=True)
    except tinker_client.APIError:
        return
    if isinstance(step, Again):
        assert 0.0 <= step.delay <= 10.0
    else:
        assert isinstance(step, types.SaveWeightsResponse) and status == 200


def test_a_future_without_a_request_id_is_refused_at_once(loopback: Loopback) -> None:
    loopback.script(("POST", "/api/v1/save_weights"), Reply(200, {"request_id": ""}))
    client, _ = make(loopback)
    with pytest.raises(tinker_client.APIResponseValidationError, match="request_id"):
        client.weights.save(model_id="run-1")
    assert [s.path for s in loopback.seen] == ["/api/v1/save_weights"]


def test_a_metadata_only_answer_is_polled_again_for_the_payload(loopback: Loopback) -> None:
    meta = {"status": "complete_metadata", "response_payload_size": 60}
    done = {"path": "tinker://run-1/weights/0002", "type": "save_weights"}
    future, _ = _future(loopback, Reply(200, meta), Reply(200, done))
    assert future.result().path.endswith("0002")
    polls = [s.json()["allow_metadata_only"] for s in loopback.seen[1:]]
    assert polls == [True, False]


# -------------------------------------------------------------- 10. aware header dates


@pytest.mark.parametrize(
    "value", ["Sat Jan  1 00:00:00 2000", "Saturday, 01-Jan-00 00:00:00 GMT", "Sat, 01 Jan 2000 00:00:00 GMT"]
)
def test_every_http_date_form_is_timezone_aware(loopback: Loopback, value: str) -> None:
    when = http_date(value)
    assert when is not None and when.utcoffset() is not None and when.year == 2000
    headers = {"Location": "https://storage.test/a.tar", "Expires": value}
    loopback.script(
        ("GET", "/api/v1/training_runs/run-1/checkpoints/weights/0001/archive"), Reply(302, headers=headers)
    )
    client, _ = make(loopback)
    result = client.weights.get_checkpoint_archive_url("run-1", "weights/0001")
    expires = result.expires
    assert isinstance(expires, datetime) and expires.utcoffset() is not None


# ---------------------------------------- 11. identity, deprecation and header parameters


def test_every_request_names_this_client(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/samplers/s"), Reply(200, SAMPLER))
    client, _ = make(loopback)
    client.samplers.get("s")
    agent = loopback.seen[0].headers["User-Agent"]
    assert agent.startswith(f"tinker_client/{tinker_client.__version__} (python ")
    assert "httpx" in agent


def test_a_deprecated_endpoint_warns_once_and_header_params_are_sent(loopback: Loopback) -> None:
    loopback.script(("GET", "/api/v1/old/thing"), Reply(204))
    client, _ = make(loopback)
    endpoint = Endpoint(
        "GET",
        "/api/v1/old/{name}",
        type(None),
        params=(Param("name", "name", "path", "str"), Param("trace", "X-Trace", "header", "int")),
        deprecated="use /api/v1/new instead",
    )

    def method(**args: object) -> None:  # what a generated resource method does
        client.request(endpoint, args, None)

    with pytest.warns(DeprecationWarning, match="use /api/v1/new instead") as record:
        method(name="thing", **{"X-Trace": 7})
    assert record[0].filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.request(endpoint, {"name": "thing", "X-Trace": None}, None)
    assert loopback.seen[0].headers["X-Trace"] == "7" and "X-Trace" not in loopback.seen[1].headers
    with pytest.raises(TypeError, match="trace"):
        client.request(endpoint, {"name": "thing", "X-Trace": "7"}, None)
