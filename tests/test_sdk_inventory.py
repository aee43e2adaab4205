"""The spec against the official Python SDK's inventory (tests/fixtures/sdk_*.json).

The fixtures list every endpoint `tinker` 0.38.0 calls and every public method of its
`RestClient`; they were written once from the SDK (tests/fixtures/README.md), so these tests
need no SDK. A new SDK version: regenerate the fixtures, and these tests name what the spec
lacks.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest
import yaml
from tinker_client import RestClient

from .conftest import ROOT, SPEC

FIXTURES = ROOT / "tests" / "fixtures"
ENDPOINTS = json.loads((FIXTURES / "sdk_endpoints.json").read_text())
REST = json.loads((FIXTURES / "sdk_rest_client.json").read_text())
SPEC_DATA = yaml.safe_load(SPEC.read_text())
SCHEMAS = SPEC_DATA["components"]["schemas"]
METHODS = ("get", "put", "post", "delete", "patch")

# Model names the SDK keeps private; the spec has to name them.
PRIVATE_NAMES = {"SessionTraceExportResponse"}


def _shape(path: str) -> str:
    """`/a/{x}/b` → `/a/{}/b`: the SDK and the spec name path parameters differently."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), _shape(path)): op
        for path, item in SPEC_DATA["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC_DATA
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _ref_name(node: dict[str, Any] | None) -> str | None:
    return node["$ref"].rsplit("/", 1)[1] if node and "$ref" in node else None


def _request_schema(op: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    content = _resolve(op["requestBody"])["content"]["application/json"]["schema"]
    return _ref_name(content), _resolve(content)


def _response_name(op: dict[str, Any]) -> str | None:
    for code, response in sorted(op["responses"].items()):
        if str(code).startswith("2"):
            schema = _resolve(response).get("content", {}).get("application/json", {}).get("schema")
            return _ref_name(schema)
    return None


def _nullable(prop: dict[str, Any]) -> bool:
    types = prop.get("type", [])
    return "null" in (types if isinstance(types, list) else [types]) or {"type": "null"} in prop.get("anyOf", [])


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in rows]


def test_fixtures_are_the_sdk_version_the_spec_rests_on() -> None:
    assert ENDPOINTS["version"] == REST["version"] == "0.38.0"
    assert len(ENDPOINTS["items"]) == len({(r["method"], r["path"]) for r in ENDPOINTS["items"]}) == 46


@pytest.mark.parametrize("row", ENDPOINTS["items"], ids=_ids(ENDPOINTS["items"]))
def test_every_sdk_endpoint_is_in_the_spec(row: dict[str, Any]) -> None:
    op = _operations().get((row["method"], _shape(row["path"])))
    assert op is not None, f"{row['method']} {row['path']} (read from {row['read_from']}) is not in the spec"
    assert _response_name(op) == row["response"]
    assert ("x-tinker-future" in op) == row["long_running"]
    if row["long_running"]:
        assert _ref_name(op["x-tinker-future"]["result"]) == row["result"]
        assert op["x-tinker-future"]["request-type"] == row["request_type"]


@pytest.mark.parametrize("row", ENDPOINTS["items"], ids=_ids(ENDPOINTS["items"]))
def test_query_parameters_are_the_sdks(row: dict[str, Any]) -> None:
    op = _operations()[(row["method"], _shape(row["path"]))]
    query = {_resolve(p)["name"] for p in op.get("parameters", []) if _resolve(p)["in"] == "query"}
    assert query == set(row["query"])


BODIES = [r for r in ENDPOINTS["items"] if r["body_fields"] is not None]


@pytest.mark.parametrize("row", BODIES, ids=_ids(BODIES))
def test_request_bodies_take_every_sdk_field(row: dict[str, Any]) -> None:
    name, schema = _request_schema(_operations()[(row["method"], _shape(row["path"]))])
    if row["request"]:
        assert name == row["request"]
    properties = schema["properties"]
    assert set(row["body_fields"]) <= set(properties), "fields the SDK sends that the spec refuses"
    assert schema.get("additionalProperties") is False
    for field in set(schema.get("required", [])) - {"type"}:
        assert row["body_fields"][field]["required"], f"{field}: the SDK may leave it out"
    for field, fact in row["body_fields"].items():
        prop = properties[field]
        if not fact["required"] and fact.get("default") is None and "const" not in prop:
            assert _nullable(prop), f"{field}: the SDK's optional field must accept null"


def test_response_names_follow_the_sdk() -> None:
    named = {r["response"] for r in ENDPOINTS["items"]} | {r["result"] for r in ENDPOINTS["items"]}
    named.discard(None)
    missing = {n for n in named if n not in SCHEMAS}
    assert not missing
    assert named >= PRIVATE_NAMES


def _rest_params(name: str) -> list[tuple[str, str, Any]]:
    signature = inspect.signature(getattr(RestClient, name))
    return [
        (p.name, p.kind.name, p.default if p.default is not inspect.Parameter.empty else "<required>")
        for p in list(signature.parameters.values())[1:]
    ]


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, id=m["name"]) for m in REST["items"]],
)
def test_rest_client_method_matches_the_sdk(method: dict[str, Any]) -> None:
    assert hasattr(RestClient, method["name"]), f"RestClient.{method['name']} is missing"
    expected = [(p["name"], p["kind"], p.get("default", "<required>")) for p in method["params"]]
    assert _rest_params(method["name"]) == expected


