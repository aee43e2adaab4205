"""The seed RestClient surface (seeds/000): signatures, the documented examples, the wire.

Examples run as the seed writes them (indentation restored; the seed text lost it), against
the loopback server; only the construction of the client differs.
"""

from __future__ import annotations

import asyncio
import inspect
import textwrap
import warnings
from datetime import date
from typing import Any

import pytest
import tinker_client
from tinker_client import APIFuture, RestClient, ServiceClient, types

from .loopback import Loopback, Reply

# Taken from seeds/000: method → [(parameter, default or REQUIRED)].
REQUIRED = inspect.Parameter.empty
SEED_SIGNATURES: dict[str, list[tuple[str, Any]]] = {
    "get_training_run": [("training_run_id", REQUIRED), ("access_scope", "owned")],
    "get_training_run_by_tinker_path": [("tinker_path", REQUIRED), ("access_scope", "owned")],
    "get_weights_info_by_tinker_path": [("tinker_path", REQUIRED)],
    "list_training_runs": [("limit", 20), ("offset", 0), ("access_scope", "owned")],
    "list_checkpoints": [("training_run_id", REQUIRED)],
    "get_checkpoint_archive_url": [("training_run_id", REQUIRED), ("checkpoint_id", REQUIRED)],
    "delete_checkpoint": [("training_run_id", REQUIRED), ("checkpoint_id", REQUIRED)],
    "delete_checkpoint_from_tinker_path": [("tinker_path", REQUIRED)],
    "get_audit_log": [("event_type", "all"), ("day", None)],
    "get_checkpoint_archive_url_from_tinker_path": [("tinker_path", REQUIRED)],
    "publish_checkpoint_from_tinker_path": [("tinker_path", REQUIRED)],
    "unpublish_checkpoint_from_tinker_path": [("tinker_path", REQUIRED)],
    "set_checkpoint_ttl_from_tinker_path": [("tinker_path", REQUIRED), ("ttl_seconds", REQUIRED)],
    "list_user_checkpoints": [("limit", 100), ("offset", 0)],
    "get_session": [("session_id", REQUIRED), ("access_scope", "owned")],
    "list_sessions": [("limit", 20), ("offset", 0), ("access_scope", "owned")],
    "assign_session_project": [("session_id", REQUIRED), ("project_id", REQUIRED)],
    "get_sampler": [("sampler_id", REQUIRED)],
}
# Tinkex (seeds 001/002) names that differ: publish/unpublish take a tinker path.
TINKEX_SIGNATURES = {
    "publish_checkpoint": [("tinker_path", REQUIRED)],
    "unpublish_checkpoint": [("tinker_path", REQUIRED)],
}
# Parameters beyond the seed: newer, optional, at the end.
EXTRAS = {"list_training_runs": [("project_id", None)]}
# Methods of the official SDK 0.38.0 RestClient beyond the seeds (signatures: test_sdk_inventory.py).
SDK_METHODS = {
    "get_server_capabilities",
    "copy_weights",
    "get_external_weights_urls",
    "export_session_trace",
    "whoami",
    "get_billing_usage",
    "get_current_checkpoint_storage_usage",
    "search_sessions",
}

