"""Normalise stage of the build: a document as people write it becomes one in the house shape.

The rest of the build reads one shape: OpenAPI 3.1 schemas, every operation with one tag and an
operationId `<tag>.<method>`, PascalCase schema names. Here, before anything is named:

- OpenAPI 3.0 schemas: `nullable: true` becomes a `null` member (`type: [T, 'null']`, or an
  `anyOf` with `{type: 'null'}` when there is no `type`); boolean `exclusiveMinimum`/`Maximum`
  become the 3.1 numbers.
- An operation without tags goes to the resource `default`; with several, to its first tag.
- An operationId that is not `<tag>.<method>` becomes `<tag>.<its snake_case form>`; an
  operation without one gets `<method>_<path words>` (e.g. `get_pets_pet_id`).
- A schema name that is not PascalCase is made so (`pet-record` → `PetRecord`), every `$ref`
  to it rewritten; two names equal after that are a problem.

All rewriting is of a copy; the pointer → line map gains the new pointers, so problems found
later still name the line the spec wrote.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import Problem, SpecError, pointer_join
from ..ir import ClassName, PythonIdentifier
from ..load import Spec

DEFAULT_TAG = "default"
SCHEMAS = "/components/schemas"
_METHODS = ("get", "put", "post", "delete", "patch")


def normalise(spec: Spec) -> Spec:
    """`spec` in the house shape; raises SpecError when schema names collide once sanitised."""
    data: dict[str, Any] = copy.deepcopy(dict(spec.data))
    lines = dict(spec.lines)
    if str(data.get("openapi", "")).startswith("3.0"):
        _nullable(data)
    _operations(data)
    renames, problems = _schema_names(spec, data)
    if problems:
        raise SpecError(problems)
    if renames:
        data = _renamed(data, renames)
        for old, new in renames.items():
            old_pointer, new_pointer = pointer_join(SCHEMAS, old), pointer_join(SCHEMAS, new)
            for pointer, line in spec.lines.items():
                if pointer == old_pointer or pointer.startswith(old_pointer + "/"):
                    lines[new_pointer + pointer[len(old_pointer) :]] = line
    return replace(spec, data=data, lines=lines)


def _nullable(node: Any) -> None:
    """OpenAPI 3.0 schema keywords rewritten in place as their 3.1 equivalents."""
    if isinstance(node, list):
        for item in node:
            _nullable(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _nullable(value)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool) and node.pop(bound) and limit in node:
            node[bound] = node.pop(limit)
    if not isinstance(node.get("nullable"), bool):
        return
    if not node.pop("nullable"):
        return
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"].append(None)
    else:
        inner = {k: node.pop(k) for k in list(node) if k not in ("description", "default", "title")}
        node["anyOf"] = [inner, {"type": "null"}]


def _operations(data: dict[str, Any]) -> None:
    paths = data.get("paths") or {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            raw = item.get(method)
            if not isinstance(raw, dict):
                continue
            tags = raw.get("tags") or [DEFAULT_TAG]
            tag = str(tags[0])
            raw["tags"] = [tag]
            raw["operationId"] = f"{tag}.{_method_name(tag, raw.get('operationId'), method, path)}"


def _method_name(tag: str, operation_id: Any, method: str, path: str) -> str:
    if isinstance(operation_id, str) and operation_id:
        prefix, _, rest = operation_id.rpartition(".")
        if prefix == tag and rest:
            return rest  # already the house shape: left exactly as written
        return str(PythonIdentifier.sanitise(operation_id) or operation_id)
    words = "_".join([method, *re.findall(r"[A-Za-z0-9]+", path)])
    return str(PythonIdentifier.sanitise(words) or method)


def class_name(raw: str) -> str | None:
    """`raw` as a PascalCase class name (`pet-record`, `pet_record` → `PetRecord`); None if empty."""
    if ClassName.PATTERN.match(raw):
        return raw
    words = re.findall(r"[A-Za-z0-9]+", raw)
    text = "".join(w[:1].upper() + w[1:] for w in words)
    if not text:
        return None
    return text if text[0].isalpha() else "Model" + text


def _schema_names(spec: Spec, data: Mapping[str, Any]) -> tuple[dict[str, str], list[Problem]]:
    schemas = (data.get("components") or {}).get("schemas") or {}
    renames: dict[str, str] = {}
    owner: dict[str, str] = {}
    problems = []
    for name in schemas:
        new = class_name(name)
        where = pointer_join(SCHEMAS, name)
        if new is None:
            problems.append(spec.problem(where, f"schema name {name!r} cannot become a Python class name"))
            continue
        if new in owner:
            problems.append(
                spec.problem(where, f"schema name {name!r} becomes {new!r}, as {owner[new]!r} does; rename one")
            )
            continue
        owner[new] = name
        if new != name:
            renames[name] = new
    return renames, problems


def _renamed(data: Any, renames: Mapping[str, str]) -> Any:
    """A copy of `data` with the schemas renamed and every `$ref` to them rewritten."""
    refs = {_ref(old): _ref(new) for old, new in renames.items()}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            if isinstance(out.get("$ref"), str):
                out["$ref"] = _rewrite(out["$ref"], refs)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result = walk(data)
    schemas = result["components"]["schemas"]
    result["components"]["schemas"] = {renames.get(k, k): v for k, v in schemas.items()}
    return result


def _ref(name: str) -> str:
    return "#" + pointer_join(SCHEMAS, name)


def _rewrite(ref: str, refs: Mapping[str, str]) -> str:
    for old, new in refs.items():
        if ref == old or ref.startswith(old + "/"):
            return new + ref[len(old) :]
    return ref

