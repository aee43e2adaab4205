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


class PythonIdentifier(str):
    """A snake_case identifier that is safe as a Python name (not a keyword, ASCII)."""

    @classmethod
    def sanitise(cls, raw: str) -> PythonIdentifier | None:
        """`raw` made into an identifier, or None when nothing usable is left."""
        text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", raw)
        text = re.sub(r"[^A-Za-z0-9_]", "_", text).lower()
        if not text.strip("_") or not re.search(r"[a-z]", text):
            return None
        if text[0].isdigit():
            text = "n" + text
        if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in _BUILTIN_CLASHES:
            text += "_"
        return cls(text)


class ClassName(str):
    """A PascalCase class name."""

    PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]*$")

    @classmethod
    def from_snake(cls, name: str) -> ClassName:
        return cls("".join(part.capitalize() for part in name.split("_") if part))


# Names a generated argument must not take: the method's own `self` and `options`.
_BUILTIN_CLASHES = frozenset({"self", "options"})


@dataclass(frozen=True)
class Value:
    """A literal from the spec and the Python code that evaluates to it (via repr)."""

    raw: Any
    code: str

    @classmethod
    def of(cls, raw: Any) -> Value:
        return cls(raw, repr(raw))


def docstring(*paragraphs: str, width: int = 80) -> str:
    """A triple-quoted docstring literal for spec text, escaped; black indents it later."""
    parts = [textwrap.fill(" ".join(p.split()), width) for p in paragraphs if p and p.strip()]
    text = "\n\n".join(parts) or "Undocumented."
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = "".join(c if c == "\n" or c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    closing = "\n" if "\n" in text else ""
    return f'"""{text}{closing}"""'


ParamKind = Literal["str", "int", "float", "bool", "date"]


@dataclass(frozen=True)
class Param:
    """A path or query parameter: an argument of the method."""

    name: PythonIdentifier
    wire_name: Value
    location: Literal["path", "query"]
    annotation: str
    kind: ParamKind
    required: bool
    default: Value | None
    choices: Value | None
    multi_segment: bool
    description: str
    line: int = 0


@dataclass(frozen=True)
class BodyField:
    """A property of the request body: a keyword-only argument, or a fixed literal."""

    name: PythonIdentifier
    wire_name: Value
    annotation: str
    required: bool
    default: Value | None
    fixed: Value | None
    description: str
    line: int = 0


@dataclass(frozen=True)
class Body:
    model: ClassName
    fields: tuple[BodyField, ...]
    keep_null: Value  # wire names of required nullable fields, sent as null when None

    @property
    def arguments(self) -> tuple[BodyField, ...]:
        return tuple(f for f in self.fields if f.fixed is None)


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
    item_annotation: str
    method: PythonIdentifier  # the generated iterator method, e.g. list_all


@dataclass(frozen=True)
class RestName:
    name: PythonIdentifier | None
    tinker_path: tuple[PythonIdentifier, ...]


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
    future: Future | None = None
    redirect: Redirect | None = None
    pagination: Pagination | None = None
    rest: RestName | None = None
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

    @property
    def client_call(self) -> str:
        """The client method the generated method delegates to."""
        return "start_future" if self.future else "request"

    @property
    def page_params(self) -> tuple[Param, ...]:
        """The parameters of the page iterator: all but the offset, which it advances."""
        return tuple(p for p in self.params if p.wire_name.raw != "offset")


@dataclass(frozen=True)
class RestParam:
    """A parameter of a RestClient method (all positional-or-keyword, as the seed documents)."""

    name: PythonIdentifier
    annotation: str
    default: Value | None


@dataclass(frozen=True)
class RestMethod:
    """A method of the seed RestClient facade: one resource method, maybe via a tinker path."""

    name: PythonIdentifier
    operation: Operation
    from_tinker_path: bool
    params: tuple[RestParam, ...]
    arguments: tuple[tuple[str, str], ...]  # (resource method argument, expression)
    docstring: str

    @property
    def returns(self) -> str:
        return self.operation.returns(is_async=False)

    @property
    def async_returns(self) -> str:
        return self.operation.returns(is_async=True)


@dataclass(frozen=True)
class Resource:
    name: PythonIdentifier
    class_name: ClassName
    async_class_name: ClassName
    docstring: str
    operations: tuple[Operation, ...]
    imports: tuple[str, ...]
    needs_builtins: bool
    needs_datetime: bool
    typing_imports: tuple[str, ...]

    @property
    def has_futures(self) -> bool:
        return any(op.future for op in self.operations)

    @property
    def has_pages(self) -> bool:
        return any(op.pagination for op in self.operations)

    @property
    def has_redirects(self) -> bool:
        return any(op.redirect for op in self.operations)

    def class_name_for(self, is_async: bool, is_raw: bool) -> str:
        return f"{'Async' if is_async else ''}{self.class_name}{'WithRawResponse' if is_raw else ''}"


@dataclass(frozen=True)
class ModelField:
    """A property of an object model, as the generated class exposes it."""

    name: str
    annotation: str
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
    members: tuple[str, ...] = ()  # union members (annotations), enum values (repr)
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

    @property
    def rest_annotations(self) -> str:
        return " ".join(m.returns + " " + " ".join(p.annotation for p in m.params) for m in self.rest_methods)

    @property
    def rest_typing_imports(self) -> tuple[str, ...]:
        names = ["TYPE_CHECKING"] if self.rest_imports else []
        return (*names, "Any", *(n for n in ("Literal",) if re.search(rf"\b{n}\b", self.rest_annotations)))

    @property
    def rest_needs_datetime(self) -> bool:
        return "datetime." in self.rest_annotations

    @property
    def rest_imports(self) -> tuple[str, ...]:
        """Model names the RestClient annotations mention."""
        text = self.rest_annotations
        names = {m.name for m in self.models}
        return tuple(sorted({n for n in re.findall(r"\b[A-Z][A-Za-z0-9]*\b", text) if n in names}))

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for resource in self.resources for op in resource.operations)