CHECKPOINT = {
    "checkpoint_id": "weights/0001",
    "checkpoint_type": "training",
    "time": "2025-01-15T10:00:00Z",
    "tinker_path": "tinker://run-id/weights/0001",
    "training_run_id": "run-id",
}
SAMPLER_CHECKPOINT = {
    **CHECKPOINT,
    "checkpoint_id": "sampler_weights/0001",
    "checkpoint_type": "sampler",
    "tinker_path": "tinker://run-id/sampler_weights/0001",
}
RUN = {
    "training_run_id": "run-id",
    "base_model": "Qwen/Qwen3-8B",
    "model_owner": "me",
    "is_lora": True,
    "last_request_time": "2025-01-15T10:00:00Z",
}
ROUTES: dict[tuple[str, str], Reply] = {
    ("GET", "/api/v1/training_runs/run-id"): Reply(200, RUN),
    ("GET", "/api/v1/training_runs"): Reply(
        200, {"training_runs": [RUN], "cursor": {"offset": 0, "limit": 50, "total_count": 120}}
    ),
    ("GET", "/api/v1/training_runs/run-id/checkpoints"): Reply(
        200, {"checkpoints": [CHECKPOINT, SAMPLER_CHECKPOINT]}
    ),
    ("GET", "/api/v1/training_runs/run-id/checkpoints/checkpoint-123/archive"): Reply(
        302,
        headers={"Location": "https://storage.example/ckpt.tar", "Expires": "Wed, 15 Jan 2025 10:15:00 GMT"},
    ),
    ("GET", "/api/v1/training_runs/run-id/checkpoints/weights/0001/archive"): Reply(
        200, {"url": "https://storage.example/w.tar", "expires": "2025-01-15T10:15:00Z"}
    ),
    ("DELETE", "/api/v1/training_runs/run-id/checkpoints/weights/0001"): Reply(200),
    ("POST", "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish"): Reply(200),
    ("DELETE", "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish"): Reply(200),
    ("PUT", "/api/v1/training_runs/run-id/checkpoints/weights/0001/ttl"): Reply(200),
    ("POST", "/api/v1/weights_info"): Reply(
        200, {"base_model": "Qwen/Qwen2.5-7B", "is_lora": True, "lora_rank": 32}
    ),
    ("GET", "/api/v1/audit"): Reply(
        200,
        {
            "entries": [
                {
                    "timestamp": "2025-01-15T10:00:00Z",
                    "event": "checkpoint_read",
                    "tinker_path": "tinker://run-id/weights/0001",
                }
            ]
        },
    ),
    ("GET", "/api/v1/checkpoints"): Reply(
        200, {"checkpoints": [CHECKPOINT], "cursor": {"offset": 0, "limit": 50, "total_count": 70}}
    ),
    ("GET", "/api/v1/sessions/session-id"): Reply(
        200, {"training_run_ids": ["run-id"], "sampler_ids": ["s:sample:0", "s:sample:1"]}
    ),
    ("GET", "/api/v1/sessions"): Reply(200, {"sessions": ["session-id", "other"]}),
    ("PUT", "/api/v1/sessions/session-id/project"): Reply(200),
    ("GET", "/api/v1/get_server_capabilities"): Reply(200, {"supported_models": [{"model_name": "Qwen/Qwen3-8B"}]}),
    ("POST", "/api/v1/copy_weights"): Reply(200, {"tinker_path": "tinker://copy-id/weights/0001"}),
    ("GET", "/api/v1/training_runs/run-id/checkpoints/external_weights/hf/external_weights_urls"): Reply(
        200, {"urls": {"model.safetensors": "https://storage.example/m"}, "expires": "2025-01-15T11:00:00Z"}
    ),
    ("GET", "/api/v1/sessions/session-id/trace_export"): Reply(
        200, {"status": "ready", "url": "https://storage.example/t.pftrace"}
    ),
    ("GET", "/api/v1/auth/apikey/me"): Reply(
        200,
        {
            "key_id": 7,
            "name": "laptop",
            "note": "",
            "details": {"org_details": {"name": "org"}, "user_details": {"email": "a@example.com"}},
        },
    ),
    ("GET", "/api/v1/billing/usage/events"): Reply(
        200,
        {
            "data": [
                {
                    "bucket_start": "2025-01-15T10:00:00Z",
                    "bucket_end": "2025-01-15T11:00:00Z",
                    "event_info": {"type": "sampling_prefill", "cached": True, "token_count": 5},
                }
            ]
        },
    ),
    ("GET", "/api/v1/billing/usage/checkpoints/current"): Reply(
        200, {"data": [{"checkpoint_count": 2, "size_bytes": 2048, "size_gigabytes": 2.048e-6}]}
    ),
    ("POST", "/api/v1/sessions/search"): Reply(
        200,
        {
            "sessions": [
                {
                    "session_id": "session-id",
                    "created_at": "2025-01-15T10:00:00Z",
                    "owner": "me",
                    "project_id": "proj-1",
                    "checkpoints_count": 3,
                    "status": {"type": "client_finished", "reason": {"type": "success"}},
                }
            ],
            "next_cursor": None,
        },
    ),
    ("GET", "/api/v1/samplers/session-id:sample:0"): Reply(
        200,
        {
            "sampler_id": "session-id:sample:0",
            "base_model": "Qwen/Qwen2.5-7B",
            "model_path": "tinker://run-id/sampler_weights/0001",
        },
    ),
}


