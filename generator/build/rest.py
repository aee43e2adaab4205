"""The RestClient facade part: methods named by x-tinker-rest over the resource methods."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import pointer_join
from ..extensions import KEYWORD_ONLY, RestExtension, operation_extensions
from ..ir import Argument, Operation, Param, PythonIdentifier, Resource, RestMethod, Value, docstring
from ..typetree import MODELS, STR, Named, Scope, Type
from .context import Context

# Names the RestClient runtime base uses; a generated method may not take them.
RESERVED_REST_NAMES = frozenset({"close", "client"})
# Names the generated method body uses itself; a renamed argument may not take them.
RESERVED_ARGUMENTS = frozenset({"self", "client", "parsed", "_call"})
TINKER_PATH_FIELDS = frozenset({"training_run_id", "checkpoint_id"})
# Attributes pydantic's BaseModel has: a body property so named is renamed on the model.
_MODEL_NAMES = frozenset(
    {
        "copy",
        "dict",
        "json",
        "schema",
        "schema_json",
        "construct",
        "validate",
        "fields",
        "parse_obj",
        "parse_raw",
    }
)
TINKER_PATH_FORM = "tinker://<training_run_id>/<weights|sampler_weights|external_weights>/<name>"


def rest_methods(ctx: Context, resources: tuple[Resource, ...]) -> Iterator[RestMethod]:
    named = list(_names(ctx, resources))
    scope = Scope(frozenset(n for _, n, _, _ in named) | frozenset(f"{n}_async" for _, n, _, _ in named))
    for op, name, from_path, rest in named:
        method = _method(ctx, name, op, from_path, scope, rest)
        if method is not None:
            yield method


def _names(
    ctx: Context, resources: tuple[Resource, ...]
) -> Iterator[tuple[Operation, PythonIdentifier, bool, RestExtension]]:
    seen: dict[str, str] = {}
    for op in (op for r in resources for op in r.operations):
        where = pointer_join(_pointer(op), "x-tinker-rest")
        rest = operation_extensions(ctx.spec.get(_pointer(op))).rest
        if rest is None:
            continue
        variants = [(rest.name, False)] if rest.name else []
        variants += [(name, True) for name in rest.tinker_path]
        for raw, from_path in variants:
            name = ctx.exact_identifier(raw, where, "RestClient method")
            if name is None:
                continue
            clash = seen.get(name) or seen.get(name + "_async")
            if clash or name in RESERVED_REST_NAMES:
                ctx.fail(where, f"RestClient method {name!r} is taken ({clash or 'by the runtime'})")
            seen[name] = seen[name + "_async"] = where
            yield op, name, from_path, rest


def _pointer(op: Operation) -> str:
    return pointer_join("", "paths", op.path.raw, op.http_method.lower())


Entry = tuple[PythonIdentifier, Type, Value | None, str]  # name, type, default, description


# The entries of a signature, the resource call's (argument, expression) pairs, and the index of
# the first keyword-only entry.
Shape = tuple[list[Entry], list[tuple[str, str]], int | None]


def _method(
    ctx: Context, name: PythonIdentifier, op: Operation, from_path: bool, scope: Scope, rest: RestExtension
) -> RestMethod | None:
    where = pointer_join(_pointer(op), "x-tinker-rest")
    shape = _shape(ctx, where, op, from_path, rest)
    if shape is None:
        return None
    entries, arguments, keyword_only = shape
    summary = op.summary + (" The checkpoint is given as a tinker path." if from_path else "")
    result = None
    if rest.result_field and not from_path:
        result = _result_field(ctx, where, op, rest.result_field)
        if result is None or any(e[0] in RESERVED_ARGUMENTS for e in entries):
            if result is not None:
                ctx.fail(where, f"an argument of {name} is named like a local of the generated method")
            return None
        summary += f" Answers the `{result[0]}` of the {op.response}."
    return RestMethod(
        name=name,
        operation=op,
        from_tinker_path=from_path,
        params=tuple(Argument(n, t.render(scope), d) for n, t, d, _ in entries),
        types=tuple(t for _, t, _, _ in entries),
        arguments=tuple(arguments),
        docstring=docstring(
            summary,
            op.deprecated.raw if op.deprecated else "",
            f"`{op.http_method} {op.path.raw}`, via `client.{op.resource}.{op.name}`.",
            sections=(("Args", tuple((str(n), text) for n, _, _, text in entries)),),
        ),
        keyword_only=keyword_only,
        result_field=result[0] if result else None,
        result_type=result[1].render(scope) if result else None,
        result_types=(result[1],) if result else (),
    )


def _shape(ctx: Context, where: str, op: Operation, from_path: bool, rest: RestExtension) -> Shape | None:
    """The method's signature: the tinker-path form, the one `params` or `request` asks for, or its own."""
    if from_path:
        return _tinker_path(ctx, where, op)
    if rest.params is not None and rest.request is not None:
        ctx.fail(where, "params and request cannot be combined: request takes the whole body")
        return None
    if rest.params is not None:
        return _chosen(ctx, where, op, rest)
    if rest.request is not None:
        return _request(ctx, where, op, rest.request)
    entries, arguments = _own(op)
    entries.sort(key=lambda e: e[2] is not None)
    return entries, arguments, None


def _own(op: Operation) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The resource method's own arguments, each passed as it is."""
    fields = op.body.arguments if op.body else ()
    entries: list[Entry] = [(p.name, p.type, p.default, p.description) for p in op.params] + [
        (f.name, f.type, f.default, f.description) for f in fields
    ]
    return entries, [(str(n), str(n)) for n, _, _, _ in entries]


