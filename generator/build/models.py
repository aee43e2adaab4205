"""The models part: each components schema with the surface facts the report and diff compare."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import pointer_join
from ..ir import ClassName, Model, ModelField, ModelKind, PythonIdentifier, Value
from ..typetree import LiteralType, Type, optional
from .context import SCHEMAS, Context

# Names that generated signatures use unqualified; a model may not take them.
RESERVED_CLASS_NAMES = frozenset(
    {"Any", "Literal", "Iterator", "AsyncIterator", "Future", "AsyncFuture", "RequestOptions", "APIFuture"}
)


def models(ctx: Context) -> Iterator[Model]:
    roles = _roles(ctx)
    for name, schema in ctx.schemas.items():
        pointer = pointer_join(SCHEMAS, name)
        class_name = ctx.class_name(name, pointer, "schema name")
        if class_name is None:
            continue
        if name in RESERVED_CLASS_NAMES:
            ctx.fail(pointer, f"schema name {name!r} is used by the generated signatures; rename it")
            continue
        yield _model(ctx, class_name, pointer, schema, roles.get(name, frozenset()))


def _model(
    ctx: Context, name: ClassName, pointer: str, schema: Mapping[str, Any], roles: frozenset[str]
) -> Model:
    kind: ModelKind = "other"
    fields: list[ModelField] = []
    members: list[Type] = []
    if schema.get("type") == "object" and "properties" in schema:
        kind = "object"
        required = set(schema.get("required", []))
        for prop, prop_schema in schema["properties"].items():
            where = pointer_join(pointer, "properties", prop)
            default = prop_schema.get("default")
            type_ = ctx.type_of(prop_schema, where)
            # a required discriminator with a default is filled in by the model (generator/models.py)
            needed = prop in required and not ("const" in prop_schema and default == prop_schema["const"])
            fields.append(
                ModelField(
                    name=prop,
                    type=optional(type_) if prop not in required and default is None else type_,
                    required=needed,
                    default=None if needed or default is None else Value.of(default),
                    line=ctx.spec.line(where),
                )
            )
    elif "oneOf" in schema or "anyOf" in schema:
        kind = "union"
        key = "oneOf" if "oneOf" in schema else "anyOf"
        members = [ctx.type_of(m, pointer_join(pointer, key, i)) for i, m in enumerate(schema[key])]
    elif "enum" in schema:
        kind = "enum"
        members = [LiteralType((v,)) for v in schema["enum"]]
    return Model(
        name,
        dict(schema),
        ctx.spec.line(pointer),
        _aliases(ctx, pointer, schema),
        kind,
        tuple(fields),
        tuple(members),
        schema.get("discriminator", {}).get("propertyName"),
        roles,
    )


def _roles(ctx: Context) -> dict[str, frozenset[str]]:
    """For each schema, whether requests send it, responses carry it, or both."""
    found: dict[str, set[str]] = {}
    for pointer, raw in ctx.operations():
        path_item = ctx.spec.get(pointer.rsplit("/", 1)[0])
        _mark(ctx, [path_item.get("parameters", []), raw.get("parameters", [])], "request", found)
        body = raw.get("requestBody")
        if body is not None:
            node, _ = ctx.spec.deref(body, pointer)
            _mark(ctx, node.get("content", {}), "request", found)
        for response in [*raw.get("responses", {}).values(), raw.get("x-tinker-future", {})]:
            node, _ = ctx.spec.deref(response, pointer)
            _mark(ctx, node, "response", found)
    return {name: frozenset(r) for name, r in found.items()}


def _mark(ctx: Context, node: Any, role: str, found: dict[str, set[str]]) -> None:
    """Add `role` to every schema `node` references, transitively."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#" + SCHEMAS + "/"):
            _mark(ctx, ctx.spec.get(ref), role, found)  # a shared parameter, body or response
        elif isinstance(ref, str):
            name = ref.rsplit("/", 1)[1]
            if role in found.setdefault(name, set()):
                return
            found[name].add(role)
            _mark(ctx, ctx.schemas.get(name, {}), role, found)
        for value in node.values():
            _mark(ctx, value, role, found)
    elif isinstance(node, list):
        for value in node:
            _mark(ctx, value, role, found)


def _aliases(
    ctx: Context, pointer: str, schema: Mapping[str, Any]
) -> tuple[tuple[PythonIdentifier, str], ...]:
    properties = schema.get("properties", {})
    where = pointer_join(pointer, "x-tinker-aliases")
    found = []
    for alias, target in schema.get("x-tinker-aliases", {}).items():
        if target not in properties:
            ctx.fail(pointer_join(where, alias), f"{target!r} is not a property of this schema")
        if alias in properties:
            ctx.fail(pointer_join(where, alias), f"alias {alias!r} is already a property")
        name = ctx.exact_identifier(alias, pointer_join(where, alias), "alias")
        if name is not None:
            found.append((name, target))
    return tuple(found)
