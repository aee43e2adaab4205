"""What every part of the build shares: the spec, the problems found, names and types."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from ..errors import Problem, pointer_join
from ..ir import ClassName, PythonIdentifier
from ..load import Spec
from .types import TypeMapper

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SCHEMAS = "/components/schemas"
N = TypeVar("N", PythonIdentifier, ClassName)


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
