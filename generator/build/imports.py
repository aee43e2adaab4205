"""Import lines of generated modules, from the type tree and the runtime names a module uses.

Runtime names that only the module body uses are imported under private aliases
(`Endpoint as _Endpoint`), so no spec name can collide with them.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..typetree import BUILTINS, DATETIME, MODELS, TYPING, Import


def from_line(module: str, names: Iterable[str]) -> str:
    return f"from {module} import {', '.join(names)}"


def private(name: str) -> str:
    """`name` imported under its private alias."""
    return f"{name} as _{name}"


def standard_lines(
    imports: Iterable[Import], extra_typing: Iterable[str] = (), abc: Iterable[str] = ()
) -> list[str]:
    """`import builtins`, `import datetime`, `from typing import ...` as the types need them."""
    found = set(imports)
    lines = [f"import {module}" for module in (BUILTINS, DATETIME) if Import(module) in found]
    if abc:
        lines.append(from_line("collections.abc", abc))
    typing = sorted({i.name for i in found if i.module == TYPING and i.name} | set(extra_typing))
    if typing:
        lines.append(from_line(TYPING, typing))
    return lines


def model_names(imports: Iterable[Import]) -> tuple[str, ...]:
    return tuple(sorted({i.name for i in imports if i.module == MODELS and i.name}))
