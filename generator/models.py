"""Models stage: every components schema as a pydantic v2 model, via datamodel-code-generator.

Called in process with pinned options. The input document is rebuilt from the IR's models;
object schemas that do not say otherwise keep unknown keys (`extra="allow"`), so a newer
server's additive fields survive parsing. `additionalProperties: false` (request schemas)
still forbids them. A field with a default is not nullable unless the spec says so
(`strict_nullable`); the runtime validates response JSON in strict mode, so a value the
spec does not allow (`0` for a boolean, a number for a date-time) is refused.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import cache
from .errors import Problem, SpecError
from .ir import Api


def models_source(api: Api, header: str) -> str:
    """The source of `types.py` for `api` (unformatted: the format stage runs black)."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": "0"},
        "paths": {},
        "components": {"schemas": {m.name: _keep_extras(m.schema) for m in api.models}},
    }
    text = json.dumps(document)
    cache_key = cache.key(version("datamodel-code-generator"), Path(__file__).read_text(), text, header)
    source = cache.cached("models", cache_key, lambda: _generate(api.spec_file, text, header))
    source = add_aliases(source, {m.name: m.aliases for m in api.models if m.aliases})
    source = refuse_null(source, {m.name: fields for m in api.models if (fields := _not_nullable(m.schema))})
    return add_helpers(source, {m.name: m.schema["x-tinker-helpers"] for m in api.models if "x-tinker-helpers" in m.schema})


def add_helpers(source: str, helpers: Mapping[str, str]) -> str:
    """Each marked model inherits its x-tinker-helpers mixin (from the runtime's `_helpers.py`).

    The loader allows only the mixin names `_helpers.py` defines (extensions.py).
    """
    if not helpers:
        return source
    lines = source.splitlines()
    tree = ast.parse(source)
    last_import = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            last_import = node.end_lineno or node.lineno
        elif isinstance(node, ast.ClassDef) and node.name in helpers:
            line = node.lineno - 1
            lines[line] = lines[line].replace("(BaseModel)", f"({helpers[node.name]}, BaseModel)", 1)
    lines.insert(last_import, f"\nfrom ._helpers import {', '.join(sorted(set(helpers.values())))}")
    return "\n".join(lines) + "\n"


def refuse_null(source: str, fields: Mapping[str, frozenset[str]]) -> str:
    """Optional properties the spec does not make nullable refuse an explicit null.

    datamodel-code-generator writes them `x: T | None = None`, which also accepts `null`; the
    annotation gains the runtime's NOT_NULL validator, run only on values actually given.
    """
    if not fields:
        return source
    lines = source.splitlines()
    tree = ast.parse(source)
    last_import = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            last_import = node.end_lineno or node.lineno
        elif isinstance(node, ast.ClassDef) and node.name in fields:
            for item in node.body:
                if (
                    isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and item.target.id in fields[node.name]
                    and item.lineno == item.end_lineno
                    and isinstance(item.value, ast.Constant)
                    and item.value.value is None
                ):
                    line = lines[item.lineno - 1]
                    start, end = item.annotation.col_offset, item.annotation.end_col_offset or 0
                    lines[item.lineno - 1] = line[:start] + _with_not_null(line[start:end]) + line[end:]
    lines.insert(last_import, "\nfrom ._validators import NOT_NULL as _NOT_NULL")
    return "\n".join(lines) + "\n"


def _with_not_null(annotation: str) -> str:
    """`T | None` → `Annotated[T | None, _NOT_NULL]`; `Annotated[...]` gains `_NOT_NULL` last."""
    if annotation.startswith("Annotated[") and annotation.endswith("]"):
        return annotation[:-1] + ", _NOT_NULL]"
    return f"Annotated[{annotation}, _NOT_NULL]"


