"""The x-tinker-* vendor extensions: where each may stand and the shape of its value.

Each entry is documented in README.md ("Extension reference"); keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import Problem, pointer_join


class Located(Protocol):
    """What the checks need of a loaded spec: a way to locate a problem."""

    def problem(self, pointer: str, message: str) -> Problem: ...


_IDENTIFIER = {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"}
_REF = {
    "type": "object",
    "required": ["$ref"],
    "additionalProperties": False,
    "properties": {"$ref": {"type": "string", "pattern": "^#/components/schemas/[^/]+$"}},
}

OPERATION = "operation"
PARAMETER = "parameter"
SCHEMA = "components schema"
PROPERTY = "components schema property"
CLIENT_VERSION = "client-version"

EXTENSIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "x-tinker-future": (
        OPERATION,
        {
            "type": "object",
            "required": ["result", "request-type"],
            "additionalProperties": False,
            "properties": {
                "result": _REF,
                "request-type": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]*$"},
            },
        },
    ),
    "x-tinker-redirect": (
        OPERATION,
        {
            "type": "object",
            "required": ["result", "url-field", "expires-field"],
            "additionalProperties": False,
            "properties": {
                "result": _REF,
                "url-field": _IDENTIFIER,
                "expires-field": _IDENTIFIER,
                "default-expiry-seconds": {"type": "integer", "minimum": 1},
            },
        },
    ),
    "x-tinker-pagination": (
        OPERATION,
        {
            "type": "object",
            "required": ["items"],
            "additionalProperties": False,
            "properties": {"items": _IDENTIFIER},
        },
    ),
    "x-tinker-rest": (
        OPERATION,
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "name": _IDENTIFIER,
                "tinker-path": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _IDENTIFIER},
                # The `name` method's signature, in order: a wire name (a parameter's or a body
                # property's) keeps its argument, {name, from} renames one, "*" starts the
                # keyword-only ones; arguments left out are not sent.
                "params": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "anyOf": [
                            {"type": "string", "minLength": 1},
                            {
                                "type": "object",
                                "required": ["name", "from"],
                                "additionalProperties": False,
                                "properties": {
                                    "name": _IDENTIFIER,
                                    "from": {"type": "string", "minLength": 1},
                                },
                            },
                        ]
                    },
                },
                # The `name` method takes the whole request body as one model argument so named.
                "request": _IDENTIFIER,
                # The `name` method answers this (required) property of the response, not the model.
                "result-field": _IDENTIFIER,
            },
            "dependentRequired": {"params": ["name"], "request": ["name"], "result-field": ["name"]},
        },
    ),
    "x-tinker-aliases": (
        SCHEMA,
        {"type": "object", "minProperties": 1, "additionalProperties": _IDENTIFIER},
    ),
    "x-tinker-multi-segment": (PARAMETER, {"type": "boolean"}),
    "x-tinker-default": (PROPERTY, {"enum": [CLIENT_VERSION]}),
    # A data-helper mixin of the runtime's _helpers.py the model inherits; a fixed list, so
    # spec text never names code.
    "x-tinker-helpers": (
        SCHEMA,
        {"type": "string", "enum": ["ModelInputHelpers", "TensorDataHelpers", "DatumHelpers"]},
    ),
}

_PLACES = {
    OPERATION: re.compile(r"^/paths/[^/]+/(get|put|post|delete|patch|head|options|trace)$"),
    PARAMETER: re.compile(r"^(/components/parameters/[^/]+|/paths/[^/]+(/[a-z]+)?/parameters/\d+)$"),
    SCHEMA: re.compile(r"^/components/schemas/[^/]+$"),
    PROPERTY: re.compile(r"^/components/schemas/[^/]+/properties/[^/]+$"),
}


def check_extensions(spec: Located, mappings: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[Problem]:
    """Every x-tinker-* key among `mappings` (pointer, node): known, in its place, well-shaped."""
    for pointer, node in mappings:
        for key, value in node.items():
            if not key.startswith("x-tinker-"):
                continue
            where = pointer_join(pointer, key)
            if key not in EXTENSIONS:
                known = ", ".join(sorted(EXTENSIONS))
                yield spec.problem(where, f"unknown extension {key}; known: {known}")
                continue
            place, schema = EXTENSIONS[key]
            if not _PLACES[place].match(pointer):
                yield spec.problem(where, f"{key} belongs on {place} objects")
                continue
            yield from _check_value(spec, where, schema, value)


def _check_value(spec: Located, where: str, schema: Mapping[str, Any], value: Any) -> Iterator[Problem]:
    from jsonschema import Draft202012Validator

    for error in Draft202012Validator(schema).iter_errors(value):
        yield spec.problem(pointer_join(where, *error.absolute_path), f"invalid value: {error.message}")


# ------------------------------------------------- decoded records (values already checked)


@dataclass(frozen=True)
class FutureExtension:
    result: str  # the schema the future resolves to
    request_type: str


@dataclass(frozen=True)
class RedirectExtension:
    result: str  # the $ref of the result schema
    url_field: str
    expires_field: str
    default_expiry_seconds: int


@dataclass(frozen=True)
class PaginationExtension:
    items: str


KEYWORD_ONLY = "*"  # in x-tinker-rest params: the arguments after it are keyword-only


@dataclass(frozen=True)
class RestParam:
    name: str  # the RestClient argument (KEYWORD_ONLY for the marker)
    source: str  # the wire name of the parameter or body property it fills


@dataclass(frozen=True)
class RestExtension:
    name: str | None
    tinker_path: tuple[str, ...]
    params: tuple[RestParam, ...] | None = None
    request: str | None = None
    result_field: str | None = None


@dataclass(frozen=True)
class OperationExtensions:
    future: FutureExtension | None
    redirect: RedirectExtension | None
    pagination: PaginationExtension | None
    rest: RestExtension | None


def operation_extensions(operation: Mapping[str, Any]) -> OperationExtensions:
    """The x-tinker-* records of an operation whose extensions passed `check_extensions`."""
    future = operation.get("x-tinker-future")
    redirect = operation.get("x-tinker-redirect")
    pages = operation.get("x-tinker-pagination")
    rest = operation.get("x-tinker-rest")
    return OperationExtensions(
        future=FutureExtension(_schema_name(future["result"]), future["request-type"]) if future else None,
        redirect=RedirectExtension(
            redirect["result"]["$ref"],
            redirect["url-field"],
            redirect["expires-field"],
            int(redirect.get("default-expiry-seconds", 900)),
        )
        if redirect
        else None,
        pagination=PaginationExtension(pages["items"]) if pages else None,
        rest=_rest(rest) if rest else None,
    )


def _rest(rest: Mapping[str, Any]) -> RestExtension:
    params = rest.get("params")
    return RestExtension(
        rest.get("name"),
        tuple(rest.get("tinker-path", [])),
        tuple(_rest_param(p) for p in params) if params is not None else None,
        rest.get("request"),
        rest.get("result-field"),
    )


def _rest_param(item: str | Mapping[str, str]) -> RestParam:
    if isinstance(item, str):
        return RestParam(item, item)
    return RestParam(item["name"], item["from"])


def client_default(schema: Mapping[str, Any]) -> str | None:
    """The x-tinker-default of a body property: a value the client fills in when not given."""
    value = schema.get("x-tinker-default")
    return str(value) if value is not None else None


def _schema_name(ref: Mapping[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[1]
