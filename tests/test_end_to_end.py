"""The generated client against a real HTTP server on 127.0.0.1 (ephemeral port)."""

from __future__ import annotations

import asyncio

import pytest
import tinker_client

from .loopback import Loopback, Reply

RUN = {
    "training_run_id": "run-1",
    "base_model": "Qwen/Qwen3-8B",
    "model_owner": "me",
    "is_lora": True,
    "last_request_time": "2025-01-15T10:00:00Z",
}


def test_sync_round_trip(loopback: Loopback) -> None:
    loopback.script(
        ("GET", "/api/v1/training_runs"),
        Reply(200, {"training_runs": [RUN], "cursor": {"offset": 0, "limit": 50, "total_count": 1}}),
    )
    loopback.script(("DELETE", "/api/v1/training_runs/run-1/checkpoints/weights/0001"), Reply(200))
    loopback.script(("POST", "/api/v1/save_weights"), Reply(200, {"request_id": "req-9"}))
    with tinker_client.Tinker(api_key="tml-key", base_url=loopback.url) as client:
        runs = client.training_runs.list(limit=50)
        assert client.weights.delete_checkpoint("run-1", "weights/0001") is None
        future = client.weights.save(model_id="run-1", path="0002")
    assert runs.training_runs[0].training_run_id == "run-1"
    assert runs.cursor.total_count == 1
    assert future.request_id == "req-9"
    listing, delete, save = loopback.seen
    assert (listing.method, listing.query) == ("GET", {"limit": "50", "offset": "0", "access_scope": "owned"})
    assert listing.headers["X-API-Key"] == "tml-key"
    assert "X-Idempotency-Key" not in listing.headers
    assert delete.method == "DELETE" and delete.body == b""
    assert save.json() == {"model_id": "run-1", "path": "0002", "overwrite": False, "type": "save_weights"}
    assert len(save.headers["X-Idempotency-Key"]) == 32


def test_async_round_trip_and_error(loopback: Loopback) -> None:
    loopback.script(
        ("GET", "/api/v1/samplers/s:sample:0"), Reply(200, {"sampler_id": "s:sample:0", "base_model": "b"})
    )
    loopback.script(("GET", "/api/v1/sessions/gone"), Reply(404, {"error": "session not found"}))

    async def run() -> None:
        async with tinker_client.AsyncTinker(api_key="tml-key", base_url=loopback.url) as client:
            sampler = await client.samplers.get("s:sample:0")
            assert sampler.base_model == "b"
            with pytest.raises(tinker_client.NotFoundError, match="session not found"):
                await client.sessions.get("gone")

    asyncio.run(run())
    assert [s.path for s in loopback.seen] == ["/api/v1/samplers/s:sample:0", "/api/v1/sessions/gone"]


def test_connection_refused_is_a_connection_error(loopback: Loopback) -> None:
    url = loopback.url
    loopback.server.shutdown()
    loopback.server.server_close()
    with pytest.raises(tinker_client.APIConnectionError):
        tinker_client.Tinker(api_key="k", base_url=url, max_retries=0).service.health_check()
