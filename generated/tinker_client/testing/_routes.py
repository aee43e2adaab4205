"""The fake's routing table, read from the generated resources' `Endpoint` tables.

Every module of `tinker_client.resources` declares its operations as module constants
(`_CREATE_SESSION = Endpoint(...)`, and for a long-running one `_CREATE_SESSION_RESULT =
FutureSpec(...)`). Reading those, rather than a list written here, makes a new operation in
the spec appear in the fake with nothing else to change.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .._endpoint import Endpoint, Param
from .._futures import FutureSpec

__all__ = ["Match", "Operation", "RouteError", "Router", "discover"]

_PACKAGE = __name__.rpartition(".")[0].rpartition(".")[0]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: `name` is `<resource>.<method>`, e.g. `training.optim_step`."""

    name: str
    endpoint: Endpoint[Any]
    result: type[Any] | None  # what its future resolves to; None when it answers directly
    pattern: re.Pattern[str]
    literal_length: int  # characters of the path outside parameters: the more specific wins

    @property
    def method(self) -> str:
        return self.endpoint.method

    @property
    def path(self) -> str:
        return self.endpoint.path


@dataclass(frozen=True)
class Match:
    """A request matched to its operation, with its path and query arguments checked."""

    operation: Operation
    args: dict[str, object]


class RouteError(Exception):
    """A request the API would refuse before any work: `status` and a message."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def discover(package: str = _PACKAGE) -> dict[str, Operation]:
    """Every operation declared by `<package>.resources.*`, by name."""
    resources = importlib.import_module(f"{package}.resources")
    operations: dict[str, Operation] = {}
    for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.resources.{info.name}")
        names = vars(module)
        for const, value in sorted(names.items()):
            if not isinstance(value, Endpoint) or not const.startswith("_"):
                continue
            spec = names.get(f"{const}_RESULT")
            result = spec.result if isinstance(spec, FutureSpec) else None
            name = f"{info.name}.{const[1:].lower()}"
            operations[name] = _operation(name, value, result)
    return operations


def _operation(name: str, endpoint: Endpoint[Any], result: type[Any] | None) -> Operation:
    kinds = {p.wire: p for p in endpoint.params if p.location == "path"}
    regex, literal = "", 0
    for piece in re.split(r"(\{[^}]+\})", endpoint.path):
        if piece.startswith("{") and piece.endswith("}"):
            param = kinds.get(piece[1:-1])
            group = ".+" if param is not None and param.multi_segment else "[^/]+"
            regex += f"(?P<{_group(piece[1:-1])}>{group})"
        else:
            regex += re.escape(piece)
            literal += len(piece)
    return Operation(name, endpoint, result, re.compile(regex), literal)


def _group(wire: str) -> str:
    return "p_" + re.sub(r"\W", "_", wire)


class Router:
    """Finds the operation of a request and checks its path, query and header arguments."""

    def __init__(self, operations: Mapping[str, Operation]) -> None:
        self.operations = dict(operations)
        self._ordered = sorted(self.operations.values(), key=lambda o: (-o.literal_length, o.name))

    def match(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Match:
        """The operation and its arguments; RouteError 404/405/422 when the spec has no such call."""
        allowed: list[str] = []
        for operation in self._ordered:
            found = operation.pattern.fullmatch(path)
            if found is None:
                continue
            if operation.method != method:
                allowed.append(operation.method)
                continue
            return Match(operation, _arguments(operation, found, query, headers))
        if allowed:
            raise RouteError(
                405, f"{method} is not allowed on {path}", {"Allow": ", ".join(sorted(set(allowed)))}
            )
        raise RouteError(404, f"no route {method} {path}")


def _arguments(
    operation: Operation, found: re.Match[str], query: Mapping[str, str], headers: Mapping[str, str]
) -> dict[str, object]:
    lowered = {k.lower(): v for k, v in headers.items()}
    args: dict[str, object] = {}
    for param in operation.endpoint.params:
        if param.location == "path":
            text: str | None = unquote(found.group(_group(param.wire)))
        elif param.location == "query":
            text = query.get(param.wire)
        else:
            text = lowered.get(param.wire.lower())
        if text is None:
            continue
        args[param.wire] = _parse(param, text)
    return args


def _parse(param: Param, text: str) -> object:
    """The value of one parameter from its wire text; RouteError 422 when it is not of its kind."""
    value: object
    try:
        if param.kind == "int":
            value = int(text)
        elif param.kind == "float":
            value = float(text)
        elif param.kind == "bool":
            if text not in ("true", "false"):
                raise ValueError(text)
            value = text == "true"
        elif param.kind == "date":
            value = datetime.date.fromisoformat(text)
        else:
            value = text
    except ValueError:
        raise RouteError(422, f"{param.wire}: {text!r} is not a valid {param.kind}") from None
    if param.choices and value not in param.choices:
        allowed = ", ".join(repr(c) for c in param.choices)
        raise RouteError(422, f"{param.wire}: {text!r} is not one of {allowed}")
    return value
