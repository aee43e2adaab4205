"""`FakeTinker`: the whole fake server behind one `handle()`, shared by both ways to run it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ._futures import Failure, FutureRecord, Futures
from ._handlers import HANDLERS
from ._minimal import minimal_json
from ._records import Applied, Fault, Reply, Seen
from ._routes import Match, Operation, RouteError, Router, discover
from ._state import Call, State

if TYPE_CHECKING:
    from ._server import FakeTransport

__all__ = ["FakeTinker"]

_PACKAGE = __name__.rpartition(".")[0].rpartition(".")[0]
POLL_OPERATION = "futures.retrieve"
_NOT_APPLIED = frozenset({POLL_OPERATION, "futures.retrieve_many"})


class FakeTinker(State):
    """An in-memory Tinker service that follows the spec the package was generated from.

    Arguments (all keyword-only, all optional):
        api_key: the only key accepted (401 otherwise); default: any non-empty key.
        try_again_rounds: `try_again` answers each future gives before its result.
        queue_states: the queue_state of those answers, in turn (e.g. "paused_rate_limit").
        retry_after_ms: sent in every `try_again` answer when set.
        session_timeout: seconds without a heartbeat after which a session expires.
        metadata_threshold: results larger than this (bytes of JSON) answer a first poll
            with `allow_metadata_only` with `complete_metadata`.
        max_datums: forward(_backward) requests with more datums are refused (400); the
            client config then reports it as `fwdbwd_max_chunk_len`.
        max_body_bytes: larger request bodies are refused (413).
        clock: the wall clock (seconds), for timestamps, heartbeats and TTLs.
    """

    base_url = "http://fake-tinker.invalid"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        try_again_rounds: int = 0,
        queue_states: tuple[str, ...] = ("active",),
        retry_after_ms: int | None = None,
        session_timeout: float | None = None,
        metadata_threshold: int | None = None,
        max_datums: int | None = None,
        max_body_bytes: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock, session_timeout)
        self.api_key = api_key
        self.futures = Futures(try_again_rounds, queue_states, retry_after_ms, metadata_threshold)
        self.router = Router(discover())
        self.requests: list[Seen] = []
        self.applied: list[Applied] = []
        self._faults: dict[str, list[tuple[Fault, int | None]]] = {}
        self._replays: dict[str, Reply] = {}
        self._answers: dict[str, dict[str, Any]] = {}
        self.max_datums = max_datums
        self.max_body_bytes = max_body_bytes
        if max_datums is not None:
            self._answers["service.get_client_config"] = {"fwdbwd_max_chunk_len": max_datums}
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- configuration

    @property
    def operations(self) -> dict[str, Operation]:
        """Every operation of the spec, by name (`<resource>.<method>`)."""
        return self.router.operations

    def inject(self, operation: str, fault: Fault, *, times: int | None = 1) -> None:
        """Answer the next `times` requests of `operation` ("*": any) with `fault` (None: always)."""
        if operation != "*" and operation not in self.operations:
            raise KeyError(f"unknown operation {operation!r}")
        with self._lock:
            self._faults.setdefault(operation, []).append((fault, times))

    def fail_futures(
        self, operation: str, error: str = "injected failure", *, category: str = "server", times: int = 1
    ) -> None:
        """Make the next `times` futures of `operation` resolve to `{error, category}`."""
        with self._lock:
            self.futures.fail_next(operation, Failure(error, category), times)

    def set_try_again(self, rounds: int, operation: str | None = None) -> None:
        """`try_again` rounds of futures created from now on (of `operation`, else of all)."""
        with self._lock:
            if operation is None:
                self.futures.try_again_rounds = rounds
            else:
                self.futures.rounds_by_operation[operation] = rounds

    def expire_session(self, session_id: str) -> None:
        """End a session as the server does when heartbeats stop: later calls answer 410."""
        with self._lock:
            self.session(session_id, alive=False).expired = True

    def expire_future(self, request_id: str) -> None:
        """Make polls of `request_id` answer 410, as for a promise the server dropped."""
        with self._lock:
            self.futures.records[request_id].expired = True

    def set_answer(self, operation: str, fields: Mapping[str, Any]) -> None:
        """Merge `fields` into every answer of `operation` (for a future: into its result).

        E.g. `set_answer("service.get_client_config", {"pjwt_auth_enabled": True})`. The
        answer is still validated by the spec's model.
        """
        if operation not in self.operations:
            raise KeyError(f"unknown operation {operation!r}")
        with self._lock:
            self._answers.setdefault(operation, {}).update(fields)

    def applied_to(self, model_id: str) -> list[str]:
        """The operations applied to one model, in the order the fake applied them."""
        with self._lock:
            return [a.operation for a in self.applied if a.model_id == model_id]

    # ---------------------------------------------------------------- ways to run

    @property
    def transport(self) -> FakeTransport:
        """An httpx transport (sync and async) answering from this fake, in process."""
        from ._server import FakeTransport

        return FakeTransport(self)

    def client(self, **kwargs: Any) -> Any:
        """A `Tinker` client talking to this fake in process; `kwargs` go to `Tinker`."""
        import httpx

        from .._client import Tinker

        kwargs.setdefault("api_key", self.api_key or "fake-api-key")
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", httpx.Client(transport=self.transport))
        return Tinker(**kwargs)

    def async_client(self, **kwargs: Any) -> Any:
        """An `AsyncTinker` client talking to this fake in process."""
        import httpx

        from .._client import AsyncTinker

        kwargs.setdefault("api_key", self.api_key or "fake-api-key")
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", httpx.AsyncClient(transport=self.transport))
        return AsyncTinker(**kwargs)

    def service_client(self, **kwargs: Any) -> Any:
        """A `ServiceClient` (training and sampling) whose session lives in this fake, in process.

        `kwargs` go to `ServiceClient` (e.g. `user_metadata`, `wait_policy`).
        """
        import importlib

        import httpx

        module = importlib.import_module(_PACKAGE + "._service")
        kwargs.setdefault("api_key", self.api_key or "fake-api-key")
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", httpx.AsyncClient(transport=self.transport))
        return module.ServiceClient(**kwargs)

    def serve(self, port: int = 0) -> Any:
        """`with fake.serve() as url:` a real HTTP server on 127.0.0.1 (ephemeral port by default)."""
        from ._server import serve

        return serve(self, port)

    # ---------------------------------------------------------------- the server

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one HTTP request. Thread-safe; never sleeps (the reply says how long to wait)."""
        with self._lock:
            operation: str | None = None
            try:
                match = self.router.match(method, path, query, headers)
                operation = match.operation.name
                reply = self._handle(match, headers, body)
            except RouteError as error:
                extra = {"detail": error.detail} if isinstance(error, _Invalid) else {}
                reply = Reply.error(error.status, error.message, error.headers, **extra)
            self.requests.append(
                Seen(method, path, dict(query), dict(headers), body, operation, reply.status)
            )
            return reply

    def _handle(self, match: Match, headers: Mapping[str, str], body: bytes) -> Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        self._authenticate(lowered)
        operation = match.operation
        delay = 0.0
        fault = self._fault(operation.name)
        if fault is not None:
            if fault.status is not None and not fault.after:
                return _fault_reply(fault)
            delay = fault.latency
        key = lowered.get("x-idempotency-key")
        if key is not None and operation.method != "GET" and key in self._replays:
            return self._replays[key]
        if self.max_body_bytes is not None and len(body) > self.max_body_bytes:
            raise RouteError(
                413, f"the body has {len(body)} bytes; at most {self.max_body_bytes} are accepted"
            )
        call = Call(operation.name, match.args, self._body(operation, body))
        self._check_batch(call)
        self.check_references(call)
        reply = self._dispatch(operation, call)
        if key is not None and operation.name not in _NOT_APPLIED and reply.status < 300:
            self._replays[key] = reply
        if fault is not None and fault.status is not None:
            return _fault_reply(fault)
        return Reply(reply.status, reply.headers, reply.content, delay) if delay else reply

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        """An API key (the configured one, else any), or a token the fake issued and still honours."""
        key = headers.get("x-api-key") or ""
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        for token in (key, bearer):
            expires = self.tokens.get(token)
            if expires is not None and expires <= self.clock():
                raise RouteError(
                    401, "the token has expired", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                )
            if expires is not None:
                return
        if ((key or bearer) and self.api_key is None) or (self.api_key is not None and key == self.api_key):
            return
        raise RouteError(401, "missing or invalid API key")

    def _fault(self, operation: str) -> Fault | None:
        for name in (operation, "*"):
            queue = self._faults.get(name)
            if queue:
                fault, times = queue[0]
                if times is not None:
                    if times <= 1:
                        queue.pop(0)
                    else:
                        queue[0] = (fault, times - 1)
                return fault
        return None

    @staticmethod
    def _body(operation: Operation, body: bytes) -> dict[str, Any]:
        model = operation.endpoint.body
        if model is None:
            return {}
        try:
            data = json.loads(body) if body else None
        except ValueError:
            raise RouteError(400, "the request body is not JSON") from None
        try:
            value = model.model_validate(data)
        except ValidationError as error:
            detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
            raise _Invalid(detail) from None
        dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    def _dispatch(self, operation: Operation, call: Call) -> Reply:
        if operation.name == POLL_OPERATION:
            status, answer = self.futures.poll(
                str(call.body["request_id"]), bool(call.body.get("allow_metadata_only"))
            )
            return Reply.json(status, answer)
        if operation.name == "futures.cancel":
            record = self.futures.records.get(str(call.body.get("request_id")))
            if record is not None and not record.applied:
                record.injected = Failure("cancelled", "user")
            self._record(call, None)
            answer = minimal_json(operation.endpoint.response)
            return Reply.json(204, None) if answer is None else Reply.json(200, answer)
        if operation.result is not None:
            return self._start(operation, call)
        answer = _checked(operation.endpoint.response, self._run(operation, call))
        if operation.method != "GET":
            self._record(call, None)
        if operation.endpoint.response is type(None):
            return Reply.json(204, None)
        return Reply.json(200, answer)

    def _start(self, operation: Operation, call: Call) -> Reply:
        record = self.futures.create(operation.name, call.body)
        result_type = operation.result

        def apply(future: FutureRecord) -> None:
            future.result = _checked(result_type, self._run(operation, call))
            self._record(call, future)

        self.futures.submit(record, apply)
        answer: dict[str, Any] = {"request_id": record.request_id}
        if record.model_id is not None:
            answer["model_id"] = record.model_id
        elif operation.name == "models.create":
            answer["model_id"] = f"{call.body['session_id']}:train:{call.body['model_seq_id']}"
        if operation.name == "sampling.asample":
            count = int(call.body.get("num_samples") or 1)
            answer["sample_sequence_ids"] = [f"{record.request_id}:{i}" for i in range(count)]
        return Reply.json(200, _checked(operation.endpoint.response, answer))

    def _check_batch(self, call: Call) -> None:
        batch = call.body.get("forward_backward_input") or call.body.get("forward_input")
        if self.max_datums is None or not isinstance(batch, dict):
            return
        count = len(batch.get("data") or [])
        if count > self.max_datums:
            raise RouteError(400, f"{count} datums in one request; at most {self.max_datums} are accepted")

    def _run(self, operation: Operation, call: Call) -> Any:
        handler = HANDLERS.get(operation.name)
        if handler is None:
            answer = minimal_json(operation.result or operation.endpoint.response)
        else:
            answer = handler(self, call)
        extra = self._answers.get(operation.name)
        if extra and isinstance(answer, dict):
            answer = {**answer, **extra}
        return answer

    def _record(self, call: Call, future: FutureRecord | None) -> None:
        model_id = call.body.get("model_id")
        self.applied.append(
            Applied(
                call.operation,
                call.body,
                seq_id=future.seq_id if future is not None else None,
                model_id=model_id if isinstance(model_id, str) else None,
                request_id=future.request_id if future is not None else None,
            )
        )


class _Invalid(RouteError):
    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(422, "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in detail))
        self.detail = detail


def _checked(model: Any, value: Any) -> Any:
    """`value` as `model` dumps it; a fake that breaks the spec fails loudly (500, no retry)."""
    if model is type(None) or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    try:
        return model.model_validate(value).model_dump(mode="json", by_alias=True, exclude_none=True)
    except ValidationError as error:
        raise RouteError(
            500, f"the fake answered outside the spec: {error}", {"x-should-retry": "false"}
        ) from None


def _fault_reply(fault: Fault) -> Reply:
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    status = fault.status or 500
    if fault.body is not None:
        return Reply.json(status, fault.body, headers, fault.latency)
    reply = Reply.error(status, f"injected HTTP {status}", headers)
    return Reply(reply.status, reply.headers, reply.content, fault.latency)
