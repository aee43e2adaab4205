"""A real HTTP server on 127.0.0.1 (ephemeral port) whose answers a test scripts.

    server.script(("POST", "/api/v1/save_weights"), Reply(200, {"request_id": "r"}))

Every request is recorded (method, path, query, headers, body) for the test to inspect.
Answers for a route are taken in order; the last one repeats. Faults: `reset`, `delay`, a
trickled body (`chunk_delay`), a truncated one (`length` over the bytes sent), any raw bytes
and headers (bad encodings, huge bodies). `open_connections` counts the sockets held open.
`FakeTime` is the clock tests give a client to record its pauses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tinker_client._clock import Clock


class FakeTime(Clock):
    """Records the sleeps asked for and moves a fake monotonic clock by them (a client's `_clock`)."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []
        self.elapsed = 1000.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def monotonic(self) -> float:
        return self.elapsed


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0
    reset: bool = False
    chunk_delay: float = 0.0  # sent a byte at a time, this many seconds apart (a trickle)
    length: int | None = None  # the Content-Length announced (more than sent: a truncated body)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self.closers: list[Any] = []  # called when the test ends (clients it made)
        self.open_connections = 0  # connections the server holds open right now
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, route: tuple[str, str], *replies: Reply) -> None:
        with self.lock:
            self.routes[route] = list(replies)

    def next_reply(self, method: str, path: str) -> Reply:
        with self.lock:
            replies = self.routes.get((method, path))
            if not replies:
                return Reply(404, {"error": f"no route {method} {path}"})
            return replies.pop(0) if len(replies) > 1 else replies[0]


def _handler(loopback: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with loopback.lock:
                loopback.open_connections += 1

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                with loopback.lock:
                    loopback.open_connections -= 1

        def _serve(self) -> None:
            import time

            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with loopback.lock:
                loopback.seen.append(
                    Seen(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body)
                )
            reply = loopback.next_reply(self.command, parts.path)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.reset:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            payload = (
                reply.raw
                if reply.raw is not None
                else (b"" if reply.body is None else json.dumps(reply.body).encode())
            )
            self.send_response(reply.status)
            if reply.raw is None and reply.body is not None:
                self.send_header("Content-Type", "application/json")
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload) if reply.length is None else reply.length))
            self.end_headers()
            if reply.length is not None and reply.length > len(payload):
                self.close_connection = True
            try:
                if not reply.chunk_delay:
                    self.wfile.write(payload)
                    return
                for i in range(len(payload)):
                    self.wfile.write(payload[i : i + 1])
                    self.wfile.flush()
                    time.sleep(reply.chunk_delay)
            except OSError:
                self.close_connection = True  # the client went away

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    server.thread.start()
    try:
        yield server
    finally:
        for close in server.closers:
            close()
        server.server.shutdown()
        server.server.server_close()
