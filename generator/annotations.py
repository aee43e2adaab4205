"""Schema → Python type, as code: the annotation a generated signature or model field has.

It matches what the models stage (datamodel-code-generator) emits: `$ref`s to object schemas
are class names; enums and consts are Literals; unions, maps and arrays are spelled out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import pointer_join
from .load import Spec

_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class Annotations:
    def __init__(self, spec: Spec, fail: Callable[[str, str], None]) -> None:
        self.spec = spec
        self.fail = fail

    def annotation(
        self, schema: Mapping[str, Any], pointer: str, shadowed: frozenset[str] = frozenset()
    ) -> str:
        """The Python type of a schema, as code, matching what the models stage emits."""
        if "$ref" in schema:
            target = str(schema["$ref"])
            name = target.rsplit("/", 1)[1]
            resolved = self.spec.get(target)
            if resolved.get("type") == "object" and "properties" in resolved:
                return name
            return self.annotation(resolved, target.lstrip("#"), shadowed)
        if "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else list(schema["enum"])
            if not all(isinstance(v, (str, int)) for v in values):
                self.fail(pointer, "enum and const values must be strings, integers or booleans")
            return "Literal[" + ", ".join(repr(v) for v in values) + "]"
        for key in ("anyOf", "oneOf"):
            if key in schema:
                members = [
                    self.annotation(s, pointer_join(pointer, key, i), shadowed)
                    for i, s in enumerate(schema[key])
                ]
                return union(members)
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        members = [self.annotation_of_type(k, schema, pointer, shadowed) for k in kinds if k != "null"]
        if not kinds:
            members = ["Any"]
        if "null" in kinds:
            members.append("None")
        return union(members)

    def annotation_of_type(
        self, kind: str, schema: Mapping[str, Any], pointer: str, shadowed: frozenset[str]
    ) -> str:
        def prefix(name: str) -> str:
            return f"builtins.{name}" if name in shadowed else name

        if kind == "string":
            return {"date": "datetime.date", "date-time": "datetime.datetime"}.get(
                schema.get("format", ""), "str"
            )
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind == "array":
            items = self.annotation(schema.get("items", {}), pointer_join(pointer, "items"), shadowed)
            return f"{prefix('list')}[{items}]"
        if kind == "object":
            if "properties" in schema:
                self.fail(pointer, "an inline object with properties must be a components schema")
            extra = schema.get("additionalProperties")
            value = "Any"
            if isinstance(extra, Mapping) and extra:
                value = self.annotation(extra, pointer_join(pointer, "additionalProperties"), shadowed)
            return f"{prefix('dict')}[str, {value}]"
        return "Any"


def union(members: list[str]) -> str:
    unique = list(dict.fromkeys(members))
    if "None" in unique:
        unique = [m for m in unique if m != "None"] + ["None"]
    return " | ".join(unique)


def optional(annotation: str) -> str:
    return annotation if nullable(annotation) else f"{annotation} | None"


def nullable(annotation: str) -> bool:
    return annotation.endswith("| None") or annotation == "None"
