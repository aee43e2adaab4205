"""The generated client's own behaviour: configuration, checks before sending, errors."""

from __future__ import annotations

import datetime
import json

import httpx
import pydantic
import pytest
import tinker_client
from tinker_client import types


def client_with(handler, **kwargs) -> tinker_client.Tinker:  # type: ignore[no-untyped-def]
    """A client over a MockTransport; one attempt per call unless the test asks for more."""
    kwargs.setdefault("max_retries", 0)
    transport = httpx.MockTransport(handler)
    return tinker_client.Tinker(api_key="tml-secret", http_client=httpx.Client(transport=transport), **kwargs)


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


# ---------------------------------------------------------------- configuration


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_API_KEY", "tml-env")
    seen = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={"status": "ok"}))
    tinker_client.Tinker(http_client=httpx.Client(transport=transport)).service.health_check()
    assert seen[0].headers["X-API-Key"] == "tml-env"


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    with pytest.raises(tinker_client.TinkerError, match="TINKER_API_KEY"):
        tinker_client.Tinker()
    with pytest.raises(tinker_client.TinkerError, match="TINKER_API_KEY"):
        tinker_client.AsyncTinker()


def test_base_url_argument_environment_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_BASE_URL", raising=False)
    assert tinker_client.Tinker(api_key="k").base_url == tinker_client.DEFAULT_BASE_URL
    monkeypatch.setenv("TINKER_BASE_URL", "")
    assert tinker_client.Tinker(api_key="k").base_url == tinker_client.DEFAULT_BASE_URL
    monkeypatch.setenv("TINKER_BASE_URL", "http://env.example/base/")
    assert tinker_client.Tinker(api_key="k").base_url == "http://env.example/base"
    assert tinker_client.Tinker(api_key="k", base_url="http://arg.example/").base_url == "http://arg.example"
    assert tinker_client.DEFAULT_BASE_URL == "https://tinker.thinkingmachines.dev/services/tinker-prod"


def test_repr_hides_the_api_key() -> None:
    client = tinker_client.Tinker(api_key="tml-secret")
    assert "tml-secret" not in repr(client)
    client.close()


def test_timeouts_default_and_per_call() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    client = client_with(handler)
    client.service.health_check()
    client.service.health_check(options={"timeout": 3.0})
    assert seen[0].extensions["timeout"] == {"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0}
    assert seen[1].extensions["timeout"]["read"] == 3.0
    slow = client_with(handler, timeout=httpx.Timeout(7.0))
    slow.service.health_check()
    assert seen[2].extensions["timeout"]["read"] == 7.0


def test_default_and_per_call_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    client = client_with(handler, default_headers={"X-Team": "a"})
    client.service.health_check(options={"headers": {"X-Trace": "t1"}})
    assert seen[0].headers["X-Team"] == "a"
    assert seen[0].headers["X-Trace"] == "t1"


def test_context_managers_close_owned_clients_only() -> None:
    with tinker_client.Tinker(api_key="k") as client:
        http = client._http
    assert http.is_closed
    injected = httpx.Client()
    with tinker_client.Tinker(api_key="k", http_client=injected):
        pass
    assert not injected.is_closed

    async def run() -> httpx.AsyncClient:
        async with tinker_client.AsyncTinker(api_key="k") as async_client:
            return async_client._http

    import asyncio

    assert asyncio.run(run()).is_closed


# ------------------------------------------------------- checks before sending


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda c: c.training_runs.get(""), ValueError, "training_run_id must not be empty"),
        (lambda c: c.training_runs.get(42), TypeError, "training_run_id must be str, not int"),
        (
            lambda c: c.training_runs.get("r", "everyone"),
            ValueError,
            "access_scope must be one of 'owned', 'accessible'",
        ),
        (lambda c: c.training_runs.list(limit="5"), TypeError, "limit must be int, not str"),
        (lambda c: c.training_runs.list(limit=True), TypeError, "limit must be int, not bool"),
        (lambda c: c.audit.get_log(day="2025-01-15"), TypeError, "day must be datetime.date, not str"),
        (lambda c: c.weights.delete_checkpoint("r", "weights/../../x"), ValueError, "'..' segment"),
        (lambda c: c.weights.delete_checkpoint("r", "weights//x"), ValueError, "empty"),
        (lambda c: c.weights.delete_checkpoint("r", "/weights/x"), ValueError, "empty"),
        (lambda c: c.weights.save(model_id=""), pydantic.ValidationError, "model_id"),
        (lambda c: c.weights.save(model_id=5), pydantic.ValidationError, "model_id"),
        (lambda c: c.weights.save_for_sampler(model_id="m", kind="later"), pydantic.ValidationError, "kind"),
        (lambda c: c.checkpoints.set_ttl("r", "weights/1", ttl_seconds=10), pydantic.ValidationError, "3600"),
    ],
)
def test_bad_arguments_raise_before_any_request(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call(client_with(never_called))


def test_path_values_are_percent_encoded_and_stay_in_their_segment() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"training_run_ids": [], "sampler_ids": []})

    client_with(handler).sessions.get("a/b?c#d e")
    assert (
        seen[0].url.raw_path == b"/services/tinker-prod/api/v1/sessions/a%2Fb%3Fc%23d%20e?access_scope=owned"
    )


