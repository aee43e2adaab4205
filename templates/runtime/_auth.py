"""The credential on every request: the API key, or a short-lived token exchanged for it.

When the server's client config answers `pjwt_auth_enabled: true` (api-facts 1.2), the API
key is exchanged for a JWT at `POST /api/v1/auth/token`; the JWT is then sent in
`X-API-Key`, exchanged again at about half its lifetime (`exp - iat`, read from the token
without verifying it), and once more when the server rejects it (401 with
`error="invalid_token"`), after which the rejected request is sent again, once.

`KeyAuth` is an `httpx.Auth`: one generator (`_flow`) holds every decision for both kinds of
client. It asks for the exchange lock with the `ACQUIRE` / `RELEASE` markers; the sync
driver answers them with a `threading.Lock`, the async one with an `asyncio.Lock`, so at
most one exchange runs at a time and the others wait for its token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from ._errors import APIResponseValidationError, TinkerError, status_error

if TYPE_CHECKING:
    import asyncio

__all__ = ["KeyAuth", "TokenExchangeError"]

CONFIG_PATH = "/api/v1/client/config"
TOKEN_PATH = "/api/v1/auth/token"
EXCHANGE_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
UNKNOWN_LIFETIME = 60.0  # seconds to keep a token whose claims cannot be read
_INTERNAL = "tinker_auth_internal"  # request extension: the flow reads this response's body

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)


class TokenExchangeError(TinkerError):
    """The server's answer to the client config or the token exchange could not be used."""


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ACQUIRE = _Marker("ACQUIRE")
RELEASE = _Marker("RELEASE")
_Step = httpx.Request | _Marker
_Flow = Generator[_Step, httpx.Response | None, None]


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # clock time from which the next request exchanges again
    expires_at: float  # clock time after which the token is no longer sent


