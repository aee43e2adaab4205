"""Load stage: YAML with line numbers, OpenAPI validation, $ref and extension checks.

The result is a `Spec`: plain data plus a map from JSON pointer to line, so that every
later problem can name the line it comes from. Nothing here builds names or code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import cache
from .errors import Problem, SpecError, pointer_join
from .extensions import check_extensions


@dataclass(frozen=True)
class Spec:
    """A loaded, validated OpenAPI document."""

    data: Mapping[str, Any]
    file: str
    sha256: str
    lines: Mapping[str, int]

    def line(self, pointer: str) -> int:
        """The line of `pointer`, or of its nearest ancestor that has one."""
        while pointer not in self.lines and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self.lines.get(pointer, 1)

    def problem(self, pointer: str, message: str) -> Problem:
        return Problem(self.file, self.line(pointer), pointer, message)

    def get(self, pointer: str) -> Any:
        """The value at a local JSON pointer (`#/...` or `/...`); KeyError if absent."""
        node: Any = self.data
        for raw in pointer.lstrip("#").split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow `$ref`s from `node` (at `pointer`) to the object and its pointer."""
        seen = set()
        while isinstance(node, Mapping) and "$ref" in node:
            target = str(node["$ref"])
            if target in seen:
                raise SpecError([self.problem(pointer, f"$ref cycle through {target}")])
            seen.add(target)
            node, pointer = self.get(target), target.lstrip("#")
        return node, pointer


def load(path: Path, display_name: str | None = None) -> Spec:
    """Read, parse and validate the spec at `path`; raise SpecError listing all problems."""
    spec = read(path, display_name)
    problems = validate_openapi(spec)
    if problems:
        raise SpecError(problems)
    return spec


def read(path: Path, display_name: str | None = None) -> Spec:
    """Parse the spec and check its $refs and extensions, but not yet against OpenAPI 3.1.

    `validate_openapi` is the slow rest; the pipeline runs it beside the build.
    """
    name = display_name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([Problem(name, 0, "", f"cannot read the spec: {exc.strerror}")]) from None
    data, lines, problems = parse_yaml(raw, name)
    spec = Spec(data, name, hashlib.sha256(raw).hexdigest(), lines)
    if problems:
        raise SpecError(problems)
    problems = list(_check_refs(spec))
    if not problems:
        problems = list(check_extensions(spec, walk_mappings(spec.data, "")))
    if problems:
        raise SpecError(problems)
    return spec


def parse_yaml(raw: bytes, name: str) -> tuple[Any, dict[str, int], list[Problem]]:
    """Parse YAML into plain data and a pointer → line map, rejecting duplicate keys."""
    try:
        text = raw.decode("utf-8")
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            walker = _Walker(loader, name)
            data = walker.walk(root, "") if root is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError as exc:
        return None, {}, [Problem(name, 1, "", f"the spec is not UTF-8: {exc.reason}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, {}, [Problem(name, line, "", f"invalid YAML: {message}")]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(name, 1, "", f"invalid YAML: {exc}")]
    if not isinstance(data, dict):
        walker.problems.append(Problem(name, 1, "", "the spec must be a YAML mapping"))
    return data, walker.lines, walker.problems


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class _Walker:
    def __init__(self, loader: Any, name: str) -> None:
        self.loader = loader
        self.name = name
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []

    def walk(self, node: yaml.Node, pointer: str) -> Any:
        self.lines.setdefault(pointer, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node)
                child = pointer_join(pointer, str(key))
                line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    self.problems.append(
                        Problem(self.name, line, child, f"key {key!r} must be a string; quote it")
                    )
                elif key in result:
                    self.problems.append(Problem(self.name, line, child, "duplicate key"))
                self.lines[child] = line
                result[str(key)] = self.walk(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, pointer_join(pointer, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node)


def validate_openapi(spec: Spec) -> list[Problem]:
    """The OpenAPI validator's problems; a spec it found none in is remembered by its hash."""
    if is_known_valid(spec):
        return []
    problems = list(_validate_openapi(spec))
    if not problems:
        cache.store("valid-spec", _validity_key(spec), "")
    return problems


def is_known_valid(spec: Spec) -> bool:
    return cache.lookup("valid-spec", _validity_key(spec)) is not None


def _validity_key(spec: Spec) -> str:
    from importlib.metadata import version

    return cache.key(version("openapi-spec-validator"), Path(__file__).read_text(), spec.sha256)


def _validate_openapi(spec: Spec) -> Iterator[Problem]:
    from openapi_spec_validator import OpenAPIV31SpecValidator
    from openapi_spec_validator.validation import exceptions as validator_errors

    # Semantic errors the validator reports without a location; the build stage reports
    # the same problems with their line and pointer.
    located_by_build = (
        validator_errors.DuplicateOperationIDError,
        validator_errors.ExtraParametersError,
        validator_errors.ParameterDuplicateError,
        validator_errors.UnresolvableParameterError,
    )
    if str(spec.data.get("openapi", "")).split(".")[:2] != ["3", "1"]:
        yield spec.problem("/openapi", "only OpenAPI 3.1 documents are supported")
        return
    try:
        errors = list(OpenAPIV31SpecValidator(spec.data).iter_errors())
    except Exception as exc:  # the validator trips on some malformed documents
        yield spec.problem("", f"the OpenAPI validator could not check the document: {exc}")
        return
    for error in errors:
        if isinstance(error, located_by_build):
            continue
        pointer = pointer_join("", *error.absolute_path) if error.absolute_path else ""
        message = str(error.message).splitlines()[0]
        if len(message) > 200:
            message = message[:197] + "..."
        yield spec.problem(pointer, message)


def _check_refs(spec: Spec) -> Iterator[Problem]:
    for pointer, node in walk_mappings(spec.data, ""):
        ref = node.get("$ref")
        if ref is None:
            continue
        where = pointer_join(pointer, "$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            yield spec.problem(where, f"only local references (#/...) are supported, not {ref!r}")
            continue
        try:
            spec.get(ref)
        except (KeyError, IndexError, ValueError, TypeError):
            yield spec.problem(where, f"dangling $ref: {ref} does not exist")


def walk_mappings(node: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every mapping in `node`, depth first, with its pointer."""
    if isinstance(node, Mapping):
        yield pointer, node
        for key, value in node.items():
            yield from walk_mappings(value, pointer_join(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_mappings(value, pointer_join(pointer, index))
