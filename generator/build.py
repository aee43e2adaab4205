"""Build stage: the validated spec becomes the IR, with every naming decision made here.

Problems are collected with their location and raised together as a SpecError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .annotations import Annotations, nullable, optional
from .errors import Problem, SpecError, pointer_join
from .ir import (
    Api,
    Body,
    BodyField,
    ClassName,
    Future,
    Model,
    ModelField,
    Operation,
    Pagination,
    Param,
    ParamKind,
    PythonIdentifier,
    Redirect,
    Resource,
    RestMethod,
    RestName,
    RestParam,
    Value,
    docstring,
)
from .load import Spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SCHEMAS = "/components/schemas"
# Names the resource modules import from the runtime; a model may not take them.
RESERVED_REST_NAMES = frozenset({"close", "client"})
TINKER_PATH_FIELDS = frozenset({"training_run_id", "checkpoint_id"})
TINKER_PATH_FORM = "tinker://<training_run_id>/<weights|sampler_weights|external_weights>/<name>"
RESERVED_CLASS_NAMES = frozenset({"Endpoint", "PathParam", "RequestOptions", "SyncResource", "AsyncResource"})
_PARAM_KINDS: dict[str, ParamKind] = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def build(spec: Spec) -> Api:
    """The IR of `spec`; raises SpecError with every problem found."""
    builder = _Builder(spec)
    api = builder.api()
    if builder.problems:
        raise SpecError(builder.problems)
    return api


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.problems: list[Problem] = []
        self.schemas: Mapping[str, Any] = spec.data.get("components", {}).get("schemas", {})
        self.annotation = Annotations(spec, self.fail).annotation

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append(self.spec.problem(pointer, message))

    # ------------------------------------------------------------------ api

    def api(self) -> Api:
        models = tuple(self.models())
        by_tag: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
        for pointer, operation in self.raw_operations():
            tags = operation.get("tags", [])
            if len(tags) != 1:
                self.fail(pointer_join(pointer, "tags"), "an operation needs exactly one tag (its resource)")
                continue
            by_tag.setdefault(tags[0], []).append((pointer, tags[0], operation))
        tag_docs = {t["name"]: t.get("description", "") for t in self.spec.data.get("tags", [])}
        resources = tuple(
            self.resource(tag, entries, tag_docs.get(tag, "")) for tag, entries in by_tag.items()
        )
        rest_methods = tuple(self.rest_methods(resources))
        servers = self.spec.data.get("servers") or [{}]
        base_url = servers[0].get("url", "")
        if not re.match(r"^https?://", base_url):
            self.fail("/servers/0/url", "servers[0].url must be an absolute http(s) URL")
        return Api(
            title=str(self.spec.data["info"]["title"]),
            docstring=docstring(
                f"Typed Python client of the {self.spec.data['info']['title']}.",
                "Start with Tinker(api_key=...) or AsyncTinker(api_key=...). Models live in"
                " .types; resources load on first use, so importing the package stays light.",
            ),
            spec_file=self.spec.file,
            spec_sha256=self.spec.sha256,
            base_url=Value.of(base_url.rstrip("/")),
            resources=resources,
            models=models,
            rest_methods=rest_methods,
        )

    def raw_operations(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for path, item in self.spec.data.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    yield pointer_join("", "paths", path, method), item[method]

    def models(self) -> Iterator[Model]:
        roles = self.roles()
        for name, schema in self.schemas.items():
            pointer = pointer_join(SCHEMAS, name)
            if not ClassName.PATTERN.match(name):
                self.fail(pointer, f"schema name {name!r} must be a PascalCase Python class name")
            elif name in RESERVED_CLASS_NAMES:
                self.fail(pointer, f"schema name {name!r} is reserved by the generated runtime")
            else:
                yield self.model(name, pointer, schema, roles.get(name, frozenset()))

    def model(self, name: str, pointer: str, schema: Mapping[str, Any], roles: frozenset[str]) -> Model:
        """A model with the surface facts the API report and the diff compare."""
        kind: Any = "other"
        fields: list[ModelField] = []
        members: list[str] = []
        discriminator = schema.get("discriminator", {}).get("propertyName")
        if schema.get("type") == "object" and "properties" in schema:
            kind = "object"
            required = set(schema.get("required", []))
            for prop, prop_schema in schema["properties"].items():
                where = pointer_join(pointer, "properties", prop)
                default = prop_schema.get("default")
                # a required discriminator with a default is filled in by the model (models.py)
                needed = prop in required and not ("const" in prop_schema and default == prop_schema["const"])
                fields.append(
                    ModelField(
                        name=prop,
                        annotation=self.annotation(prop_schema, where),
                        required=needed,
                        default=None if needed or default is None else Value.of(default),
                        line=self.spec.line(where),
                    )
                )
        elif "oneOf" in schema or "anyOf" in schema:
            kind = "union"
            key = "oneOf" if "oneOf" in schema else "anyOf"
            members = [self.annotation(m, pointer_join(pointer, key, i)) for i, m in enumerate(schema[key])]
        elif "enum" in schema:
            kind = "enum"
            members = [repr(v) for v in schema["enum"]]
        return Model(
            ClassName(name),
            dict(schema),
            self.spec.line(pointer),
            self.aliases(pointer, schema),
            kind,
            tuple(fields),
            tuple(members),
            discriminator,
            roles,
        )

    def roles(self) -> dict[str, frozenset[str]]:
        """For each schema, whether requests send it, responses carry it, or both."""
        found: dict[str, set[str]] = {}
        for pointer, raw in self.raw_operations():
            path_item = self.spec.get(pointer.rsplit("/", 1)[0])
            self.mark([path_item.get("parameters", []), raw.get("parameters", [])], "request", found)
            body = raw.get("requestBody")
            if body is not None:
                node, _ = self.spec.deref(body, pointer)
                self.mark(node.get("content", {}), "request", found)
            responses = [*raw.get("responses", {}).values(), raw.get("x-tinker-future", {})]
            for response in responses:
                node, _ = self.spec.deref(response, pointer)
                self.mark(node, "response", found)
        return {name: frozenset(r) for name, r in found.items()}

    def mark(self, node: Any, role: str, found: dict[str, set[str]]) -> None:
        """Add `role` to every schema `node` references, transitively."""
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#" + SCHEMAS + "/"):
                self.mark(self.spec.get(ref), role, found)  # a shared parameter, body or response
            elif isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if role in found.setdefault(name, set()):
                    return
                found[name].add(role)
                self.mark(self.schemas.get(name, {}), role, found)
            for value in node.values():
                self.mark(value, role, found)
        elif isinstance(node, list):
            for value in node:
                self.mark(value, role, found)

    def aliases(self, pointer: str, schema: Mapping[str, Any]) -> tuple[tuple[PythonIdentifier, str], ...]:
        declared = schema.get("x-tinker-aliases", {})
        properties = schema.get("properties", {})
        where = pointer_join(pointer, "x-tinker-aliases")
        for alias, target in declared.items():
            if target not in properties:
                self.fail(pointer_join(where, alias), f"{target!r} is not a property of this schema")
            if alias in properties:
                self.fail(pointer_join(where, alias), f"alias {alias!r} is already a property")
        return tuple((PythonIdentifier(a), t) for a, t in declared.items())

    # ------------------------------------------------------------- resource

    def resource(self, tag: str, entries: list[tuple[str, str, Mapping[str, Any]]], doc: str) -> Resource:
        name = PythonIdentifier.sanitise(tag)
        if name is None:
            self.fail(entries[0][0] + "/tags/0", f"tag {tag!r} cannot become a Python identifier")
            name = PythonIdentifier("invalid")
        method_names = {self.method_name(pointer, tag, op) for pointer, _, op in entries}
        shadowed = frozenset(method_names) & {"list", "dict"}
        seen: dict[str, str] = {}
        operations = []
        for pointer, _, raw in entries:
            op = self.operation(pointer, name, raw, shadowed)
            if op is None:
                continue
            for method in (op.name, op.pagination.method if op.pagination else None):
                if method is None:
                    continue
                if method in seen:
                    self.fail(
                        pointer_join(pointer, "operationId"),
                        f"duplicate method name {method!r} in resource {name!r} (also {seen[method]})",
                    )
                seen[method] = pointer
            operations.append(op)
        annotations = " ".join(self.annotations_of(op) for op in operations)
        imports = sorted(
            {m for m in re.findall(r"\b[A-Z][A-Za-z0-9]*\b", annotations) if m in self.schemas}
            | {op.body.model for op in operations if op.body}
        )
        class_name = ClassName.from_snake(name)
        return Resource(
            name=name,
            class_name=class_name,
            async_class_name=ClassName("Async" + class_name),
            docstring=docstring(doc or f"The {tag} operations."),
            operations=tuple(operations),
            imports=tuple(imports),
            needs_builtins="builtins." in annotations,
            needs_datetime="datetime." in annotations,
            typing_imports=tuple(n for n in ("Any", "Literal") if re.search(rf"\b{n}\b", annotations)),
        )

    @staticmethod
    def annotations_of(op: Operation) -> str:
        parts = [p.annotation for p in op.params] + [op.return_annotation]
        parts += [f.annotation for f in op.body.fields] if op.body else []
        parts += [op.future.result] if op.future else []
        parts += [op.pagination.item_annotation] if op.pagination else []
        return " ".join(parts)

    def method_name(self, pointer: str, tag: str, raw: Mapping[str, Any]) -> str:
        operation_id = str(raw.get("operationId", ""))
        prefix, _, method = operation_id.rpartition(".")
        if prefix != tag or not method:
            self.fail(
                pointer_join(pointer, "operationId"),
                f"operationId {operation_id!r} must be '<tag>.<method>' with tag {tag!r}",
            )
        return method or operation_id

    # ------------------------------------------------------------ operation

    def operation(
        self, pointer: str, resource: PythonIdentifier, raw: Mapping[str, Any], shadowed: frozenset[str]
    ) -> Operation | None:
        method = self.method_name(pointer, str(raw.get("tags", [""])[0]), raw)
        name = PythonIdentifier.sanitise(method)
        if name is None:
            self.fail(
                pointer_join(pointer, "operationId"), f"method {method!r} cannot become a Python identifier"
            )
            return None
        path = pointer.split("/")[2].replace("~1", "/").replace("~0", "~")
        params = self.params(pointer, path, raw, shadowed)
        body = self.body(pointer, raw, shadowed)
        taken = (
            [p.name for p in params] + [f.name for f in body.arguments] if body else [p.name for p in params]
        )
        for duplicate in sorted({n for n in taken if taken.count(n) > 1}):
            self.fail(pointer, f"two arguments of {name!r} are both named {duplicate!r}")
        summary = str(raw.get("summary", ""))
        response = self.response(pointer, raw)
        return Operation(
            name=name,
            resource=resource,
            http_method=pointer.rsplit("/", 1)[1].upper(),
            path=Value.of(path),
            docstring=docstring(summary, str(raw.get("description", ""))),
            summary=" ".join(summary.split()),
            params=params,
            body=body,
            response=response,
            future=self.future(pointer, raw),
            redirect=self.redirect(pointer, raw),
            pagination=self.pagination(pointer, name, params, response, raw),
            rest=self.rest(pointer, raw),
            line=self.spec.line(pointer),
        )

    def params(
        self, pointer: str, path: str, raw: Mapping[str, Any], shadowed: frozenset[str]
    ) -> tuple[Param, ...]:
        path_item_pointer = pointer.rsplit("/", 1)[0]
        entries = [
            (pointer_join(path_item_pointer, "parameters", i), p)
            for i, p in enumerate(self.spec.get(path_item_pointer).get("parameters", []))
        ] + [(pointer_join(pointer, "parameters", i), p) for i, p in enumerate(raw.get("parameters", []))]
        params: dict[tuple[str, str], Param] = {}
        seen: set[tuple[str, str, str]] = set()
        for where, entry in entries:
            node, _ = self.spec.deref(entry, where)
            location = node["in"]
            if location not in ("path", "query"):
                self.fail(where, f"{location} parameters are not supported; only path and query")
                continue
            param = self.param(where, node, shadowed)
            if param is None:
                continue
            key = (location, param.wire_name.raw)
            scoped = (where.rsplit("/", 1)[0], *key)  # an operation may override a path-level one
            if scoped in seen:
                self.fail(where, f"duplicate {location} parameter {key[1]!r}")
            seen.add(scoped)
            params[key] = param
        template = re.findall(r"\{([^}]*)\}", path)
        declared = [wire for (loc, wire) in params if loc == "path"]
        for missing in [t for t in template if t not in declared]:
            self.fail(pointer, f"path parameter {{{missing}}} of {path} is not declared")
        for extra in [d for d in declared if d not in template]:
            where = next(w for w, e in entries if self.spec.deref(e, w)[0].get("name") == extra)
            self.fail(where, f"path parameter {extra!r} is missing from the path {path}")
        ordered = sorted(
            params.values(),
            key=lambda p: (
                p.location != "path",
                template.index(p.wire_name.raw) if p.wire_name.raw in template else 0,
                not p.required,
            ),
        )
        return tuple(ordered)

    def param(self, where: str, node: Mapping[str, Any], shadowed: frozenset[str]) -> Param | None:
        wire = str(node["name"])
        name = PythonIdentifier.sanitise(wire)
        if name is None:
            self.fail(pointer_join(where, "name"), f"parameter {wire!r} cannot become a Python identifier")
            return None
        schema_pointer = pointer_join(where, "schema")
        schema, _ = self.spec.deref(node.get("schema", {}), schema_pointer)
        kind = self.param_kind(schema_pointer, schema)
        required = bool(node.get("required", False))
        default = schema.get("default")
        choices = schema.get("enum")
        if default is not None and choices is not None and default not in choices:
            self.fail(
                pointer_join(schema_pointer, "default"), f"default {default!r} is not one of the enum values"
            )
        annotation = self.annotation(schema, schema_pointer, shadowed)
        if not required and default is None:
            annotation = optional(annotation)
        return Param(
            name=name,
            wire_name=Value.of(wire),
            location=node["in"],
            annotation=annotation,
            kind=kind,
            required=required,
            default=None if required else Value.of(default),
            choices=Value.of(tuple(choices)) if choices else None,
            multi_segment=bool(node.get("x-tinker-multi-segment", False)),
            description=" ".join(str(node.get("description", "")).split()),
            line=self.spec.line(where),
        )

    def param_kind(self, pointer: str, schema: Mapping[str, Any]) -> ParamKind:
        kind = schema.get("type")
        if kind == "string" and schema.get("format") == "date":
            return "date"
        if isinstance(kind, str) and kind in _PARAM_KINDS:
            return _PARAM_KINDS[kind]
        self.fail(pointer, "a path or query parameter must be a string, integer, number or boolean")
        return "str"

    def body(self, pointer: str, raw: Mapping[str, Any], shadowed: frozenset[str]) -> Body | None:
        if "requestBody" not in raw:
            return None
        where = pointer_join(pointer, "requestBody")
        node, where = self.spec.deref(raw["requestBody"], where)
        media = node.get("content", {}).get("application/json")
        ref = (media or {}).get("schema", {}).get("$ref", "")
        if not ref.startswith(SCHEMAS + "/", 1):
            self.fail(where, "a request body must be application/json referencing a components schema")
            return None
        model = ref.rsplit("/", 1)[1]
        schema_pointer = ref.lstrip("#")
        schema = self.spec.get(ref)
        if schema.get("type") != "object" or "properties" not in schema:
            self.fail(schema_pointer, "a request body schema must be an object with properties")
            return None
        required = set(schema.get("required", []))
        fields = []
        for prop, prop_schema in schema["properties"].items():
            field = self.body_field(
                pointer_join(schema_pointer, "properties", prop),
                prop,
                prop_schema,
                prop in required,
                shadowed,
            )
            if field is not None:
                fields.append(field)
        fields.sort(key=lambda f: not f.required)
        keep_null = tuple(f.wire_name.raw for f in fields if f.required and nullable(f.annotation))
        return Body(ClassName(model), tuple(fields), Value.of(keep_null))

    def body_field(
        self, pointer: str, prop: str, schema: Mapping[str, Any], required: bool, shadowed: frozenset[str]
    ) -> BodyField | None:
        name = PythonIdentifier.sanitise(prop)
        if name is None:
            self.fail(pointer, f"property {prop!r} cannot become a Python identifier")
            return None
        fixed = _fixed_literal(schema)
        annotation = self.annotation(schema, pointer, shadowed)
        default = schema.get("default")
        if fixed is not None or required:
            signature_default = None
        elif isinstance(default, (str, int, float, bool)):
            signature_default = Value.of(default)
        else:
            annotation = optional(annotation)
            signature_default = Value.of(None)
        return BodyField(
            name=name,
            wire_name=Value.of(prop),
            annotation=annotation,
            required=required,
            default=signature_default,
            fixed=Value.of(fixed) if fixed is not None else None,
            description=" ".join(str(schema.get("description", "")).split()),
            line=self.spec.line(pointer),
        )

    def response(self, pointer: str, raw: Mapping[str, Any]) -> ClassName | None:
        responses = raw.get("responses", {})
        for code in sorted(c for c in responses if str(c).startswith("2")):
            where = pointer_join(pointer, "responses", code)
            node, where = self.spec.deref(responses[code], where)
            media = node.get("content", {}).get("application/json")
            if media is None:
                return None
            ref = media.get("schema", {}).get("$ref", "")
            if not ref.startswith("#" + SCHEMAS + "/"):
                self.fail(where, "a response body must reference a components schema")
                return None
            return ClassName(ref.rsplit("/", 1)[1])
        self.fail(pointer_join(pointer, "responses"), "an operation needs a 2xx response")
        return None

    # ----------------------------------------------------------- extensions

    def future(self, pointer: str, raw: Mapping[str, Any]) -> Future | None:
        ext = raw.get("x-tinker-future")
        if ext is None:
            return None
        return Future(ClassName(ext["result"]["$ref"].rsplit("/", 1)[1]), Value.of(ext["request-type"]))

    def redirect(self, pointer: str, raw: Mapping[str, Any]) -> Redirect | None:
        ext = raw.get("x-tinker-redirect")
        if ext is None:
            return None
        ref = ext["result"]["$ref"]
        props = self.spec.get(ref).get("properties", {})
        for key in ("url-field", "expires-field"):
            if ext[key] not in props:
                self.fail(
                    pointer_join(pointer, "x-tinker-redirect", key), f"{ref} has no property {ext[key]!r}"
                )
        return Redirect(
            ClassName(ref.rsplit("/", 1)[1]),
            Value.of(ext["url-field"]),
            Value.of(ext["expires-field"]),
            int(ext.get("default-expiry-seconds", 900)),
        )

    def pagination(
        self,
        pointer: str,
        name: str,
        params: tuple[Param, ...],
        response: ClassName | None,
        raw: Mapping[str, Any],
    ) -> Pagination | None:
        ext = raw.get("x-tinker-pagination")
        if ext is None:
            return None
        where = pointer_join(pointer, "x-tinker-pagination")
        query = {p.wire_name.raw for p in params if p.location == "query"}
        if not {"limit", "offset"} <= query:
            self.fail(where, "a paginated operation needs 'limit' and 'offset' query parameters")
        items = ext["items"]
        schema = self.schemas.get(response or "", {}).get("properties", {}).get(items, {})
        if schema.get("type") != "array":
            self.fail(
                pointer_join(where, "items"), f"the response {response} has no array property {items!r}"
            )
            return None
        item = self.annotation(
            schema.get("items", {}), pointer_join(SCHEMAS, str(response), "properties", items)
        )
        return Pagination(Value.of(items), item, PythonIdentifier(f"{name}_all"))

    def rest(self, pointer: str, raw: Mapping[str, Any]) -> RestName | None:
        ext = raw.get("x-tinker-rest")
        if ext is None:
            return None
        name = ext.get("name")
        return RestName(
            PythonIdentifier(name) if name else None,
            tuple(PythonIdentifier(n) for n in ext.get("tinker-path", [])),
        )

    # -------------------------------------------------------------- RestClient

    def rest_methods(self, resources: tuple[Resource, ...]) -> Iterator[RestMethod]:
        seen: dict[str, str] = {}
        for op in (op for r in resources for op in r.operations if op.rest):
            pointer = self.operation_pointer(op)
            assert op.rest is not None
            variants = [(op.rest.name, False)] if op.rest.name else []
            variants += [(name, True) for name in op.rest.tinker_path]
            for name, from_path in variants:
                where = pointer_join(pointer, "x-tinker-rest")
                clash = seen.get(name) or seen.get(name + "_async")
                if clash or name in RESERVED_REST_NAMES:
                    self.fail(where, f"RestClient method {name!r} is taken ({clash or 'by the runtime'})")
                seen[name] = seen[name + "_async"] = where
                method = self.rest_method(where, name, op, from_path)
                if method is not None:
                    yield method

    def operation_pointer(self, op: Operation) -> str:
        return pointer_join("", "paths", op.path.raw, op.http_method.lower())

    def rest_method(self, where: str, name: str, op: Operation, from_path: bool) -> RestMethod | None:
        params = [RestParam(p.name, p.annotation, p.default) for p in op.params]
        params += [RestParam(f.name, f.annotation, f.default) for f in (op.body.arguments if op.body else ())]
        # `builtins.list` guards a resource's own `list` method; RestClient has none
        params = [RestParam(p.name, p.annotation.replace("builtins.", ""), p.default) for p in params]
        arguments = [(p.name, str(p.name)) for p in params]
        summary = op.summary
        if from_path:
            filled = [p for p in op.params if p.location == "path"]
            unknown = [p.wire_name.raw for p in filled if p.wire_name.raw not in TINKER_PATH_FIELDS]
            if unknown or not filled:
                self.fail(where, f"a tinker path cannot fill the path parameters of {op.path.raw}")
                return None
            by_name = {p.name: p for p in filled}
            params = [RestParam(PythonIdentifier("tinker_path"), "str", None)] + [
                p for p in params if p.name not in by_name
            ]
            arguments = [
                (a, f"parsed.{by_name[a].wire_name.raw}" if a in by_name else e) for a, e in arguments
            ]
            summary += " The checkpoint is given as a tinker path: " + TINKER_PATH_FORM + "."
        params.sort(key=lambda p: p.default is not None)
        return RestMethod(
            name=PythonIdentifier(name),
            operation=op,
            from_tinker_path=from_path,
            params=tuple(params),
            arguments=tuple(arguments),
            docstring=docstring(
                summary,
                "Returns a future: .result(timeout=None) blocks, and `await future` works in async"
                f" code. {name}_async is the coroutine variant.",
            ),
        )


def _fixed_literal(schema: Mapping[str, Any]) -> Any:
    """The value of a literal property the caller never chooses (a `type` marker)."""
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and schema.get("default") == enum[0]:
        return enum[0]
    return None
