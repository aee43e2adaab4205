"""What one operation is on the wire, and turning a call's arguments into request parts.

Generated resource modules declare one `Endpoint` per operation; the sync and the async
resource share it. Everything here is free of I/O, so both clients use it unchanged.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, RootModel

from ._http import check_headers

T = TypeVar("T")

ParamKind = Literal["str", "int", "float", "bool", "date"]

__all__ = ["Endpoint", "Param", "Prepared", "Redirect", "RequestOptions", "prepare"]


class RequestOptions(TypedDict, total=False):
    """Per-call settings; every key is optional and overrides the client's value.

    timeout: seconds or an httpx.Timeout for this call.
    max_retries: retries of this call (0 turns retrying off).
    idempotency_key: sent as X-Idempotency-Key by every attempt of a non-GET call.
    headers: extra headers for this call.
    deadline: seconds the whole call may take, all attempts and reading included (None: no
        deadline); for a future, also how long `result()` polls when given no timeout.
    max_response_size: the largest response body accepted, in bytes.
    """

    timeout: float | httpx.Timeout | None
    deadline: float | None
    max_response_size: int
    max_retries: int
    idempotency_key: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Redirect:
    """The operation may answer with a redirect whose Location (and Expires) is the result."""

    url_field: str
    expires_field: str
    default_expiry_seconds: int = 900


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter: `name` is the Python argument, `wire` the name sent."""

    name: str
    wire: str
    location: Literal["path", "query", "header"]
    kind: ParamKind
    choices: tuple[object, ...] = ()
    multi_segment: bool = False


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One operation: HTTP method, path template, parameters, body model and result type.

    deprecated: why the operation is deprecated and what replaces it; calling it then warns
    (DeprecationWarning, once per operation and process).
    """

    method: str
    path: str
    response: type[T]
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    keep_null: tuple[str, ...] = ()
    redirect: Redirect | None = None
    deprecated: str | None = None
    wire_params: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wire_params", frozenset(p.wire for p in self.params))


@dataclass(frozen=True)
class Prepared:
    """The request parts of one call, checked and encoded, before any I/O."""

    method: str
    path: str
    query: dict[str, str]
    content: bytes | None
    headers: Mapping[str, str] = field(default_factory=dict)


def prepare(endpoint: Endpoint[Any], args: Mapping[str, object]) -> Prepared:
    """Check and encode `args` (keyed by wire name); raise TypeError/ValueError before sending.

    Body fields are validated by the endpoint's pydantic model, so a bad body argument
    raises `pydantic.ValidationError` (a ValueError) naming the field.
    """
    path = endpoint.path
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    for param in endpoint.params:
        value = args.get(param.wire)
        if param.location == "path":
            path = path.replace("{" + param.wire + "}", _path_value(param, value))
        elif value is not None:
            (headers if param.location == "header" else query)[param.wire] = _checked(param, value)
    if headers:
        check_headers(headers)
    content = None
    if endpoint.body is not None:
        values = {
            key: value
            for key, value in args.items()
            if key not in endpoint.wire_params and (value is not None or key in endpoint.keep_null)
        }
        content = encode_body(endpoint.body.model_validate(values), endpoint.keep_null)
    return Prepared(endpoint.method, path, query, content, headers)


def encode_body(model: BaseModel, keep_null: tuple[str, ...] = ()) -> bytes:
    """JSON of `model`: defaults included; None left out only where the model itself defaults
    a field to None (and it is not in `keep_null`). Null values of open keys (extra keys of a
    model, entries of a dict) are sent as they are.

    Serialized straight to bytes (no intermediate str): a large body is copied once.
    """
    exclude = _unset_nones(model, frozenset(keep_null))
    return type(model).__pydantic_serializer__.to_json(model, by_alias=True, exclude=exclude or None)


def _unset_nones(model: BaseModel, keep: frozenset[str] = frozenset()) -> dict[Any, Any]:
    """pydantic's `exclude` for the fields under `model` that are None by their default."""
    exclude: dict[Any, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            if not info.is_required() and info.default is None and name not in keep:
                exclude[name] = True
            continue
        inner = _nested(value)
        if inner:
            exclude[name] = inner
    return exclude


def _nested(value: object) -> dict[Any, Any]:
    if isinstance(value, BaseModel):
        root = getattr(value, "root", None) if isinstance(value, RootModel) else None
        return _nested(root) if root is not None else _unset_nones(value)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (BaseModel, list, tuple, dict)):
        found = {i: inner for i, item in enumerate(value) if (inner := _nested(item))}
        return found
    if isinstance(value, dict) and value:
        return {k: inner for k, item in value.items() if (inner := _nested(item))}
    return {}


def _path_value(param: Param, value: object) -> str:
    text = _checked(param, value)
    if not text:
        raise ValueError(f"{param.name} must not be empty")
    if not param.multi_segment:
        if text in (".", ".."):
            # A dot segment would be resolved away by URL normalisation: another endpoint.
            raise ValueError(f"{param.name} must not be {text!r}")
        return quote(text, safe=":@")
    segments = text.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError(f"{param.name} {text!r} has an empty, '.' or '..' segment")
    return "/".join(quote(segment, safe=":@") for segment in segments)


def _checked(param: Param, value: object) -> str:
    """`value` as wire text, after checking it against the parameter's kind and choices."""
    if param.choices and value not in param.choices:
        allowed = ", ".join(repr(c) for c in param.choices)
        raise ValueError(f"{param.name} must be one of {allowed}, not {value!r}")
    kind = param.kind
    if kind == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    if kind == "date" and isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    expected = {"date": "datetime.date"}.get(kind, kind)
    raise TypeError(f"{param.name} must be {expected}, not {type(value).__name__}")
