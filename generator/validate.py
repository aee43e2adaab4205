"""The OpenAPI 3.1 validator, with each of its messages put at the node it is about.

openapi-spec-validator checks in two passes: the document against the OpenAPI meta-schema
(its errors carry a path), then semantic checks that walk paths, operations, parameters and
schemas (their errors carry none). The second pass runs here with every keyword check wrapped
so that an error records where the check was standing; that path, with `$ref`s followed, is the
pointer of the problem. Messages are made one line; the library's warnings are not shown.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import Problem, pointer_join

if TYPE_CHECKING:
    from .load import Spec

MAX_MESSAGE = 200


def openapi_problems(spec: Spec) -> Iterator[Problem]:
    """The validator's verdict on `spec`, every problem located; nothing when it is valid."""
    minor = str(spec.data.get("openapi", "")).split(".")[:2]
    if minor not in (["3", "0"], ["3", "1"]):
        yield spec.problem("/openapi", "only OpenAPI 3.0 and 3.1 documents are supported")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from _problems(spec, minor[1])


def _problems(spec: Spec, minor: str) -> Iterator[Problem]:
    import jsonschema

    validator = _validator_class(minor)(spec.data)
    structural = list(validator.schema_validator.iter_errors(spec.data))
    for error in structural:
        if error.context:
            error = jsonschema.exceptions.best_match([error, *error.context]) or error
        yield _structural_problem(spec, error)
    if structural:
        return  # the semantic checks assume a document of the right shape
    try:
        errors = list(validator.root_validator(validator.schema_path))
    except _Crash as crash:
        cause = crash.__cause__
        yield spec.problem(
            real_pointer(spec, crash.parts),
            one_line(f"the OpenAPI validator could not check this: {type(cause).__name__}: {cause}"),
        )
        return
    for error in errors:
        yield spec.problem(_semantic_pointer(spec, error), one_line(str(error.message)))


def _structural_problem(spec: Spec, error: Any) -> Problem:
    pointer = pointer_join("", *error.absolute_path)
    instance = error.instance
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, Mapping):
        unexpected = [key for key in instance if repr(key) in str(error.message)]
        if unexpected:
            pointer = pointer_join(pointer, unexpected[0])
    return spec.problem(pointer, one_line(str(error.message)))


def _semantic_pointer(spec: Spec, error: Any) -> str:
    parts: tuple[str, ...] = getattr(error, "tinker_parts", ())
    kind = getattr(error, "tinker_kind", "")
    name = type(error).__name__
    if kind == "default":
        parts = (*parts, "default")
    if name == "DuplicateOperationIDError":
        parts = (*parts, "operationId")
    elif name == "ExtraParametersError":
        parts = (*parts, "required")
    elif kind in ("parameters", "tags"):
        parts = (*parts, *_nth_named(spec, parts, str(error.message), 2))
    elif name == "UnresolvableParameterError":
        index = _nth_named(spec, (*parts, "parameters"), str(error.message), 1)
        parts = (*parts, "parameters", *index) if index else parts
    return real_pointer(spec, (*parts, *(str(p) for p in error.absolute_path)))


def _nth_named(spec: Spec, parts: tuple[str, ...], message: str, nth: int) -> tuple[str, ...]:
    """The index of the `nth` entry of the list at `parts` named as quoted in `message`."""
    quoted = re.search(r"'([^']*)'", message)
    try:
        entries = spec.get(real_pointer(spec, parts))
    except (KeyError, IndexError, ValueError, TypeError):
        return ()
    if not quoted or not isinstance(entries, list):
        return ()
    seen = 0
    for index, entry in enumerate(entries):
        node, _ = _follow(spec, entry, "")
        if isinstance(node, Mapping) and node.get("name") == quoted.group(1):
            seen += 1
            if seen == nth:
                return (str(index),)
    return ()


def real_pointer(spec: Spec, parts: Sequence[Any]) -> str:
    """The pointer of the node at `parts`, a path that may pass through `$ref`s."""
    node: Any = spec.data
    pointer = ""
    for part in parts:
        node, pointer = _follow(spec, node, pointer)
        if isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return pointer
        pointer = pointer_join(pointer, part)
    return pointer


def _follow(spec: Spec, node: Any, pointer: str) -> tuple[Any, str]:
    for _ in range(64):  # chains are already bounded and acyclic; this only guards
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            break
        try:
            node, pointer = spec.get(node["$ref"]), node["$ref"].lstrip("#")
        except (KeyError, IndexError, ValueError, TypeError):
            break
    return node, pointer


def one_line(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class _Crash(Exception):
    """The validator raised while checking the node at `parts`."""

    def __init__(self, parts: tuple[str, ...]) -> None:
        super().__init__(parts)
        self.parts = parts


@functools.cache
def _validator_class(minor: str = "1") -> Any:
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    chosen = OpenAPIV30SpecValidator if minor == "0" else OpenAPIV31SpecValidator

    def located(kind: str, base: Any) -> Any:
        def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            here = next((a for a in args if isinstance(a, SchemaPath)), None)
            parts = tuple(str(p) for p in here.parts) if here is not None else ()
            try:
                for error in base.__call__(self, *args, **kwargs):
                    if not hasattr(error, "tinker_parts"):
                        error.tinker_parts, error.tinker_kind = parts, kind
                    yield error
            except _Crash:
                raise
            except Exception as exc:
                raise _Crash(parts) from exc

        return type(f"Located{base.__name__}", (base,), {"__call__": __call__})

    keywords = {k: located(k, v) for k, v in chosen.keyword_validators.items()}
    return type("LocatedValidator", (chosen,), {"keyword_validators": keywords})
