"""API key -> token exchange (`_auth.KeyAuth`) on a real loopback server, both ways (issue 11)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from typing import Any

import pytest
import tinker_client

from .loopback import Loopback, Reply

KEY = "tml-secret-key"
CONFIG = ("POST", "/api/v1/client/config")
TOKEN = ("POST", "/api/v1/auth/token")
HEALTH = ("GET", "/api/v1/healthz")
OK = Reply(200, {"status": "ok"})
INVALID = Reply(401, {"detail": "token expired"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def jwt(name: str, iat: float = 1000.0, lifetime: float = 600.0) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'sub': name, 'iat': iat, 'exp': iat + lifetime})}.sig"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(loopback: Loopback, **kwargs: Any) -> tuple[tinker_client.Tinker, Clock]:
    client = tinker_client.Tinker(api_key=KEY, base_url=loopback.url, max_retries=0, **kwargs)
    loopback.closers.append(client.close)
    clock = Clock()
    client._auth.clock = clock
    return client, clock


def routes(loopback: Loopback) -> list[str]:
    return [seen.path.rsplit("/", 1)[-1] for seen in loopback.seen]


def sent_keys(loopback: Loopback) -> list[str]:
    return [seen.headers["X-API-Key"] for seen in loopback.seen]


def exchange_on(loopback: Loopback, *tokens: str) -> None:
    loopback.script(CONFIG, Reply(200, {"pjwt_auth_enabled": True, "other_flag": 1}))
    loopback.script(TOKEN, *(Reply(200, {"jwt": token}) for token in tokens))


# ------------------------------------------------------------------ exchange on


def test_server_config_turns_exchange_on_and_the_token_is_sent(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"))
    loopback.script(HEALTH, OK)
    client, _ = make(loopback, token_exchange=None)
    client.service.health_check()
    client.service.health_check()
    assert routes(loopback) == ["config", "token", "healthz", "healthz"]
    config, token = loopback.seen[0], loopback.seen[1]
    assert set(config.json()) == {"sdk_version"} and config.headers["X-API-Key"] == KEY
    assert token.json() == {} and token.headers["X-API-Key"] == KEY
    assert sent_keys(loopback)[2:] == [jwt("a"), jwt("a")]
    assert client._auth.exchanging is True


def test_token_is_exchanged_again_at_half_its_lifetime(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a", lifetime=600), jwt("b", iat=5000, lifetime=100))
    loopback.script(HEALTH, OK)
    client, clock = make(loopback, token_exchange=True)
    client.service.health_check()
    clock.now += 299  # lifetime/2 = 300 s from receipt
    client.service.health_check()
    clock.now += 2
    client.service.health_check()
    clock.now += 49  # the new token lives 100 s (exp - iat, not the local clock)
    client.service.health_check()
    clock.now += 2
    client.service.health_check()
    assert routes(loopback) == [
        "token",
        "healthz",
        "healthz",
        "token",
        "healthz",
        "healthz",
        "token",
        "healthz",
    ]
    assert [
        key for key, route in zip(sent_keys(loopback), routes(loopback), strict=True) if route == "healthz"
    ] == [
        jwt("a"),
        jwt("a"),
        jwt("b", iat=5000, lifetime=100),
        jwt("b", iat=5000, lifetime=100),
        jwt("b", iat=5000, lifetime=100),  # the last answer repeats
    ]


def test_a_with_options_copy_shares_the_token(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"), jwt("b"))
    loopback.script(HEALTH, OK)
    client, _ = make(loopback, token_exchange=True)
    client.service.health_check()
    client.with_options(max_retries=1, default_headers={"X-Team": "t"}).service.health_check()
    assert routes(loopback) == ["token", "healthz", "healthz"] and sent_keys(loopback)[2] == jwt("a")
    assert loopback.seen[2].headers["X-Team"] == "t"


def test_invalid_token_exchanges_once_more_and_replays_once(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"), jwt("b"))
    loopback.script(HEALTH, INVALID, OK)
    client, _ = make(loopback, token_exchange=True)
    assert client.service.health_check().status == "ok"
    assert routes(loopback) == ["token", "healthz", "token", "healthz"]
    assert sent_keys(loopback)[1] == jwt("a") and sent_keys(loopback)[3] == jwt("b")


def test_a_second_rejection_is_the_callers_error(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"), jwt("b"))
    loopback.script(HEALTH, INVALID)
    client, _ = make(loopback, token_exchange=True)
    with pytest.raises(tinker_client.AuthenticationError):
        client.service.health_check()
    assert routes(loopback) == ["token", "healthz", "token", "healthz"]


def test_a_401_without_invalid_token_is_not_replayed(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"))
    loopback.script(HEALTH, Reply(401, {"detail": "no such key"}))
    client, _ = make(loopback, token_exchange=True)
    with pytest.raises(tinker_client.AuthenticationError):
        client.service.health_check()
    assert routes(loopback) == ["token", "healthz"]


def test_a_failed_refresh_keeps_sending_the_live_token(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a", lifetime=600), jwt("b"))
    loopback.script(
        TOKEN, Reply(200, {"jwt": jwt("a", lifetime=600)}), Reply(503), Reply(200, {"jwt": jwt("b")})
    )
    loopback.script(HEALTH, OK)
    client, clock = make(loopback, token_exchange=True)
    client.service.health_check()
    clock.now += 301
    client.service.health_check()  # the exchange answers 503: the token still has 299 s
    clock.now += 200  # the retry is due at half the remaining time
    client.service.health_check()
    assert routes(loopback) == ["token", "healthz", "token", "healthz", "token", "healthz"]
    assert sent_keys(loopback)[3] == jwt("a", lifetime=600) and sent_keys(loopback)[5] == jwt("b")


def test_a_failed_first_exchange_is_a_typed_error_without_the_key(
    loopback: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(TOKEN, Reply(403, {"detail": "key revoked"}))
    client, _ = make(loopback, token_exchange=True)
    with pytest.raises(tinker_client.PermissionDeniedError) as caught:
        client.service.health_check()
    for text in (str(caught.value), repr(caught.value), repr(client), repr(client._auth), caplog.text):
        assert KEY not in text
    assert routes(loopback) == ["token"]


def test_an_exchange_without_a_jwt_is_a_validation_error(loopback: Loopback) -> None:
    loopback.script(TOKEN, Reply(200, {"token": "x"}))
    client, _ = make(loopback, token_exchange=True)
    with pytest.raises(tinker_client.APIResponseValidationError, match="jwt"):
        client.service.health_check()


def test_a_token_without_readable_claims_is_exchanged_again_after_30_s(loopback: Loopback) -> None:
    loopback.script(TOKEN, Reply(200, {"jwt": "opaque-1"}), Reply(200, {"jwt": "opaque-2"}))
    loopback.script(HEALTH, OK)
    client, clock = make(loopback, token_exchange=True)
    client.service.health_check()
    clock.now += 29
    client.service.health_check()
    clock.now += 2
    client.service.health_check()
    assert routes(loopback) == ["token", "healthz", "healthz", "token", "healthz"]
    assert sent_keys(loopback)[1:3] == ["opaque-1"] * 2 and sent_keys(loopback)[4] == "opaque-2"


def test_a_failing_client_config_is_a_typed_error_and_asked_again(loopback: Loopback) -> None:
    loopback.script(CONFIG, Reply(500, {"detail": "down"}), Reply(200, {"pjwt_auth_enabled": False}))
    loopback.script(HEALTH, OK)
    client, _ = make(loopback, token_exchange=None)
    with pytest.raises(tinker_client.InternalServerError):
        client.service.health_check()
    client.service.health_check()
    assert routes(loopback) == ["config", "config", "healthz"] and sent_keys(loopback)[2] == KEY


def test_concurrent_first_requests_share_one_exchange(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"))
    loopback.script(TOKEN, Reply(200, {"jwt": jwt("a")}, delay=0.2))
    loopback.script(HEALTH, OK)
    client, _ = make(loopback, token_exchange=True)
    threads = [threading.Thread(target=client.service.health_check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert routes(loopback).count("token") == 1 and routes(loopback).count("healthz") == 6
    assert set(sent_keys(loopback)[1:]) == {jwt("a")}


def test_async_exchange_refresh_and_replay(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"), jwt("b"), jwt("c"))
    loopback.script(
        TOKEN, Reply(200, {"jwt": jwt("a")}, delay=0.1), *(Reply(200, {"jwt": jwt(n)}) for n in "bc")
    )
    loopback.script(HEALTH, OK, OK, OK, OK, INVALID, OK)

    async def run() -> None:
        async with tinker_client.AsyncTinker(
            api_key=KEY, base_url=loopback.url, token_exchange=None
        ) as client:
            clock = Clock()
            client._auth.clock = clock
            await asyncio.gather(*(client.service.health_check() for _ in range(4)))
            clock.now += 301
            await client.service.health_check()

    asyncio.run(run())
    assert routes(loopback) == ["config", "token", *["healthz"] * 4, "token", "healthz", "token", "healthz"]
    assert set(sent_keys(loopback)[2:6]) == {jwt("a")}
    assert sent_keys(loopback)[7] == jwt("b") and sent_keys(loopback)[9] == jwt("c")


# ------------------------------------------------------------------ exchange off


def test_server_config_without_the_flag_keeps_the_key(loopback: Loopback) -> None:
    loopback.script(CONFIG, Reply(200, {"pjwt_auth_enabled": False}))
    loopback.script(HEALTH, OK)
    client, _ = make(loopback, token_exchange=None)
    client.service.health_check()
    client.service.health_check()
    assert routes(loopback) == ["config", "healthz", "healthz"]
    assert sent_keys(loopback) == [KEY] * 3 and client._auth.exchanging is False


def test_a_server_without_client_config_keeps_the_key(loopback: Loopback) -> None:
    loopback.script(HEALTH, OK)  # no route for the config: 404
    client, _ = make(loopback, token_exchange=None)
    client.service.health_check()
    assert routes(loopback) == ["config", "healthz"] and sent_keys(loopback)[1] == KEY


def test_exchange_off_sends_the_key_as_today(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("a"))
    loopback.script(HEALTH, INVALID)
    client, _ = make(loopback)  # the default: token_exchange=False
    with pytest.raises(tinker_client.AuthenticationError):
        client.service.health_check()
    assert routes(loopback) == ["healthz"] and sent_keys(loopback) == [KEY]


def test_a_jwt_given_as_the_key_is_sent_as_is(loopback: Loopback) -> None:
    exchange_on(loopback, jwt("other"))
    loopback.script(HEALTH, OK)
    client = tinker_client.Tinker(api_key=jwt("mine"), base_url=loopback.url, token_exchange=True)
    loopback.closers.append(client.close)
    client.service.health_check()
    assert routes(loopback) == ["healthz"] and sent_keys(loopback) == [jwt("mine")]