def test_optional_none_is_omitted_but_required_null_is_sent() -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"request_id": "r"})

    client = client_with(handler)
    client.weights.save(model_id="m", path=None, ttl_seconds=None)
    client.checkpoints.set_ttl("r", "weights/1", ttl_seconds=None)
    client.checkpoints.set_ttl("r", "weights/1", ttl_seconds=7200)
    assert bodies == [
        {"model_id": "m", "overwrite": False, "type": "save_weights"},
        {"ttl_seconds": None},
        {"ttl_seconds": 7200},
    ]


def test_query_values_are_encoded() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"entries": []})

    client_with(handler).audit.get_log("checkpoints", datetime.date(2025, 1, 2))
    assert seen[0].url.query == b"event_type=checkpoints&day=2025-01-02"


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "status, error",
    [
        (400, tinker_client.BadRequestError),
        (401, tinker_client.AuthenticationError),
        (402, tinker_client.BillingError),
        (403, tinker_client.PermissionDeniedError),
        (404, tinker_client.NotFoundError),
        (409, tinker_client.ConflictError),
        (422, tinker_client.UnprocessableEntityError),
        (429, tinker_client.RateLimitError),
        (500, tinker_client.InternalServerError),
        (503, tinker_client.InternalServerError),
        (418, tinker_client.APIStatusError),
    ],
)
def test_status_errors_carry_the_response(status: int, error: type[tinker_client.APIStatusError]) -> None:
    body = {"error": "nope", "category": "user"}
    client = client_with(lambda r: httpx.Response(status, json=body, headers={"X-Req": "1"}))
    with pytest.raises(error) as caught:
        client.samplers.get("s:sample:0")
    exc = caught.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.body == body
    assert exc.headers["X-Req"] == "1"
    assert exc.request.url.path.endswith("/samplers/s:sample:0")
    assert "nope" in str(exc)
    assert "tml-secret" not in str(exc)


def test_a_2xx_body_that_does_not_match_raises_a_validation_error() -> None:
    client = client_with(lambda r: httpx.Response(200, json={"sampler_id": "s"}))
    with pytest.raises(tinker_client.APIResponseValidationError) as caught:
        client.samplers.get("s")
    assert caught.value.body == {"sampler_id": "s"}
    assert caught.value.status_code == 200


def test_malformed_json_raises_a_validation_error() -> None:
    client = client_with(lambda r: httpx.Response(200, content=b"{not json"))
    with pytest.raises(tinker_client.APIResponseValidationError) as caught:
        client.samplers.get("s")
    assert caught.value.body == "{not json"


def test_unknown_response_fields_are_kept() -> None:
    payload = {"sampler_id": "s", "base_model": "b", "new_field": [1]}
    result = client_with(lambda r: httpx.Response(200, json=payload)).samplers.get("s")
    assert result.model_extra == {"new_field": [1]}


def test_connection_errors_are_typed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(tinker_client.APIConnectionError):
        client_with(refuse).service.health_check()
    with pytest.raises(tinker_client.APITimeoutError):
        client_with(slow).service.health_check()


def test_discriminated_union_members_parse_to_their_class() -> None:
    payload = {
        "chunks": [
            {"type": "encoded_text", "tokens": [1]},
            {"type": "image", "data": "aGk=", "format": "png"},
        ]
    }
    model_input = types.ModelInput.model_validate(payload)
    assert [type(c).__name__ for c in model_input.chunks] == ["EncodedTextChunk", "ImageChunk"]
    with pytest.raises(pydantic.ValidationError):
        types.ModelInput.model_validate({"chunks": [{"type": "video"}]})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"deadline": -1}, "deadline"),
        ({"deadline": float("nan")}, "deadline"),
        ({"max_response_size": 0.5}, "max_response_size"),
        ({"timeout": -3}, "timeout"),
        ({"base_url": "ftp://tinker.test"}, "base_url"),
        ({"base_url": "http://"}, "base_url"),
        ({"default_headers": {"X-Note": "a\r\nInjected: 1"}}, "X-Note"),
        ({"default_headers": {"Bad Name": "v"}}, "Bad Name"),
    ],
)
def test_bad_settings_are_refused_at_construction(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tinker_client.Tinker(api_key="tml-secret", **settings)  # type: ignore[arg-type]


def test_bad_per_call_headers_are_refused_before_sending() -> None:
    client = client_with(never_called)
    with pytest.raises(ValueError, match="X-Note"):
        client.samplers.get("s", options={"headers": {"X-Note": "line\nbreak"}})


def test_with_options_rebuilds_from_settings_and_shares_the_pool() -> None:
    client = client_with(lambda r: httpx.Response(200, json={"sampler_id": "s", "base_model": "b"}))
    other = client.with_options(max_retries=4, deadline=5, default_headers={"X-A": "1"})
    assert other.settings.retry.max_retries == 4 and other.settings.deadline == 5.0
    assert other.settings.default_headers == {"X-A": "1"} and client.settings.default_headers == {}
    assert other._http is client._http and other.samplers is not client.samplers
    other.close()  # a derived client never closes the shared pool
    assert client.samplers.get("s").sampler_id == "s"


def test_the_weights_access_token_is_sent_in_its_header_and_never_shown() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(403, json={"error": "no"})

    client = tinker_client.Tinker(api_key="tml-k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(tinker_client.PermissionDeniedError) as info:
        client.weights.copy(source_path="tinker://r/weights/w", x_tinker_weights_access_token="wat-secret")
    assert seen[0].headers["X-Tinker-Weights-Access-Token"] == "wat-secret"
    assert "wat-secret" not in repr(info.value.request.headers) + repr(info.value) + str(info.value)
