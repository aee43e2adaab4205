"""Build stage: the loaded spec becomes the IR, with every naming and typing decision made here.

In parts over a shared `Context`: models, operations (grouped into resources), the
extensions' records and the RestClient facade. Problems are collected with their location
and raised together as a SpecError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError, pointer_join
from ..ir import Api, ClassName, Model, Operation, PythonIdentifier, Resource, Value, docstring
from ..load import Spec
from ..typetree import MODELS, Named, Scope, Type, imports_of
from .context import Context, client_attributes
from .imports import from_line, model_names, private, standard_lines
from .models import models
from .normalise import normalise
from .operations import CLIENT_VERSION_NAME, method_name, operation
from .rest import rest_methods

__all__ = ["build"]


def build(spec: Spec) -> Api:
    """The IR of `spec`; raises SpecError with every problem found."""
    spec = normalise(spec)
    ctx = Context(spec)
    model_list = tuple(models(ctx))
    resources = _resources(ctx, frozenset(m.name for m in model_list))
    _check_class_names(ctx, model_list, resources)
    rest = tuple(rest_methods(ctx, resources))
    servers = spec.data.get("servers") or [{}]
    base_url = str(servers[0].get("url", ""))
    if not re.match(r"^https?://", base_url):
        base_url = ""  # relative or none: the caller gives base_url (or the environment does)
    title = str(spec.data["info"]["title"])
    if ctx.problems:
        raise SpecError(ctx.problems)
    rest_types = [t for m in rest for t in (*m.types, *m.result_types, *_models_of(m.operation))]
    rest_models = model_names(imports_of(rest_types))
    return Api(
        title=title,
        docstring=docstring(
            f"Typed Python client of the {title}.",
            "Start with Tinker(api_key=...) or AsyncTinker(api_key=...). Models live in"
            " .types; resources load on first use, so importing the package stays light.",
        ),
        spec_file=spec.file,
        spec_sha256=spec.sha256,
        base_url=Value.of(base_url.rstrip("/")),
        resources=resources,
        models=model_list,
        rest_methods=rest,
        rest_import_lines=tuple(
            standard_lines(imports_of(rest_types), ["Any", *(["TYPE_CHECKING"] if rest_models else [])])
        ),
        rest_model_imports=rest_models,
    )


def _resources(ctx: Context, model_names: frozenset[str]) -> tuple[Resource, ...]:
    by_tag: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for pointer, raw in ctx.operations():
        tags = raw.get("tags", [])
        if len(tags) != 1:
            ctx.fail(pointer_join(pointer, "tags"), "an operation needs exactly one tag (its resource)")
            continue
        by_tag.setdefault(str(tags[0]), []).append((pointer, raw))
    docs = {str(t.get("name")): str(t.get("description", "")) for t in ctx.spec.data.get("tags", [])}
    found = []
    taken = client_attributes()
    for tag, entries in by_tag.items():
        where = pointer_join(entries[0][0], "tags", 0)
        name = ctx.identifier(tag, where, "tag")
        if name in taken:
            ctx.fail(where, f"tag {tag!r} would hide the client's own {name!r}; rename the tag")
        elif name is not None:
            found.append(_resource(ctx, tag, name, entries, docs.get(tag, ""), model_names))
    return tuple(found)


def _resource(
    ctx: Context,
    tag: str,
    name: PythonIdentifier,
    entries: list[tuple[str, Mapping[str, Any]]],
    doc: str,
    model_names: frozenset[str],
) -> Resource:
    methods = {method_name(ctx, pointer, raw) for pointer, raw in entries}
    scope = Scope(frozenset(str(m) for m in methods if m) | frozenset(f"{m}_all" for m in methods if m))
    seen: dict[str, str] = {}
    operations = []
    for pointer, raw in entries:
        op = operation(ctx, pointer, name, raw, scope)
        if op is None:
            continue
        for method in (op.name, op.pagination.method if op.pagination else None):
            if method is not None and method in seen:
                ctx.fail(
                    pointer_join(pointer, "operationId"),
                    f"duplicate method name {method!r} in resource {name!r} (also {seen[method]})",
                )
            if method is not None:
                seen[method] = pointer
        operations.append(op)
    class_name = _resource_class(name, model_names)
    return Resource(
        name=name,
        class_name=class_name,
        async_class_name=ClassName("Async" + class_name),
        docstring=docstring(doc or f"The {tag} operations."),
        operations=tuple(operations),
        scope=scope,
        import_lines=_resource_imports(operations, scope),
    )


def _resource_class(name: PythonIdentifier, model_names: frozenset[str]) -> ClassName:
    """The resource's class: the tag in PascalCase, `...Resource` when a model has that name.

    The resource module imports models by name; a class of its own with a model's name would
    shadow it (tag `pet`, model `Pet`). The suffix is taken only then, so that the names of a
    spec without the clash stay as they were.
    """
    plain = ClassName.from_snake(name)
    variants = {f"{a}{plain}{r}" for a in ("", "Async") for r in ("", "WithRawResponse")}
    return ClassName(plain + "Resource") if variants & model_names else plain


def _models_of(op: Operation) -> list[Type]:
    """Every model class an operation's module code names, as types."""
    names = [op.response, op.body.model if op.body else None, op.future.result if op.future else None]
    return [Named(n, MODELS) for n in names if n]


def _resource_imports(operations: list[Operation], scope: Scope) -> tuple[str, ...]:
    types: list[Type] = []
    for op in operations:
        types += [p.type for p in op.params] + [f.type for f in (op.body.arguments if op.body else ())]
        types += [op.pagination.item] if op.pagination else []
        types += _models_of(op)
    imports = imports_of(types, scope)
    pages = any(op.pagination for op in operations)
    lines = standard_lines(imports, abc=["AsyncIterator", "Iterator"] if pages else [])
    endpoint = [private("Endpoint")]
    endpoint += [private("Param")] if any(op.params for op in operations) else []
    endpoint += [private("Redirect")] if any(op.redirect for op in operations) else []
    lines += ["", from_line(".._endpoint", [*endpoint, "RequestOptions"])]
    if any(op.future for op in operations):
        lines.append(from_line(".._futures", ["AsyncFuture", "Future", private("FutureSpec")]))
    lines.append(from_line(".._resource", [private("AsyncResource"), private("SyncResource")]))
    lines.append(from_line(".._response", [private("to_async_raw"), private("to_raw")]))
    if any(CLIENT_VERSION_NAME in f.value for op in operations for f in (op.body.fields if op.body else ())):
        lines.append(from_line(".._version", [f"__version__ as {CLIENT_VERSION_NAME}"]))
    if model_names(imports):
        lines.append(from_line("..types", model_names(imports)))
    return tuple(lines)


def _check_class_names(ctx: Context, models: tuple[Model, ...], resources: tuple[Resource, ...]) -> None:
    """A model may not take the name of a class its resource module defines."""
    taken: dict[str, str] = {
        r.class_name_for(a, raw): r.name for r in resources for a in (False, True) for raw in (False, True)
    }
    taken.update({"RestClient": "rest_client", "ServiceClient": "rest_client"})
    for model in models:
        if model.name in taken:
            where = pointer_join("/components/schemas", model.name)
            ctx.fail(
                where, f"schema name {model.name!r} is a class of the generated {taken[model.name]} module"
            )
