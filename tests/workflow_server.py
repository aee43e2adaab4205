"""A small stateful Tinker server on 127.0.0.1 for the workflow layer's tests.

It answers the conversation of a training loop (session, heartbeats, model, forward/backward,
optimizer step, saves, sampling sessions, samples, futures, session finish) with results of
the right shapes, records every request (`seen`) and the order training requests were applied
in (`applied`), and takes scripted faults (`faults[path] = [status, ...]`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

V1 = "/api/v1"


@dataclass
class Request:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class WorkflowServer:
    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.applied: list[tuple[str, int | None]] = []  # (path, seq_id) of training requests
        self.faults: dict[str, list[int]] = {}
        self.heartbeat_status = 200
        self.try_again_rounds = 0
        self.queue_state = "active"
        self.expire_polls = 0  # the next polls answer 410, as for a future the server dropped
        self.poll_answers: list[Any] = []  # the next polls answer these (200) instead of the result
        self.client_config: dict[str, Any] = {"fwdbwd_max_chunk_len": 1024}
        self.sample_barrier = 0  # /asample answers wait until this many samples arrived (5 s at most)
        self.batch_rounds: list[list[str]] = []  # request ids each retrieve_futures answer reported
        self._completed: list[str] = []  # sample request ids in completion order: the cursor indexes it
        self.lock = threading.Lock()
        self._arrived = threading.Condition(self.lock)
        self._arrivals = 0
        self._results: dict[str, Any] = {}
        self._polls: dict[str, int] = {}
        self._ids = itertools.count()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self) -> list[str]:
        return [r.path.removeprefix(V1) for r in self.seen]

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        with self.lock:
            pending = self.faults.get(path)
            if pending:
                return pending.pop(0), {"error": "scripted fault"}
        route = path.removeprefix(V1)
        if route == "/create_session":
            return 200, {"session_id": "sess-1", "type": "create_session"}
        if route == "/session_heartbeat":
            return self.heartbeat_status, {"type": "session_heartbeat"}
        if route.startswith("/sessions/") and route.endswith("/finish"):
            return 200, {}
        if route == "/client/config":
            return 200, self.client_config
        if route == "/get_server_capabilities":
            return 200, {"supported_models": [{"model_name": "Qwen/Qwen3-8B"}]}
        if route == "/get_info":
            return 200, {"model_id": body["model_id"], "model_data": {"model_name": "Qwen/Qwen3-8B"}}
        if route == "/create_sampling_session":
            return 200, {"sampling_session_id": f"{body['session_id']}:sample:{body['sampling_session_seq_id']}"}
        if route == "/retrieve_future":
            return self._poll(body["request_id"])
        if route == "/retrieve_futures":
            return 200, self._batch(body)
        if route == "/asample":
            self._await_samples()
        result = self._result(route, body)
        if result is None:
            return 404, {"error": f"no route {method} {path}"}
        request_id = f"req-{next(self._ids)}"
        with self.lock:
            self._results[request_id] = result
            if "seq_id" in body and route != "/asample":
                self.applied.append((route, body["seq_id"]))
            if route == "/asample":
                self._completed.append(request_id)
                self._arrived.notify_all()
        return 200, {"request_id": request_id}

    def _await_samples(self) -> None:
        with self._arrived:
            self._arrivals += 1
            self._arrived.notify_all()
            self._arrived.wait_for(lambda: self._arrivals >= self.sample_barrier, timeout=5.0)

    def _batch(self, body: Any) -> dict[str, Any]:
        """Completions after `prev_cursor`, held up to 1 s (or the asked `timeout`) for one to come."""
        cursor = int(body["prev_cursor"])
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._completed) > cursor, timeout=min(body.get("timeout", 1.0), 1.0))
            done = self._completed[cursor:]
            if done:
                self.batch_rounds.append(list(done))
            completions = [{"state": "finished", "request_id": r} for r in done]
            return {"completions": completions, "cursor": cursor + len(done)}

    def _result(self, route: str, body: Any) -> Any:
        if route == "/create_model":
            return {"model_id": f"{body['session_id']}:train:{body['model_seq_id']}", "type": "create_model"}
        if route in ("/forward_backward", "/forward"):
            data = body.get("forward_backward_input", body.get("forward_input"))["data"]
            outputs = [
                {"logprobs": {"data": [-1.0] * len(d["loss_fn_inputs"]["target_tokens"]["data"]), "dtype": "float32"}}
                for d in data
            ]
            return {"loss_fn_output_type": "ArrayRecord", "loss_fn_outputs": outputs, "metrics": {"loss:sum": float(len(data))}}
        if route == "/optim_step":
            return {"metrics": {}}
        if route == "/save_weights":
            return {"path": f"tinker://run/weights/{body.get('path')}", "type": "save_weights"}
        if route == "/load_weights":
            return {"model_id": body.get("model_id") or f"{body['session_id']}:train:{body['model_seq_id']}"}
        if route == "/save_weights_for_sampler":
            if body.get("path") is not None:
                return {"path": f"tinker://run/sampler_weights/{body['path']}"}
            return {"sampling_session_id": f"sess-1:sample:{body['sampling_session_seq_id']}"}
        if route == "/asample":
            tokens = [t for c in body["prompt"]["chunks"] for t in c["tokens"]]
            sequence = {"stop_reason": "length", "tokens": [7, 8, 9]}
            return {"sequences": [sequence] * body["num_samples"], "prompt_logprobs": [None] + [-0.5] * (len(tokens) - 1)}
        return None

    def _poll(self, request_id: str) -> tuple[int, Any]:
        with self.lock:
            count = self._polls[request_id] = self._polls.get(request_id, 0) + 1
            if self.expire_polls:
                self.expire_polls -= 1
                return 410, {"error": "expired"}
            if request_id not in self._results:
                return 410, {"error": "expired"}
            if self.poll_answers:
                return 200, self.poll_answers.pop(0)
            if count <= self.try_again_rounds:
                return 200, {"type": "try_again", "request_id": request_id, "queue_state": self.queue_state, "retry_after_ms": 10}
            return 200, self._results[request_id]


def _handler(server: WorkflowServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            with server.lock:
                server.seen.append(Request(self.command, self.path, body, dict(self.headers)))
            status, answer = server.answer(self.command, self.path, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

    return Handler


@pytest.fixture
def server() -> Iterator[WorkflowServer]:
    srv = WorkflowServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.server.shutdown()
        srv.server.server_close()
