"""The intermediate representation: plain frozen dataclasses, the only thing templates see.

Every name here is already a valid Python name and every piece of spec text that reaches
generated code is already escaped (`Value.code`, `docstring`). Templates only place them.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, Literal

from .typetree import Scope, Type


class PythonIdentifier(str):
    """A snake_case name that is safe as a Python identifier: ASCII, no keyword or soft keyword.

    The constructor refuses anything else (ValueError), so no unchecked path exists;
    `sanitise` turns spec text into one.
    """

    def __new__(cls, text: str) -> PythonIdentifier:
        if not _IDENTIFIER.match(text) or keyword.iskeyword(text) or keyword.issoftkeyword(text):
            raise ValueError(f"{text!r} is not a usable Python name (a keyword or not an identifier)")
        return super().__new__(cls, text)

    @classmethod
    def sanitise(cls, raw: str) -> PythonIdentifier | None:
        """`raw` made into an identifier, or None when nothing usable is left."""
        text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", raw)
        text = re.sub(r"[^A-Za-z0-9_]", "_", text).lower()
        if not text.strip("_") or not re.search(r"[a-z]", text):
            return None
        if text[0].isdigit():
            text = "n" + text
        if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in _ARGUMENT_CLASHES:
            text += "_"
        return cls(text)


class ClassName(str):
    """A PascalCase class name; the constructor refuses anything else (ValueError)."""

    PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]*$")

    def __new__(cls, text: str) -> ClassName:
        if not cls.PATTERN.match(text):
            raise ValueError(f"{text!r} must be a PascalCase Python class name")
        return super().__new__(cls, text)

    @classmethod
    def from_snake(cls, name: str) -> ClassName:
        return cls("".join(part.capitalize() for part in name.split("_") if part))


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names a generated argument must not take: the method's own `self` and `options`.
_ARGUMENT_CLASHES = frozenset({"self", "options"})


@dataclass(frozen=True)
class Value:
    """A literal from the spec and the Python code that evaluates to it (via repr)."""

    raw: Any
    code: str

    @classmethod
    def of(cls, raw: Any) -> Value:
        return cls(raw, repr(raw))


Section = tuple[str, tuple[tuple[str, str], ...]]  # ("Args", ((name, text), ...))


def docstring(*paragraphs: str, sections: tuple[Section, ...] = (), width: int = 80) -> str:
    """A triple-quoted docstring literal for spec text, escaped; black indents it later.

    Each paragraph may hold several (split on blank lines); each section is a Google-style
    block (`Args:` with one indented entry per name).
    """
    parts = [
        textwrap.fill(" ".join(chunk.split()), width)
        for paragraph in paragraphs
        for chunk in re.split(r"\n\s*\n", paragraph or "")
        if chunk.strip()
    ]
    for title, entries in sections:
        if entries:
            lines = [
                textwrap.fill(
                    ": ".join(part for part in (term, " ".join(text.split())) if part),
                    width,
                    initial_indent="    ",
                    subsequent_indent="        ",
                )
                for term, text in entries
            ]
            parts.append(f"{title}:\n" + "\n".join(lines))
    text = "\n\n".join(parts) or "Undocumented."
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = "".join(c if c == "\n" or c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    closing = "\n" if "\n" in text else ""
    return f'"""{text}{closing}"""'


ParamKind = Literal["str", "int", "float", "bool", "date"]
Location = Literal["path", "query", "header"]


@dataclass(frozen=True)
class Argument:
    """One argument of a generated signature, already rendered for its scope."""

    name: PythonIdentifier
    annotation: str
    default: Value | None

    def __str__(self) -> str:
        text = f"{self.name}: {self.annotation}"
        return text if self.default is None else f"{text} = {self.default.code}"


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter: an argument of the method."""

    name: PythonIdentifier
    wire_name: Value
    location: Location
    type: Type
    kind: ParamKind
    required: bool
    default: Value | None
    choices: Value | None
    multi_segment: bool
    description: str
    line: int = 0


@dataclass(frozen=True)
class BodyField:
    """A property of the request body: a keyword-only argument, or a value the client fills."""

    name: PythonIdentifier
    wire_name: Value
    type: Type
    required: bool
    default: Value | None
    value: str  # the expression sent: the argument, a fixed literal, or a client default
    is_argument: bool
    description: str
    line: int = 0


@dataclass(frozen=True)
class Body:
    model: ClassName
    fields: tuple[BodyField, ...]
    keep_null: Value  # wire names of required nullable fields, sent as null when None

    @property
    def arguments(self) -> tuple[BodyField, ...]:
        return tuple(f for f in self.fields if f.is_argument)


@dataclass(frozen=True)
class Future:
    result: ClassName
    request_type: Value


