"""The operations part: each tagged operation becomes a method of its resource."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import pointer_join
from ..extensions import CLIENT_VERSION, client_default, operation_extensions
from ..ir import (
    Argument,
    Body,
    BodyField,
    ClassName,
    Operation,
    Param,
    ParamKind,
    PythonIdentifier,
    Signature,
    Value,
)
from ..typetree import Scope, optional
from . import docs
from .context import SCHEMAS, Context
from .extensions import future, page_params, pagination, redirect

_PARAM_KINDS: dict[str, ParamKind] = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
CLIENT_VERSION_NAME = "_client_version"  # the runtime's __version__, imported under this alias
OPTIONS = Argument(PythonIdentifier("options"), "RequestOptions | None", Value.of(None))


def method_name(ctx: Context, pointer: str, raw: Mapping[str, Any]) -> PythonIdentifier | None:
    """The method an operation becomes: the part of `<tag>.<method>` after the tag."""
    tag = str(raw.get("tags", [""])[0])
    operation_id = str(raw.get("operationId", ""))
    prefix, _, method = operation_id.rpartition(".")
    where = pointer_join(pointer, "operationId")
    if prefix != tag or not method:
        ctx.fail(where, f"operationId {operation_id!r} must be '<tag>.<method>' with tag {tag!r}")
    return ctx.identifier(method or operation_id, where, "method")


def operation(
    ctx: Context, pointer: str, resource: PythonIdentifier, raw: Mapping[str, Any], scope: Scope
) -> Operation | None:
    name = method_name(ctx, pointer, raw)
    if name is None:
        return None
    path = ctx.paths[pointer]
    params = _params(ctx, pointer, path, raw)
    body = _body(ctx, pointer, raw)
    taken = [p.name for p in params] + [f.name for f in (body.arguments if body else ())]
    for duplicate in sorted({n for n in taken if taken.count(n) > 1}):
        ctx.fail(pointer, f"two arguments of {name!r} are both named {duplicate!r}")
    response = _response(ctx, pointer, raw)
    ext = operation_extensions(raw)
    http_method = pointer.rsplit("/", 1)[1].upper()
    deprecated = docs.deprecation(raw, f"{resource}.{name}")
    result = future(ctx, ext.future)
    pages = pagination(ctx, pointer, name, params, body, response, ext.pagination)
    return Operation(
        name=name,
        resource=resource,
        http_method=http_method,
        path=Value.of(path),
        docstring=docs.method(raw, http_method, path, params, body, response, result, deprecated),
        summary=" ".join(str(raw.get("summary", "")).split()),
        params=params,
        body=body,
        response=response,
        signature=signature(params, body, scope),
        future=result,
        redirect=redirect(ctx, pointer, ext.redirect),
        pagination=pages,
        page_signature=signature(page_params(params), body, scope) if pages else None,
        deprecated=Value.of(deprecated) if deprecated else None,
        line=ctx.spec.line(pointer),
    )


def signature(params: tuple[Param, ...], body: Body | None, scope: Scope) -> Signature:
    fields = body.fields if body else ()
    return Signature(
        positional=tuple(Argument(p.name, p.type.render(scope), p.default) for p in params),
        keyword=(
            *(Argument(f.name, f.type.render(scope), f.default) for f in fields if f.is_argument),
            OPTIONS,
        ),
        call=(
            *((p.wire_name.code, str(p.name)) for p in params),
            *((f.wire_name.code, f.value) for f in fields),
        ),
    )


def _params(ctx: Context, pointer: str, path: str, raw: Mapping[str, Any]) -> tuple[Param, ...]:
    item_pointer = pointer.rsplit("/", 1)[0]
    entries = [
        (pointer_join(item_pointer, "parameters", i), p)
        for i, p in enumerate(ctx.spec.get(item_pointer).get("parameters", []))
    ] + [(pointer_join(pointer, "parameters", i), p) for i, p in enumerate(raw.get("parameters", []))]
    params: dict[tuple[str, str], Param] = {}
    seen: set[tuple[str, str, str]] = set()
    for where, entry in entries:
        node, _ = ctx.spec.deref(entry, where)
        if node["in"] not in ("path", "query", "header"):
            ctx.fail(where, f"{node['in']} parameters are not supported; only path, query and header")
            continue
        param = _param(ctx, where, node)
        if param is None:
            continue
        key = (param.location, param.wire_name.raw)
        scoped = (where.rsplit("/", 1)[0], *key)  # an operation may override a path-level one
        if scoped in seen:
            ctx.fail(where, f"duplicate {key[0]} parameter {key[1]!r}")
        seen.add(scoped)
        params[key] = param
    template = re.findall(r"\{([^}]*)\}", path)
    declared = [wire for (loc, wire) in params if loc == "path"]
    for missing in [t for t in template if t not in declared]:
        ctx.fail(pointer, f"path parameter {{{missing}}} of {path} is not declared")
    for extra in [d for d in declared if d not in template]:
        where = next(w for w, e in entries if ctx.spec.deref(e, w)[0].get("name") == extra)
        ctx.fail(where, f"path parameter {extra!r} is missing from the path {path}")
    order = {"path": 0, "query": 1, "header": 2}
    return tuple(
        sorted(
            params.values(),
            key=lambda p: (
                p.location != "path",
                template.index(p.wire_name.raw) if p.wire_name.raw in template else 0,
                not p.required,
                order[p.location],
            ),
        )
    )


def _param(ctx: Context, where: str, node: Mapping[str, Any]) -> Param | None:
    wire = str(node["name"])
    name = ctx.identifier(wire, pointer_join(where, "name"), "parameter")
    if name is None:
        return None
    schema_pointer = pointer_join(where, "schema")
    schema, _ = ctx.spec.deref(node.get("schema", {}), schema_pointer)
    required = bool(node.get("required", False))
    default = schema.get("default")
    choices = schema.get("enum")
    if default is not None and choices is not None and default not in choices:
        ctx.fail(
            pointer_join(schema_pointer, "default"), f"default {default!r} is not one of the enum values"
        )
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "date":
        kind = "date"
    elif not (isinstance(kind, str) and kind in _PARAM_KINDS):
        ctx.fail(schema_pointer, "a parameter must be a string, integer, number or boolean")
        kind = "string"
    type_ = ctx.type_of(schema, schema_pointer)
    return Param(
        name=name,
        wire_name=Value.of(wire),
        location=node["in"],
        type=optional(type_) if not required and default is None else type_,
        kind="date" if kind == "date" else _PARAM_KINDS[kind],
        required=required,
        default=None if required else Value.of(default),
        choices=Value.of(tuple(choices)) if choices else None,
        multi_segment=bool(node.get("x-tinker-multi-segment", False)),
        description=" ".join(str(node.get("description", "")).split()),
        line=ctx.spec.line(where),
    )


def _body(ctx: Context, pointer: str, raw: Mapping[str, Any]) -> Body | None:
    if "requestBody" not in raw:
        return None
    node, where = ctx.spec.deref(raw["requestBody"], pointer_join(pointer, "requestBody"))
    media = node.get("content", {}).get("application/json")
    ref = (media or {}).get("schema", {}).get("$ref", "")
    if not ref.startswith(SCHEMAS + "/", 1):
        ctx.fail(where, "a request body must be application/json referencing a components schema")
        return None
    schema_pointer = ref.lstrip("#")
    schema = ctx.spec.get(ref)
    if schema.get("type") != "object" or "properties" not in schema:
        ctx.fail(schema_pointer, "a request body schema must be an object with properties")
        return None
    required = set(schema.get("required", []))
    fields = [
        f
        for prop, prop_schema in schema["properties"].items()
        if (
            f := _body_field(
                ctx, pointer_join(schema_pointer, "properties", prop), prop, prop_schema, prop in required
            )
        )
    ]
    fields.sort(key=lambda f: not (f.required and f.default is None))
    keep_null = tuple(f.wire_name.raw for f in fields if f.required and f.type.nullable)
    return Body(ctx.schema_name(ref), tuple(fields), Value.of(keep_null))


def _body_field(
    ctx: Context, pointer: str, prop: str, schema: Mapping[str, Any], required: bool
) -> BodyField | None:
    name = ctx.identifier(prop, pointer, "property")
    if name is None:
        return None
    fixed = _fixed_literal(schema)
    type_ = ctx.type_of(schema, pointer)
    default = schema.get("default")
    value = str(name)
    if fixed is not None:
        value, signature_default = Value.of(fixed).code, None
    elif client_default(schema) == CLIENT_VERSION:
        type_, signature_default = optional(type_), Value.of(None)
        value = f"{CLIENT_VERSION_NAME} if {name} is None else {name}"
    elif required:
        signature_default = None
    elif isinstance(default, (str, int, float, bool)):
        signature_default = Value.of(default)
    else:
        type_, signature_default = optional(type_), Value.of(None)
    return BodyField(
        name=name,
        wire_name=Value.of(prop),
        type=type_,
        required=required,
        default=signature_default,
        value=value,
        is_argument=fixed is None,
        description=" ".join(str(schema.get("description", "")).split()),
        line=ctx.spec.line(pointer),
    )


def _response(ctx: Context, pointer: str, raw: Mapping[str, Any]) -> ClassName | None:
    responses = raw.get("responses", {})
    for code in sorted(c for c in responses if str(c).startswith("2")):
        node, where = ctx.spec.deref(responses[code], pointer_join(pointer, "responses", code))
        media = node.get("content", {}).get("application/json")
        if media is None:
            return None
        ref = media.get("schema", {}).get("$ref", "")
        if not ref.startswith("#" + SCHEMAS + "/"):
            ctx.fail(where, "a response body must reference a components schema")
            return None
        return ctx.schema_name(ref)
    ctx.fail(pointer_join(pointer, "responses"), "an operation needs a 2xx response")
    return None


def _fixed_literal(schema: Mapping[str, Any]) -> Any:
    """The value of a literal property the caller never chooses (a `type` marker)."""
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and schema.get("default") == enum[0]:
        return enum[0]
    return None
