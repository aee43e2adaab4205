"""`python -m generator diff`: each rule on a pair of small specs, the verdict, the formats."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.build import build
from generator.cli import main
from generator.load import load
from generator.review.diff import compare
from generator.review.surface import surface

from .conftest import ROOT

BASE = (Path(__file__).parent / "fixtures" / "diff_base.yaml").read_text()


def edit(*pairs: str, text: str = BASE) -> str:
    """`text` with each (old, new) pair of `pairs` replaced once; every old part must exist."""
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def changes(tmp_path: Path, old: str, new: str) -> set[tuple[str, str, str]]:
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    before = surface(build(load(tmp_path / "old.yaml")))
    after = surface(build(load(tmp_path / "new.yaml")))
    return {(c.category, c.rule, c.symbol) for c in compare(before, after)}


GET_INCLUDE = "        - name: include\n          in: query\n          required: false\n"
THING_REQUIRED = "      required: [thing_id, name]\n"

# name: (old spec, new spec, changes that must be reported)
PAIRS: dict[str, tuple[str, str, set[tuple[str, str, str]]]] = {
    "method removed": (
        BASE,
        edit(
            "    delete:\n      tags: [things]\n      operationId: things.delete",
            "    x-removed:\n      tags: [things]\n      operationId: things.delete",
        ).replace("x-removed:", "x-gone:"),
        set(),  # replaced below: removing a whole operation
    ),
    "method renamed": (
        BASE,
        edit("operationId: things.delete", "operationId: things.remove"),
        {("BREAKING", "method-renamed", "client.things.delete")},
    ),
    "method moved to another resource": (
        BASE,
        edit(
            "      tags: [things]\n      operationId: things.delete",
            "      tags: [others]\n      operationId: others.delete",
        ),
        {("BREAKING", "method-moved", "client.things.delete")},
    ),
    "path changed": (
        BASE,
        edit("  /ping:", "  /healthz:"),
        {("BEHAVIOUR", "endpoint-changed", "client.others.ping")},
    ),
    "http method changed": (
        BASE,
        edit("  /ping:\n    get:", "  /ping:\n    post:"),
        {("BEHAVIOUR", "endpoint-changed", "client.others.ping")},
    ),
    "parameter removed": (
        BASE,
        edit(
            "        - name: verbose\n          in: query\n          required: false\n          schema: {type: boolean}\n",
            "",
        ),
        {
            ("BREAKING", "parameter-removed", "client.things.get:verbose"),
            ("BREAKING", "parameter-removed", "RestClient.get_thing:verbose"),
        },
    ),
    "parameter renamed": (
        BASE,
        edit("        - name: verbose\n", "        - name: detailed\n"),
        {("BREAKING", "parameter-renamed", "client.things.get:verbose")},
    ),
    "parameter made required": (
        BASE,
        edit(GET_INCLUDE, GET_INCLUDE.replace("false", "true")),
        {("BREAKING", "parameter-made-required", "client.things.get:include")},
    ),
    "parameter kind changed (positional to keyword)": (
        edit(
            "      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/CreateThingRequest'}",
            "      parameters:\n        - {name: dry_run, in: query, schema: {type: boolean}}\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/CreateThingRequest'}",
        ),
        edit(
            "        finish: {type: string",
            "        dry_run: {type: [boolean, 'null']}\n        finish: {type: string",
        ),
        {("BREAKING", "parameter-kind-changed", "client.things.create:dry_run")},
    ),
    "parameters reordered": (
        BASE,
        edit(
            "        - name: limit\n          in: query\n          schema: {type: integer, default: 20}\n        - name: offset\n          in: query\n          schema: {type: integer, default: 0}\n",
            "        - name: offset\n          in: query\n          schema: {type: integer, default: 0}\n        - name: limit\n          in: query\n          schema: {type: integer, default: 20}\n",
        ),
        {("BREAKING", "parameters-reordered", "client.things.list:(positional)")},
    ),
    "parameter type changed": (
        BASE,
        edit("          schema: {type: boolean}", "          schema: {type: integer}"),
        {("BREAKING", "parameter-type-changed", "client.things.get:verbose")},
    ),
    "parameter default changed": (
        BASE,
        edit("enum: [basic, full], default: basic}", "enum: [basic, full], default: full}"),
        {("BEHAVIOUR", "parameter-default-changed", "client.things.get:include")},
    ),
    "request field added as required": (
        BASE,
        edit(
            "      required: [name]\n      properties:\n        name: {type: string}\n",
            "      required: [name, owner]\n      properties:\n        name: {type: string}\n        owner: {type: string}\n",
        ),
        {
            ("BREAKING", "parameter-added-required", "client.things.create:owner"),
            ("BREAKING", "request-field-added-required", "types.CreateThingRequest.owner"),
        },
    ),
    "optional parameter added": (
        BASE,
        edit(
            "        finish: {type: string",
            "        color: {$ref: '#/components/schemas/Color'}\n        finish: {type: string",
        ),
        {
            ("ADDITIVE", "parameter-added", "client.things.create:color"),
            ("ADDITIVE", "field-added", "types.CreateThingRequest.color"),
        },
    ),
    "response field removed": (
        BASE,
        edit("        size: {type: integer}\n        shape:", "        shape:"),
        {("BREAKING", "field-removed", "types.Thing.size")},
    ),
    "response field made optional": (
        BASE,
        edit(THING_REQUIRED, "      required: [thing_id]\n"),
        {("BREAKING", "response-field-made-optional", "types.Thing.name")},
    ),
    "response field made nullable": (
        BASE,
        edit(
            "        name: {type: string}\n        color:",
            "        name: {type: [string, 'null']}\n        color:",
        ),
        {("BREAKING", "response-field-made-nullable", "types.Thing.name")},
    ),
    "response field type widened": (
        BASE,
        edit("        size: {type: integer}", "        size: {type: [integer, string]}"),
        {("BREAKING", "field-type-widened", "types.Thing.size")},
    ),
    "response field type narrowed": (
        edit("        size: {type: integer}", "        size: {type: [integer, string]}"),
        BASE,
        {("BEHAVIOUR", "field-type-narrowed", "types.Thing.size")},
    ),
    "response field type changed": (
        BASE,
        edit("        note: {type: string}", "        note: {type: integer}"),
        {("BREAKING", "field-type-changed", "types.Thing.note")},
    ),
    "model removed": (
        BASE,
        edit("    Legacy:\n      type: object\n      properties:\n        old: {type: string}\n", ""),
        {("BREAKING", "model-removed", "types.Legacy")},
    ),
    "model renamed": (
        BASE,
        edit("    Legacy:\n", "    Heritage:\n"),
        {("BREAKING", "model-renamed", "types.Legacy")},
    ),
    "response enum value removed": (
        BASE,
        edit("      enum: [red, green]", "      enum: [red]"),
        {("BREAKING", "enum-value-removed", "types.Color")},
    ),
    "response enum value added": (
        BASE,
        edit("      enum: [red, green]", "      enum: [red, green, blue]"),
        {("BREAKING", "enum-value-added", "types.Color")},
    ),
    "request enum value removed": (
        BASE,
        edit("enum: [matte, gloss, satin]", "enum: [matte, gloss]"),
        {
            ("BREAKING", "enum-value-removed", "types.CreateThingRequest.finish"),
            ("BREAKING", "parameter-type-changed", "client.things.create:finish"),
        },
    ),
    "request enum value added": (
        BASE,
        edit("enum: [matte, gloss, satin]", "enum: [matte, gloss, satin, chrome]"),
        {
            ("ADDITIVE", "enum-value-added", "types.CreateThingRequest.finish"),
            ("ADDITIVE", "parameter-type-widened", "client.things.create:finish"),
        },
    ),
    "union member removed": (
        BASE,
        edit("        - $ref: '#/components/schemas/Square'\n", ""),
        {("BREAKING", "union-member-removed", "types.Shape")},
    ),
    "discriminator changed": (
        BASE,
        edit("        propertyName: kind", "        propertyName: shape_kind"),
        {("BREAKING", "discriminator-changed", "types.Shape")},
    ),
    "long-running result changed": (
        BASE,
        edit(
            "        result: {$ref: '#/components/schemas/Thing'}",
            "        result: {$ref: '#/components/schemas/OtherThing'}",
        ),
        {("BREAKING", "future-result-changed", "client.things.create")},
    ),
    "pagination removed": (
        BASE,
        edit("      x-tinker-pagination: {items: things}\n", ""),
        {("BREAKING", "pagination-changed", "client.things.list")},
    ),
    "pagination added": (
        edit("      x-tinker-pagination: {items: things}\n", ""),
        BASE,
        {("ADDITIVE", "pagination-changed", "client.things.list")},
    ),
    "method added": (
        edit(
            "    delete:\n      tags: [things]\n      operationId: things.delete\n      summary: Delete a thing.\n      parameters:\n        - name: thing_id\n          in: path\n          required: true\n          schema: {type: string}\n      responses:\n        '200': {description: Deleted.}\n",
            "",
        ),
        BASE,
        {("ADDITIVE", "method-added", "client.things.delete")},
    ),
    "field default changed": (
        BASE,
        edit("default: matte}", "default: gloss}"),
        {
            ("BEHAVIOUR", "field-default-changed", "types.CreateThingRequest.finish"),
            ("BEHAVIOUR", "parameter-default-changed", "client.things.create:finish"),
        },
    ),
    "unclassified: fields reordered": (
        BASE,
        edit(
            "        note: {type: string}\n        label: {type: string}\n",
            "        label: {type: string}\n        note: {type: string}\n",
        ),
        {("UNCLASSIFIED", "surface-changed", "types.Thing")},
    ),
}
DELETE_OP = (
    "    delete:\n      tags: [things]\n      operationId: things.delete\n      summary: Delete a thing.\n"
    "      parameters:\n        - name: thing_id\n          in: path\n          required: true\n"
    "          schema: {type: string}\n      responses:\n        '200': {description: Deleted.}\n"
)
PAIRS["method removed"] = (
    BASE,
    edit(DELETE_OP, ""),
    {("BREAKING", "method-removed", "client.things.delete")},
)


@pytest.mark.parametrize("name", PAIRS)
def test_rule(name: str, tmp_path: Path) -> None:
    old, new, expected = PAIRS[name]
    found = changes(tmp_path, old, new)
    assert expected <= found, sorted(found)
    if not {c for c, _, _ in expected} & {"BREAKING", "UNCLASSIFIED"}:
        assert not {c for c, _, _ in found} & {"BREAKING", "UNCLASSIFIED"}, sorted(found)


def test_at_least_25_fixture_pairs() -> None:
    assert len(PAIRS) >= 25


def test_identical_specs_have_no_changes(tmp_path: Path) -> None:
    assert changes(tmp_path, BASE, BASE) == set()


def run_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, *extra: str
) -> tuple[int, str]:
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    code = main(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), *extra])
    return code, capsys.readouterr().out


def test_verdict_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, _ = PAIRS["method renamed"]
    code, out = run_diff(tmp_path, capsys, old, new)
    assert code == 1
    assert out.splitlines()[1] == "Verdict: breaking (major version bump): 1 breaking"
    assert "method-renamed: client.things.delete → client.things.remove" in out
    assert "DELETE /things/{thing_id}" in out and "new.yaml:" in out
    old, new, _ = PAIRS["method added"]
    code, out = run_diff(tmp_path, capsys, old, new)
    assert code == 0 and "Verdict: non-breaking (minor version bump): 1 additive" in out
    code, out = run_diff(tmp_path, capsys, BASE, BASE)
    assert code == 0 and "Verdict: no API change (none version bump)" in out


def test_accepted_breaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, _ = PAIRS["method renamed"]
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(
        "- symbol: client.things.delete\n  rule: method-renamed\n  reason: nobody called it yet\n"
    )
    code, out = run_diff(tmp_path, capsys, old, new, "--accept", str(accepted))
    assert code == 0
    assert "accepted: nobody called it yet" in out and "1 accepted" in out
    accepted.write_text("- symbol: client.things.delete\n  rule: method-renamed\n")
    code, _ = run_diff(tmp_path, capsys, old, new, "--accept", str(accepted))
    assert code == 2


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.yaml").write_text(BASE)
    (tmp_path / "new.yaml").write_text("openapi: [")
    assert main(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")]) == 2
    assert "new.yaml:2: /: invalid YAML: while parsing a flow node" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "missing.yaml")]) == 2


def test_markdown_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, _ = PAIRS["parameter default changed"]
    _, markdown = run_diff(tmp_path, capsys, old, new, "--format", "markdown")
    assert markdown.startswith("## API review: 🟢 non-breaking (minor version bump): 2 behaviour")
    assert "- **`client.things.get`** — `GET /things/{thing_id}`" in markdown
    assert (
        "parameter-default-changed: `include: Literal['basic', 'full'] = 'basic'` → `include: Literal['basic', 'full'] = 'full'`"
        in markdown
    )
    _, text = run_diff(tmp_path, capsys, old, new, "--format", "json")
    data = json.loads(text)
    assert (data["verdict"], data["bump"], data["unaccepted_breaking"]) == ("non-breaking", "minor", 0)
    assert {c["rule"] for c in data["changes"]} == {"parameter-default-changed"}


def test_make_api_diff_reads_the_base_from_git(tmp_path: Path) -> None:
    """`make api-diff BASE=<ref>` compares the spec of that commit with the working tree."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(repo)], check=True)
    shutil.copy(ROOT / "Makefile", repo / "Makefile")  # the working tree's, not the last commit's
    shutil.rmtree(repo / "generator")
    shutil.copytree(ROOT / "generator", repo / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
            "--allow-empty",
        ],
        check=True,
    )
    spec = repo / "spec" / "tinker.yaml"
    spec.write_text(spec.read_text().replace("operationId: samplers.get\n", "operationId: samplers.fetch\n"))
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than requirements.lock: make must not reinstall
    result = subprocess.run(
        ["make", "-s", "api-diff", "BASE=HEAD", f"VENV={ROOT / '.venv'}", f"STAMP={stamp}"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0, result.stderr  # make reports any failing recipe as 2
    assert "Verdict: breaking (major version bump)" in result.stdout
    assert "method-renamed: client.samplers.get → client.samplers.fetch" in result.stdout
    assert "HEAD:spec/tinker.yaml" in result.stdout
