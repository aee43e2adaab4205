"""The extensions part: the loader's x-tinker-* records become IR, checked against the schemas."""

from __future__ import annotations

from ..errors import pointer_join
from ..extensions import FutureExtension, PaginationExtension, RedirectExtension
from ..ir import Body, ClassName, Future, Pagination, Param, PythonIdentifier, Redirect, Value
from . import docs
from .context import SCHEMAS, Context


def future(ctx: Context, ext: FutureExtension | None) -> Future | None:
    if ext is None:
        return None
    return Future(ctx.schema_name(ext.result), Value.of(ext.request_type))


def redirect(ctx: Context, pointer: str, ext: RedirectExtension | None) -> Redirect | None:
    if ext is None:
        return None
    props = ctx.spec.get(ext.result).get("properties", {})
    for key, field in (("url-field", ext.url_field), ("expires-field", ext.expires_field)):
        if field not in props:
            ctx.fail(
                pointer_join(pointer, "x-tinker-redirect", key), f"{ext.result} has no property {field!r}"
            )
    return Redirect(
        ctx.schema_name(ext.result),
        Value.of(ext.url_field),
        Value.of(ext.expires_field),
        ext.default_expiry_seconds,
    )


def pagination(
    ctx: Context,
    pointer: str,
    name: PythonIdentifier,
    params: tuple[Param, ...],
    body: Body | None,
    response: ClassName | None,
    ext: PaginationExtension | None,
) -> Pagination | None:
    if ext is None:
        return None
    where = pointer_join(pointer, "x-tinker-pagination")
    query = {p.wire_name.raw for p in params if p.location == "query"}
    if not {"limit", "offset"} <= query:
        ctx.fail(where, "a paginated operation needs 'limit' and 'offset' query parameters")
    schema = ctx.schemas.get(response or "", {}).get("properties", {}).get(ext.items, {})
    if schema.get("type") != "array":
        ctx.fail(pointer_join(where, "items"), f"the response {response} has no array property {ext.items!r}")
        return None
    item = ctx.type_of(schema.get("items", {}), pointer_join(SCHEMAS, str(response), "properties", ext.items))
    return Pagination(
        Value.of(ext.items),
        item,
        PythonIdentifier(f"{name}_all"),
        docs.pages(name, page_params(params), body, str(item)),
    )


def page_params(params: tuple[Param, ...]) -> tuple[Param, ...]:
    """The parameters of the page iterator: all but the offset, which it advances."""
    return tuple(p for p in params if p.wire_name.raw != "offset")