@pytest.fixture
def server(loopback: Loopback) -> Loopback:
    for route, reply in ROUTES.items():
        loopback.script(route, reply)
    return loopback


@pytest.fixture
def rest_client(server: Loopback) -> RestClient:
    client = ServiceClient(api_key="tml-test", base_url=server.url).create_rest_client()
    server.closers.append(client.close)
    return client


# ------------------------------------------------------------------ signatures


def _params(method: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.default) for p in inspect.signature(method).parameters.values() if p.name != "self"]


@pytest.mark.parametrize("name", sorted({**SEED_SIGNATURES, **TINKEX_SIGNATURES}))
def test_signature_matches_the_seed(name: str) -> None:
    expected = {**SEED_SIGNATURES, **TINKEX_SIGNATURES}[name] + EXTRAS.get(name, [])
    for method in (getattr(RestClient, name), getattr(RestClient, name + "_async")):
        assert _params(method) == expected
        kinds = {p.kind for p in inspect.signature(method).parameters.values()}
        assert kinds == {inspect.Parameter.POSITIONAL_OR_KEYWORD}
    assert inspect.iscoroutinefunction(getattr(RestClient, name + "_async"))


def test_no_undocumented_methods() -> None:
    public = {n for n in dir(RestClient) if not n.startswith("_") and callable(getattr(RestClient, n))}
    documented = set(SEED_SIGNATURES) | set(TINKEX_SIGNATURES) | SDK_METHODS
    assert public == documented | {n + "_async" for n in documented} | {"close", "aclose", "get_telemetry"}


def test_get_telemetry_is_none_as_the_sdk_without_telemetry(rest_client: RestClient) -> None:
    assert rest_client.get_telemetry() is None


# -------------------------------------------------------------- seed examples

