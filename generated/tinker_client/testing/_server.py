"""The two ways to reach a `FakeTinker`: an httpx transport in process, or HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

if TYPE_CHECKING:
    from ._fake import FakeTinker
    from ._records import Reply

__all__ = ["FakeTransport", "serve"]


def _split(target: str) -> tuple[str, dict[str, str]]:
    path, _, query = target.partition("?")
    return path, dict(parse_qsl(query, keep_blank_values=True))


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers httpx requests from a `FakeTinker` without a socket (sync and async clients)."""

    def __init__(self, fake: FakeTinker) -> None:
        self.fake = fake

    def _reply(self, request: httpx.Request, body: bytes) -> Reply:
        path, query = _split(request.url.raw_path.decode("ascii"))
        return self.fake.handle(request.method, path, query, _headers(request.headers), body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request, request.read())
        if reply.delay:
            time.sleep(reply.delay)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.content, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request, await request.aread())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.content, request=request)


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in headers.items()}


def _handler(fake: FakeTinker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, query = _split(self.path)
            reply = fake.handle(self.command, path, query, dict(self.headers.items()), body)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (its timeout)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


@contextlib.contextmanager
def serve(fake: FakeTinker, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `fake` over HTTP on `host` while the block runs; yields its base URL."""
    server = ThreadingHTTPServer((host, port), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-tinker", daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
