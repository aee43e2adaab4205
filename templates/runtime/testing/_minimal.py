"""A minimal valid instance of any response model, built by walking its pydantic fields.

Used for every operation the fake has no hand-written behaviour for: the answer is still
schema-valid (it is validated by the model before it is sent), whatever the spec adds.
"""

from __future__ import annotations

import datetime
import re
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, RootModel

__all__ = ["EPOCH", "minimal", "minimal_json"]

EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
_STRING_CANDIDATES = ("x", "tinker://fake-run:train:0/weights/0000", "0", "a@b.c", "https://fake.invalid/x")
_MAX_DEPTH = 12


def minimal_json(model: type[Any]) -> Any:
    """The JSON form of a minimal valid `model` (a pydantic model), checked by the model."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    value = model.model_validate(minimal(model))
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


def minimal(annotation: Any, constraints: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A small JSON-able value that `annotation` (with its constraints) accepts."""
    if depth > _MAX_DEPTH:
        return None
    found = dict(constraints or {})
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = get_args(annotation)
        for item in metadata:
            found.update(_constraints(item))
        return minimal(base, found, depth + 1)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation, depth)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
        return minimal(members[0], found, depth + 1) if members else None
    if origin in (list, set, frozenset) or annotation in (list, set):
        args = get_args(annotation)
        count = int(found.get("min_length") or 0)
        return [minimal(args[0] if args else Any, None, depth + 1) for _ in range(count)]
    if origin is tuple:
        return [minimal(arg, None, depth + 1) for arg in get_args(annotation) if arg is not Ellipsis]
    if origin is dict or annotation is dict:
        return {}
    return _scalar(annotation, found)


def _model(model: type[BaseModel], depth: int) -> Any:
    if issubclass(model, RootModel):
        field = model.model_fields["root"]
        if not field.is_required():
            return field.get_default(call_default_factory=True)
        return minimal(field.annotation, _field_constraints(field.metadata), depth + 1)
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if field.is_required():
            values[key] = minimal(field.annotation, _field_constraints(field.metadata), depth + 1)
        elif get_origin(field.annotation) is Literal:
            values[key] = field.get_default()  # a tag: unions find their member by it
    return values


def _scalar(annotation: Any, found: dict[str, Any]) -> Any:
    if annotation is bool:
        return False
    if annotation in (int, float):
        return _number(annotation, found)
    if annotation is str:
        return _string(found)
    if annotation is datetime.datetime:
        return EPOCH.isoformat()
    if annotation is datetime.date:
        return EPOCH.date().isoformat()
    if annotation is bytes:
        return ""
    return {}  # Any, object: anything goes


def _number(kind: type[Any], found: dict[str, Any]) -> Any:
    step = 1 if kind is int else 0.5
    value: Any = kind(0)
    if found.get("ge") is not None and value < found["ge"]:
        value = kind(found["ge"])
    if found.get("gt") is not None and value <= found["gt"]:
        value = kind(found["gt"]) + step
    if found.get("le") is not None and value > found["le"]:
        value = kind(found["le"])
    if found.get("lt") is not None and value >= found["lt"]:
        value = kind(found["lt"]) - step
    return value


def _string(found: dict[str, Any]) -> str:
    low = int(found.get("min_length") or 0)
    pattern = found.get("pattern")
    candidates = list(_STRING_CANDIDATES)
    if isinstance(pattern, str) and pattern.startswith("^") and re.fullmatch(r"\^[\w:/.-]+", pattern):
        candidates.insert(0, pattern[1:] + "x")
    for candidate in candidates:
        text = candidate * max(1, -(-low // len(candidate))) if low > len(candidate) else candidate
        if pattern is None or re.search(str(pattern), text):
            return text
    return "x" * max(low, 1)


def _field_constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        found.update(_constraints(item))
    return found


def _constraints(item: Any) -> dict[str, Any]:
    """The bounds and pattern one metadata object (annotated_types, Field, pydantic) carries."""
    found: dict[str, Any] = {}
    nested = getattr(item, "metadata", None)
    if isinstance(nested, list):
        found.update(_field_constraints(nested))
    for key in ("ge", "gt", "le", "lt", "min_length", "pattern"):
        value = getattr(item, key, None)
        if value is not None:
            found[key] = value
    return found
