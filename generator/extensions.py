"""The x-tinker-* vendor extensions: where each may stand and the shape of its value.

Each entry is documented in README.md ("Extension reference"); keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .errors import Problem, pointer_join

if TYPE_CHECKING:
    from .load import Spec

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
            },
        },
    ),
    "x-tinker-aliases": (
        SCHEMA,
        {"type": "object", "minProperties": 1, "additionalProperties": _IDENTIFIER},
    ),
    "x-tinker-multi-segment": (PARAMETER, {"type": "boolean"}),
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
}


def check_extensions(spec: Spec) -> Iterator[Problem]:
    """Every x-tinker-* key: known, in its place, and of the documented shape."""
    from .load import walk_mappings

    for pointer, node in walk_mappings(spec.data, ""):
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


def _check_value(spec: Spec, where: str, schema: Mapping[str, Any], value: Any) -> Iterator[Problem]:
    from jsonschema import Draft202012Validator

    for error in Draft202012Validator(schema).iter_errors(value):
        yield spec.problem(pointer_join(where, *error.absolute_path), f"invalid value: {error.message}")