# Where our RestClient answers another type than the SDK's, and why (spec/README.md, "Where the
# sources disagree"). Every other method answers the SDK's type.
OTHER_RETURNS = {
    "export_session_trace": "one poll of trace_export per call; the SDK polls until the URL is ready",
    "export_session_trace_async": "as export_session_trace",
    "whoami": "the API key's record from GET /api/v1/auth/apikey/me; the SDK decodes its token's claims",
    "get_telemetry": "this client collects no telemetry: always None",
}


@pytest.mark.parametrize("method", [pytest.param(m, id=m["name"]) for m in REST["items"]])
def test_rest_client_method_answers_the_sdks_type(method: dict[str, Any]) -> None:
    ours = str(inspect.signature(getattr(RestClient, method["name"])).return_annotation)
    same = ours == method["returns"].replace("types.", "")
    assert same != (method["name"] in OTHER_RETURNS), (ours, method["returns"])


def test_rest_client_method_comparison_can_fail() -> None:
    """The comparison sees a changed default: list_sessions' limit is 20 in both."""
    sdk = next(m for m in REST["items"] if m["name"] == "list_sessions")
    changed = [(p["name"], p["kind"], p.get("default", "<required>")) for p in sdk["params"]]
    changed[0] = ("limit", "POSITIONAL_OR_KEYWORD", 21)
    assert _rest_params("list_sessions") != changed


def test_deprecated_endpoints_say_what_replaces_them() -> None:
    deprecated = {
        op["operationId"]: op
        for item in SPEC_DATA["paths"].values()
        for method, op in item.items()
        if method in METHODS and op.get("deprecated")
    }
    assert set(deprecated) == {"training.forward", "models.unload", "weights.get_checkpoint_archive_url"}
    sdk = {(r["method"], _shape(r["path"])) for r in ENDPOINTS["items"]}
    for path, item in SPEC_DATA["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                assert ((method.upper(), _shape(path)) not in sdk) == bool(op.get("deprecated")), path
    for op in deprecated.values():
        paragraphs = op["description"].split("\n\n")
        assert paragraphs[-1].startswith("Deprecated: "), op["operationId"]
        assert "instead" in paragraphs[-1]


def test_copy_weights_declares_the_access_token_header() -> None:
    row = next(r for r in ENDPOINTS["items"] if r["path"] == "/api/v1/copy_weights")
    assert any(h.startswith("X-Tinker-Weights-Access-Token") for h in row["headers"])
    op = _operations()[("POST", "/api/v1/copy_weights")]
    headers = {_resolve(p)["name"] for p in op.get("parameters", []) if _resolve(p)["in"] == "header"}
    assert "X-Tinker-Weights-Access-Token" in headers
