"""Hypothesis strategies and validators read from spec/tinker.yaml, for tests/test_properties.py.

`values(schema)` draws JSON values valid for one schema of the spec, for the subset of JSON
Schema the spec uses (types and type lists, const, enum, anyOf/oneOf, objects, arrays with
prefixItems, string length, pattern and format, numeric bounds); every drawn value is checked
again by the 2020-12 validator (`Spec.valid`), so the builder cannot silently drift from the
schemas. `operations()` lists the spec's operations with what a test needs of each.
"""

from __future__ import annotations

import base64
import datetime
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from hypothesis import strategies as st

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "tinker.yaml"
MAX_DEPTH = 4  # below this, objects carry their required properties only and arrays are short
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
WORDS = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)


def _required_unless_defaulted(validator: Any, required: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    for name in required:
        if name not in instance and "default" not in properties.get(name, {}):
            yield jsonschema.ValidationError(f"{name!r} is a required property")


Lenient = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"required": _required_unless_defaulted}
)


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: `call` is `tag.method`, as on the client."""

    call: str
    method: str
    path: str
    params: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None
    response: dict[str, Any] | None
    future_result: dict[str, Any] | None


class Spec:
    """The spec document, its `$ref`s resolved on demand."""

    def __init__(self, path: Path = SPEC_PATH, *, extras: bool = False) -> None:
        """`extras`: objects that allow unknown properties get some (as a newer server sends)."""
        self.extras = extras
        self.doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._validators: dict[tuple[int, bool], tuple[Any, Any]] = {}

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    @cached_property
    def _registry_root(self) -> dict[str, Any]:
        return {"components": self.doc["components"]}

    def validator(self, schema: dict[str, Any], *, lenient: bool = False) -> Any:
        """A 2020-12 validator of `schema`, whose `#/components/...` refs resolve in the spec.

        `lenient`: the spec as spec/README.md has the client read it, a required property
        with a default (a union member's tag) may be absent.
        """
        key = (id(schema), lenient)
        cached = self._validators.get(key)
        if cached is None or cached[0] is not schema:
            root = {**self._registry_root, **schema}
            checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
            cached = (
                schema,
                (Lenient if lenient else jsonschema.Draft202012Validator)(root, format_checker=checker),
            )
            self._validators[key] = cached
        return cached[1]

    def valid(self, schema: dict[str, Any], value: Any) -> bool:
        return bool(self.validator(schema).is_valid(value))

    def operations(self) -> list[Operation]:
        return list(self._operations())

    def _operations(self) -> Iterator[Operation]:
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method not in ("get", "put", "post", "delete", "patch"):
                    continue
                params = tuple(self.resolve(p) for p in op.get("parameters", ()))
                body = self._json_schema(op.get("requestBody"))
                ok = self.resolve(op["responses"].get("200", {}))
                future = op.get("x-tinker-future")
                yield Operation(
                    op["operationId"],
                    method.upper(),
                    path,
                    params,
                    body,
                    self._json_schema(ok),
                    future["result"] if future else None,
                )

    def _json_schema(self, holder: Any) -> dict[str, Any] | None:
        holder = self.resolve(holder)
        if not holder:
            return None
        media = holder.get("content", {}).get("application/json")
        return None if media is None else dict(media["schema"])

    # ------------------------------------------------------------------ strategies

    def values(self, schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
        """JSON values valid for `schema` (checked by the validator as they are drawn)."""
        return self._values(schema, depth).filter(lambda v: self.valid(schema, v))

    def _values(self, schema: Any, depth: int) -> st.SearchStrategy[Any]:
        schema = self.resolve(schema)
        if schema is True or schema == {}:
            return st.one_of(st.none(), st.booleans(), st.integers(-5, 5), WORDS)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return st.one_of([self._values(member, depth + 1) for member in schema[key]])
        kinds = schema.get("type", "object" if "properties" in schema else None)
        if isinstance(kinds, list):
            return st.one_of([self._typed(kind, schema, depth) for kind in kinds])
        if kinds is None:
            return st.none()
        return self._typed(kinds, schema, depth)

    def _typed(self, kind: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        builder: Callable[[dict[str, Any], int], st.SearchStrategy[Any]] = getattr(self, "_" + kind)
        return builder(schema, depth)

    def _null(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        return st.none()

    def _boolean(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        return st.booleans()

    def _integer(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        low = schema.get("minimum", -(2**40))
        return st.integers(low, schema.get("maximum", low + 2**41))

    def _number(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        low, high = schema.get("minimum", -1e9), schema.get("maximum", 1e9)
        return st.one_of(st.floats(low, high, allow_nan=False), st.integers(int(low), int(high)))

    def _string(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        fmt = schema.get("format")
        if fmt == "date-time":
            moments = st.datetimes(
                min_value=datetime.datetime(1990, 1, 1),
                max_value=datetime.datetime(2100, 1, 1),
                timezones=st.sampled_from([datetime.UTC, datetime.timezone(datetime.timedelta(hours=-5))]),
            )
            return moments.map(lambda m: m.isoformat().replace("+00:00", "Z"))
        if fmt == "date":
            return st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 1, 1)).map(datetime.date.isoformat)
        if schema.get("contentEncoding") == "base64":
            return st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
        if "pattern" in schema:
            return st.from_regex(schema["pattern"]).filter(lambda s: len(s) >= schema.get("minLength", 0))
        return TEXT.filter(lambda s: len(s) >= schema.get("minLength", 0))

    def _array(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if "prefixItems" in schema:
            return st.tuples(*(self._values(s, depth + 1) for s in schema["prefixItems"])).map(list)
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", low + (1 if depth >= MAX_DEPTH else 3))
        return st.lists(self._values(schema.get("items", {}), depth + 1), min_size=low, max_size=high)

    def _object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        optional = sorted(set(properties) - required) if depth < MAX_DEPTH else []
        fixed = {name: self._values(properties[name], depth + 1) for name in properties if name in required}
        chosen = st.fixed_dictionaries(
            fixed, optional={n: self._values(properties[n], depth + 1) for n in optional}
        )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra and depth < MAX_DEPTH:
            more = st.dictionaries(
                WORDS.filter(lambda k: k not in properties), self._values(extra, depth + 1), max_size=2
            )
            return st.tuples(chosen, more).map(lambda pair: {**pair[1], **pair[0]})
        if self.extras and extra in (None, True) and depth < MAX_DEPTH:
            unknown = st.dictionaries(WORDS.map("x_".__add__), self._values(True, depth + 1), max_size=1)
            return st.tuples(chosen, unknown).map(lambda pair: {**pair[1], **pair[0]})
        return chosen

    # ------------------------------------------------------------------ invalid answers

    def breakages(self, schema: Any, value: Any) -> st.SearchStrategy[Any]:
        """Variants of the valid object `value` that `schema` rejects: a property (at any depth)
        removed or given a value of another JSON type, or the whole value replaced.

        null replaces only a property whose removal the schema rejects too: a null optional
        property is the known models defect that tests/test_properties.py marks xfail.
        """
        candidates: list[tuple[Any, Any]] = [([value], None), ("not an object", None), (7, None)]
        candidates += _broken(value)
        return st.sampled_from(candidates).filter(lambda c: self._rejects(schema, *c)).map(lambda c: c[0])

    def _rejects(self, schema: Any, variant: Any, without: Any) -> bool:
        def valid(value: Any) -> bool:
            return bool(self.validator(schema, lenient=True).is_valid(value))

        return not valid(variant) and (without is None or not valid(without))


def _broken(value: Any, depth: int = 0) -> Iterator[tuple[Any, Any]]:
    """(variant, None) pairs of `value` with one property, at any depth, removed or of another
    JSON type; for a null property, (variant, the variant without that property)."""
    if depth > MAX_DEPTH + 2:
        return
    if isinstance(value, dict):
        for key in sorted(value):
            removed = {k: v for k, v in value.items() if k != key}
            yield removed, None
            yield {**value, key: None}, removed
            for wrong in ([["x"]], {"x": {}}, "x", 12345, True):
                yield {**value, key: wrong}, None
            for inner, without in _broken(value[key], depth + 1):
                yield {**value, key: inner}, (None if without is None else {**value, key: without})
    elif isinstance(value, list) and value:
        for inner, without in _broken(value[0], depth + 1):
            yield [inner, *value[1:]], (None if without is None else [without, *value[1:]])