EXAMPLES = {
    "class": (
        """
        training_run = rest_client.get_training_run("run-id").result()
        print(f"Training Run: {training_run.training_run_id}, LoRA: {training_run.is_lora}")
        checkpoints = rest_client.list_checkpoints("run-id").result()
        print(f"Found {len(checkpoints.checkpoints)} checkpoints")
        for checkpoint in checkpoints.checkpoints:
            print(f" {checkpoint.checkpoint_type}: {checkpoint.checkpoint_id}")
        """,
        "Training Run: run-id, LoRA: True\nFound 2 checkpoints\n training: weights/0001\n sampler: sampler_weights/0001\n",
    ),
    "get_training_run": (
        """
        future = rest_client.get_training_run("run-id")
        response = future.result()
        print(f"Training Run ID: {response.training_run_id}, Base: {response.base_model}")
        """,
        "Training Run ID: run-id, Base: Qwen/Qwen3-8B\n",
    ),
    "get_training_run_by_tinker_path": (
        """
        future = rest_client.get_training_run_by_tinker_path("tinker://run-id/weights/checkpoint-001")
        response = future.result()
        print(f"Training Run ID: {response.training_run_id}, Base: {response.base_model}")
        """,
        "Training Run ID: run-id, Base: Qwen/Qwen3-8B\n",
    ),
    "list_training_runs": (
        """
        future = rest_client.list_training_runs(limit=50)
        response = future.result()
        print(f"Found {len(response.training_runs)} training runs")
        print(f"Total: {response.cursor.total_count}")
        # Get next page
        next_page = rest_client.list_training_runs(limit=50, offset=50)
        """,
        "Found 1 training runs\nTotal: 120\n",
    ),
    "list_checkpoints": (
        """
        future = rest_client.list_checkpoints("run-id")
        response = future.result()
        for checkpoint in response.checkpoints:
            if checkpoint.checkpoint_type == "training":
                print(f"Training checkpoint: {checkpoint.checkpoint_id}")
            elif checkpoint.checkpoint_type == "sampler":
                print(f"Sampler checkpoint: {checkpoint.checkpoint_id}")
        """,
        "Training checkpoint: weights/0001\nSampler checkpoint: sampler_weights/0001\n",
    ),
    "get_checkpoint_archive_url": (
        """
        future = rest_client.get_checkpoint_archive_url("run-id", "checkpoint-123")
        response = future.result()
        print(f"Download URL: {response.url}")
        print(f"Expires at: {response.expires_at}")
        # Use the URL to download the archive with your preferred HTTP client
        """,
        "Download URL: https://storage.example/ckpt.tar\nExpires at: 2025-01-15 10:15:00+00:00\n",
    ),
    "get_audit_log": (
        """
        from datetime import date
        future = rest_client.get_audit_log()
        response = future.result()
        print(f"Found {len(response.entries)} audit entries")
        for entry in response.entries:
            print(f" {entry.timestamp}: {entry.event} ({entry.tinker_path})")
        # Query a specific day
        future = rest_client.get_audit_log(day=date(2025, 1, 15))
        """,
        "Found 1 audit entries\n 2025-01-15 10:00:00+00:00: checkpoint_read (tinker://run-id/weights/0001)\n",
    ),
    "publish_checkpoint_from_tinker_path": (
        """
        future = rest_client.publish_checkpoint_from_tinker_path("tinker://run-id/weights/0001")
        future.result() # Wait for completion
        print("Checkpoint published successfully")
        """,
        "Checkpoint published successfully\n",
    ),
    "unpublish_checkpoint_from_tinker_path": (
        """
        future = rest_client.unpublish_checkpoint_from_tinker_path("tinker://run-id/weights/0001")
        future.result() # Wait for completion
        print("Checkpoint unpublished successfully")
        """,
        "Checkpoint unpublished successfully\n",
    ),
    "set_checkpoint_ttl_from_tinker_path": (
        """
        future = rest_client.set_checkpoint_ttl_from_tinker_path("tinker://run-id/weights/0001", 86400)
        future.result() # Wait for completion
        print("Checkpoint TTL set successfully")
        """,
        "Checkpoint TTL set successfully\n",
    ),
    "list_user_checkpoints": (
        """
        future = rest_client.list_user_checkpoints(limit=50)
        response = future.result()
        print(f"Found {len(response.checkpoints)} checkpoints")
        print(f"Total: {response.cursor.total_count if response.cursor else 'Unknown'}")
        for checkpoint in response.checkpoints:
            print(f" {checkpoint.training_run_id}/{checkpoint.checkpoint_id}")
        # Get next page if there are more checkpoints
        if response.cursor and response.cursor.offset + response.cursor.limit < response.cursor.total_count:
            next_page = rest_client.list_user_checkpoints(limit=50, offset=50)
        """,
        "Found 1 checkpoints\nTotal: 70\n run-id/weights/0001\n",
    ),
    "get_session": (
        """
        future = rest_client.get_session("session-id")
        response = future.result()
        print(f"Training runs: {len(response.training_run_ids)}")
        print(f"Samplers: {len(response.sampler_ids)}")
        """,
        "Training runs: 1\nSamplers: 2\n",
    ),
    "list_sessions": (
        """
        future = rest_client.list_sessions(limit=50)
        response = future.result()
        print(f"Found {len(response.sessions)} sessions")
        # Get next page
        next_page = rest_client.list_sessions(limit=50, offset=50)
        """,
        "Found 2 sessions\n",
    ),
    "get_sampler": (
        """
        # Sync usage
        future = rest_client.get_sampler("session-id:sample:0")
        response = future.result()
        print(f"Base model: {response.base_model}")
        print(f"Model path: {response.model_path}")
        """,
        "Base model: Qwen/Qwen2.5-7B\nModel path: tinker://run-id/sampler_weights/0001\n",
    ),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_seed_example_runs_as_written(
    name: str, rest_client: RestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, expected = EXAMPLES[name]
    namespace: dict[str, Any] = {"rest_client": rest_client}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # entry.tinker_path: deprecated in PY38
        exec(textwrap.dedent(code), namespace)
    for value in namespace.values():  # let started calls finish before the server stops
        if isinstance(value, APIFuture):
            value.result(timeout=10)
    assert capsys.readouterr().out == expected


def test_deprecated_fields_warn_when_read() -> None:
    entry = tinker_client.types.AuditLogEntry.model_validate(
        {
            "timestamp": "2025-01-15T10:00:00Z",
            "event": "checkpoint_read",
            "tinker_path": "tinker://r/weights/1",
        }
    )
    with pytest.warns(DeprecationWarning):
        assert entry.tinker_path == "tinker://r/weights/1"


def test_seed_async_example(rest_client: RestClient, capsys: pytest.CaptureFixture[str]) -> None:
    async def example() -> None:
        # Async usage
        response = await rest_client.get_sampler("session-id:sample:0")
        print(f"Base model: {response.base_model}")

    asyncio.run(example())
    assert capsys.readouterr().out == "Base model: Qwen/Qwen2.5-7B\n"


# ------------------------------------------------------------------- the wire

PATH = "tinker://run-id/weights/0001"
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str, dict[str, str], Any, Any]] = [
    # method, args, kwargs, HTTP method, path, query, body, check of the result
    (
        "get_training_run",
        ("run-id",),
        {},
        "GET",
        "/api/v1/training_runs/run-id",
        {"access_scope": "owned"},
        None,
        lambda r: r.base_model == "Qwen/Qwen3-8B",
    ),
    (
        "get_training_run_by_tinker_path",
        (PATH,),
        {"access_scope": "accessible"},
        "GET",
        "/api/v1/training_runs/run-id",
        {"access_scope": "accessible"},
        None,
        lambda r: r.training_run_id == "run-id",
    ),
    (
        "get_weights_info_by_tinker_path",
        (PATH,),
        {},
        "POST",
        "/api/v1/weights_info",
        {},
        {"tinker_path": PATH},
        lambda r: r.lora_rank == 32,
    ),
    (
        "list_training_runs",
        (),
        {},
        "GET",
        "/api/v1/training_runs",
        {"limit": "20", "offset": "0", "access_scope": "owned"},
        None,
        lambda r: r.cursor.total_count == 120,
    ),
    (
        "list_checkpoints",
        ("run-id",),
        {},
        "GET",
        "/api/v1/training_runs/run-id/checkpoints",
        {},
        None,
        lambda r: len(r.checkpoints) == 2,
    ),
    (
        "get_checkpoint_archive_url",
        ("run-id", "weights/0001"),
        {},
        "GET",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/archive",
        {},
        None,
        lambda r: r.url.endswith("w.tar"),
    ),
    (
        "get_checkpoint_archive_url_from_tinker_path",
        (PATH,),
        {},
        "GET",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/archive",
        {},
        None,
        lambda r: r.expires_at.year == 2025,
    ),
    (
        "delete_checkpoint",
        ("run-id", "weights/0001"),
        {},
        "DELETE",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "delete_checkpoint_from_tinker_path",
        (PATH,),
        {},
        "DELETE",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "get_audit_log",
        (),
        {"day": date(2025, 1, 15)},
        "GET",
        "/api/v1/audit",
        {"event_type": "all", "day": "2025-01-15"},
        None,
        lambda r: r.entries[0].event == "checkpoint_read",
    ),
    (
        "publish_checkpoint_from_tinker_path",
        (PATH,),
        {},
        "POST",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "publish_checkpoint",
        (PATH,),
        {},
        "POST",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "unpublish_checkpoint_from_tinker_path",
        (PATH,),
        {},
        "DELETE",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "unpublish_checkpoint",
        (PATH,),
        {},
        "DELETE",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/publish",
        {},
        None,
        lambda r: r is None,
    ),
    (
        "set_checkpoint_ttl_from_tinker_path",
        (PATH, None),
        {},
        "PUT",
        "/api/v1/training_runs/run-id/checkpoints/weights/0001/ttl",
        {},
        {"ttl_seconds": None},
        lambda r: r is None,
    ),
    (
        "list_user_checkpoints",
        (),
        {},
        "GET",
        "/api/v1/checkpoints",
        {"limit": "100", "offset": "0"},
        None,
        lambda r: r.cursor.total_count == 70,
    ),
    (
        "get_session",
        ("session-id",),
        {},
        "GET",
        "/api/v1/sessions/session-id",
        {"access_scope": "owned"},
        None,
        lambda r: r.sampler_ids == ["s:sample:0", "s:sample:1"],
    ),
    (
        "list_sessions",
        (),
        {"offset": 40},
        "GET",
        "/api/v1/sessions",
        {"limit": "20", "offset": "40", "access_scope": "owned"},
        None,
        lambda r: r.sessions[0] == "session-id",
    ),
    (
        "assign_session_project",
        ("session-id", "proj-1"),
        {},
        "PUT",
        "/api/v1/sessions/session-id/project",
        {},
        {"project_id": "proj-1"},
        lambda r: r is None,
    ),
    (
        "get_sampler",
        ("session-id:sample:0",),
        {},
        "GET",
        "/api/v1/samplers/session-id:sample:0",
        {},
        None,
        lambda r: r.base_model == "Qwen/Qwen2.5-7B",
    ),
    # the official SDK 0.38.0 RestClient's methods beyond the seeds
    (
        "get_server_capabilities",
        (),
        {},
        "GET",
        "/api/v1/get_server_capabilities",
        {},
        None,
        lambda r: r.supported_models[0].model_name == "Qwen/Qwen3-8B",
    ),
    (
        "copy_weights",
        (PATH, "proj-1"),
        {"ttl_seconds": 7200},
        "POST",
        "/api/v1/copy_weights",
        {},
        {"source_path": PATH, "destination_project_id": "proj-1", "ttl_seconds": 7200},
        lambda r: r == "tinker://copy-id/weights/0001",  # the SDK's answer: the copy's path
    ),
    (
        "get_external_weights_urls",
        ("tinker://run-id/external_weights/hf",),
        {},
        "GET",
        "/api/v1/training_runs/run-id/checkpoints/external_weights/hf/external_weights_urls",
        {},
        None,
        lambda r: r.urls == {"model.safetensors": "https://storage.example/m"} and r.expires.tzinfo,
    ),
    (
        "export_session_trace",
        ("session-id",),
        {},
        "GET",
        "/api/v1/sessions/session-id/trace_export",
        {},
        None,
        lambda r: (r.status, r.url) == ("ready", "https://storage.example/t.pftrace"),
    ),
    (
        "whoami",
        (),
        {},
        "GET",
        "/api/v1/auth/apikey/me",
        {},
        None,
        lambda r: r.details.user_details.email == "a@example.com",
    ),
    (
        "get_billing_usage",
        ("2025-01-15T10:00:00Z", "2025-01-15T12:00:00Z"),
        {},
        "GET",
        "/api/v1/billing/usage/events",
        {"starting_on": "2025-01-15T10:00:00Z", "ending_before": "2025-01-15T12:00:00Z"},
        None,
        lambda r: r.data[0].event_info.cached is True,
    ),
    (
        "get_current_checkpoint_storage_usage",
        ("proj-1",),
        {},
        "GET",
        "/api/v1/billing/usage/checkpoints/current",
        {"project_id": "proj-1"},
        None,
        lambda r: r.data[0].size_bytes == 2048,
    ),
    (
        "search_sessions",
        (types.SessionSearchRequest(display_name="nightly", limit=10),),
        {},
        "POST",
        "/api/v1/sessions/search",
        {},
        {"display_name": "nightly", "limit": 10, "user_metadata": {}},
        lambda r: r.sessions[0].status.reason.type == "success" and r.next_cursor is None,
    ),
]


