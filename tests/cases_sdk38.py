"""Wire cases of the operations read from the official Python SDK 0.38.0 (spec/README.md).

Each entry is a `tests.test_operations.Case`'s fields; the bodies are what the SDK sends for the
same call (its serializer: defaults and `type` sent, `None` left out).
"""

from __future__ import annotations

from typing import Any

from tinker_client import __version__, types

FUTURE = {"request_id": "req-2"}
EXTERNAL = "/api/v1/training_runs/run-1/checkpoints/external_weights/hf/external_weights_urls"
SUMMARY = {
    "session_id": "sess-1",
    "created_at": "2025-01-15T10:00:00Z",
    "owner": "me",
    "project_id": "proj",
    "checkpoints_count": 2,
    "status": {
        "type": "failed",
        "category": "user",
        "reason": {"type": "request", "request_id": "r", "request_type": "Sample"},
        "message": "bad prompt",
    },
}
GRAPH = types.CustomLossGraph(
    nodes=[
        types.CustomLossNode(op="placeholder", name="logprobs", target="logprobs"),
        types.CustomLossNode(op="output", name="output", target="output", args=[{"ref": "logprobs"}]),
    ]
)
GRAPH_JSON = {
    "format": 1,
    "nodes": [
        {"op": "placeholder", "name": "logprobs", "target": "logprobs", "args": [], "kwargs": {}},
        {"op": "output", "name": "output", "target": "output", "args": [{"ref": "logprobs"}], "kwargs": {}},
    ],
}

