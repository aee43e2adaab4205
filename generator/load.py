"""Load stage: YAML with line numbers, OpenAPI validation, $ref and extension checks.

The result is a `Spec`: plain data plus a map from JSON pointer to line, so that every
later problem can name the line it comes from. Nothing here builds names or code.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import cache
from .errors import Problem, SpecError, pointer_join
from .extensions import check_extensions
from .limits import MAX_FILE_BYTES, check_size, scan_yaml
from .refs import check_refs, walk_mappings
from .validate import one_line, openapi_problems

__all__ = ["Spec", "is_known_valid", "load", "read", "validate_openapi", "walk_mappings"]


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
    """Read, parse, check and validate the spec at `path`; raise SpecError listing all problems.

    What comes back is safe for the build: within the limits of `limits.py`, every `$ref` local,
    resolvable, of the right kind and acyclic, the extensions well-formed, and the document a
    valid OpenAPI 3.1 description.
    """
    spec = read(path, display_name)
    problems = validate_openapi(spec)
    if problems:
        raise SpecError(problems)
    return spec


def _nothing_to_generate(spec: Spec) -> Iterator[Problem]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = spec.data.get("paths") or {}
    if isinstance(paths, Mapping) and not any(
        isinstance(item, Mapping) and methods & set(item) for item in paths.values()
    ):
        yield spec.problem("/paths" if "paths" in spec.data else "", "the spec has no operations to generate")


def read(path: Path, display_name: str | None = None) -> Spec:
    """Parse the spec and check its limits, $refs and extensions, but not yet against OpenAPI 3.1."""
    name = display_name or str(path)
    raw = _read_bytes(path, name)
    data, lines, problems = parse_yaml(raw, name)
    spec = Spec(data, name, hashlib.sha256(raw).hexdigest(), lines)
    if problems:
        raise SpecError(problems)
    problems = list(check_refs(spec))
    if not problems:
        problems = [*check_extensions(spec, walk_mappings(spec.data, "")), *_nothing_to_generate(spec)]
    if problems:
        raise SpecError(problems)
    return spec


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError([Problem(name, 0, "", f"cannot read the spec: {reason}")]) from None
    too_big = check_size(len(raw), name)
    if too_big is not None:
        raise SpecError([too_big])
    return raw


def parse_yaml(raw: bytes, name: str) -> tuple[Any, dict[str, int], list[Problem]]:
    """Parse YAML into plain data and a pointer → line map, rejecting duplicate keys."""
    try:
        text = raw.decode("utf-8")
        over_limit = scan_yaml(text, name)
        if over_limit is not None:
            return None, {}, [over_limit]
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
        return None, {}, [Problem(name, line, "", one_line(f"invalid YAML: {message}"))]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(name, 1, "", one_line(f"invalid YAML: {exc}"))]
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
        """Plain data of `node`; the scan in `limits.py` has bounded its depth and size."""
        self.lines.setdefault(pointer, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, pointer) if isinstance(key_node, yaml.ScalarNode) else None
                child = pointer_join(pointer, str(key)) if key is not None else pointer
                line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    shown = repr(key) if isinstance(key_node, yaml.ScalarNode) else "that is a collection"
                    self.fail(line, child, f"key {one_line(shown)} must be a string; quote it")
                elif key in result:
                    self.fail(line, child, "duplicate key")
                self.lines[child] = line
                result[str(key)] = self.walk(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, pointer_join(pointer, i)) for i, item in enumerate(node.value)]
        return self.scalar(node, pointer)

    def scalar(self, node: yaml.Node, pointer: str) -> Any:
        """A JSON value: YAML's dates, binary and non-finite numbers are refused."""
        line = node.start_mark.line + 1
        try:
            value = self.loader.construct_object(node)
        except (ValueError, OverflowError):  # e.g. an integer of 5,000 digits
            shown = node.value if len(node.value) <= 20 else node.value[:20] + "..."
            kind = str(node.tag).rsplit(":", 1)[-1]
            self.fail(
                line, pointer, one_line(f"{shown} ({len(node.value):,} characters) is not a usable {kind}")
            )
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(line, pointer, f"{node.value} is not a JSON number")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            kind = {"bytes": "binary value", "datetime": "timestamp", "date": "date"}.get(
                type(value).__name__, "value"
            )
            self.fail(line, pointer, f"a YAML {kind} is not a JSON value; quote it")
        return value

    def fail(self, line: int, pointer: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, pointer, message))


def validate_openapi(spec: Spec) -> list[Problem]:
    """The OpenAPI validator's problems; a spec it found none in is remembered by its hash."""
    if is_known_valid(spec):
        return []
    problems = list(openapi_problems(spec))
    if not problems:
        cache.store("valid-spec", _validity_key(spec), "")
    return problems


def is_known_valid(spec: Spec) -> bool:
    return cache.lookup("valid-spec", _validity_key(spec)) is not None


def _validity_key(spec: Spec) -> str:
    from importlib.metadata import version

    here = Path(__file__).parent
    checks = [(here / name).read_text() for name in ("load.py", "limits.py", "refs.py", "validate.py")]
    return cache.key(version("openapi-spec-validator"), *checks, spec.sha256)
