"""What every part of the build shares: the spec, the problems found, names and types."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from ..errors import Problem, pointer_join
from ..ir import ClassName, PythonIdentifier
from ..load import Spec
from ..paths import RUNTIME
from .types import TypeMapper

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SCHEMAS = "/components/schemas"
N = TypeVar("N", PythonIdentifier, ClassName)


def client_attributes() -> frozenset[str]:
    """Every name the runtime's client classes define: a resource attribute may not take one."""
    tree = ast.parse((RUNTIME / "_base_client.py").read_text())
    names = {"with_raw_response", "default_base_url"}  # added by the generated client classes
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name.endswith("Client")):
            continue
        for item in node.body:  # the class's own methods and attributes
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names.add(item.target.id)
            elif isinstance(item, ast.Assign):
                names.update(t.id for t in item.targets if isinstance(t, ast.Name))
        stored = [n for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)]
        names.update(n.attr for n in stored if ast.unparse(n.value) == "self")  # set by its methods
    return frozenset(names)


class Context:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.problems: list[Problem] = []
        self.schemas: Mapping[str, Any] = spec.data.get("components", {}).get("schemas", {})
        self.type_of = TypeMapper(spec, self.fail)
        self.paths: dict[str, str] = {}  # operation pointer → its path template

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append(self.spec.problem(pointer, message))

    def identifier(self, raw: str, pointer: str, what: str) -> PythonIdentifier | None:
        """`raw` (spec text) made into a Python name; a problem when nothing usable is left."""
        name = PythonIdentifier.sanitise(raw)
        if name is None:
            self.fail(pointer, f"{what} {raw!r} cannot become a Python identifier")
        return name

    def exact_identifier(self, raw: str, pointer: str, what: str) -> PythonIdentifier | None:
        """`raw` used as it is (a name the spec chose for Python); a problem if it cannot be."""
        return self._checked(PythonIdentifier, raw, pointer, what)

    def class_name(self, raw: str, pointer: str, what: str) -> ClassName | None:
        return self._checked(ClassName, raw, pointer, what)

    def _checked(self, kind: Callable[[str], N], raw: str, pointer: str, what: str) -> N | None:
        """`kind(raw)`, whose constructor refuses a bad name; the refusal becomes a problem."""
        try:
            return kind(raw)
        except ValueError as exc:
            self.fail(pointer, f"{what} {exc}")
            return None

    def operations(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every operation of the spec with its pointer, in document order."""
        for path, item in self.spec.data.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    pointer = pointer_join("", "paths", path, method)
                    self.paths[pointer] = path
                    yield pointer, item[method]

    def schema_name(self, ref: str) -> ClassName:
        """The class of a `#/components/schemas/X` reference.

        The models part reports a schema name that is no class name; the build fails then.
        """
        try:
            return ClassName(ref.rsplit("/", 1)[-1])
        except ValueError:
            return ClassName("Invalid")
