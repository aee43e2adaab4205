"""The generator's parts on small specs: names, the type tree, docstrings, extensions, the review."""

from __future__ import annotations

import ast
import json
import keyword
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import build
from generator.cli import main
from generator.emit import RUNTIME, runtime_files
from generator.errors import SpecError
from generator.ir import ClassName, PythonIdentifier
from generator.load import load
from generator.review.diff import compare
from generator.review.surface import surface
from generator.typetree import NONE, LiteralType, Named, Scope, list_of, union

from .conftest import GENERATED, SPEC

FIXTURES = Path(__file__).parent / "fixtures"
FEATURES = (FIXTURES / "features.yaml").read_text()
DEPRECATION = "Deprecated: use things.list and pick the thing."


def generate(tmp_path: Path, text: str, name: str = "feat") -> Path:
    """Generate the package `name` from `text` under tmp_path; fail with the problems if any."""
    (tmp_path / "spec.yaml").write_text(text)
    assert main(["generate", "--spec", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / name)]) == 0
    return tmp_path / name


def build_text(tmp_path: Path, text: str, file: str = "spec.yaml"):  # type: ignore[no-untyped-def]
    (tmp_path / file).write_text(text)
    return build(load(tmp_path / file))


def run(tmp_path: Path, code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


# ------------------------------------------------------------------- names


@pytest.mark.parametrize("text", ["class", "match", "case", "1abc", "a-b", "", "ünï"])
def test_identifier_refuses_what_python_cannot_use(text: str) -> None:
    with pytest.raises(ValueError):
        PythonIdentifier(text)


@pytest.mark.parametrize(
    "raw, name", [("class", "class_"), ("match", "match_"), ("X-Trace-Id", "x_trace_id"), ("1st", "n1st")]
)
def test_sanitise_makes_a_usable_name(raw: str, name: str) -> None:
    assert PythonIdentifier.sanitise(raw) == name


@pytest.mark.parametrize(
    "raw",
    [*keyword.kwlist, *keyword.softkwlist, "self", "options", "A-B c", "9lives", "x" * 3 + "é", "__x__"],
)
def test_every_sanitised_name_is_a_usable_argument(raw: str) -> None:
    name = PythonIdentifier.sanitise(raw)
    if name is None:  # nothing usable left: the build reports it
        assert raw == "_"
        return
    compile(f"def f(self, {name}, *, options=None): return {name}", "<test>", "exec")


def test_class_name_refuses_non_pascal_case() -> None:
    with pytest.raises(ValueError):
        ClassName("thing-record")


def test_schema_named_like_runtime_classes_generates_a_working_client(tmp_path: Path) -> None:
    """`Redirect` and `Endpoint` are schemas here; runtime names are imported privately."""
    generate(tmp_path, FEATURES)
    out = run(
        tmp_path,
        """
import httpx, json
from feat import Tinker
from feat.types import Redirect, Endpoint
seen = []
def handler(request):
    seen.append(request)
    if request.method == "GET":
        return httpx.Response(200, json={"names": ["a"]})
    return httpx.Response(200, json={"thing_id": "t", "is_lora": True, "created": "2025-01-01T00:00:00Z"})
client = Tinker(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
assert isinstance(client.things.list(), Endpoint)
made = client.things.create(tags=["x"])
assert isinstance(made, Redirect) and made.created.year == 2025
from feat._version import __version__
assert json.loads(seen[1].content)["sdk_version"] == __version__  # x-tinker-default: client-version
print("ok")
""",
    )
    assert out.strip() == "ok"


def test_rest_method_named_like_a_keyword_is_a_located_problem(tmp_path: Path) -> None:
    text = FEATURES.replace("x-tinker-rest: {name: create_thing}", "x-tinker-rest: {name: class}")
    with pytest.raises(SpecError) as caught:
        build_text(tmp_path, text)
    (problem,) = caught.value.problems
    assert problem.pointer == "/paths/~1things/post/x-tinker-rest"
    assert "RestClient method 'class'" in problem.message


def test_schema_named_like_a_resource_class_gives_the_resource_a_suffix(tmp_path: Path) -> None:
    text = FEATURES.replace("    Endpoint:\n", "    Things:\n").replace(
        "schemas/Endpoint'", "schemas/Things'"
    )
    api = build_text(tmp_path, text)
    assert [r.class_name for r in api.resources if r.name == "things"] == ["ThingsResource"]


@pytest.mark.parametrize("tag", ["close", "with_options", "with_raw_response"])
def test_tag_named_like_a_client_attribute_is_a_located_problem(tmp_path: Path, tag: str) -> None:
    text = FEATURES.replace("tags: [things]", f"tags: [{tag}]").replace("things.", f"{tag}.")
    with pytest.raises(SpecError) as caught:
        build_text(tmp_path, text)
    assert [p.pointer for p in caught.value.problems] == ["/paths/~1things/get/tags/0"]
    assert f"hide the client's own {tag!r}" in caught.value.problems[0].message


# --------------------------------------------------------------- type tree


def test_type_tree_renders_for_its_scope_and_knows_its_imports() -> None:
    tags = union([list_of(Named("str")), NONE])
    shadowing = Scope(frozenset({"list"}))
    assert tags.render() == "list[str] | None"
    assert tags.render(shadowing) == "builtins.list[str] | None"
    assert {i.module for i in tags.imports(shadowing)} == {"builtins"}
    assert not list(tags.imports())
    assert LiteralType(("a", "b")).alternatives() == {"Literal['a']", "Literal['b']"}
    assert Named("datetime", "datetime").render() == "datetime.datetime"


def test_rename_to_a_builtin_name_reports_only_the_rename(tmp_path: Path) -> None:
    """A method named `list` makes signatures say `builtins.list`; the surface does not care."""
    text = SPEC.read_text()
    assert "operationId: service.health_check" in text
    old = surface(build_text(tmp_path, text, "old.yaml"))
    new = surface(build_text(tmp_path, text.replace("service.health_check", "service.list"), "new.yaml"))
    changes = {(c.category, c.rule, c.symbol) for c in compare(old, new)}
    assert changes == {("BREAKING", "method-renamed", "client.service.health_check")}


class _Unannotate(ast.NodeTransformer):
    """`Annotated[X, Field(...)]` → `X`, at any depth."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if ast.unparse(node.value) == "Annotated" and isinstance(node.slice, ast.Tuple):
            return node.slice.elts[0]
        return node


def _types_py_fields() -> dict[tuple[str, str], str]:
    """(class, field) → annotation in the generated types.py, `Annotated[...]` unwrapped."""
    tree = ast.parse((GENERATED / "tinker_client" / "types.py").read_text())
    found = {}
    # Root models the models stage names itself (a fixed-length tuple), by their root type.
    roots = {
        node.name: ast.unparse(_Unannotate().visit(item.annotation))
        for node in tree.body
        if isinstance(node, ast.ClassDef) and "RootModel" in ast.unparse(node.bases[0])
        for item in node.body
        if isinstance(item, ast.AnnAssign)
    }
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                text = ast.unparse(_Unannotate().visit(item.annotation))
                for name, root in roots.items():
                    text = re.sub(rf"\b{name}\b", root, text)
                found[(node.name, item.target.id)] = text
    return found


def test_api_md_and_types_py_agree_on_every_field() -> None:
    """The surface (api.md) and the models module give each field the same type."""
    report = surface(build(load(SPEC, "spec/tinker.yaml")))
    generated = _types_py_fields()
    compared = 0
    for model in report.models.values():
        for field in model.fields:
            key = (model.name, field.name)
            if key not in generated:
                continue  # a field whose name pydantic cannot take is aliased
            expected = field.annotation.replace("datetime.datetime", "datetime")
            assert ast.unparse(ast.parse(expected)) == generated[key], key
            compared += 1
    assert compared > 200


# -------------------------------------------------------------- docstrings


def test_methods_document_their_arguments_endpoint_and_result(tmp_path: Path) -> None:
    package = generate(tmp_path, FEATURES)
    source = (package / "resources" / "things.py").read_text()
    tree = ast.parse(source)
    things = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Things")
    create = next(n for n in things.body if isinstance(n, ast.FunctionDef) and n.name == "create")
    doc = ast.get_docstring(create) or ""
    assert "`POST /things`" in doc
    assert "tags: Labels to find the thing by." in doc
    assert "sdk_version: The calling client's version." in doc
    assert "Returns:\n    `Redirect`." in doc
    listing = next(n for n in things.body if isinstance(n, ast.FunctionDef) and n.name == "list")
    assert "x_trace_id: Ties the call to a trace." in (ast.get_docstring(listing) or "")


def test_rest_client_says_returns_a_future_once() -> None:
    source = (GENERATED / "tinker_client" / "rest_client.py").read_text()
    assert source.count("returns a future") == 1
    assert '"""The coroutine variant of' in source


# -------------------------------------------------------------- extensions


def test_header_parameter_is_declared_as_a_header(tmp_path: Path) -> None:
    package = generate(tmp_path, FEATURES)
    source = (package / "resources" / "things.py").read_text()
    assert '_Param("x_trace_id", "X-Trace-Id", "header", "str")' in source
    assert "x_trace_id: str | None = None" in source


def test_tags_use_builtins_list_where_a_method_is_named_list(tmp_path: Path) -> None:
    package = generate(tmp_path, FEATURES)
    source = (package / "resources" / "things.py").read_text()
    assert "tags: builtins.list[str]," in source and "import builtins" in source
    assert (
        "`client.things.create(*, tags: list[str], sdk_version: str | None = None)"
        in (package / "api.md").read_text()
    )


def _deprecated(text: str) -> str:
    return text.replace(
        "      operationId: things.create\n      summary: Create a thing.\n",
        "      operationId: things.create\n      summary: Create a thing.\n      deprecated: true\n"
        f"      description: |\n        Makes one thing.\n\n        {DEPRECATION}\n",
    )


def test_deprecated_operation_is_marked_everywhere(tmp_path: Path) -> None:
    api = build_text(tmp_path, _deprecated(FEATURES))
    (create,) = [op for op in api.operations if op.name == "create"]
    assert create.deprecated is not None and create.deprecated.raw == DEPRECATION
    assert DEPRECATION in create.docstring
    method = surface(api).methods["client.things.create"]
    assert method.deprecated == DEPRECATION
    (rest,) = api.rest_methods
    assert DEPRECATION in rest.docstring
    from generator.emit import render_sources

    source = render_sources(api, "#", "#", [])["resources/things.py"]
    assert f"deprecated={DEPRECATION!r}," in source


def test_api_md_names_the_deprecation(tmp_path: Path) -> None:
    package = generate(tmp_path, _deprecated(FEATURES).replace("x-tinker-rest: {name: create_thing}\n", ""))
    assert f"— {DEPRECATION}" in (package / "api.md").read_text()


def test_review_files_a_new_deprecation_as_behaviour(tmp_path: Path) -> None:
    old = surface(build_text(tmp_path, FEATURES, "old.yaml"))
    new = surface(build_text(tmp_path, _deprecated(FEATURES), "new.yaml"))
    changes = {(c.category, c.rule, c.symbol) for c in compare(old, new)}
    assert changes == {
        ("BEHAVIOUR", "method-deprecated", "client.things.create"),
        ("BEHAVIOUR", "method-deprecated", "RestClient.create_thing"),
    }


# ----------------------------------------------------------- strict models


RESPONSE_OK = {"thing_id": "t", "is_lora": False, "created": "2025-01-01T00:00:00Z", "extra": {"new": 1}}


@pytest.mark.parametrize(
    "body, valid",
    [
        (RESPONSE_OK, True),
        ({**RESPONSE_OK, "offset": 3, "corrupted": True}, True),
        ({**RESPONSE_OK, "is_lora": 0}, False),
        ({**RESPONSE_OK, "is_lora": "1"}, False),
        ({**RESPONSE_OK, "is_lora": "true"}, False),
        ({**RESPONSE_OK, "created": 1700000000}, False),
        ({**RESPONSE_OK, "offset": True}, False),
        ({**RESPONSE_OK, "corrupted": None}, False),
    ],
)
def test_responses_are_as_strict_as_the_spec(tmp_path: Path, body: dict[str, object], valid: bool) -> None:
    generate(tmp_path, FEATURES)
    verdict = run(
        tmp_path,
        f"""
import httpx, json
from feat import Tinker, APIResponseValidationError
body = json.loads({json.dumps(json.dumps(body))})
client = Tinker(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(
    lambda request: httpx.Response(200, json=body))))
try:
    client.things.create(tags=["x"])
    print("parsed")
except APIResponseValidationError:
    print("refused")
""",
    )
    assert verdict.strip() == ("parsed" if valid else "refused")


# ------------------------------------------------------------------ runtime


def test_runtime_files_include_subpackages_but_no_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "runtime"
    (fake / "testing" / "__pycache__").mkdir(parents=True)
    (fake / "_a.py").write_text("a = 1\n")
    (fake / "testing" / "__init__.py").write_text("")
    (fake / "testing" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    monkeypatch.setattr("generator.emit.RUNTIME", fake)
    assert sorted(runtime_files()) == ["_a.py", "testing/__init__.py"]
    assert RUNTIME.name == "runtime"


# ------------------------------------------------------------------ structure


GENERATOR = Path(__file__).resolve().parent.parent / "generator"


def _name(path: Path) -> str:
    return ".".join(path.relative_to(GENERATOR.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """The generator modules `path` imports, lazily or not (TYPE_CHECKING blocks aside)."""
    module = _name(path)
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    hidden = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and id(node) not in hidden:
            parent = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
            target = f"{parent}.{node.module}" if node.module else parent
            found |= {target, *(f"{target}.{alias.name}" for alias in node.names)}
    return found - {module}


def test_generator_has_no_import_cycles_and_no_long_modules() -> None:
    files = list(GENERATOR.rglob("*.py"))
    graph = {_name(p): _imports(p) & {_name(q) for q in files} for p in files}

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, " -> ".join((*trail, module))
        for target in graph[module]:
            if not target.startswith(module + "."):  # a package importing its own parts is no cycle
                visit(target, (*trail, module))

    for module in graph:
        visit(module, ())
    assert not [p.name for p in files if len(p.read_text().splitlines()) > 400]