def test_every_method_has_a_wire_case() -> None:
    assert {c[0] for c in CALLS} == set(SEED_SIGNATURES) | set(TINKEX_SIGNATURES) | SDK_METHODS


@pytest.mark.parametrize("style", ["result", "await", "async"])
@pytest.mark.parametrize("call", CALLS, ids=[c[0] for c in CALLS])
def test_method_on_the_wire(call: Any, style: str, rest_client: RestClient, server: Loopback) -> None:
    name, args, kwargs, http_method, path, query, body, check = call
    if style == "result":
        future = getattr(rest_client, name)(*args, **kwargs)
        assert isinstance(future, APIFuture)
        result = future.result(timeout=10)
    elif style == "await":

        async def awaited() -> Any:
            return await getattr(rest_client, name)(*args, **kwargs)

        result = asyncio.run(awaited())
    else:

        async def coroutine() -> Any:
            try:
                return await getattr(rest_client, name + "_async")(*args, **kwargs)
            finally:
                await rest_client.aclose()

        result = asyncio.run(coroutine())
    assert check(result)
    assert len(server.seen) == 1
    seen = server.seen[0]
    assert (seen.method, seen.path, seen.query) == (http_method, path, query)
    assert seen.json() == body
    assert seen.headers["X-API-Key"] == "tml-test"


