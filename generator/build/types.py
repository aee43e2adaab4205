"""Schema → type tree: the one mapper for signatures, model fields and api.md.

It matches what the models stage (datamodel-code-generator) emits: `$ref`s to object schemas
are class names; enums and consts are Literals; unions, maps and arrays are spelled out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import pointer_join
from ..load import Spec
from ..typetree import ANY, MODELS, NONE, Generic, LiteralType, Named, Type, dict_of, list_of, union

_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_DATES = {"date": "date", "date-time": "datetime"}


class TypeMapper:
    def __init__(self, spec: Spec, fail: Callable[[str, str], None]) -> None:
        self.spec = spec
        self.fail = fail

    def __call__(self, schema: Mapping[str, Any], pointer: str) -> Type:
        """The Python type of a schema, matching what the models stage emits."""
        if "$ref" in schema:
            target = str(schema["$ref"])
            resolved = self.spec.get(target)
            if resolved.get("type") == "object" and "properties" in resolved:
                return Named(target.rsplit("/", 1)[1], MODELS)
            return self(resolved, target.lstrip("#"))
        if "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else list(schema["enum"])
            if not all(isinstance(v, (str, int)) for v in values):
                self.fail(pointer, "enum and const values must be strings, integers or booleans")
            return LiteralType(tuple(values))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return union([self(s, pointer_join(pointer, key, i)) for i, s in enumerate(schema[key])])
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        members = [self.of_kind(k, schema, pointer) for k in kinds if k != "null"]
        if not kinds:
            members = [ANY]
        if "null" in kinds:
            members.append(NONE)
        return union(members)

    def of_kind(self, kind: str, schema: Mapping[str, Any], pointer: str) -> Type:
        if kind == "string" and schema.get("format") in _DATES:
            return Named(_DATES[schema["format"]], "datetime")
        if kind in _PRIMITIVES:
            return Named(_PRIMITIVES[kind])
        if kind == "array" and isinstance(schema.get("prefixItems"), list):
            items = schema["prefixItems"]
            return Generic(
                "tuple", tuple(self(s, pointer_join(pointer, "prefixItems", i)) for i, s in enumerate(items))
            )
        if kind == "array":
            return list_of(self(schema.get("items", {}), pointer_join(pointer, "items")))
        if kind == "object":
            if "properties" in schema:
                self.fail(pointer, "an inline object with properties must be a components schema")
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and extra:
                return dict_of(self(extra, pointer_join(pointer, "additionalProperties")))
            return dict_of(ANY)
        return ANY
