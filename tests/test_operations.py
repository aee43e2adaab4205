"""Every operation, on Tinker and AsyncTinker: the request on the wire and the parsed result.

The expected method, path, query and JSON body of each case come from the wire facts of
spec/README.md (the endpoints read from the SDK 0.38.0: tests/cases_sdk38.py);
`httpx.MockTransport` captures what the client sends.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import tinker_client
from pydantic import RootModel
from tinker_client import types

from .cases_sdk38 import SDK38_CASES
from .loopback import Loopback, Reply

FUTURE = {"request_id": "req-1", "model_id": "s:train:0"}
CHECKPOINT = {
    "checkpoint_id": "weights/0001",
    "checkpoint_type": "training",
    "time": "2025-01-15T10:00:00Z",
    "tinker_path": "tinker://run-1/weights/0001",
}
TRAINING_RUN = {
    "training_run_id": "run-1",
    "base_model": "Qwen/Qwen3-8B",
    "model_owner": "me",
    "is_lora": True,
    "lora_rank": 32,
    "last_request_time": "2025-01-15T10:00:00Z",
    "last_checkpoint": CHECKPOINT,
}
CURSOR = {"offset": 0, "limit": 20, "total_count": 1}
PROMPT = types.ModelInput(chunks=[types.EncodedTextChunk(tokens=[1, 2])])
DATUM = types.Datum(
    model_input=PROMPT,
    loss_fn_inputs={"target_tokens": types.TensorData(data=[2, 3], dtype="int64")},
)
FB_INPUT = types.ForwardBackwardInput(data=[DATUM], loss_fn="cross_entropy")
FB_INPUT_JSON = {
    "data": [
        {
            "model_input": {"chunks": [{"tokens": [1, 2], "type": "encoded_text"}]},
            "loss_fn_inputs": {"target_tokens": {"data": [2, 3], "dtype": "int64"}},
        }
    ],
    "loss_fn": "cross_entropy",
}


@dataclass
class Case:
    call: str
    method: str
    path: str
    response: Any
    result: type | None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    # service
    Case(
        "service.get_server_capabilities",
        "GET",
        "/api/v1/get_server_capabilities",
        {"supported_models": [{"model_name": "Qwen/Qwen3-8B", "trainable": True}]},
        types.GetServerCapabilitiesResponse,
    ),
    Case("service.health_check", "GET", "/api/v1/healthz", {"status": "ok"}, types.HealthResponse),
    Case(
        "service.create_session",
        "POST",
        "/api/v1/create_session",
        {"type": "create_session", "session_id": "s", "info_message": "hi"},
        types.CreateSessionResponse,
        kwargs={"tags": ["a"], "user_metadata": {}, "sdk_version": "0.38.0"},
        body={"tags": ["a"], "user_metadata": {}, "sdk_version": "0.38.0", "type": "create_session"},
    ),
    Case(
        "service.session_heartbeat",
        "POST",
        "/api/v1/session_heartbeat",
        {"type": "session_heartbeat"},
        types.SessionHeartbeatResponse,
        kwargs={"session_id": "s"},
        body={"session_id": "s", "type": "session_heartbeat"},
    ),
    Case(
        "service.create_sampling_session",
        "POST",
        "/api/v1/create_sampling_session",
        {"type": "create_sampling_session", "sampling_session_id": "s:sample:0"},
        types.CreateSamplingSessionResponse,
        kwargs={"session_id": "s", "sampling_session_seq_id": 0, "base_model": "Qwen/Qwen3-8B"},
        body={
            "session_id": "s",
            "sampling_session_seq_id": 0,
            "base_model": "Qwen/Qwen3-8B",
            "type": "create_sampling_session",
        },
    ),
    # models
    Case(
        "models.create",
        "POST",
        "/api/v1/create_model",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={
            "session_id": "s",
            "model_seq_id": 0,
            "base_model": "b",
            "lora_config": types.LoraConfig(rank=8),
            "optimizer_config": {"type": "adamw"},
        },
        body={
            "session_id": "s",
            "model_seq_id": 0,
            "base_model": "b",
            "lora_config": {"rank": 8, "train_unembed": True, "train_mlp": True, "train_attn": True},
            "optimizer_config": {"type": "adamw"},
            "type": "create_model",
        },
    ),
    Case(
        "models.get_info",
        "POST",
        "/api/v1/get_info",
        {
            "type": "get_info",
            "model_data": {"arch": "qwen3", "tokenizer_id": "Qwen/Qwen3-8B"},
            "model_id": "m",
            "is_lora": True,
            "lora_rank": 8,
        },
        types.GetInfoResponse,
        kwargs={"model_id": "m"},
        body={"model_id": "m", "type": "get_info"},
    ),
    Case(
        "models.unload",
        "POST",
        "/api/v1/unload_model",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"model_id": "m"},
        body={"model_id": "m", "type": "unload_model"},
    ),
    # weights
    Case(
        "weights.load",
        "POST",
        "/api/v1/load_weights",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"model_id": "m", "path": "tinker://run-1/weights/0001", "optimizer": True, "seq_id": 3},
        body={
            "model_id": "m",
            "path": "tinker://run-1/weights/0001",
            "optimizer": True,
            "seq_id": 3,
            "type": "load_weights",
        },
    ),
    Case(
        "weights.save",
        "POST",
        "/api/v1/save_weights",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"model_id": "m", "path": "0001", "seq_id": 4},
        body={"model_id": "m", "path": "0001", "seq_id": 4, "overwrite": False, "type": "save_weights"},
    ),
    Case(
        "weights.save_for_sampler",
        "POST",
        "/api/v1/save_weights_for_sampler",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"model_id": "m", "path": "s1", "ttl_seconds": 7200},
        body={
            "model_id": "m",
            "path": "s1",
            "ttl_seconds": 7200,
            "kind": "snapshot",
            "type": "save_weights_for_sampler",
        },
    ),
    Case(
        "weights.list",
        "GET",
        "/api/v1/training_runs/run-1/checkpoints",
        {"checkpoints": [CHECKPOINT], "cursor": None},
        types.CheckpointsListResponse,
        args=("run-1",),
    ),
    Case(
        "weights.delete_checkpoint",
        "DELETE",
        "/api/v1/training_runs/run-1/checkpoints/weights/0001",
        None,
        None,
        args=("run-1", "weights/0001"),
    ),
    Case(
        "weights.get_checkpoint_archive_url",
        "GET",
        "/api/v1/training_runs/run-1/checkpoints/sampler_weights/0001/archive",
        {"url": "https://storage.example/a.tar", "expires": "2025-01-15T10:15:00Z"},
        types.CheckpointArchiveUrlResponse,
        args=("run-1", "sampler_weights/0001"),
    ),
    # training
    Case(
        "training.forward",
        "POST",
        "/api/v1/forward",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"forward_input": FB_INPUT, "model_id": "m", "seq_id": 1},
        body={"forward_input": FB_INPUT_JSON, "model_id": "m", "seq_id": 1},
    ),
    Case(
        "training.forward_backward",
        "POST",
        "/api/v1/forward_backward",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"forward_backward_input": FB_INPUT, "model_id": "m", "seq_id": 2},
        body={"forward_backward_input": FB_INPUT_JSON, "model_id": "m", "seq_id": 2},
    ),
    Case(
        "training.optim_step",
        "POST",
        "/api/v1/optim_step",
        FUTURE,
        types.UntypedAPIFuture,
        kwargs={"model_id": "m", "seq_id": 3, "adam_params": types.AdamParams(learning_rate=1e-4)},
        body={
            "model_id": "m",
            "seq_id": 3,
            "type": "optim_step",
            "adam_params": {
                "learning_rate": 1e-4,
                "beta1": 0.9,
                "beta2": 0.95,
                "eps": 1e-12,
                "weight_decay": 0.0,
                "grad_clip_norm": 0.0,
            },
        },
    ),
    # sampling
    Case(
        "sampling.asample",
        "POST",
        "/api/v1/asample",
        {**FUTURE, "sample_sequence_ids": ["q"]},
        types.UntypedAPIFuture,
        kwargs={
            "prompt": PROMPT,
            "sampling_params": types.SamplingParams(max_tokens=5),
            "sampling_session_id": "s:sample:0",
            "seq_id": 0,
        },
        body={
            "num_samples": 1,
            "prompt": {"chunks": [{"tokens": [1, 2], "type": "encoded_text"}]},
            "sampling_params": {"max_tokens": 5, "temperature": 1.0, "top_k": -1, "top_p": 1.0},
            "sampling_session_id": "s:sample:0",
            "seq_id": 0,
            "topk_prompt_logprobs": 0,
            "topk_sample_logprobs": 0,
            "prompt_alt_tokens_k": 0,
            "type": "sample",
        },
    ),
    # futures
    Case(
        "futures.retrieve",
        "POST",
        "/api/v1/retrieve_future",
        {"type": "try_again", "request_id": "r", "queue_state": "active"},
        types.FutureRetrieveResponse,
        kwargs={"request_id": "r", "allow_metadata_only": True},
        body={"request_id": "r", "allow_metadata_only": True},
    ),
    # telemetry
    Case(
        "telemetry.send",
        "POST",
        "/api/v1/telemetry",
        {"status": "accepted"},
        types.TelemetryResponse,
        kwargs={
            "events": [
                types.GenericEvent(
                    event="GENERIC_EVENT",
                    event_id="e1",
                    event_session_index=0,
                    severity="INFO",
                    timestamp="2025-01-15T10:00:00Z",
                    event_name="x",
                )
            ],
            "platform": "Linux",
            "sdk_version": "0.1",
            "session_id": "s",
            "process_uuid": "p",
        },
        body={
            "events": [
                {
                    "event": "GENERIC_EVENT",
                    "event_id": "e1",
                    "event_session_index": 0,
                    "severity": "INFO",
                    "timestamp": "2025-01-15T10:00:00Z",
                    "event_name": "x",
                    "event_data": {},
                }
            ],
            "platform": "Linux",
            "sdk_version": "0.1",
            "session_id": "s",
            "process_uuid": "p",
        },
    ),
    # REST
    Case(
        "training_runs.get",
        "GET",
        "/api/v1/training_runs/run-1",
        TRAINING_RUN,
        types.TrainingRun,
        args=("run-1",),
        query={"access_scope": "owned"},
    ),
    Case(
        "training_runs.list",
        "GET",
        "/api/v1/training_runs",
        {"training_runs": [TRAINING_RUN], "cursor": CURSOR},
        types.TrainingRunsResponse,
        kwargs={"limit": 50, "access_scope": "accessible"},
        query={"limit": "50", "offset": "0", "access_scope": "accessible"},
    ),
    Case(
        "checkpoints.get_weights_info",
        "POST",
        "/api/v1/weights_info",
        {"base_model": "Qwen/Qwen2.5-7B", "is_lora": True, "lora_rank": 32},
        types.WeightsInfoResponse,
        kwargs={"tinker_path": "tinker://run-1/weights/0001"},
        body={"tinker_path": "tinker://run-1/weights/0001"},
    ),
    Case(
        "checkpoints.list",
        "GET",
        "/api/v1/checkpoints",
        {"checkpoints": [CHECKPOINT], "cursor": {**CURSOR, "limit": 100}},
        types.CheckpointsListResponse,
        query={"limit": "100", "offset": "0"},
    ),
    Case(
        "checkpoints.publish",
        "POST",
        "/api/v1/training_runs/run-1/checkpoints/weights/0001/publish",
        None,
        None,
        args=("run-1", "weights/0001"),
    ),
    Case(
        "checkpoints.unpublish",
        "DELETE",
        "/api/v1/training_runs/run-1/checkpoints/weights/0001/publish",
        None,
        None,
        args=("run-1", "weights/0001"),
    ),
    Case(
        "checkpoints.set_ttl",
        "PUT",
        "/api/v1/training_runs/run-1/checkpoints/weights/0001/ttl",
        None,
        None,
        args=("run-1", "weights/0001"),
        kwargs={"ttl_seconds": None},
        body={"ttl_seconds": None},
    ),
    Case(
        "sessions.get",
        "GET",
        "/api/v1/sessions/sess-1",
        {"training_run_ids": ["run-1"], "sampler_ids": []},
        types.GetSessionResponse,
        args=("sess-1",),
        query={"access_scope": "owned"},
    ),
    Case(
        "sessions.list",
        "GET",
        "/api/v1/sessions",
        {"sessions": ["sess-1"]},
        types.ListSessionsResponse,
        query={"limit": "20", "offset": "0", "access_scope": "owned"},
    ),
    Case(
        "sessions.assign_project",
        "PUT",
        "/api/v1/sessions/sess-1/project",
        None,
        None,
        args=("sess-1",),
        kwargs={"project_id": "proj"},
        body={"project_id": "proj"},
    ),
    Case(
        "samplers.get",
        "GET",
        "/api/v1/samplers/sess:sample:0",
        {"sampler_id": "sess:sample:0", "base_model": "Qwen/Qwen2.5-7B"},
        types.GetSamplerResponse,
        args=("sess:sample:0",),
    ),
    Case(
        "audit.get_log",
        "GET",
        "/api/v1/audit",
        {"entries": [{"timestamp": "2025-01-15T10:00:00Z", "event": "checkpoint_read"}]},
        types.AuditLogResponse,
        kwargs={"day": __import__("datetime").date(2025, 1, 15)},
        query={"event_type": "all", "day": "2025-01-15"},
    ),
]
CASES += [Case(**fields) for fields in SDK38_CASES]


def test_every_operation_has_a_case() -> None:
    declared = set()
    client = tinker_client.Tinker(api_key="tml-test", http_client=httpx.Client())
    for resource in (
        "service",
        "models",
        "weights",
        "training",
        "sampling",
        "futures",
        "telemetry",
        "training_runs",
        "checkpoints",
        "sessions",
        "samplers",
        "audit",
        "account",
    ):
        obj = getattr(client, resource)
        declared |= {
            f"{resource}.{name}"
            for name in dir(type(obj))
            if not name.startswith("_") and not name.endswith("_all")  # page iterators: test_runtime
        }
    assert declared == {case.call for case in CASES}
    assert len(declared) == 49


def _transport(case: Case, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if case.response is None:
            return httpx.Response(200)
        return httpx.Response(200, json=case.response)

    return httpx.MockTransport(handler)


def _check_request(case: Case, request: httpx.Request) -> None:
    assert request.method == case.method
    assert request.url.raw_path.decode().split("?")[0] == "/services/tinker-prod" + case.path
    assert dict(request.url.params) == case.query
    assert request.headers["X-API-Key"] == "tml-test"
    if case.body is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.content) == case.body
    assert ("X-Idempotency-Key" in request.headers) == (case.method != "GET")
    for name, value in case.headers.items():
        assert request.headers[name] == value


def _check_result(case: Case, result: Any) -> None:
    if case.result is None:
        assert result is None
        return
    if isinstance(result, (tinker_client.Future, tinker_client.AsyncFuture)):  # long-running
        assert result.request_id == case.response["request_id"]
        result = result.initial
    assert isinstance(result, case.result)
    if isinstance(result, RootModel):  # the retrieve_future union: the member that matched
        assert isinstance(result.root, types.TryAgainResponse)
        result = result.root
    assert result.model_dump(mode="json", exclude_unset=True) == case.response


@pytest.mark.parametrize("case", CASES, ids=[c.call for c in CASES])
def test_sync(case: Case) -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=_transport(case, seen)) as http:
        client = tinker_client.Tinker(api_key="tml-test", http_client=http)
        resource, method = case.call.split(".")
        result = getattr(getattr(client, resource), method)(*case.args, **case.kwargs)
    assert len(seen) == 1
    _check_request(case, seen[0])
    _check_result(case, result)


@pytest.mark.parametrize("case", CASES, ids=[c.call for c in CASES])
def test_async(case: Case) -> None:
    seen: list[httpx.Request] = []

    async def run() -> Any:
        async with httpx.AsyncClient(transport=_transport(case, seen)) as http:
            client = tinker_client.AsyncTinker(api_key="tml-test", http_client=http)
            resource, method = case.call.split(".")
            return await getattr(getattr(client, resource), method)(*case.args, **case.kwargs)

    result = asyncio.run(run())
    assert len(seen) == 1
    _check_request(case, seen[0])
    _check_result(case, result)


# The long-running operations read from the SDK 0.38.0, through to their results on a real server.
LONG_RUNNING = [
    (
        "weights.save_external",
        "/api/v1/save_weights_external",
        {"model_id": "m", "path": "hf", "ttl_seconds": 7200},
        "SaveWeightsExternal",
        {"path": "tinker://run-1/external_weights/hf", "size_bytes": 4096, "type": "save_weights_external"},
        types.SaveWeightsExternalResponseInternal,
    ),
    (
        "service.create_custom_loss",
        "/api/v1/create_custom_loss",
        next(c["kwargs"] for c in SDK38_CASES if c["call"] == "service.create_custom_loss"),
        "CreateCustomLoss",
        {"loss_id": "loss-1", "type": "create_custom_loss"},
        types.CreateCustomLossResponse,
    ),
]


@pytest.mark.parametrize("case", LONG_RUNNING, ids=[c[0] for c in LONG_RUNNING])
@pytest.mark.parametrize("style", ["sync", "async"])
def test_new_futures_resolve_to_their_result(case: Any, style: str, loopback: Loopback) -> None:
    call, path, kwargs, request_type, answer, result_type = case
    loopback.script(("POST", path), Reply(200, {"request_id": "req-9"}))
    try_again = {"type": "try_again", "request_id": "req-9", "queue_state": "active"}
    loopback.script(("POST", "/api/v1/retrieve_future"), Reply(200, try_again), Reply(200, answer))
    resource, method = call.split(".")
    if style == "sync":
        with tinker_client.Tinker(api_key="tml-test", base_url=loopback.url) as client:
            result = getattr(getattr(client, resource), method)(**kwargs).result(timeout=30)
    else:

        async def run() -> Any:
            async with tinker_client.AsyncTinker(api_key="tml-test", base_url=loopback.url) as client:
                return await (await getattr(getattr(client, resource), method)(**kwargs))

        result = asyncio.run(run())
    assert isinstance(result, result_type)
    assert result.model_dump(mode="json", exclude_unset=True) == answer
    polls = loopback.seen[1:]
    assert [p.headers["X-Tinker-Request-Type"] for p in polls] == [request_type] * 2
    assert polls[0].json()["request_id"] == "req-9"
