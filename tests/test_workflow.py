"""The workflow layer (ServiceClient, TrainingClient, SamplingClient) on a loopback server."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Iterator

import pytest
from tinker_client import ServiceClient, SessionEndedError, WaitDeadlineError, WaitPolicy, types
from tinker_client._version import __version__

from tests.workflow_server import WorkflowServer, server  # noqa: F401  (fixture)

FAST = WaitPolicy(deadline=30.0, heartbeat_interval=0.05)


@pytest.fixture
def service(server: WorkflowServer) -> Iterator[ServiceClient]:  # noqa: F811
    client = ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST)
    try:
        yield client
    finally:
        client.close()


def datum(tokens: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
    )


def training_requests(srv: WorkflowServer) -> list[str]:
    skip = ("/session_heartbeat", "/retrieve_future")
    return [p for p in srv.paths() if p not in skip]


def test_minimal_training_loop_has_the_sdk_conversation(server: WorkflowServer) -> None:  # noqa: F811
    with ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST) as service_client:
        training_client = service_client.create_lora_training_client(base_model="Qwen/Qwen3-8B").result()
        fwd = training_client.forward_backward([datum([1, 2, 3, 4])], "cross_entropy")
        opt = training_client.optim_step(types.AdamParams(learning_rate=1e-4))
        assert fwd.result().metrics == {"loss:sum": 1.0}
        opt.result()
        sampling_client = training_client.save_weights_and_get_sampling_client().result()
        prompt = types.ModelInput.from_ints([1, 2, 3])
        sample = sampling_client.sample(prompt, num_samples=2, sampling_params=types.SamplingParams(max_tokens=3))
        assert [s.tokens for s in sample.result().sequences] == [[7, 8, 9], [7, 8, 9]]
    asks_config = hasattr(service_client._session.client.service, "get_client_config")
    assert training_requests(server) == ["/client/config"] * asks_config + [
        "/create_session", "/create_model", "/get_info", "/forward_backward", "/optim_step",
        "/save_weights_for_sampler", "/asample", "/sessions/sess-1/finish",
    ]  # fmt: skip
    bodies = {r.path.removeprefix("/api/v1"): r.body for r in server.seen}
    assert bodies["/create_session"]["sdk_version"] == __version__
    assert bodies["/create_model"]["model_seq_id"] == 0
    assert bodies["/create_model"]["lora_config"]["rank"] == 32
    assert bodies["/forward_backward"]["seq_id"] == 1 and bodies["/optim_step"]["seq_id"] == 2
    assert bodies["/save_weights_for_sampler"] == {
        "model_id": "sess-1:train:0", "seq_id": 3, "sampling_session_seq_id": 0, "kind": "snapshot",
        "type": "save_weights_for_sampler",
    }  # fmt: skip
    assert bodies["/asample"]["sampling_session_id"] == "sess-1:sample:0" and bodies["/asample"]["seq_id"] == 0
    assert bodies["/sessions/sess-1/finish"] == {"reason": {"type": "success"}}
    sample_request = next(r for r in server.seen if r.path.endswith("/asample"))
    assert sample_request.headers["X-Tinker-Sampling-Backpressure"] == "1"


def test_pipelined_forward_backward_and_optim_step_apply_in_submission_order(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    server.try_again_rounds = 2  # results arrive late: nothing waits for them before submitting
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    futures = []
    for step in range(4):
        futures.append(training_client.forward_backward([datum([1, 2, 3])], "cross_entropy"))
        futures.append(training_client.optim_step(types.AdamParams(learning_rate=1e-4 * (step + 1))))
    for future in futures:
        future.result(timeout=10)
    assert server.applied == [
        (path, seq) for seq, path in enumerate(["/forward_backward", "/optim_step"] * 4, start=1)
    ]


def test_heartbeats_are_sent_at_the_interval_and_stop_at_close(server: WorkflowServer) -> None:  # noqa: F811
    service = ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST)
    assert service.session_id == "sess-1"
    started = time.monotonic()
    while service._session.heartbeats < 4 and time.monotonic() - started < 10:
        time.sleep(0.01)
    service.close()
    elapsed = time.monotonic() - started
    beats = [r.at for r in server.seen if r.path.endswith("/session_heartbeat")]
    assert 4 <= len(beats) <= elapsed / 0.05 + 1
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    assert min(gaps) >= 0.04
    time.sleep(0.2)
    assert len([r for r in server.seen if r.path.endswith("/session_heartbeat")]) == len(beats)
    loop = service._session._loop
    assert loop is not None and not loop._thread.is_alive() and loop._thread not in threading.enumerate()
    assert service._session.client._http.is_closed  # the connection pool is closed too
    assert server.paths()[-1] == "/sessions/sess-1/finish"


def test_a_rest_only_service_client_starts_no_thread(server: WorkflowServer) -> None:  # noqa: F811
    service = ServiceClient(base_url=server.url, api_key="tml-test")
    service.create_rest_client().close()
    assert service._session._loop is None
    service.close()
    assert server.seen == []  # no session was created, so none is finished


def test_a_session_ended_by_the_server_is_a_typed_error_on_the_next_call(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    server.heartbeat_status = 410
    deadline = time.monotonic() + 5
    while service._session.ended is None and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(SessionEndedError, match="sess-1"):
        training_client.forward_backward([datum([1, 2])], "cross_entropy")


def test_a_failed_heartbeat_is_retried_and_logged(
    service: ServiceClient, server: WorkflowServer, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    server.faults["/api/v1/session_heartbeat"] = [503, 503]
    with caplog.at_level(logging.WARNING, logger="tinker_client"):
        assert service.session_id
        deadline = time.monotonic() + 10
        while service._session.heartbeats < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len([m for m in caplog.messages if "heartbeat failed (HTTP 503)" in m]) == 2
    assert service._session.heartbeats >= 2


def test_a_large_batch_is_split_and_its_results_combined(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    output = training_client.forward_backward([datum([1, 2])] * 1030, "cross_entropy").result()
    sizes = [len(r.body["forward_backward_input"]["data"]) for r in server.seen if r.path.endswith("/forward_backward")]
    assert sizes == [1024, 6]
    assert output.metrics == {"loss:sum": 1030.0} and len(output.loss_fn_outputs) == 1030
    assert [seq for _, seq in server.applied[-2:]] == [1, 2]


def test_rate_limit_waits_are_logged_and_bounded_by_the_deadline(
    server: WorkflowServer, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    policy = WaitPolicy(deadline=0.3, max_delay=0.05, heartbeat_interval=10.0)
    with ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=policy) as service:
        sampler = service.create_sampling_client(base_model="Qwen/Qwen3-8B").result()
        prompt = types.ModelInput.from_ints([1, 2])
        server.faults["/api/v1/asample"] = [429, 429]
        with caplog.at_level(logging.INFO, logger="tinker_client"):
            assert sampler.sample(prompt, 1, types.SamplingParams()).result(timeout=10).sequences
        assert [m for m in caplog.messages if "paused: rate limit (HTTP 429)" in m]
        server.faults["/api/v1/asample"] = [429] * 100
        with pytest.raises(WaitDeadlineError, match="rate limit"):
            sampler.sample(prompt, 1, types.SamplingParams()).result(timeout=10)


def test_queue_state_is_visible_and_logged_once_per_change(
    service: ServiceClient, server: WorkflowServer, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    server.try_again_rounds, server.queue_state = 4, "paused_capacity"
    with caplog.at_level(logging.WARNING, logger="tinker_client"):
        future = training_client.forward_backward([datum([1, 2])], "cross_entropy")
        future.result(timeout=10)
    assert future.queue_state == "done" and future.done()
    assert len([m for m in caplog.messages if m.endswith(": paused capacity")]) == 1


def test_async_callers_await_the_same_clients(service: ServiceClient) -> None:
    async def main() -> list[float | None]:
        training_client = await service.create_lora_training_client_async("Qwen/Qwen3-8B")
        fwd = await training_client.forward_backward_async([datum([1, 2, 3])], "cross_entropy")
        assert (await fwd).metrics == {"loss:sum": 1.0}
        sampler = await training_client.save_weights_and_get_sampling_client_async()
        return await sampler.compute_logprobs_async(types.ModelInput.from_ints([1, 2, 3]))

    assert asyncio.run(main()) == [None, -0.5, -0.5]


def test_leaving_the_with_block_on_an_exception_finishes_the_session_as_errored(
    server: WorkflowServer,  # noqa: F811
) -> None:
    with pytest.raises(KeyError), ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST) as sc:
        assert sc.session_id
        raise KeyError("boom")
    finish = [r.body for r in server.seen if r.path.endswith("/finish")]
    assert finish == [{"reason": {"type": "errored"}, "detail": "KeyError: 'boom'"}]


def test_checkpoints_and_clients_from_state(service: ServiceClient, server: WorkflowServer) -> None:  # noqa: F811
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    assert training_client.save_state("step-1").result().path == "tinker://run/weights/step-1"
    saved = training_client.save_weights_for_sampler("s1").result()
    assert saved.path == "tinker://run/sampler_weights/s1"
    restored = service.create_training_client_from_state_with_optimizer(saved.path).result()
    assert restored.model_id == "sess-1:train:1"
    load = next(r.body for r in server.seen if r.path.endswith("/load_weights"))
    assert load["optimizer"] is True and load["model_seq_id"] == 1
    sampler = training_client.create_sampling_client(saved.path).result()
    assert sampler.get_sampler_handle() == "sess-1:sample:0"


def test_optional_dependencies_are_named_when_missing(service: ServiceClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def without(name: str, *args: object) -> object:
        if name in ("transformers", "torch"):
            raise ImportError(name)
        return real(name, *args)  # type: ignore[arg-type]

    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    monkeypatch.setattr(importlib, "import_module", without)
    with pytest.raises(ImportError, match="pip install transformers"):
        training_client.get_tokenizer()
    with pytest.raises(ImportError, match="pip install torch"):
        training_client.forward_backward_custom([datum([1, 2])], lambda data, logprobs: (0, {}))


def test_the_client_config_sets_batch_limits_and_sampling_joins_its_session(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    # Until the spec has service.get_client_config / join_sampling_session, stand them in.
    from types import SimpleNamespace

    asked: list[str] = []

    async def get_client_config(*, sdk_version: str, options: object) -> object:
        asked.append(f"config {sdk_version}")
        return SimpleNamespace(fwdbwd_max_chunk_len=2, sample_join_sampling_session=True)

    async def join_sampling_session(*, sampling_session_id: str, options: object) -> object:
        asked.append(f"join {sampling_session_id}")
        return SimpleNamespace(client_counter=3)

    resource = service._session.client.service
    resource.get_client_config = get_client_config  # type: ignore[attr-defined]
    resource.join_sampling_session = join_sampling_session  # type: ignore[attr-defined]
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
    training_client.forward_backward([datum([1, 2])] * 5, "cross_entropy").result()
    sizes = [len(r.body["forward_backward_input"]["data"]) for r in server.seen if r.path.endswith("/forward_backward")]
    assert sizes == [2, 2, 1]
    sampler = service.create_sampling_client(base_model="Qwen/Qwen3-8B").result()
    for _ in range(2):
        sampler.sample(types.ModelInput.from_ints([1]), 1, types.SamplingParams()).result()
    assert [r.body["seq_id"] for r in server.seen if r.path.endswith("/asample")] == [3_000_000_000, 3_000_000_001]
    assert asked == [f"config {__version__}", "join sess-1:sample:0"]


def test_billing_pauses_and_expired_futures_are_waited_out_and_logged(
    service: ServiceClient, server: WorkflowServer, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    server.faults["/api/v1/create_model"] = [402]
    server.expire_polls = 1
    with caplog.at_level(logging.INFO, logger="tinker_client"):
        training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result(timeout=10)
    assert training_client.model_id == "sess-1:train:0"
    assert [p for p in server.paths() if p == "/create_model"] == ["/create_model"] * 3  # 402, accepted, resubmitted
    assert any("paused: billing (HTTP 402)" in m for m in caplog.messages)
    assert any("expired (HTTP 410); submitting it again" in m for m in caplog.messages)


def test_interpreter_exit_finishes_the_session_and_stops_the_heartbeat(server: WorkflowServer) -> None:  # noqa: F811
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from tinker_client import ServiceClient, WaitPolicy\n"
        f"sc = ServiceClient(base_url={server.url!r}, api_key='k', wait_policy=WaitPolicy(heartbeat_interval=0.05))\n"
        "print(sc.session_id)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "generated")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    finish = [r.body for r in server.seen if r.path.endswith("/finish")]
    assert finish == [{"reason": {"type": "interrupted"}, "detail": "the Python interpreter exited"}]
    beats = len([r for r in server.seen if r.path.endswith("/session_heartbeat")])
    time.sleep(0.2)
    assert len([r for r in server.seen if r.path.endswith("/session_heartbeat")]) == beats


def test_calls_the_spec_lacks_name_the_missing_operation_and_copy_weights_sends_the_project(
    server: WorkflowServer,  # noqa: F811
) -> None:
    from types import SimpleNamespace

    from tinker_client import TinkerError

    with ServiceClient(project_id="proj-1", base_url=server.url, api_key="k", wait_policy=FAST) as service:
        training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
        weights = service._session.client.weights
        if not hasattr(weights, "save_external"):
            with pytest.raises(TinkerError, match=r"weights\.save_external"):
                training_client.save_weights_external("ext")
        sent: list[dict[str, object]] = []

        async def copy(**kwargs: object) -> object:
            sent.append({k: v for k, v in kwargs.items() if k != "options"})
            return SimpleNamespace(tinker_path="tinker://copy/weights/w")

        weights.copy = copy  # type: ignore[method-assign]  # the workflow test server has no copy route
        copied = service.copy_weights("tinker://run/weights/w", ttl_seconds=3600, weights_access_token="tok")
        assert copied.result() == "tinker://copy/weights/w"
    assert sent == [
        {"source_path": "tinker://run/weights/w", "destination_project_id": "proj-1", "ttl_seconds": 3600,
         "x_tinker_weights_access_token": "tok"},
    ]  # fmt: skip  (the token travels in its header, as the SDK sends it)