# -------------------------------------------------------------- tinker paths

INVALID_PATHS = [
    "run-id/weights/0001",
    "tinker://run-id/weights",
    "tinker://run-id/weights/0001/extra",
    "tinker://run-id/checkpoints/0001",
    "tinker:///weights/0001",
    "tinker://run-id/weights/",
    "tinker://run-id/weights/..",
    "",
]


@pytest.mark.parametrize("path", INVALID_PATHS)
@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, p in {**SEED_SIGNATURES, **TINKEX_SIGNATURES}.items()
        if p[0][0] == "tinker_path" and n != "get_weights_info_by_tinker_path"
    ),
)
def test_invalid_tinker_path_raises_before_any_request(
    name: str, path: str, rest_client: RestClient, server: Loopback
) -> None:
    args = (path, 3600) if name.startswith("set_checkpoint_ttl") else (path,)
    with pytest.raises(ValueError, match=r"Invalid tinker path .*expected tinker://<training_run_id>/"):
        getattr(rest_client, name)(*args)
    with pytest.raises(ValueError, match="Invalid tinker path"):
        asyncio.run(getattr(rest_client, name + "_async")(*args))
    assert server.seen == []


@pytest.mark.parametrize(
    "path, parsed",
    [
        ("tinker://run-1/weights/0001", ("run-1", "training", "weights/0001")),
        ("tinker://run-1/sampler_weights/s-9", ("run-1", "sampler", "sampler_weights/s-9")),
        ("tinker://a:train:0/external_weights/hf", ("a:train:0", "external", "external_weights/hf")),
    ],
)
def test_parse_tinker_path(path: str, parsed: tuple[str, str, str]) -> None:
    result = tinker_client.parse_tinker_path(path)
    assert (result.training_run_id, result.checkpoint_type, result.checkpoint_id) == parsed
    assert result.tinker_path == path