def _not_nullable(schema: Mapping[str, Any]) -> frozenset[str]:
    """The optional properties of an object schema without a default that may not be null."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, Mapping):
        return frozenset()
    required = set(schema.get("required", []))
    return frozenset(
        name
        for name, prop in properties.items()
        if name not in required and isinstance(prop, Mapping) and "default" not in prop and not _nullable(prop)
    )


def _nullable(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in schema and schema["const"] is None:
        return True
    if isinstance(schema.get("enum"), list) and None in schema["enum"]:
        return True
    members = [*schema.get("anyOf", []), *schema.get("oneOf", [])]
    return any(isinstance(m, Mapping) and _nullable(m) for m in members) or not (kind or members or "$ref" in schema or "const" in schema or "enum" in schema or "allOf" in schema)


def add_aliases(source: str, aliases: Mapping[str, tuple[tuple[str, str], ...]]) -> str:
    """Read-only alias properties (x-tinker-aliases) appended to their classes.

    The generated module is parsed, so each property lands at the end of its class and
    returns the aliased field's own annotation; names were validated in the build stage.
    """
    if not aliases:
        return source
    lines = source.splitlines()
    tree = ast.parse(source)
    inserts: list[tuple[int, list[str]]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in aliases:
            fields = {
                item.target.id: ast.get_source_segment(source, item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
            block = []
            for alias, target in aliases[node.name]:
                block += [
                    "",
                    "    @property",
                    f"    def {alias}(self) -> {_unannotated(fields[target])}:",
                    f'        """The same as `{target}`."""',
                    f"        return self.{target}",
                ]
            inserts.append((node.end_lineno or len(lines), block))
    for end, block in sorted(inserts, reverse=True):
        lines[end:end] = block
    return "\n".join(lines) + "\n"


def _unannotated(annotation: str | None) -> str:
    """`Annotated[X, Field(...)]` → `X`; anything else as it is."""
    node = ast.parse(annotation or "Any", mode="eval").body
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Annotated":
        first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return ast.unparse(first)
    return annotation or "Any"


def _generate(spec_file: str, document: str, header: str) -> str:
    from datamodel_code_generator import Error as CodegenError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            source = _run(document, header)
        except CodegenError as exc:
            problem = Problem(spec_file, 1, "/components/schemas", f"datamodel-code-generator: {exc}")
            raise SpecError([problem]) from None
    assert isinstance(source, str)
    return source


def _run(document: str, header: str) -> object:
    from datamodel_code_generator import InputFileType, LiteralType, generate
    from datamodel_code_generator.enums import DataModelType
    from datamodel_code_generator.format import DatetimeClassType, Formatter, PythonVersion

    return generate(
        document,
        input_file_type=InputFileType.OpenAPI,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_310,
        custom_file_header=header,
        disable_timestamp=True,
        enum_field_as_literal=LiteralType.All,
        collapse_root_models=True,
        use_annotated=True,
        use_union_operator=True,
        use_standard_collections=True,
        use_schema_description=True,
        use_field_description=True,
        use_typed_nullable_map_values=True,
        strict_nullable=True,
        field_constraints=True,
        output_datetime_class=DatetimeClassType.Datetime,
        formatters=[Formatter.ISORT],
    )


def _keep_extras(schema: Any) -> Any:
    """`schema` with `additionalProperties: true` on object schemas that leave it unset."""
    if isinstance(schema, Mapping):
        result = {key: _keep_extras(value) for key, value in schema.items()}
        if result.get("type") == "object" and "properties" in result:
            result.setdefault("additionalProperties", True)
            _default_required_literals(result)
        return result
    if isinstance(schema, list):
        return [_keep_extras(item) for item in schema]
    return schema


def _default_required_literals(schema: dict[str, Any]) -> None:
    """A required discriminator with a default (`type: {const: x, default: x}`) keeps its
    default in the model: the wire must carry it, the caller need not write it."""
    properties, required = schema["properties"], schema.get("required")
    if isinstance(properties, Mapping) and isinstance(required, list):
        schema["required"] = [
            name for name in required
            if not (isinstance(p := properties.get(name), Mapping) and "const" in p and p.get("default") == p["const"])
        ]