class KeyAuth(httpx.Auth):
    """Puts the credential in `X-API-Key`, exchanging the API key for a token when enabled.

    token_exchange: True exchanges, False never does (the key is sent as is), None asks the
        server's client config once, at the first request (a 404 there means no exchange).
        A key that is itself a JWT (`eyJ...`) is always sent as is.
    clock: seconds, for the refresh schedule (tests inject one).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        sdk_version: str,
        token_exchange: bool | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = api_key
        self._base_url = base_url.rstrip("/")
        self._sdk_version = sdk_version
        self._headers = dict(headers or {})
        self.clock = clock
        self._enabled: bool | None = False if api_key.startswith("eyJ") else token_exchange
        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        mode = {None: "unknown", True: "on", False: "off"}[self._enabled]
        return f"{type(self).__name__}(token_exchange={mode})"

    @property
    def exchanging(self) -> bool | None:
        """Whether the key is exchanged for a token (None: the server was not asked yet)."""
        return self._enabled

    # ------------------------------------------------------------------ drivers

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow, held = self._flow(request), False
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if step is ACQUIRE:
                    self._thread_lock.acquire()
                    held = True
                elif step is RELEASE:
                    self._thread_lock.release()
                    held = False
                else:
                    assert isinstance(step, httpx.Request)
                    reply = yield step
                    if step.extensions.get(_INTERNAL):
                        reply.read()
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            if held:
                self._thread_lock.release()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow, lock, held = self._flow(request), self._lock(), False
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if step is ACQUIRE:
                    await lock.acquire()
                    held = True
                elif step is RELEASE:
                    lock.release()
                    held = False
                else:
                    assert isinstance(step, httpx.Request)
                    reply = yield step
                    if step.extensions.get(_INTERNAL):
                        await reply.aread()
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            if held:
                lock.release()

    def _lock(self) -> asyncio.Lock:
        import asyncio  # here, so that a blocking-only program never imports it

        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        return self._async_lock

    # ------------------------------------------------------------------ decisions

    def _flow(self, request: httpx.Request) -> _Flow:
        """Every decision: whether to ask, exchange, send, and replay after a rejection."""
        if self._enabled is False:
            request.headers["X-API-Key"] = self._key
            yield request
            return
        if self._current() is None:
            yield ACQUIRE
            if self._current() is None:  # no other request exchanged while this one waited
                yield from self._refresh(request)
            yield RELEASE
        sent = self._current()
        request.headers["X-API-Key"] = self._key if sent is None else sent
        response = yield request
        if sent is None or not _invalid_token(response):
            return
        assert response is not None
        yield ACQUIRE
        if self._current() == sent:  # the first of several rejected requests exchanges
            yield from self._exchange(request)
        yield RELEASE
        replay = self._current() or sent  # the same token again if the exchange changed nothing
        logger.info("token rejected by the server; sending %s %s again", request.method, request.url.path)
        request.headers["X-API-Key"] = replay
        yield request

    def _current(self) -> str | None:
        """The token to send now; None when the key goes as is or a token is due."""
        token = self._token
        if self._enabled is False or token is None or self.clock() >= token.refresh_at:
            return None
        return token.value

    def _refresh(self, origin: httpx.Request) -> _Flow:
        """Ask the server config if not known yet, then exchange if enabled."""
        if self._enabled is None:
            response = yield self._internal(CONFIG_PATH, {"sdk_version": self._sdk_version}, origin)
            assert response is not None
            self._enabled = _exchange_enabled(response)
            logger.info("token exchange %s by the server's client config", "on" if self._enabled else "off")
        if not self._enabled:
            return
        token = self._token
        try:
            yield from self._exchange(origin)
        except TinkerError:
            if token is None or self.clock() >= token.expires_at:
                raise
            logger.warning("token exchange failed; the current token is sent until it expires")
            now = self.clock()
            retry_at = now + min(UNKNOWN_LIFETIME, (token.expires_at - now) / 2)
            self._token = _Token(token.value, retry_at, token.expires_at)

    def _exchange(self, origin: httpx.Request) -> _Flow:
        response = yield self._internal(TOKEN_PATH, {}, origin)
        assert response is not None
        if not response.is_success:
            raise status_error(response)
        jwt = _json_field(response, "jwt")
        if not isinstance(jwt, str) or not jwt:
            raise APIResponseValidationError(response, None, "the token exchange answered no 'jwt' string")
        now = self.clock()
        lifetime = _lifetime(jwt)
        if lifetime is None:
            self._token = _Token(jwt, now + UNKNOWN_LIFETIME / 2, now + UNKNOWN_LIFETIME)
        else:
            self._token = _Token(jwt, now + lifetime / 2, now + lifetime)

    def _internal(self, path: str, body: object, origin: httpx.Request) -> httpx.Request:
        """A config or exchange request: the client's headers, the key, no body of the caller."""
        headers = {
            **self._headers,
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-API-Key": self._key,
        }
        agent = origin.headers.get("User-Agent")
        if agent is not None and "User-Agent" not in self._headers:
            headers["User-Agent"] = agent
        return httpx.Request(
            "POST",
            self._base_url + path,
            headers=headers,
            content=json.dumps(body).encode(),
            extensions={"timeout": EXCHANGE_TIMEOUT.as_dict(), _INTERNAL: True},
        )


def _exchange_enabled(response: httpx.Response) -> bool:
    """The `pjwt_auth_enabled` flag of a client config answer; a 404 (older server) means off."""
    if response.status_code == 404:
        return False
    if not response.is_success:
        raise status_error(response)
    return _json_field(response, "pjwt_auth_enabled") is True


def _json_field(response: httpx.Response, name: str) -> object:
    try:
        body = response.json()
    except ValueError as exc:
        raise APIResponseValidationError(response, response.text[:200], "not JSON") from exc
    if not isinstance(body, dict):
        raise APIResponseValidationError(response, body, "not a JSON object")
    return body.get(name)


def _invalid_token(response: httpx.Response | None) -> bool:
    """A 401 in which the server says the token itself is no good (RFC 6750)."""
    if response is None or response.status_code != 401:
        return False
    return 'error="invalid_token"' in response.headers.get("WWW-Authenticate", "")


def _lifetime(jwt: str) -> float | None:
    """`exp - iat` of a JWT's payload, read without verifying; None when unreadable."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return lifetime if lifetime > 0 else None