SDK38_CASES: list[dict[str, Any]] = [
    # service
    {
        "call": "service.get_client_config",
        "method": "POST",
        "path": "/api/v1/client/config",
        "response": {"pjwt_auth_enabled": True, "fwdbwd_max_chunk_len": 512, "a_new_flag": 1},
        "result": types.ClientConfigResponse,
        "kwargs": {"sdk_version": "0.38.0"},
        "body": {"sdk_version": "0.38.0"},
    },
    {  # sdk_version left out: the client sends its own version (x-tinker-default: client-version)
        "call": "service.get_client_config",
        "method": "POST",
        "path": "/api/v1/client/config",
        "response": {"pjwt_auth_enabled": False},
        "result": types.ClientConfigResponse,
        "body": {"sdk_version": __version__},
    },
    {
        "call": "service.create_session",
        "method": "POST",
        "path": "/api/v1/create_session",
        "response": {"type": "create_session", "session_id": "s2"},
        "result": types.CreateSessionResponse,
        "kwargs": {"tags": []},
        "body": {"tags": [], "sdk_version": __version__, "type": "create_session"},
    },
    {
        "call": "service.get_dynamic_config",
        "method": "POST",
        "path": "/api/v1/client/dynamic_config",
        "response": {"refresh_interval_sec": 60, "sample_cancel_enabled": True},
        "result": types.ClientDynamicConfigResponse,
        "kwargs": {"sdk_version": "0.38.0"},
        "body": {"sdk_version": "0.38.0"},
    },
    {
        "call": "service.create_auth_token",
        "method": "POST",
        "path": "/api/v1/auth/token",
        "response": {"jwt": "eyJhbGciOiJIUzI1NiJ9.e30.sig"},
        "result": types.AuthTokenResponse,
        "body": {},
    },
    {
        "call": "service.join_sampling_session",
        "method": "POST",
        "path": "/api/v1/join_sampling_session",
        "response": {"type": "join_sampling_session", "client_counter": 3},
        "result": types.JoinSamplingSessionResponse,
        "kwargs": {"sampling_session_id": "s:sample:0"},
        "body": {"sampling_session_id": "s:sample:0", "type": "join_sampling_session"},
    },
    {
        "call": "service.create_custom_loss",
        "method": "POST",
        "path": "/api/v1/create_custom_loss",
        "response": FUTURE,
        "result": types.UntypedAPIFuture,
        "kwargs": {
            "session_id": "s",
            "custom_loss_seq_id": 0,
            "name": "neg",
            "inputs": [types.CustomLossInput(name="logprobs", rank=1)],
            "graph": GRAPH,
        },
        "body": {
            "session_id": "s",
            "custom_loss_seq_id": 0,
            "name": "neg",
            "inputs": [{"name": "logprobs", "rank": 1}],
            "graph": GRAPH_JSON,
            "type": "create_custom_loss",
        },
    },
    # futures
    {
        "call": "futures.retrieve_many",
        "method": "POST",
        "path": "/api/v1/retrieve_futures",
        "response": {
            "completions": [
                {"state": "finished", "request_id": "r1", "response_payload_uncompressed_size": 10},
                {"state": "failed", "request_id": "r2"},
            ],
            "cursor": 7,
        },
        "result": types.FuturesRetrieveResponse,
        "kwargs": {
            "target": types.SamplingSessionFuturesTarget(sampling_session_id="s:sample:0"),
            "prev_cursor": 5,
            "retrieved_request_ids": ["r0"],
        },
        "body": {
            "target": {"type": "sampling_session", "sampling_session_id": "s:sample:0", "cloned_sampler_id": 0},
            "prev_cursor": 5,
            "retrieved_request_ids": ["r0"],
        },
    },
    {
        "call": "futures.cancel",
        "method": "POST",
        "path": "/api/v1/cancel_future",
        "response": None,
        "result": None,
        "kwargs": {"request_id": "r1"},
        "body": {"request_id": "r1"},
    },
    # weights
    {
        "call": "weights.copy",
        "method": "POST",
        "path": "/api/v1/copy_weights",
        "response": {"tinker_path": "tinker://copy-1/weights/0001"},
        "result": types.CopyWeightsResponse,
        "kwargs": {"source_path": "tinker://run-1/weights/0001", "session_id": "s", "model_seq_id": 2},
        "body": {"source_path": "tinker://run-1/weights/0001", "session_id": "s", "model_seq_id": 2},
    },
    {
        "call": "weights.copy",
        "method": "POST",
        "path": "/api/v1/copy_weights",
        "response": {"tinker_path": "tinker://copy-2/sampler_weights/s1"},
        "result": types.CopyWeightsResponse,
        "args": ("grant-7",),
        "kwargs": {"source_path": "tinker://run-9/sampler_weights/s1", "destination_project_id": "p2"},
        "body": {"source_path": "tinker://run-9/sampler_weights/s1", "destination_project_id": "p2"},
        "headers": {"X-Tinker-Weights-Access-Token": "grant-7"},
    },
    {
        "call": "weights.save_external",
        "method": "POST",
        "path": "/api/v1/save_weights_external",
        "response": FUTURE,
        "result": types.UntypedAPIFuture,
        "kwargs": {"model_id": "m", "path": "hf", "seq_id": 5, "age_encryption_recipients": ["age1xyz"]},
        "body": {
            "model_id": "m",
            "path": "hf",
            "seq_id": 5,
            "age_encryption_recipients": ["age1xyz"],
            "type": "save_weights_external",
        },
    },
    {
        "call": "weights.get_external_urls",
        "method": "GET",
        "path": EXTERNAL,
        "response": {"urls": {"config.json": "https://storage.example/c"}, "expires": "2025-01-15T11:00:00Z"},
        "result": types.ExternalWeightsUrlsResponse,
        "args": ("run-1", "external_weights/hf"),
    },
    # sessions
    {
        "call": "sessions.finish",
        "method": "POST",
        "path": "/api/v1/sessions/sess-1/finish",
        "response": None,
        "result": None,
        "args": ("sess-1",),
        "kwargs": {"reason": types.ClientSessionFinishErrored(), "detail": "KeyboardInterrupt"},
        "body": {"reason": {"type": "errored"}, "detail": "KeyboardInterrupt"},
    },
    {
        "call": "sessions.get_trace_export",
        "method": "GET",
        "path": "/api/v1/sessions/sess-1/trace_export",
        "response": {"status": "pending"},
        "result": types.SessionTraceExportResponse,
        "args": ("sess-1",),
    },
    {
        "call": "sessions.search",
        "method": "POST",
        "path": "/api/v1/sessions/search",
        "response": {
            "sessions": [SUMMARY],
            "next_cursor": {"last_created_at": "2025-01-15T10:00:00Z", "last_session_id": "sess-1"},
        },
        "result": types.SessionSearchResponse,
        "kwargs": {
            "owner": types.AccessibleSearchOwner(),
            "statuses": [types.ClientFinishedSessionStatusQuery(reasons=["errored"])],
        },
        "body": {
            "owner": {"type": "accessible"},
            "statuses": [{"type": "client_finished", "reasons": ["errored"]}],
            "user_metadata": {},
            "limit": 50,
        },
    },
    # account
    {
        "call": "account.whoami",
        "method": "GET",
        "path": "/api/v1/auth/apikey/me",
        "response": {
            "key_id": 1,
            "name": "ci",
            "note": "",
            "details": {"org_details": {"name": "org"}, "user_details": {"email": "a@example.com"}},
        },
        "result": types.SelfApiKeyResponse,
    },
    {
        "call": "account.delete_api_key",
        "method": "DELETE",
        "path": "/api/v1/auth/apikey/me",
        "response": None,
        "result": None,
    },
    {
        "call": "account.list_usage_events",
        "method": "GET",
        "path": "/api/v1/billing/usage/events",
        "response": {
            "data": [
                {
                    "bucket_start": "2025-01-15T10:00:00Z",
                    "bucket_end": "2025-01-15T11:00:00Z",
                    "session_id": "sess-1",
                    "event_info": {"type": "storage", "free": False, "gigabyte_hours": 1.5},
                }
            ],
            "sessions": {"sess-1": {"user_metadata": {"team": "a"}}},
        },
        "result": types.BillingUsageResponse,
        "args": ("2025-01-15T10:00:00Z", "2025-01-16T10:00:00Z"),
        "query": {"starting_on": "2025-01-15T10:00:00Z", "ending_before": "2025-01-16T10:00:00Z"},
    },
    {
        "call": "account.get_checkpoint_storage",
        "method": "GET",
        "path": "/api/v1/billing/usage/checkpoints/current",
        "response": {
            "effective_rate_usd_per_gigabyte_month": 0.02,
            "data": [{"project_id": "proj", "checkpoint_count": 4, "size_bytes": 4096, "size_gigabytes": 4.1e-6}],
        },
        "result": types.CurrentCheckpointStorageUsageResponse,
    },
]
