"""The Python surface of the generated package, as plain comparable data.

One view serves two readers: `api.md` (rendered from it, committed, so a PR shows the API
diff) and `python -m generator diff` (which compares two of them rule by rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Api, Model, Operation, RestMethod
from ..typetree import LiteralType, Type

POSITIONAL = "positional"
KEYWORD = "keyword"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: Type
    kind: str  # POSITIONAL or KEYWORD
    default: str | None  # Python code; None when required
    line: int = 0

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def annotation(self) -> str:
        return self.type.render()

    def __str__(self) -> str:
        text = f"{self.name}: {self.annotation}"
        return text if self.default is None else f"{text} = {self.default}"


@dataclass(frozen=True)
class Method:
    symbol: str  # the Python call path, e.g. client.weights.save
    group: str  # the resource, or RestClient
    http: str  # e.g. POST /api/v1/save_weights
    parameters: tuple[Parameter, ...]
    returns: str
    future: str | None  # what a long-running operation resolves to
    pages: str | None  # the page iterator method, for paginated lists
    line: int
    deprecated: str | None = None  # the deprecation message

    @property
    def signature(self) -> str:
        positional = [str(p) for p in self.parameters if p.kind == POSITIONAL]
        keyword = [str(p) for p in self.parameters if p.kind == KEYWORD]
        parts = positional + (["*", *keyword] if keyword else [])
        return f"{self.symbol}({', '.join(parts)}) -> {self.returns}"


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    required: bool
    default: str | None
    line: int

    @property
    def annotation(self) -> str:
        return self.type.render()

    def __str__(self) -> str:
        text = f"{self.name}: {self.annotation}"
        if self.required:
            return f"{text} (required)"
        return f"{text} = {self.default}" if self.default is not None else f"{text} (optional)"


@dataclass(frozen=True)
class ModelSurface:
    name: str
    kind: str
    fields: tuple[Field, ...]
    members: tuple[str, ...]  # union members as types, enum values as Python literals
    discriminator: str | None
    roles: frozenset[str]
    line: int

    @property
    def role_text(self) -> str:
        return " and ".join(sorted(self.roles)) or "unused"


@dataclass(frozen=True)
class Surface:
    spec_file: str
    methods: dict[str, Method]
    models: dict[str, ModelSurface]


def surface(api: Api) -> Surface:
    methods = [_method(op) for op in api.operations] + [_rest_method(m) for m in api.rest_methods]
    return Surface(
        api.spec_file,
        {m.symbol: m for m in methods},
        {model.name: _model(model) for model in api.models},
    )


def _method(op: Operation) -> Method:
    parameters = [Parameter(p.name, p.type, POSITIONAL, _code(p.default), p.line) for p in op.params]
    if op.body is not None:
        parameters += [
            Parameter(f.name, f.type, KEYWORD, _code(f.default), f.line) for f in op.body.arguments
        ]
    return Method(
        symbol=f"client.{op.resource}.{op.name}",
        group=op.resource,
        http=f"{op.http_method} {op.path.raw}",
        parameters=tuple(parameters),
        returns=op.returns(is_async=False),
        future=op.future.result if op.future else None,
        pages=f"{op.pagination.method}() -> Iterator[{op.pagination.item}]" if op.pagination else None,
        line=op.line,
        deprecated=op.deprecated.raw if op.deprecated else None,
    )


def _rest_method(method: RestMethod) -> Method:
    op = method.operation
    return Method(
        symbol=f"RestClient.{method.name}",
        group="RestClient",
        http=f"{op.http_method} {op.path.raw}",
        parameters=tuple(
            Parameter(p.name, t, _rest_kind(method, i), _code(p.default), _line(p.name, op))
            for i, (p, t) in enumerate(zip(method.params, method.types, strict=True))
        ),
        returns=f"APIFuture[{method.returns}]",
        future=op.future.result if op.future else None,
        pages=None,
        line=op.line,
        deprecated=op.deprecated.raw if op.deprecated else None,
    )


def _rest_kind(method: RestMethod, index: int) -> str:
    keyword_only = method.keyword_only
    return KEYWORD if keyword_only is not None and index >= keyword_only else POSITIONAL


def _model(model: Model) -> ModelSurface:
    return ModelSurface(
        name=model.name,
        kind=model.kind,
        fields=tuple(Field(f.name, f.type, f.required, _code(f.default), f.line) for f in model.fields),
        members=tuple(_member(m) for m in model.members),
        discriminator=model.discriminator,
        roles=model.roles,
        line=model.line,
    )


def _line(name: str, op: Operation) -> int:
    """The spec line of the operation's parameter or body field `name` (else the operation's)."""
    lines: dict[str, int] = {p.name: p.line for p in op.params}
    lines.update({f.name: f.line for f in (op.body.fields if op.body else ())})
    return lines.get(name, op.line)


def _code(value: object) -> str | None:
    return None if value is None else str(getattr(value, "code", value))


def members(type_: Type) -> frozenset[str]:
    """The alternatives of a type: `Literal['a', 'b'] | None` → {"Literal['a']", "Literal['b']", "None"}."""
    return type_.alternatives()


def _member(member: Type) -> str:
    if isinstance(member, LiteralType) and len(member.values) == 1:
        return repr(member.values[0])
    return member.render()
