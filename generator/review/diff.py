"""Judge the difference between two specs for the generated Python client.

Each rule looks at one kind of surface change and files it as BREAKING (code written against
the old client fails to import, call or type-check, or gets values it cannot handle), BEHAVIOUR
(the same code runs but does something else), or ADDITIVE. A surface change that no rule
explains is UNCLASSIFIED, and counts as breaking until a rule is written for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TypeVar

from .surface import KEYWORD, POSITIONAL, Field, Method, ModelSurface, Parameter, Surface, members

BREAKING, BEHAVIOUR, ADDITIVE, UNCLASSIFIED = "BREAKING", "BEHAVIOUR", "ADDITIVE", "UNCLASSIFIED"
CATEGORIES = (BREAKING, UNCLASSIFIED, BEHAVIOUR, ADDITIVE)
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    category: str
    rule: str
    symbol: str
    old: str | None
    new: str | None
    http: str
    where: str  # file:line in the spec that has the thing (the old one if it is gone)
    accepted: str | None = None  # the reason, when an accepted break


def compare(old: Surface, new: Surface) -> list[Change]:
    """Every classified change from `old` to `new`."""
    changes = _methods(old, new) + _models(old, new)
    explained = {_owner(c.symbol) for c in changes}
    for symbol in sorted(set(old.methods) & set(new.methods)):
        a, b = old.methods[symbol], new.methods[symbol]
        if symbol not in explained and _plain(a) != _plain(b):
            changes.append(_change(UNCLASSIFIED, "surface-changed", symbol, a.signature, b.signature, b, new))
    for name in sorted(set(old.models) & set(new.models)):
        before, after = old.models[name], new.models[name]
        if f"types.{name}" not in explained and _plain(before) != _plain(after):
            changes.append(
                Change(
                    UNCLASSIFIED,
                    "surface-changed",
                    f"types.{name}",
                    repr(before),
                    repr(after),
                    "",
                    _at(new, after.line),
                )
            )
    return changes


# ----------------------------------------------------------------- methods


def _methods(old: Surface, new: Surface) -> list[Change]:
    changes: list[Change] = []
    pairs, added = _match(
        [old.methods[s] for s in old.methods if s not in new.methods],
        [new.methods[s] for s in new.methods if s not in old.methods],
        lambda a, b: (
            a.http == b.http and a.group.startswith("RestClient") == b.group.startswith("RestClient")
        ),
    )
    for method, twin in pairs:
        if twin is None:
            changes.append(
                _change(BREAKING, "method-removed", method.symbol, method.signature, None, method, old)
            )
            continue
        rule = "method-renamed" if twin.group == method.group else "method-moved"
        changes.append(_change(BREAKING, rule, method.symbol, method.symbol, twin.symbol, twin, new))
    for method in added:
        changes.append(_change(ADDITIVE, "method-added", method.symbol, None, method.signature, method, new))
    for symbol in sorted(set(old.methods) & set(new.methods)):
        changes += _method(old.methods[symbol], new.methods[symbol], new)
    return changes


def _method(a: Method, b: Method, new: Surface) -> list[Change]:
    found: list[Change] = []

    def add(category: str, rule: str, old: str | None, new_text: str | None) -> None:
        found.append(_change(category, rule, b.symbol, old, new_text, b, new))

    if a.http != b.http:
        add(BEHAVIOUR, "endpoint-changed", a.http, b.http)
    if a.deprecated != b.deprecated:
        rule = "method-undeprecated" if b.deprecated is None else "method-deprecated"
        add(
            BEHAVIOUR,
            rule if a.deprecated is None or b.deprecated is None else "deprecation-changed",
            a.deprecated,
            b.deprecated,
        )
    if a.future != b.future:
        add(BREAKING, "future-result-changed", a.future, b.future)
    elif a.returns != b.returns:
        add(BREAKING, "return-type-changed", a.returns, b.returns)
    if a.pages != b.pages:
        category = ADDITIVE if a.pages is None else BREAKING
        add(category, "pagination-changed", a.pages, b.pages)
    found += [
        replace(c, symbol=f"{b.symbol}:{c.symbol}") for c in _parameters(a.parameters, b.parameters, b, new)
    ]
    return found


def _parameters(
    old: tuple[Parameter, ...], new: tuple[Parameter, ...], method: Method, surface: Surface
) -> list[Change]:
    found: list[Change] = []
    before = {p.name: p for p in old}
    after = {p.name: p for p in new}

    def add(category: str, rule: str, name: str, a: object, b: object) -> None:
        line = next((p.line for p in (*new, *old) if p.name == name and p.line), method.line)
        found.append(Change(category, rule, name, _text(a), _text(b), method.http, _at(surface, line)))

    pairs, fresh = _match(
        [p for p in old if p.name not in after],
        [p for p in new if p.name not in before],
        lambda p, q: p.type == q.type and _index(old, p) == _index(new, q),
    )
    for p, twin in pairs:
        if twin is not None:
            add(BREAKING, "parameter-renamed", p.name, p, twin)
        else:
            add(BREAKING, "parameter-removed", p.name, p, None)
    for p in fresh:
        add(
            BREAKING if p.required else ADDITIVE,
            "parameter-added-required" if p.required else "parameter-added",
            p.name,
            None,
            p,
        )
    for name in [p.name for p in old if p.name in after]:
        a, b = before[name], after[name]
        if a.kind != b.kind:
            add(
                BREAKING if b.kind == KEYWORD else ADDITIVE,
                "parameter-kind-changed",
                name,
                f"{a.kind}: {a}",
                f"{b.kind}: {b}",
            )
        if a.required != b.required:
            add(
                BREAKING if b.required else ADDITIVE,
                "parameter-made-required" if b.required else "parameter-made-optional",
                name,
                a,
                b,
            )
        elif a.default != b.default:
            add(BEHAVIOUR, "parameter-default-changed", name, a, b)
        old_types, new_types = members(a.type), members(b.type)
        if a.required != b.required:  # `| None` comes and goes with the default
            old_types, new_types = old_types - {"None"}, new_types - {"None"}
        if old_types != new_types:
            widened = new_types >= old_types
            add(
                ADDITIVE if widened else BREAKING,
                "parameter-type-widened" if widened else "parameter-type-changed",
                name,
                a,
                b,
            )
    order_old = [
        p.name for p in old if p.kind == POSITIONAL and p.name in after and after[p.name].kind == POSITIONAL
    ]
    order_new = [
        p.name for p in new if p.kind == POSITIONAL and p.name in before and before[p.name].kind == POSITIONAL
    ]
    if order_old != order_new:
        add(BREAKING, "parameters-reordered", "(positional)", ", ".join(order_old), ", ".join(order_new))
    return found


# ------------------------------------------------------------------ models


def _models(old: Surface, new: Surface) -> list[Change]:
    changes: list[Change] = []
    pairs, added = _match(
        [old.models[n] for n in old.models if n not in new.models],
        [new.models[n] for n in new.models if n not in old.models],
        lambda a, b: _shape(a) == _shape(b),
    )
    for model, twin in pairs:
        if twin is not None:
            changes.append(
                Change(
                    BREAKING,
                    "model-renamed",
                    f"types.{model.name}",
                    model.name,
                    twin.name,
                    "",
                    _at(new, twin.line),
                )
            )
        else:
            changes.append(
                Change(
                    BREAKING,
                    "model-removed",
                    f"types.{model.name}",
                    model.name,
                    None,
                    "",
                    _at(old, model.line),
                )
            )
    for model in added:
        changes.append(
            Change(ADDITIVE, "model-added", f"types.{model.name}", None, model.name, "", _at(new, model.line))
        )
    for name in sorted(set(old.models) & set(new.models)):
        changes += _model(old.models[name], new.models[name], new)
    return changes


def _model(a: ModelSurface, b: ModelSurface, surface: Surface) -> list[Change]:
    found: list[Change] = []
    response = "response" in a.roles | b.roles
    request = "request" in a.roles | b.roles

    def add(category: str, rule: str, symbol: str, old: object, new: object, line: int = b.line) -> None:
        found.append(
            Change(category, rule, f"types.{b.name}{symbol}", _text(old), _text(new), "", _at(surface, line))
        )

    if a.kind != b.kind:
        add(BREAKING, "model-kind-changed", "", a.kind, b.kind)
        return found
    if a.discriminator != b.discriminator:
        add(BREAKING, "discriminator-changed", "", a.discriminator, b.discriminator)
    for value in [m for m in a.members if m not in b.members]:
        add(BREAKING, "enum-value-removed" if a.kind == "enum" else "union-member-removed", "", value, None)
    for value in [m for m in b.members if m not in a.members]:
        rule = "enum-value-added" if b.kind == "enum" else "union-member-added"
        add(BREAKING if response else ADDITIVE, rule, "", None, value)
    before = {f.name: f for f in a.fields}
    after = {f.name: f for f in b.fields}
    for f in a.fields:
        if f.name not in after:
            add(BREAKING, "field-removed", f".{f.name}", f, None, b.line)
    for f in b.fields:
        if f.name not in before:
            required_request = f.required and request
            add(
                BREAKING if required_request else ADDITIVE,
                "request-field-added-required" if required_request else "field-added",
                f".{f.name}",
                None,
                f,
                f.line,
            )
    for name in [f.name for f in a.fields if f.name in after]:
        found += _field(before[name], after[name], b, request, response, surface)
    return found


def _field(
    a: Field, b: Field, model: ModelSurface, request: bool, response: bool, surface: Surface
) -> list[Change]:
    found: list[Change] = []

    def add(category: str, rule: str) -> None:
        found.append(
            Change(category, rule, f"types.{model.name}.{b.name}", str(a), str(b), "", _at(surface, b.line))
        )

    if a.required and not b.required:
        add(
            BREAKING if response else ADDITIVE,
            "response-field-made-optional" if response else "field-made-optional",
        )
    elif b.required and not a.required:
        add(
            BREAKING if request else ADDITIVE,
            "request-field-made-required" if request else "field-made-required",
        )
    elif a.default != b.default:
        add(BEHAVIOUR, "field-default-changed")
    old, new = members(a.type), members(b.type)
    if a.required != b.required:  # `| None` comes and goes with an optional field's absence
        old, new = old - {"None"}, new - {"None"}
    if old != new:
        literal = all(m.startswith("Literal[") or m == "None" for m in old | new)
        if "None" in new - old and response:
            add(BREAKING, "response-field-made-nullable")
        elif literal and old - new - {"None"}:
            add(BREAKING, "enum-value-removed")
        elif literal and new - old - {"None"}:
            add(BREAKING if response else ADDITIVE, "enum-value-added")
        elif new > old:
            add(BREAKING if response else ADDITIVE, "field-type-widened")
        elif new < old:
            add(BREAKING if request else BEHAVIOUR, "field-type-narrowed")
        else:
            add(BREAKING, "field-type-changed")
    return found


# ----------------------------------------------------------------- helpers


def _match(
    gone: list[T], fresh: list[T], same: Callable[[T, T], bool]
) -> tuple[list[tuple[T, T | None]], list[T]]:
    """Each gone item with the first fresh one that `same` calls its renamed twin (or None),
    and the fresh items left over: the rename matcher of methods, parameters and models."""
    left = list(fresh)
    pairs: list[tuple[T, T | None]] = []
    for item in gone:
        twin = next((candidate for candidate in left if same(item, candidate)), None)
        if twin is not None:
            left.remove(twin)
        pairs.append((item, twin))
    return pairs, left


def _change(
    category: str, rule: str, symbol: str, old: str | None, new: str | None, method: Method, surface: Surface
) -> Change:
    return Change(category, rule, symbol, old, new, method.http, _at(surface, method.line))


def _owner(symbol: str) -> str:
    """The method or model a change belongs to: `client.a.b:param` → `client.a.b`."""
    if symbol.startswith("types."):
        return ".".join(symbol.split(".")[:2])
    return symbol.split(":")[0]


def _at(surface: Surface, line: int) -> str:
    return f"{surface.spec_file}:{line}"


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _index(parameters: tuple[Parameter, ...], parameter: Parameter) -> int:
    return list(parameters).index(parameter)


def _shape(model: ModelSurface) -> object:
    """What a model is, apart from its name and place: for spotting a rename."""
    return (
        model.kind,
        tuple((f.name, f.annotation, f.required, f.default) for f in model.fields),
        model.members,
    )


def _plain(item: Method | ModelSurface) -> object:
    """`item` without its spec lines and roles (context, not surface), for the catch-all."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("line", "roles")}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return strip(asdict(item))