@dataclass(frozen=True)
class Redirect:
    result: ClassName
    url_field: Value
    expires_field: Value
    default_expiry_seconds: int


@dataclass(frozen=True)
class Pagination:
    items: Value  # the page's array field
    item: Type
    method: PythonIdentifier  # the generated iterator method, e.g. list_all
    docstring: str


@dataclass(frozen=True)
class Signature:
    """A method's arguments for one scope: positional ones, then keyword-only ones."""

    positional: tuple[Argument, ...]
    keyword: tuple[Argument, ...]
    call: tuple[tuple[str, str], ...]  # (wire name code, expression) of the request's arguments


@dataclass(frozen=True)
class Operation:
    name: PythonIdentifier
    resource: PythonIdentifier
    http_method: str
    path: Value
    docstring: str
    summary: str
    params: tuple[Param, ...]
    body: Body | None
    response: ClassName | None
    signature: Signature
    future: Future | None = None
    redirect: Redirect | None = None
    pagination: Pagination | None = None
    page_signature: Signature | None = None
    deprecated: Value | None = None  # the message the runtime warns with
    line: int = 0

    @property
    def endpoint_name(self) -> str:
        return "_" + self.name.upper()

    @property
    def future_name(self) -> str:
        return self.endpoint_name + "_RESULT"

    @property
    def return_annotation(self) -> str:
        """The type the server's answer parses to."""
        return self.response or "None"

    def returns(self, is_async: bool) -> str:
        """The type the generated method returns (futures wrap the answer in a handle)."""
        if self.future is not None:
            return f"{'AsyncFuture' if is_async else 'Future'}[{self.future.result}]"
        return self.return_annotation

    def page_returns(self, is_async: bool, scope: Scope) -> str:
        assert self.pagination is not None
        return f"{'AsyncIterator' if is_async else 'Iterator'}[{self.pagination.item.render(scope)}]"

    @property
    def client_call(self) -> str:
        """The client method the generated method delegates to."""
        return "start_future" if self.future else "request"


@dataclass(frozen=True)
class RestMethod:
    """A method of the RestClient facade: one resource method, maybe via a tinker path."""

    name: PythonIdentifier
    operation: Operation
    from_tinker_path: bool
    params: tuple[Argument, ...]
    types: tuple[Type, ...]  # of the params, for the surface and the imports
    arguments: tuple[tuple[str, str], ...]  # (resource method argument, expression)
    docstring: str
    keyword_only: int | None = None  # the index of the first keyword-only param, if any
    result_field: str | None = None  # the method answers this attribute of the response
    result_type: str | None = None  # its rendered type
    result_types: tuple[Type, ...] = ()  # its type, for the imports

    @property
    def returns(self) -> str:
        return self.result_type or self.operation.returns(is_async=False)

    @property
    def async_returns(self) -> str:
        return self.result_type or self.operation.returns(is_async=True)


@dataclass(frozen=True)
class Resource:
    name: PythonIdentifier
    class_name: ClassName
    async_class_name: ClassName
    docstring: str
    operations: tuple[Operation, ...]
    scope: Scope
    import_lines: tuple[str, ...]  # every import of the module, in order

    def class_name_for(self, is_async: bool, is_raw: bool) -> str:
        return f"{'Async' if is_async else ''}{self.class_name}{'WithRawResponse' if is_raw else ''}"


@dataclass(frozen=True)
class ModelField:
    """A property of an object model, as the generated class exposes it."""

    name: str
    type: Type
    required: bool
    default: Value | None
    line: int


ModelKind = Literal["object", "union", "enum", "other"]


@dataclass(frozen=True)
class Model:
    name: ClassName
    schema: dict[str, Any] = field(hash=False, compare=False)
    line: int = 0
    aliases: tuple[tuple[PythonIdentifier, str], ...] = ()  # (alias property, field it reads)
    kind: ModelKind = "other"
    fields: tuple[ModelField, ...] = ()
    members: tuple[Type, ...] = ()  # union members; enum values as literals
    discriminator: str | None = None
    roles: frozenset[str] = frozenset()  # "request" and/or "response"


@dataclass(frozen=True)
class Api:
    title: str
    docstring: str
    spec_file: str
    spec_sha256: str
    base_url: Value
    resources: tuple[Resource, ...]
    models: tuple[Model, ...]
    rest_methods: tuple[RestMethod, ...] = ()
    rest_import_lines: tuple[str, ...] = ()
    rest_model_imports: tuple[str, ...] = ()

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for resource in self.resources for op in resource.operations)

    @property
    def rest_resources(self) -> tuple[str, ...]:
        """The resources the RestClient methods call, in order of first use."""
        return tuple(dict.fromkeys(m.operation.resource for m in self.rest_methods))