# ----------------------------------------------------------------- construction


def test_rest_client_directly_from_the_environment(server: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_API_KEY", "tml-env")
    monkeypatch.setenv("TINKER_BASE_URL", server.url)
    with RestClient() as rest_client:
        assert rest_client.get_sampler("session-id:sample:0").result().sampler_id == "session-id:sample:0"
    assert server.seen[0].headers["X-API-Key"] == "tml-env"
    assert "tml-env" not in repr(rest_client)


def test_service_client_checks_the_key_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    with pytest.raises(tinker_client.TinkerError, match="TINKER_API_KEY"):
        ServiceClient()


@pytest.mark.parametrize("style", ["result", "async"])
def test_copy_weights_sends_the_access_token_as_a_header(
    style: str, rest_client: RestClient, server: Loopback
) -> None:
    args = ("tinker://run-id/weights/0001", "proj-1")
    kwargs = {"ttl_seconds": 7200, "weights_access_token": "grant-1"}
    if style == "result":
        copied = rest_client.copy_weights(*args, **kwargs).result(timeout=10)
    else:
        copied = asyncio.run(rest_client.copy_weights_async(*args, **kwargs))
    assert copied == "tinker://copy-id/weights/0001"
    (seen,) = server.seen
    assert seen.headers["X-Tinker-Weights-Access-Token"] == "grant-1"
    assert "weights_access_token" not in seen.json()
    with pytest.raises(TypeError):
        rest_client.copy_weights(*args, 7200)  # type: ignore[misc]  # ttl_seconds is keyword-only


def test_search_sessions_sends_the_request_it_is_given(rest_client: RestClient, server: Loopback) -> None:
    request = types.SessionSearchRequest(
        owner=types.AccessibleSearchOwner(),
        statuses=[types.ActiveSessionStatusQuery()],
        cursor=types.SessionSearchCursor(last_created_at="2025-01-15T10:00:00Z", last_session_id="s-9"),
    )
    rest_client.search_sessions(request).result(timeout=10)
    assert server.seen[0].json() == request.model_dump(mode="json", exclude_none=True)


def test_errors_reach_the_future(rest_client: RestClient, server: Loopback) -> None:
    server.script(("GET", "/api/v1/sessions/gone"), Reply(404, {"error": "no such session"}))
    future = rest_client.get_session("gone")
    with pytest.raises(tinker_client.NotFoundError, match="no such session"):
        future.result(timeout=10)
