"""tinker_client.testing: every operation of the spec answered schema-valid, requests that break
the spec refused with the API's status, and faults seen by the client's retries."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict
from tinker_client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
    types,
)
from tinker_client._endpoint import Endpoint, Param
from tinker_client._futures import FutureSpec
from tinker_client.testing import FakeTinker, Fault
from tinker_client.testing._minimal import minimal, minimal_json
from tinker_client.testing._routes import Router, _operation

OPERATIONS = sorted(FakeTinker().operations)
ENV = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "generated")}


class World:
    """A fake with one of everything: session, model, checkpoints, sampler, a finished future."""

    def __init__(self) -> None:
        self.fake = FakeTinker()
        self.client = self.fake.client(max_retries=0)
        c = self.client
        self.session_id = c.service.create_session(tags=[], sdk_version="test").session_id
        self.model_id = (
            c.models.create(
                session_id=self.session_id,
                model_seq_id=0,
                base_model="Qwen/Qwen3-8B",
                lora_config=types.LoraConfig(rank=8),
            )
            .result()
            .model_id
        )
        self.weights = c.weights.save(model_id=self.model_id, path="0001").result().path
        save = c.weights.save_for_sampler(model_id=self.model_id, path="s0001")
        self.sampler_weights = save.result().path
        self.request_id = save.request_id
        self.sampler_id = c.service.create_sampling_session(
            session_id=self.session_id, sampling_session_seq_id=0, model_path=self.sampler_weights
        ).sampling_session_id

    def arguments(self, name: str) -> dict[str, Any]:
        """Arguments (by wire name) for one call of `name` that the fake must accept."""
        operation = self.fake.operations[name]
        endpoint = operation.endpoint
        known: dict[str, Any] = {
            "session_id": self.session_id,
            "model_id": self.model_id,
            "training_run_id": self.model_id,
            "sampler_id": self.sampler_id,
            "sampling_session_id": self.sampler_id,
            "checkpoint_id": "weights/0001",
            "tinker_path": self.weights,
            "request_id": self.request_id,
            "base_model": "Qwen/Qwen3-8B",
            "model_seq_id": 1,
            "sampling_session_seq_id": 1,
            "seq_id": 1,
        }
        args: dict[str, Any] = {
            p.wire: known.get(p.wire, "x") for p in endpoint.params if p.location == "path"
        }
        if endpoint.body is not None:
            body = minimal(endpoint.body)
            for key in endpoint.body.model_fields:
                if key in known:
                    body[key] = known[key]
                elif isinstance(body.get(key), str) and body[key].startswith("tinker://"):
                    body[key] = self.weights
            args.update(body)
        if name == "checkpoints.unpublish":
            self.client.checkpoints.publish(self.model_id, "weights/0001")
        return args


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_answers_what_the_spec_promises(name: str) -> None:
    world = World()
    operation = world.fake.operations[name]
    args = world.arguments(name)
    raw = world.client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecated operations warn once
        check_answer(raw, operation, name, args)
    assert world.fake.requests[-1].status < 300


def check_answer(raw: Any, operation: Any, name: str, args: dict[str, Any]) -> None:
    if operation.result is not None:
        future = raw.start_future(operation.endpoint, FutureSpec(operation.result, name), args, None)
        value = future.result(timeout=5)
        assert isinstance(value, operation.result)
    else:
        value = raw.request(operation.endpoint, args, None)
        expected = operation.endpoint.response
        assert value is None if expected is type(None) else isinstance(value, expected)


def test_the_fake_knows_every_operation_of_the_client() -> None:
    import importlib
    import pkgutil

    import tinker_client.resources as resources
    from tinker_client._resource import SyncResource

    methods = set()
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"tinker_client.resources.{info.name}")
        for cls in vars(module).values():
            if isinstance(cls, type) and issubclass(cls, SyncResource) and cls is not SyncResource:
                for name in vars(cls):
                    if not name.startswith("_") and not name.endswith("_all"):  # *_all: page iterators
                        methods.add(f"{info.name}.{name}")
    assert methods == set(OPERATIONS)
    assert len(methods) >= 32


class Echo(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: int
    label: str = "x"


def test_an_endpoint_new_in_the_spec_gets_a_schema_valid_answer() -> None:
    fake = FakeTinker()
    endpoint = Endpoint(
        "GET", "/api/v1/brand_new/{item_id}", Echo, params=(Param("item_id", "item_id", "path", "str"),)
    )
    fake.router = Router(
        {**fake.operations, "extra.brand_new": _operation("extra.brand_new", endpoint, None)}
    )
    with fake.client() as client:
        answer = client.request(endpoint, {"item_id": "a"}, None)
    assert answer == Echo(value=0)


def test_minimal_instances_honour_constraints() -> None:
    assert minimal_json(types.CreateModelRequest)["model_seq_id"] == 0
    assert minimal_json(types.SetCheckpointTtlRequest) == {"ttl_seconds": 3600}
    assert minimal_json(types.WeightsInfoRequest)["tinker_path"].startswith("tinker://")
    assert minimal_json(types.TryAgainResponse)["type"] == "try_again"
    assert minimal_json(types.Checkpoint)["time"].startswith("2026-01-01")


# ------------------------------------------------------------------ refused requests


def raw(fake: FakeTinker) -> httpx.Client:
    return httpx.Client(transport=fake.transport, base_url=fake.base_url, headers={"X-API-Key": "k"})


def test_unknown_route_is_404_and_wrong_method_405() -> None:
    fake = FakeTinker()
    with raw(fake) as http:
        missing = http.get("/api/v1/nothing_here")
        wrong = http.get("/api/v1/create_session")
    assert missing.status_code == 404 and "no route" in missing.json()["error"]
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"


def test_body_that_breaks_the_schema_is_422_naming_the_field() -> None:
    fake = FakeTinker()
    with raw(fake) as http:
        missing = http.post("/api/v1/create_session", json={"tags": []})
        extra = http.post("/api/v1/create_session", json={"tags": [], "sdk_version": "1", "surprise": 1})
        not_json = http.post(
            "/api/v1/create_session", content=b"{", headers={"Content-Type": "application/json"}
        )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["sdk_version"]
    assert extra.status_code == 422 and "surprise" in extra.json()["error"]
    assert not_json.status_code == 400
    assert fake.applied == []


def test_query_parameter_of_the_wrong_kind_is_422() -> None:
    fake = FakeTinker()
    with raw(fake) as http:
        bad_int = http.get("/api/v1/training_runs", params={"limit": "many"})
        bad_choice = http.get("/api/v1/sessions", params={"access_scope": "everyone"})
        good = http.get("/api/v1/training_runs", params={"limit": "5", "access_scope": "owned"})
    assert bad_int.status_code == 422 and "limit" in bad_int.json()["error"]
    assert bad_choice.status_code == 422
    assert good.status_code == 200 and good.json()["cursor"]["limit"] == 5


class LooseSession(BaseModel):
    model_config = ConfigDict(extra="allow")


def test_refusals_reach_the_caller_as_typed_errors() -> None:
    fake = FakeTinker(api_key="right")
    loose = Endpoint("POST", "/api/v1/create_session", types.CreateSessionResponse, body=LooseSession)
    with fake.client() as client:
        with pytest.raises(UnprocessableEntityError) as invalid:
            client.request(loose, {"tags": "not a list"}, None)
        with pytest.raises(NotFoundError):
            client.service.session_heartbeat(session_id="no-such-session")
        with pytest.raises(NotFoundError):
            client.weights.list("no-such-run")
    assert invalid.value.status_code == 422 and "sdk_version" in str(invalid.value)
    with fake.client(api_key="wrong") as client, pytest.raises(AuthenticationError):
        client.service.get_server_capabilities()


def test_a_used_seq_id_is_refused() -> None:
    fake = FakeTinker()
    with fake.client() as client:
        session = client.service.create_session(tags=[], sdk_version="t").session_id
        model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
        client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams()).result()
        with pytest.raises(BadRequestError, match="seq_id 1 was already used"):
            client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams())


# ------------------------------------------------------------------ faults


def test_5xx_faults_are_retried_by_the_client() -> None:
    fake = FakeTinker()
    fake.inject("service.get_server_capabilities", Fault(503, retry_after=0), times=2)
    with fake.client(max_retries=2) as client:
        answer = client.service.get_server_capabilities()
    assert answer.supported_models
    statuses = [s.status for s in fake.requests if s.operation == "service.get_server_capabilities"]
    assert statuses == [503, 503, 200]


def test_5xx_beyond_the_retries_is_an_internal_server_error() -> None:
    fake = FakeTinker()
    fake.inject("service.get_server_capabilities", Fault(500, retry_after=0), times=None)
    with fake.client(max_retries=1) as client, pytest.raises(InternalServerError):
        client.service.get_server_capabilities()
    assert len(fake.requests) == 2


def test_429_retry_after_is_honoured() -> None:
    fake = FakeTinker()
    fake.inject("*", Fault(429, retry_after=0.3), times=1)
    with fake.client(max_retries=1) as client:
        start = time.monotonic()
        client.service.create_session(tags=[], sdk_version="t")
        waited = time.monotonic() - start
    assert waited >= 0.3
    assert [s.status for s in fake.requests] == [429, 200]
    assert fake.requests[0].operation == "service.create_session"


def test_429_without_retries_is_a_rate_limit_error() -> None:
    fake = FakeTinker()
    fake.inject("service.create_session", Fault(429, retry_after=1))
    with fake.client(max_retries=0) as client, pytest.raises(RateLimitError) as caught:
        client.service.create_session(tags=[], sdk_version="t")
    assert caught.value.headers["retry-after"] == "1"


def test_latency_delays_the_answer() -> None:
    fake = FakeTinker()
    fake.inject("service.get_server_capabilities", Fault(latency=0.2))
    with fake.client() as client:
        start = time.monotonic()
        client.service.get_server_capabilities()
        assert time.monotonic() - start >= 0.2


def test_a_retried_post_with_the_same_idempotency_key_is_applied_once() -> None:
    fake = FakeTinker()
    with raw(fake) as http:
        first = http.post(
            "/api/v1/create_session",
            json={"tags": [], "sdk_version": "t"},
            headers={"X-Idempotency-Key": "k1"},
        )
        again = http.post(
            "/api/v1/create_session",
            json={"tags": [], "sdk_version": "t"},
            headers={"X-Idempotency-Key": "k1"},
        )
    assert first.json() == again.json()
    assert len(fake.sessions) == 1 and len(fake.applied) == 1


def test_conflicts_and_unknown_operations() -> None:
    fake = FakeTinker()
    with pytest.raises(KeyError):
        fake.inject("no.such_operation", Fault(500))
    with fake.client(max_retries=0) as client:
        session = client.service.create_session(tags=[], sdk_version="t").session_id
        model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
        path = client.weights.save(model_id=model, path="a").result().path
        rest = path.removeprefix("tinker://").split("/", 1)
        client.checkpoints.publish(rest[0], rest[1])
        with pytest.raises(ConflictError):
            client.checkpoints.publish(rest[0], rest[1])
        with pytest.raises(APIStatusError) as gone:
            fake.expire_session(session)
            client.service.session_heartbeat(session_id=session)
    assert gone.value.status_code == 410


def test_a_lost_answer_is_recovered_by_the_retry_without_applying_twice() -> None:
    fake = FakeTinker()
    with fake.client(max_retries=2) as client:
        session = client.service.create_session(tags=[], sdk_version="t").session_id
        model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
        fake.inject("training.optim_step", Fault(502, retry_after=0, after=True))
        step = client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams())
        assert step.result().metrics is not None
    attempts = [s for s in fake.requests if s.operation == "training.optim_step"]
    assert [s.status for s in attempts] == [502, 200]
    assert attempts[0].headers["x-idempotency-key"] == attempts[1].headers["x-idempotency-key"]
    assert fake.applied_to(model) == ["training.optim_step"]


def test_cancelled_future_fails_when_its_turn_comes() -> None:
    fake = FakeTinker()
    if "futures.cancel" not in fake.operations:
        pytest.skip("the spec has no futures.cancel")
    with fake.client() as client:
        session = client.service.create_session(tags=[], sdk_version="t").session_id
        model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
        held = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        client.request(fake.operations["futures.cancel"].endpoint, {"request_id": held.request_id}, None)
        client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams()).result()
    with raw(fake) as http:
        answer = http.post("/api/v1/retrieve_future", json={"request_id": held.request_id})
    assert answer.json() == {"error": "cancelled", "category": "user"}
    assert fake.applied_to(model) == ["training.optim_step"]


def test_set_answer_overrides_fields_still_within_the_spec() -> None:
    fake = FakeTinker()
    fake.set_answer("service.get_server_capabilities", {"supported_models": [{"model_name": "only/this"}]})
    with fake.client(max_retries=0) as client:
        models = client.service.get_server_capabilities().supported_models
        assert [m.model_name for m in models] == ["only/this"]
        fake.set_answer("service.get_server_capabilities", {"supported_models": "not a list"})
        with pytest.raises(InternalServerError, match="outside the spec"):
            client.service.get_server_capabilities()
    with pytest.raises(KeyError):
        fake.set_answer("no.such_operation", {})


def test_batches_and_bodies_over_the_limits_are_refused() -> None:
    fake = FakeTinker(max_datums=2, max_body_bytes=2000)
    chunk = types.EncodedTextChunk(tokens=[1, 2])
    item = types.Datum(model_input=types.ModelInput(chunks=[chunk]), loss_fn_inputs={})
    with fake.client(max_retries=0) as client:
        session = client.service.create_session(tags=[], sdk_version="t").session_id
        model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
        small = types.ForwardBackwardInput(data=[item, item], loss_fn="cross_entropy")
        client.training.forward_backward(forward_backward_input=small, model_id=model, seq_id=1).result()
        large = types.ForwardBackwardInput(data=[item] * 3, loss_fn="cross_entropy")
        with pytest.raises(BadRequestError, match="at most 2"):
            client.training.forward_backward(forward_backward_input=large, model_id=model, seq_id=2)
        with pytest.raises(APIStatusError) as too_big:
            client.service.create_session(tags=["x" * 3000], sdk_version="t")
    assert too_big.value.status_code == 413
    assert fake.applied_to(model) == ["training.forward_backward"]


def test_the_fake_is_loaded_only_when_imported() -> None:
    code = "import sys, tinker_client; tinker_client.Tinker; print('tinker_client.testing' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_issued_tokens_are_accepted_until_they_expire() -> None:
    fake = FakeTinker(api_key="key")
    if "service.create_auth_token" not in fake.operations:
        pytest.skip("the spec has no service.create_auth_token")
    clock = [1_800_000_000.0]
    fake.clock = lambda: clock[0]
    exchange = fake.operations["service.create_auth_token"].endpoint
    with fake.client(api_key="key") as client:
        token = client.request(exchange, {}, None).jwt
    with fake.client(api_key=token, max_retries=0) as client:
        assert client.service.get_server_capabilities().supported_models
        clock[0] += fake.token_lifetime
        with pytest.raises(AuthenticationError) as expired:
            client.service.get_server_capabilities()
    assert 'error="invalid_token"' in expired.value.headers["www-authenticate"]
