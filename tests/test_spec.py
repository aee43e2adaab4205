"""The bundled spec: valid OpenAPI 3.1 and complete against the endpoint index of spec/README.md."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate

from .conftest import SPEC

# spec/README.md, "Endpoints": (method, path, operationId)
INDEX = [
    ("get", "/api/v1/get_server_capabilities", "service.get_server_capabilities"),
    ("get", "/api/v1/healthz", "service.health_check"),
    ("post", "/api/v1/create_session", "service.create_session"),
    ("post", "/api/v1/session_heartbeat", "service.session_heartbeat"),
    ("post", "/api/v1/create_sampling_session", "service.create_sampling_session"),
    ("post", "/api/v1/create_model", "models.create"),
    ("post", "/api/v1/get_info", "models.get_info"),
    ("post", "/api/v1/unload_model", "models.unload"),
    ("post", "/api/v1/load_weights", "weights.load"),
    ("post", "/api/v1/save_weights", "weights.save"),
    ("post", "/api/v1/save_weights_for_sampler", "weights.save_for_sampler"),
    ("get", "/api/v1/training_runs/{training_run_id}/checkpoints", "weights.list"),
    (
        "delete",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}",
        "weights.delete_checkpoint",
    ),
    (
        "get",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/archive",
        "weights.get_checkpoint_archive_url",
    ),
    ("post", "/api/v1/forward", "training.forward"),
    ("post", "/api/v1/forward_backward", "training.forward_backward"),
    ("post", "/api/v1/optim_step", "training.optim_step"),
    ("post", "/api/v1/asample", "sampling.asample"),
    ("post", "/api/v1/retrieve_future", "futures.retrieve"),
    ("post", "/api/v1/telemetry", "telemetry.send"),
    ("get", "/api/v1/training_runs/{training_run_id}", "training_runs.get"),
    ("get", "/api/v1/training_runs", "training_runs.list"),
    ("post", "/api/v1/weights_info", "checkpoints.get_weights_info"),
    ("get", "/api/v1/checkpoints", "checkpoints.list"),
    (
        "post",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/publish",
        "checkpoints.publish",
    ),
    (
        "delete",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/publish",
        "checkpoints.unpublish",
    ),
    ("put", "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/ttl", "checkpoints.set_ttl"),
    ("get", "/api/v1/sessions/{session_id}", "sessions.get"),
    ("get", "/api/v1/sessions", "sessions.list"),
    ("put", "/api/v1/sessions/{session_id}/project", "sessions.assign_project"),
    ("get", "/api/v1/samplers/{sampler_id}", "samplers.get"),
    ("get", "/api/v1/audit", "audit.get_log"),
    # read from the official Python SDK 0.38.0 (spec/README.md, "Provenance")
    ("post", "/api/v1/client/config", "service.get_client_config"),
    ("post", "/api/v1/client/dynamic_config", "service.get_dynamic_config"),
    ("post", "/api/v1/auth/token", "service.create_auth_token"),
    ("post", "/api/v1/join_sampling_session", "service.join_sampling_session"),
    ("post", "/api/v1/create_custom_loss", "service.create_custom_loss"),
    ("post", "/api/v1/retrieve_futures", "futures.retrieve_many"),
    ("post", "/api/v1/cancel_future", "futures.cancel"),
    ("post", "/api/v1/copy_weights", "weights.copy"),
    ("post", "/api/v1/save_weights_external", "weights.save_external"),
    (
        "get",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/external_weights_urls",
        "weights.get_external_urls",
    ),
    ("post", "/api/v1/sessions/{session_id}/finish", "sessions.finish"),
    ("get", "/api/v1/sessions/{session_id}/trace_export", "sessions.get_trace_export"),
    ("post", "/api/v1/sessions/search", "sessions.search"),
    ("get", "/api/v1/auth/apikey/me", "account.whoami"),
    ("delete", "/api/v1/auth/apikey/me", "account.delete_api_key"),
    ("get", "/api/v1/billing/usage/events", "account.list_usage_events"),
    ("get", "/api/v1/billing/usage/checkpoints/current", "account.get_checkpoint_storage"),
]
FUTURES = {
    "models.create": "CreateModelResponse",
    "models.unload": "UnloadModelResponse",
    "weights.load": "LoadWeightsResponse",
    "weights.save": "SaveWeightsResponse",
    "weights.save_for_sampler": "SaveWeightsForSamplerResponseInternal",
    "training.forward": "ForwardBackwardOutput",
    "training.forward_backward": "ForwardBackwardOutput",
    "training.optim_step": "OptimStepResponse",
    "sampling.asample": "SampleResponse",
    "service.create_custom_loss": "CreateCustomLossResponse",
    "weights.save_external": "SaveWeightsExternalResponseInternal",
}


def _spec() -> dict:
    return yaml.safe_load(SPEC.read_text())


def test_spec_is_valid_openapi_31() -> None:
    spec = _spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_spec_has_exactly_the_49_endpoints() -> None:
    spec = _spec()
    found = [
        (method, path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]
    assert sorted(found) == sorted(INDEX)
    assert len(INDEX) == 49


def test_long_running_operations_name_their_result() -> None:
    spec = _spec()
    marked = {
        op["operationId"]: op["x-tinker-future"]["result"]["$ref"].rsplit("/", 1)[1]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "x-tinker-future" in op
    }
    assert marked == FUTURES


def test_server_and_security() -> None:
    spec = _spec()
    assert spec["servers"][0]["url"] == "https://tinker.thinkingmachines.dev/services/tinker-prod"
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": spec["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    assert spec["security"] == [{"ApiKeyAuth": []}]


def test_response_schemas_do_not_forbid_extra_keys() -> None:
    spec = _spec()
    for item in spec["paths"].values():
        for op in item.values():
            for response in op.get("responses", {}).values():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref:
                    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
                    assert schema.get("additionalProperties") is not False, ref


def _discriminated_unions(spec: dict) -> dict[str, tuple[str, list[str]]]:
    return {
        name: (schema["discriminator"]["propertyName"], [m["$ref"].rsplit("/", 1)[1] for m in schema["oneOf"]])
        for name, schema in spec["components"]["schemas"].items()
        if "discriminator" in schema
    }


def test_discriminators_are_required_in_every_member() -> None:
    """A dict without its union's tag is refused for that reason (issue 9, item 8)."""
    spec = _spec()
    schemas = spec["components"]["schemas"]
    unions = _discriminated_unions(spec)
    assert {"ModelInputChunk", "TelemetryEvent", "FutureCompletion", "SessionStatus", "BillingEventInfo"} <= set(unions)
    for union, (tag, members) in unions.items():
        for member in members:
            assert tag in schemas[member].get("required", []), f"{union}: {member}.{tag}"
            assert "const" in schemas[member]["properties"][tag], f"{union}: {member}.{tag}"


def test_optional_request_fields_accept_null() -> None:
    """The README convention: an optional request field without a default accepts null."""
    spec = _spec()
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        if schema.get("additionalProperties") is not False:
            continue  # responses and open objects
        required = set(schema.get("required", []))
        for prop, prop_schema in schema.get("properties", {}).items():
            if prop in required or "default" in prop_schema or "const" in prop_schema:
                continue
            types = prop_schema.get("type", [])
            alternatives = prop_schema.get("anyOf", [])
            assert "null" in types or {"type": "null"} in alternatives, f"{name}.{prop}"