def _tinker_path(ctx: Context, where: str, op: Operation) -> Shape | None:
    """A tinker path in place of the checkpoint's path parameters."""
    filled = [p for p in op.params if p.location == "path"]
    if not filled or any(p.wire_name.raw not in TINKER_PATH_FIELDS for p in filled):
        ctx.fail(where, f"a tinker path cannot fill the path parameters of {op.path.raw}")
        return None
    entries, arguments = _own(op)
    by_name: dict[str, Param] = {p.name: p for p in filled}
    entries = [(PythonIdentifier("tinker_path"), STR, None, f"the checkpoint, as {TINKER_PATH_FORM}")] + [
        e for e in entries if e[0] not in by_name
    ]
    arguments = [(a, f"parsed.{by_name[a].wire_name.raw}" if a in by_name else e) for a, e in arguments]
    entries.sort(key=lambda e: e[2] is not None)
    return entries, arguments, None


def _result_field(ctx: Context, where: str, op: Operation, field: str) -> tuple[str, Type] | None:
    """The attribute of the response the method answers, and its type."""
    at = pointer_join(where, "result-field")
    if op.response is None or op.future or op.redirect or op.pagination:
        ctx.fail(at, f"{op.resource}.{op.name} answers no plain model to take a field of")
        return None
    pointer = pointer_join("", "components", "schemas", op.response)
    schema = ctx.spec.get(pointer)
    properties = schema.get("properties", {})
    if field not in properties or field not in schema.get("required", []) or field in _MODEL_NAMES:
        ctx.fail(at, f"{field!r} is not a required property of {op.response}")
        return None
    return field, ctx.type_of(properties[field], pointer_join(pointer, "properties", field))


def _sources(op: Operation) -> dict[str, tuple[Entry, bool]]:
    """The arguments of the resource method by wire name: (entry, required).

    A wire name is one argument: a parameter and a body property of one name would share their
    Python name, which the operation's build refuses.
    """
    fields = op.body.arguments if op.body else ()
    found = {
        p.wire_name.raw: ((p.name, p.type, p.default, p.description), p.default is None) for p in op.params
    }
    for f in fields:
        found[f.wire_name.raw] = ((f.name, f.type, f.default, f.description), f.default is None)
    return found


def _chosen(ctx: Context, where: str, op: Operation, rest: RestExtension) -> Shape | None:
    """The signature `params` asks for: renamed, ordered, with its keyword-only marker."""
    sources = _sources(op)
    problems = len(ctx.problems)
    entries: list[Entry] = []
    arguments: list[tuple[str, str]] = []
    keyword_only: int | None = None
    used: set[str] = set()
    for i, item in enumerate(rest.params or ()):
        at = pointer_join(where, "params", i)
        if item.source == KEYWORD_ONLY:
            if keyword_only is not None:
                ctx.fail(at, "params may mark the keyword-only arguments once")
            keyword_only = len(entries)
        elif item.source not in sources:
            ctx.fail(at, f"{item.source!r} is not a parameter or body property of {op.resource}.{op.name}")
        elif item.source in used:
            ctx.fail(at, f"params names {item.source!r} twice")
        else:
            used.add(item.source)
            name = _argument_name(ctx, at, item.name)
            if name is None:
                continue
            if name in {e[0] for e in entries}:
                ctx.fail(at, f"two arguments are named {name!r}")
            (target, type_, default, text), required = sources[item.source]
            if required and entries and keyword_only is None and entries[-1][2] is not None:
                ctx.fail(at, f"the required argument {name!r} follows one with a default")
            entries.append((name, type_, default, text))
            arguments.append((str(target), str(name)))
    for wire in sorted(w for w, (_, required) in sources.items() if required and w not in used):
        ctx.fail(pointer_join(where, "params"), f"params leaves out the required {wire!r}")
    return (entries, arguments, keyword_only) if len(ctx.problems) == problems else None


def _request(ctx: Context, where: str, op: Operation, request: str) -> Shape | None:
    """The parameters, then the whole body as one model argument named `request`."""
    at = pointer_join(where, "request")
    name = _argument_name(ctx, at, request)
    if name is None:
        return None
    if op.body is None:
        ctx.fail(at, f"{op.resource}.{op.name} has no request body to take whole")
        return None
    unusable = [
        f.wire_name.raw
        for f in op.body.arguments
        if f.wire_name.raw != f.name or f.name in _MODEL_NAMES or f.name.startswith("model_")
    ]
    if unusable or name in {p.name for p in op.params}:
        what = (
            f"the properties {unusable} are not attribute names of"
            if unusable
            else f"{name!r} is a parameter of"
        )
        ctx.fail(at, f"{what} {op.resource}.{op.name}; it cannot take its body whole")
        return None
    entries: list[Entry] = [(p.name, p.type, p.default, p.description) for p in op.params]
    entries.sort(key=lambda e: e[2] is not None)
    model = Named(str(op.body.model), MODELS)
    entries.insert(
        sum(e[2] is None for e in entries), (name, model, None, f"The request body, a `{op.body.model}`.")
    )
    arguments = [(str(p.name), str(p.name)) for p in op.params]
    arguments += [(str(f.name), f"{name}.{f.name}") for f in op.body.arguments]
    return entries, arguments, None


def _argument_name(ctx: Context, where: str, raw: str) -> PythonIdentifier | None:
    name = ctx.exact_identifier(raw, where, "RestClient argument")
    if name in RESERVED_ARGUMENTS:
        ctx.fail(where, f"RestClient argument {name!r} is taken by the generated method")
        return None
    return name
