"""`$ref` checks: local, existing, of the kind their place needs, in short chains, not cyclic.

Also the one shape of schema recursion no generated type can express: schemas that refer
back to themselves without an object schema (a class) in between, such as an array of itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .errors import Problem, pointer_join
from .limits import MAX_REF_CHAIN

if TYPE_CHECKING:
    from .load import Spec

SCHEMA_REF = re.compile(r"^#/components/schemas/[^/]+$")
_SCHEMA_PLACE = re.compile(r"^/components/schemas/|/schema(/|$)|/x-tinker-(future|redirect)/result$")
# Places that hold a reusable non-schema object, and the component section a $ref there names.
_COMPONENT_PLACES = (
    (re.compile(r"/parameters/[^/]+$"), "parameters"),
    (re.compile(r"^/paths/[^/]+/[^/]+/requestBody$|^/components/requestBodies/[^/]+$"), "requestBodies"),
    (re.compile(r"/responses/[^/]+$"), "responses"),
    (re.compile(r"/headers/[^/]+$"), "headers"),
)


def check_refs(spec: Spec) -> Iterator[Problem]:
    """Every `$ref`: then, when all of them resolve, schema recursion the build cannot name."""
    problems = list(_each_ref(spec))
    yield from problems
    if not problems:
        yield from _unnameable_recursion(spec)


def _each_ref(spec: Spec) -> Iterator[Problem]:
    for pointer, node in walk_mappings(spec.data, ""):
        ref = node.get("$ref")
        if ref is None:
            continue
        where = pointer_join(pointer, "$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            yield spec.problem(where, f"only local references (#/...) are supported, not {ref!r}")
            continue
        try:
            spec.get(ref)
        except (KeyError, IndexError, ValueError, TypeError):
            yield spec.problem(where, f"dangling $ref: {ref} does not exist")
            continue
        message = _wrong_kind(pointer, ref) or _bad_chain(spec, ref)
        if message:
            yield spec.problem(where, message)


def _wrong_kind(pointer: str, ref: str) -> str | None:
    if re.match(r"^/paths/[^/]+$", pointer):
        return "a path item given by $ref is not supported; write the operations out"
    if _SCHEMA_PLACE.search(pointer):
        if not SCHEMA_REF.match(ref):
            return f"a schema $ref must name a schema: #/components/schemas/<Name>, not {ref}"
        return None
    for place, section in _COMPONENT_PLACES:
        if place.search(pointer) and not re.match(rf"^#/components/{section}/[^/]+$", ref):
            return f"this $ref must name one of #/components/{section}, not {ref}"
    return None


def _bad_chain(spec: Spec, ref: str) -> str | None:
    """A cycle or an over-long run of `$ref`s starting at `ref`."""
    seen = [ref]
    node = spec.get(ref)
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target = node["$ref"]
        if target in seen:
            return "$ref cycle: " + " -> ".join([*seen, target])
        if len(seen) >= MAX_REF_CHAIN:
            return f"more than {MAX_REF_CHAIN} $refs in a row from {ref}"
        seen.append(target)
        try:
            node = spec.get(target)
        except (KeyError, IndexError, ValueError, TypeError):
            return None  # reported at the $ref that dangles
    return None


def is_class(schema: Any) -> bool:
    """Whether a schema becomes a model class (the build names it; recursion through it is fine)."""
    return isinstance(schema, Mapping) and schema.get("type") == "object" and "properties" in schema


def _unnameable_recursion(spec: Spec) -> Iterator[Problem]:
    schemas = spec.data.get("components", {}).get("schemas", {})
    if not isinstance(schemas, Mapping):
        return
    edges = {
        name: sorted(_schema_refs(schema) & {n for n in schemas if not is_class(schemas[n])})
        for name, schema in schemas.items()
        if not is_class(schema)
    }
    reported: set[str] = set()
    for name in edges:
        cycle = _cycle_from(name, edges)
        if cycle and not reported & set(cycle):
            reported.update(cycle)
            yield spec.problem(
                pointer_join("", "components", "schemas", name),
                "schema recursion without an object schema between: "
                + " -> ".join(cycle)
                + "; no Python type can contain itself this way",
            )


def _schema_refs(schema: Any) -> set[str]:
    return {
        str(node["$ref"]).rsplit("/", 1)[1]
        for _, node in walk_mappings(schema, "")
        if SCHEMA_REF.match(str(node.get("$ref", "")))
    }


def _cycle_from(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    """A path start -> ... -> start through `edges`, found without recursion."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        name, path = stack.pop()
        for target in edges.get(name, []):
            if target == start:
                return [*path, start]
            if target not in visited:
                visited.add(target)
                stack.append((target, [*path, target]))
    return None


def walk_mappings(node: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every mapping in `node`, depth first, with its pointer (the loader bounds the depth)."""
    if isinstance(node, Mapping):
        yield pointer, node
        for key, value in node.items():
            yield from walk_mappings(value, pointer_join(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_mappings(value, pointer_join(pointer, index))
