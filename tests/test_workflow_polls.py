"""The workflow layer reads poll answers by the spec's shapes, as the REST futures do (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tinker_client import APIResponseValidationError, RequestFailedError, ServiceClient, WaitPolicy, types

from tests.workflow_server import WorkflowServer, server  # noqa: F401  (fixture)

FAST = WaitPolicy(deadline=30.0, heartbeat_interval=5.0)
FAILED = {"error": "bad optimizer state", "category": "user"}


@pytest.fixture
def service(server: WorkflowServer) -> Iterator[ServiceClient]:  # noqa: F811
    client = ServiceClient(base_url=server.url, api_key="tml-test", wait_policy=FAST)
    try:
        yield client
    finally:
        client.close()


def test_a_failure_is_not_taken_for_a_result_whose_fields_are_all_optional(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result(timeout=20)
    server.poll_answers.append(FAILED)
    with pytest.raises(RequestFailedError, match="bad optimizer state") as info:
        training_client.optim_step(types.AdamParams(learning_rate=1e-4)).result(timeout=20)
    assert info.value.category == "user"


def test_a_result_carrying_an_error_key_is_the_result(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result(timeout=20)
    server.poll_answers.append({"path": "tinker://run/weights/w", "type": "save_weights", **FAILED})
    assert training_client.save_state("w").result(timeout=20).path == "tinker://run/weights/w"


def test_an_answer_of_no_known_shape_is_a_typed_error(
    service: ServiceClient, server: WorkflowServer  # noqa: F811
) -> None:
    training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result(timeout=20)
    server.poll_answers.append({"path": 3})
    with pytest.raises(APIResponseValidationError):
        training_client.save_state("w").result(timeout=20)
