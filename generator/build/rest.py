"""The RestClient facade part: methods named by x-tinker-rest over the resource methods."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import pointer_join
from ..extensions import operation_extensions
from ..ir import Argument, Operation, Param, PythonIdentifier, Resource, RestMethod, Value, docstring
from ..typetree import STR, Scope, Type
from .context import Context

# Names the RestClient runtime base uses; a generated method may not take them.
RESERVED_REST_NAMES = frozenset({"close", "client"})
TINKER_PATH_FIELDS = frozenset({"training_run_id", "checkpoint_id"})
TINKER_PATH_FORM = "tinker://<training_run_id>/<weights|sampler_weights|external_weights>/<name>"


def rest_methods(ctx: Context, resources: tuple[Resource, ...]) -> Iterator[RestMethod]:
    named = list(_names(ctx, resources))
    scope = Scope(frozenset(n for _, n, _ in named) | frozenset(f"{n}_async" for _, n, _ in named))
    for op, name, from_path in named:
        method = _method(ctx, name, op, from_path, scope)
        if method is not None:
            yield method


def _names(
    ctx: Context, resources: tuple[Resource, ...]
) -> Iterator[tuple[Operation, PythonIdentifier, bool]]:
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
            yield op, name, from_path


def _pointer(op: Operation) -> str:
    return pointer_join("", "paths", op.path.raw, op.http_method.lower())


def _method(
    ctx: Context, name: PythonIdentifier, op: Operation, from_path: bool, scope: Scope
) -> RestMethod | None:
    where = pointer_join(_pointer(op), "x-tinker-rest")
    fields = op.body.arguments if op.body else ()
    entries: list[tuple[PythonIdentifier, Type, Value | None, str]] = [
        (p.name, p.type, p.default, p.description) for p in op.params
    ] + [(f.name, f.type, f.default, f.description) for f in fields]
    arguments = [(str(n), str(n)) for n, _, _, _ in entries]
    summary = op.summary
    if from_path:
        filled = [p for p in op.params if p.location == "path"]
        if not filled or any(p.wire_name.raw not in TINKER_PATH_FIELDS for p in filled):
            ctx.fail(where, f"a tinker path cannot fill the path parameters of {op.path.raw}")
            return None
        by_name: dict[str, Param] = {p.name: p for p in filled}
        entries = [(PythonIdentifier("tinker_path"), STR, None, f"the checkpoint, as {TINKER_PATH_FORM}")] + [
            e for e in entries if e[0] not in by_name
        ]
        arguments = [(a, f"parsed.{by_name[a].wire_name.raw}" if a in by_name else e) for a, e in arguments]
        summary += " The checkpoint is given as a tinker path."
    entries.sort(key=lambda e: e[2] is not None)
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
    )
