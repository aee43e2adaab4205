"""Batch polling against per-future polling: K pending futures of one sampling session.

A stub server on 127.0.0.1 plays the Tinker future protocol with known work times: request i
of a batch finishes `work_i` after the batch starts (spread over WORK). `retrieve_future`
holds a poll up to HOLD, then answers the payload or try_again (the client pauses and polls
again); `retrieve_futures` holds until a completion after the cursor arrives (or its timeout).

Per sample, K futures are resolved either each by its own `retrieve_future` loop (the
client's `_poll`), or through `FuturesBatcher` / `AsyncFuturesBatcher` (one long poll for
all, then one payload fetch each). The contenders alternate (A B A B). Printed: wall time to
resolve all K, requests sent and the most requests the server held at once, with ratios.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness import ROOT, alternate, table

sys.path.insert(0, str(ROOT / "generated"))
import tinker_client
from pydantic import BaseModel
from tinker_client._batch_poll import AsyncFuturesBatcher, FuturesBatcher
from tinker_client._futures import FutureSpec

HOLD = 1.0  # seconds retrieve_future holds a poll before answering try_again
WORK = (0.02, 0.4)  # each request finishes this long (uniform) after its batch starts
SIZES = (1, 2, 4, 8, 32, 128, 256)
PROBE_AFTER = 0.05  # seconds after the start, another call of the same client is timed
ROUNDS = 4
PAYLOAD = json.dumps({"text": "x" * 2000}).encode()


class Result(BaseModel):
    text: str


SPEC = FutureSpec(Result, "Sample")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a listen backlog for K connections at once (the default is 5)


class Stub:
    """The server side: completion times per request id, request counts and concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done_at: dict[str, dict[str, float]] = {}  # session -> request id -> finish time
        self.requests = self.open = self.peak = 0
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, session: str, count: int, sample: int) -> list[str]:
        """Request ids whose work times depend only on (count, sample): the same for each contender."""
        rng, now = random.Random(f"{count}-{sample}"), time.monotonic()
        ids = [f"{session}-{i}" for i in range(count)]
        with self.lock:
            self.done_at[session] = {request_id: now + rng.uniform(*WORK) for request_id in ids}
            self.requests = self.open = self.peak = 0
        return ids

    def one(self, body: dict[str, Any]) -> bytes:
        request_id: str = body["request_id"]
        done_at = self.done_at[request_id.rsplit("-", 1)[0]][request_id]
        wait = done_at - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, HOLD))
        if time.monotonic() >= done_at:
            return PAYLOAD
        return json.dumps(
            {"type": "try_again", "request_id": body["request_id"], "queue_state": "active"}
        ).encode()

    def many(self, body: dict[str, Any]) -> bytes:
        session = body["target"]["sampling_session_id"]
        limit = time.monotonic() + (body.get("timeout") or 30.0)
        while True:
            now = time.monotonic()
            with self.lock:
                mine = sorted((at, rid) for rid, at in self.done_at[session].items())
            finished = [rid for at, rid in mine if at <= now]
            upcoming = [at for at, _ in mine if at > now]
            if len(finished) > body["prev_cursor"] or now >= limit:
                completions = [
                    {"state": "finished", "request_id": rid} for rid in finished[body["prev_cursor"] :]
                ]
                return json.dumps({"completions": completions, "cursor": len(finished)}).encode()
            time.sleep(max(min(min(upcoming, default=limit), limit) - now, 0.0005))


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else a 40 ms delayed-ACK stall per reused connection

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # the probe: another call of the client, answered at once
            self._answer(b'{"status": "ok"}')

        def do_POST(self) -> None:
            with stub.lock:
                stub.requests += 1
                stub.open += 1
                stub.peak = max(stub.peak, stub.open)
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = stub.many(body) if self.path.endswith("retrieve_futures") else stub.one(body)
            finally:
                with stub.lock:
                    stub.open -= 1
            self._answer(answer)

        def _answer(self, answer: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Handler


class Counts:
    def __init__(self) -> None:
        self.requests: dict[str, list[int]] = {}
        self.peaks: dict[str, list[int]] = {}
        self.probes: dict[str, list[float]] = {}

    def add(self, name: str, stub: Stub, probe: float) -> None:
        self.probes.setdefault(name, []).append(probe)
        self.requests.setdefault(name, []).append(stub.requests)
        self.peaks.setdefault(name, []).append(stub.peak)


def sync_contenders(stub: Stub, size: int, counts: Counts) -> dict[str, Callable[[], float]]:
    client = tinker_client.Tinker(api_key="tml-bench", base_url=stub.url)
    serial: dict[str, int] = {}

    def run(name: str, batched: bool) -> float:
        serial[name] = serial.get(name, -1) + 1
        session = f"{name}-{serial[name]}".replace(" ", "_")
        ids = stub.start(session, size, serial[name])
        batcher = FuturesBatcher.for_client(client, session)

        def one(request_id: str) -> None:
            if batched:
                batcher.result(request_id, lambda rid, t: client._poll(SPEC, rid, {}, t))
            else:
                client._poll(SPEC, request_id, {}, None)

        start = time.perf_counter()
        threads = [threading.Thread(target=one, args=(request_id,)) for request_id in ids]
        for thread in threads:
            thread.start()
        time.sleep(PROBE_AFTER)
        probe = time.perf_counter()
        client.service.health_check()
        probe = time.perf_counter() - probe
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        counts.add(name, stub, probe)
        return elapsed

    return {
        f"sync K={size}: per-future": lambda: run(f"sync K={size}: per-future", False),
        f"sync K={size}: batched": lambda: run(f"sync K={size}: batched", True),
    }


def async_contenders(
    stub: Stub, size: int, counts: Counts, loop: asyncio.AbstractEventLoop
) -> dict[str, Any]:
    client = tinker_client.AsyncTinker(api_key="tml-bench", base_url=stub.url)
    serial: dict[str, int] = {}

    async def fetch(request_id: str, timeout: float | None) -> Result:
        return await client._poll(SPEC, request_id, {}, timeout)

    async def probe() -> float:
        await asyncio.sleep(PROBE_AFTER)
        start = time.perf_counter()
        await client.service.health_check()
        return time.perf_counter() - start

    async def resolve(ids: list[str], batcher: AsyncFuturesBatcher | None) -> float:
        timed = asyncio.ensure_future(probe())
        if batcher is None:
            await asyncio.gather(*(client._poll(SPEC, rid, {}, None) for rid in ids))
        else:
            await asyncio.gather(*(batcher.result(rid, fetch) for rid in ids))
        return await timed

    def run(name: str, batched: bool) -> float:
        serial[name] = serial.get(name, -1) + 1
        session = f"{name}-{serial[name]}".replace(" ", "_")
        ids = stub.start(session, size, serial[name])
        batcher = AsyncFuturesBatcher.for_client(client, session) if batched else None
        start = time.perf_counter()
        probe = loop.run_until_complete(resolve(ids, batcher))
        elapsed = time.perf_counter() - start
        counts.add(name, stub, probe)
        return elapsed

    return {
        f"async K={size}: per-future": lambda: run(f"async K={size}: per-future", False),
        f"async K={size}: batched": lambda: run(f"async K={size}: batched", True),
    }


def report(counts: Counts) -> None:
    print("\n## Requests sent, most held open at once, another call's latency meanwhile (medians)\n")
    print(f"| {'':30} | requests | held at once | other call ms |")
    print(f"| {'-' * 30} | -------- | ------------ | ------------- |")
    for name in counts.requests:
        requests, peak = statistics.median(counts.requests[name]), statistics.median(counts.peaks[name])
        other = statistics.median(counts.probes[name]) * 1000
        print(f"| {name:30} | {requests:8.0f} | {peak:12.0f} | {other:13.1f} |")


def main() -> None:
    stub, counts = Stub(), Counts()
    loop = asyncio.new_event_loop()
    print(
        f"K futures finish over {WORK[0] * 1000:.0f}-{WORK[1] * 1000:.0f} ms; retrieve_future holds {HOLD * 1000:.0f} ms"
    )
    for size in SIZES:
        samples = alternate(sync_contenders(stub, size, counts), rounds=ROUNDS)
        table(f"sync, K={size}: wall time to resolve all", samples, f"sync K={size}: per-future", None)
        samples = alternate(async_contenders(stub, size, counts, loop), rounds=ROUNDS)
        table(f"async, K={size}: wall time to resolve all", samples, f"async K={size}: per-future", None)
    report(counts)
    loop.close()


if __name__ == "__main__":
    main()
