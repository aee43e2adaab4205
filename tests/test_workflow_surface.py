"""Our ServiceClient, TrainingClient, SamplingClient and futures against the SDK's inventory.

tests/fixtures/sdk_workflow_surface.json lists the public methods of tinker==0.38.0's three
classes and its APIFuture (taken once from the SDK, committed): every one must exist here
with the same parameter names, order, kinds and defaults, and be a coroutine function
where the SDK's is. Ours may add keyword-only parameters and defaults the SDK lacks.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
import tinker_client

INVENTORY = json.loads((Path(__file__).parent / "fixtures" / "sdk_workflow_surface.json").read_text())
OURS = {
    "ServiceClient": tinker_client.ServiceClient,
    "TrainingClient": tinker_client.TrainingClient,
    "SamplingClient": tinker_client.SamplingClient,
    "APIFuture": tinker_client.ClientFuture,
}
# The SDK's InternalClientHolder is no public type: these take or return it.
INTERNAL = {("ServiceClient", "holder"), ("SamplingClient", "create")}
CASES = [
    (cls, name, entry)
    for cls, methods in sorted(INVENTORY["classes"].items())
    for name, entry in sorted(methods.items())
    if (cls, name) not in INTERNAL
]


@pytest.mark.parametrize(("cls", "name", "entry"), CASES, ids=[f"{c}.{n}" for c, n, _ in CASES])
def test_sdk_method_exists_with_the_same_parameters(cls: str, name: str, entry: dict[str, Any]) -> None:
    ours = inspect.getattr_static(OURS[cls], name, None)
    assert ours is not None, f"{cls}.{name} is missing"
    if entry["kind"] == "property":
        assert isinstance(ours, property)
        return
    assert isinstance(ours, staticmethod) == (entry["kind"] == "staticmethod")
    function = ours.__func__ if isinstance(ours, staticmethod) else ours
    assert inspect.iscoroutinefunction(function) == entry["async"], f"{cls}.{name}: async differs"
    params = [p for p in inspect.signature(function).parameters.values() if p.name != "self"]
    theirs = entry["params"]
    names = [p.name for p in params]
    assert [p["name"] for p in theirs] == [n for n in names if n in {p["name"] for p in theirs}]
    by_name = {p.name: p for p in params}
    for expected in theirs:
        param = by_name[expected["name"]]
        assert param.kind.name == expected["kind"], f"{cls}.{name}({param.name}): kind"
        if "default" in expected:
            assert repr(param.default) == expected["default"], f"{cls}.{name}({param.name}): default"
    extra = [p for p in params if p.name not in {e["name"] for e in theirs}]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extra), f"{cls}.{name}: extra {extra}"


def test_the_inventory_is_the_sdks() -> None:
    assert INVENTORY["sdk"] == "tinker==0.38.0"
    assert len(CASES) >= 60
    assert issubclass(tinker_client.ClientFuture, tinker_client.APIFuture)
