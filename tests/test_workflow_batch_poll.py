"""SamplingClient waiting through one `retrieve_futures` batch poll, as the client config asks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tinker_client import ServiceClient, WaitPolicy, types
from tinker_client._batch_poll import MIN_PENDING

from tests.workflow_server import WorkflowServer, server  # noqa: F401  (fixture)

FAST = WaitPolicy(deadline=30.0, heartbeat_interval=5.0)
PROMPT = types.ModelInput.from_ints([1, 2, 3])


@pytest.fixture
def service(server: WorkflowServer) -> Iterator[ServiceClient]:  # noqa: F811
    client = ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST)
    try:
        yield client
    finally:
        client.close()


def _sample_concurrently(service: ServiceClient, server: WorkflowServer, count: int) -> None:  # noqa: F811
    sampler = service.create_sampling_client(base_model="Qwen/Qwen3-8B").result(timeout=20)
    server.sample_barrier = count  # every sample is made (pending) before any is answered
    futures = [sampler.sample(PROMPT, 1, types.SamplingParams(max_tokens=3)) for _ in range(count)]
    for future in futures:
        assert future.result(timeout=20).sequences[0].tokens == [7, 8, 9]


def _batch_polls(server: WorkflowServer) -> list[dict[str, object]]:  # noqa: F811
    return [r.body for r in server.seen if r.path == "/api/v1/retrieve_futures"]


def test_concurrent_samples_resolve_through_one_batch_round(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    server.client_config["sample_use_retrieve_futures"] = True
    _sample_concurrently(service, server, MIN_PENDING)
    session_id = "sess-1:sample:0"
    assert server.batch_rounds == [[f"req-{i}" for i in range(MIN_PENDING)]]
    first = _batch_polls(server)[0]
    assert first["target"] == {"type": "sampling_session", "sampling_session_id": session_id, "cloned_sampler_id": 0}
    payload_polls = [r for r in server.seen if r.path == "/api/v1/retrieve_future"]
    assert len(payload_polls) == MIN_PENDING  # each payload fetched once, after the batch reported it
    service.close()
    acks = _batch_polls(server)[-1]  # the close reports the fetched ids, without waiting
    assert acks["timeout"] == 0 and len(acks["retrieved_request_ids"]) > 0  # type: ignore[arg-type]


def test_without_the_config_flag_samples_poll_one_by_one(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    _sample_concurrently(service, server, MIN_PENDING)
    assert _batch_polls(server) == []
    assert len([r for r in server.seen if r.path == "/api/v1/retrieve_future"]) >= MIN_PENDING


def test_below_the_threshold_samples_poll_one_by_one(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    server.client_config["sample_use_retrieve_futures"] = True
    _sample_concurrently(service, server, 2)
    service.close()
    assert _batch_polls(server) == []
