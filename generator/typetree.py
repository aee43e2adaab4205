"""Python types as a small tree: each node knows its imports and renders itself for a scope.

A scope is what the code around an annotation shadows: in a class with a method named
`list`, the builtin is spelled `builtins.list`. Nothing downstream parses a type string;
the surface and the diff compare trees (`alternatives`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BUILTINS = "builtins"
TYPING = "typing"
DATETIME = "datetime"
MODELS = "types"  # the package's models module


@dataclass(frozen=True)
class Scope:
    """The names an annotation may not use bare: methods of the class it is written in."""

    shadowed: frozenset[str] = frozenset()


PLAIN = Scope()


@dataclass(frozen=True, order=True)
class Import:
    """`import module` (name None) or `from module import name`."""

    module: str
    name: str | None = None


class Type:
    """A node of the tree."""

    def render(self, scope: Scope = PLAIN) -> str:
        raise NotImplementedError

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        raise NotImplementedError

    def alternatives(self) -> frozenset[str]:
        """What a value of the type may be, one entry per union member or literal value."""
        return frozenset({self.render()})

    @property
    def nullable(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Named(Type):
    """A type by name: a builtin (`str`), `typing.Any`, `datetime.date`, a model class."""

    name: str
    module: str = BUILTINS

    def render(self, scope: Scope = PLAIN) -> str:
        if self.module == BUILTINS:
            return f"builtins.{self.name}" if self.name in scope.shadowed else self.name
        if self.module == DATETIME:
            return f"datetime.{self.name}"
        return self.name

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        if self.module == BUILTINS:
            if self.name in scope.shadowed:
                yield Import(BUILTINS)
        elif self.module == DATETIME:
            yield Import(DATETIME)
        else:
            yield Import(self.module, self.name)

    @property
    def model(self) -> str | None:
        return self.name if self.module == MODELS else None


@dataclass(frozen=True)
class Generic(Type):
    """A builtin generic: `list[X]`, `dict[K, V]`."""

    origin: str
    args: tuple[Type, ...]

    def render(self, scope: Scope = PLAIN) -> str:
        head = Named(self.origin).render(scope)
        return f"{head}[{', '.join(a.render(scope) for a in self.args)}]"

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        yield from Named(self.origin).imports(scope)
        for arg in self.args:
            yield from arg.imports(scope)


@dataclass(frozen=True)
class LiteralType(Type):
    values: tuple[Any, ...]

    def render(self, scope: Scope = PLAIN) -> str:
        return "Literal[" + ", ".join(repr(v) for v in self.values) + "]"

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        yield Import(TYPING, "Literal")

    def alternatives(self) -> frozenset[str]:
        return frozenset(f"Literal[{v!r}]" for v in self.values)


@dataclass(frozen=True)
class NoneType(Type):
    def render(self, scope: Scope = PLAIN) -> str:
        return "None"

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        return iter(())

    @property
    def nullable(self) -> bool:
        return True


@dataclass(frozen=True)
class Union(Type):
    """`A | B | None`; build it with `union()`, which flattens and puts None last."""

    members: tuple[Type, ...]

    def render(self, scope: Scope = PLAIN) -> str:
        return " | ".join(m.render(scope) for m in self.members)

    def imports(self, scope: Scope = PLAIN) -> Iterator[Import]:
        for member in self.members:
            yield from member.imports(scope)

    def alternatives(self) -> frozenset[str]:
        return frozenset().union(*(m.alternatives() for m in self.members))

    @property
    def nullable(self) -> bool:
        return any(m.nullable for m in self.members)


ANY = Named("Any", TYPING)
NONE = NoneType()
STR = Named("str")


def list_of(item: Type) -> Type:
    return Generic("list", (item,))


def dict_of(value: Type) -> Type:
    return Generic("dict", (STR, value))


def union(members: list[Type]) -> Type:
    """The union of `members`: nested unions flattened, duplicates dropped, None last."""
    flat: list[Type] = []
    for member in members:
        flat.extend(member.members if isinstance(member, Union) else [member])
    unique = [m for m in dict.fromkeys(flat) if m != NONE]
    if NONE in flat:
        unique.append(NONE)
    if not unique:
        return ANY
    return unique[0] if len(unique) == 1 else Union(tuple(unique))


def optional(member: Type) -> Type:
    return member if member.nullable else union([member, NONE])


def non_null(member: Type) -> Type:
    """`member` without its None alternative."""
    if isinstance(member, Union):
        return union([m for m in member.members if m != NONE])
    return member


def imports_of(types: list[Type], scope: Scope = PLAIN) -> frozenset[Import]:
    return frozenset(i for t in types for i in t.imports(scope))


def models_of(types: list[Type]) -> tuple[str, ...]:
    """The model classes the types mention, sorted."""
    return tuple(sorted({i.name for i in imports_of(types) if i.module == MODELS and i.name}))
