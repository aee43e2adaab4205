"""A mutation fuzzer: seeded variants of spec/tinker.yaml never crash or hang the generator.

Each example applies one to three mutations (deleted keys, wrong types, broken and cyclic
`$ref`s, hostile names and text, YAML tricks, huge and tiny documents) and runs
`python -m generator generate` in process. The property: it exits 2 with only well-formed
located problem lines and writes nothing, or exits 0 with a package whose modules compile (and,
for a sample, import); never a traceback, never past the time bound.

The default run is derandomized and short; TINKERGEN_FUZZ_EXAMPLES=2000 runs a long random one.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.cli import main
from tests.conftest import SPEC

LONG_RUN = int(os.environ.get("TINKERGEN_FUZZ_EXAMPLES", "0"))
SECONDS_PER_EXAMPLE = 60  # a generous bound: a good spec generates in ~2 s cold, a bad one fails in <1 s
ORIGINAL = SPEC.read_text()
DATA = yaml.safe_load(ORIGINAL)

KEYWORDS = ["class", "None", "True", "import", "lambda", "async", "await", "def", "from", "not"]
SOFT_KEYWORDS = ["match", "case", "type", "_"]
BUILTINS = ["list", "dict", "str", "int", "print", "id", "type", "object", "property", "super"]
RUNTIME = ["Redirect", "Endpoint", "Tinker", "AsyncTinker", "APIError", "BaseModel", "Field", "Future"]
ODD = ["", "a-b", "1abc", "with space", "naïve", "quote'd", 'dq"', "back\\slash", "new\nline", "x" * 300]
ODD += ["self", "client", "options", "httpx", "datetime", "Any", "Literal", "__init__", "_private"]
NAMES = KEYWORDS + SOFT_KEYWORDS + BUILTINS + RUNTIME + ODD
TEXTS = ['"""', "'''", "\\", "\x00", "\u2028", "{{ x }}", "{% raw %}", "\r\n", "# c", "é" * 5, "\t"]
TEXTS += ["\"\"\"; import os; os.environ['PWNED']='1' #", "a" * 100_000]
WRONG = [None, 0, -1, 1.5, True, "", "x", [], {}, [1], {"a": 1}, "#/components/schemas/Nope"]
REFS = ["#/components/schemas/Nope", "#/paths", "#/info", "#/components/schemas", "#/", "http://x/y", 5]
TINY = [
    "",
    "{}",
    "[]",
    "~",
    "openapi: 3.1.0\n",
    "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
]

# The classes the loader cannot reject because the spec is valid and the build (not the loader)
# must cope: each is left out of the property here and listed for the build's owner.
# Failure classes known to belong to the build, skipped by name until fixed (none today: the
# keyword RestClient method name of issue 9 item 12 is now a located problem).
KNOWN_BUILD_CLASSES: dict[str, re.Pattern[str]] = {}


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the tree, the root excluded."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths_of(value, (*prefix, key)))
    return found


def at(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def refs_in(tree: Any) -> list[tuple[Any, ...]]:
    return [p for p in paths_of(tree) if p[-1] == "$ref"]


def mapping(node: Any) -> dict[str, Any]:
    """`node` when an earlier mutation left it a mapping, else a detached empty one."""
    return node if isinstance(node, dict) else {}


def rename_key(parent: dict[str, Any], old: str, new: str) -> None:
    items = [(new if k == old else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


@st.composite
def structural(draw: st.DrawFn, tree: dict[str, Any]) -> str:
    """Mutate `tree` in place; return a label of what was done."""
    kind = draw(st.sampled_from(["delete", "wrong type", "ref", "cycle", "name", "text"]))
    if kind in ("delete", "wrong type") and paths_of(tree):
        path = draw(st.sampled_from(paths_of(tree)))
        parent = at(tree, path[:-1])
        if kind == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(WRONG)))
        return f"{kind} {path}"
    if kind == "ref" and refs_in(tree):
        path = draw(st.sampled_from(refs_in(tree)))
        own = "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path[:-1])
        at(tree, path[:-1])["$ref"] = draw(st.sampled_from([*REFS, own]))
        return f"ref {path}"
    schemas = mapping(mapping(tree.get("components")).get("schemas"))
    if kind == "cycle" and schemas:
        name = draw(st.sampled_from(sorted(schemas)))
        inner = paths_of(schemas[name])
        ref = {"$ref": f"#/components/schemas/{name}"}
        if inner:
            path = draw(st.sampled_from(inner))
            at(schemas[name], path[:-1])[path[-1]] = ref
        else:
            schemas[name] = {"type": "array", "items": ref}
        return f"cycle {name}"
    if kind == "name":
        return draw(renamed(tree))
    strings = [p for p in paths_of(tree) if isinstance(at(tree, p), str) and p[-1] != "$ref"]
    if not strings:
        return "nothing to mutate"
    path = draw(st.sampled_from(strings))
    at(tree, path[:-1])[path[-1]] = draw(st.sampled_from(TEXTS))
    return f"text {path}"


@st.composite
def renamed(draw: st.DrawFn, tree: dict[str, Any]) -> str:
    """A schema, property, parameter, operation, tag or RestClient method given a hostile name."""
    name = draw(st.sampled_from(NAMES))
    where = draw(st.sampled_from(["schema", "property", "parameter", "operation", "tag", "rest"]))
    schemas = mapping(mapping(tree.get("components")).get("schemas"))
    operations = [
        op
        for item in mapping(tree.get("paths")).values()
        for op in mapping(item).values()
        if isinstance(op, dict) and isinstance(op.get("tags"), list) and op["tags"]
    ]
    owners = [s for s in schemas.values() if isinstance(s, dict) and mapping(s.get("properties"))]
    if not operations or not owners:
        return "nothing to rename"
    op = draw(st.sampled_from(operations))
    if where == "schema":
        old = draw(st.sampled_from(sorted(schemas)))
        rename_key(schemas, old, name)
        text = json.dumps(tree).replace(
            json.dumps(f"#/components/schemas/{old}"), json.dumps(f"#/components/schemas/{name}")
        )
        tree.clear()
        tree.update(json.loads(text))
    elif where == "property":
        owner = draw(st.sampled_from(owners))
        old = draw(st.sampled_from(sorted(owner["properties"])))
        rename_key(owner["properties"], old, name)
        if isinstance(owner.get("required"), list):
            owner["required"] = [name if r == old else r for r in owner["required"]]
    elif where == "parameter" and isinstance(op.get("parameters"), list) and op["parameters"]:
        mapping(draw(st.sampled_from(op["parameters"])))["name"] = name
    elif where == "operation":
        op["operationId"] = f"{op['tags'][0]}.{name}"
    elif where == "tag":
        method = str(op.get("operationId", "")).rpartition(".")[2]
        op["tags"], op["operationId"] = [name], f"{name}.{method}"
    else:
        op["x-tinker-rest"] = {"name": name}
    return f"name {where} {name!r}"


@st.composite
def textual(draw: st.DrawFn, text: str) -> tuple[str, str]:
    """YAML tricks on the document's text, and documents far too big or far too small."""
    kind = draw(
        st.sampled_from(["bom", "duplicate", "bomb", "deep", "merge", "tag", "documents", "cut", "byte"])
        | st.sampled_from(["tiny", "huge", "tab", "nul"])
    )
    position = draw(st.integers(0, max(len(text) - 1, 0)))
    bomb = "x-a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"x-{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    changed = {
        "bom": "\ufeff" + text,
        "duplicate": text + "openapi: 3.1.0\n",
        "bomb": bomb + text,
        "deep": text + "x-deep: " + "[" * 5000 + "]" * 5000 + "\n",
        "merge": "x-base: &base {description: d}\n" + text.replace("paths:\n", "paths:\n  <<: *base\n", 1),
        "tag": text.replace("openapi:", "x-t: !!python/object:os.system {}\nopenapi:", 1),
        "documents": text + "---\nopenapi: 3.1.0\n",
        "cut": text[:position],
        "byte": text[:position]
        + draw(st.sampled_from(["\t", ":", "{", "&", "*", "!", "'", '"']))
        + text[position:],
        "tiny": draw(st.sampled_from(TINY)),
        "huge": text + "#" * (9 * 1024 * 1024),
        "tab": text.replace("  ", "\t", 1),
        "nul": text[:position] + "\x00" + text[position:],
    }[kind]
    return changed, kind


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, list[str]]:
    tree = copy.deepcopy(DATA)
    labels = [draw(structural(tree)) for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        text = json.dumps(tree, indent=1, ensure_ascii=draw(st.booleans()))
    else:
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=1 << 30)
    if draw(st.integers(0, 3)) == 0:
        text, label = draw(textual(text))
        labels.append(label)
    return text, labels


PROBLEM = re.compile(r"^mutant\.(yaml|json):\d+: /[^\n]*: \S[^\n]*$")


def generate(tmp_path: Path, text: str) -> tuple[int, list[str], float]:
    spec = tmp_path / "mutant.yaml"
    spec.write_bytes(text.encode("utf-8", "surrogatepass"))
    out = tmp_path / "pkg"
    err = io.StringIO()
    started = time.monotonic()
    cwd = Path.cwd()
    os.chdir(tmp_path)  # the spec is named relative to the working directory
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["generate", "--spec", "mutant.yaml", "--out", str(out)])
    finally:
        os.chdir(cwd)
    return code, err.getvalue().splitlines(), time.monotonic() - started


def check(tmp_path: Path, text: str, labels: list[str], import_it: bool) -> None:
    code, lines, seconds = generate(tmp_path, text)
    out = tmp_path / "pkg"
    assert seconds < SECONDS_PER_EXAMPLE, (labels, seconds)
    if code == 2:
        assert not out.exists(), labels
        problems, summary = lines[:-1], lines[-1:]
        assert problems and summary and summary[0].endswith("problem(s); nothing written."), (labels, lines)
        bad = [line for line in problems if not PROBLEM.match(line)]
        assert not bad, (labels, bad)
        return
    assert code == 0, (labels, code, lines)
    for source in sorted(out.rglob("*.py")):
        compile(source.read_bytes(), str(source), "exec")
    if import_it:
        script = (
            "import importlib, pkgutil, pkg, pkg.types, pkg.resources\n"
            "for m in pkgutil.iter_modules(pkg.resources.__path__):\n"
            "    importlib.import_module('pkg.resources.' + m.name)\n"
        )
        result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, (labels, result.stderr[-2000:])


def known_build_class(labels: list[str]) -> str | None:
    text = " ".join(labels)
    return next((name for name, pattern in KNOWN_BUILD_CLASSES.items() if pattern.search(text)), None)


@settings(
    max_examples=LONG_RUN or 30,
    derandomize=not LONG_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(mutant=mutants(), import_it=st.integers(0, 4).map(lambda n: n == 0))
def test_a_mutant_spec_fails_cleanly_or_generates_a_package(
    tmp_path_factory: pytest.TempPathFactory, mutant: tuple[str, list[str]], import_it: bool
) -> None:
    text, labels = mutant
    assume(known_build_class(labels) is None)
    check(tmp_path_factory.mktemp("fuzz"), text, labels, import_it)
