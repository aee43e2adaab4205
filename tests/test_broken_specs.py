"""A broken spec: every problem as `file:LINE: /pointer: message`, exit 2, output untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

MINIMAL = (Path(__file__).parent / "fixtures" / "minimal.yaml").read_text()


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, list[str]]:
    """Generate from `text` into a folder holding a sentinel; return exit code and problem lines."""
    spec = tmp_path / "broken.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentinel.txt").write_text("untouched")
    code = main(["generate", "--spec", str(spec), "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["sentinel.txt"]
    assert (out / "sentinel.txt").read_text() == "untouched"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line.split("broken.yaml:", 1)[1] for line in err.splitlines() if "broken.yaml:" in line]
    return code, lines


def edit(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


CASES = {
    "invalid yaml": (
        edit("      summary: Get a thing.", "      summary: [unclosed"),
        ["11: /: invalid YAML: while parsing a flow sequence did not find expected ',' or ']'"],
    ),
    "duplicate yaml key": (
        edit("      summary: Get a thing.", "      summary: Get a thing.\n      summary: Again."),
        ["11: /paths/~1things~1{thing_id}/get/summary: duplicate key"],
    ),
    "unquoted status code": (
        edit(
            "        '200':\n          description: The thing.",
            "        200:\n          description: The thing.",
        ),
        ["17: /paths/~1things~1{thing_id}/get/responses/200: key 200 must be a string; quote it"],
    ),
    "not openapi": (
        edit(
            "      responses:\n        '200':\n          description: The thing.",
            "      responsez:\n        '200':\n          description: The thing.",
        ),
        [
            "7: /paths/~1things~1{thing_id}/get: Unevaluated properties are not allowed ('responsez' was unexpected)"
        ],
    ),
    "dangling ref": (
        edit("schema: {$ref: '#/components/schemas/Thing'}", "schema: {$ref: '#/components/schemas/Thin'}"),
        [
            "21: /paths/~1things~1{thing_id}/get/responses/200/content/application~1json/schema/$ref: "
            "dangling $ref: #/components/schemas/Thin does not exist"
        ],
    ),
    "duplicate method in resource": (
        edit("operationId: things.create", "operationId: things.get"),
        [
            "25: /paths/~1things/post/operationId: duplicate method name 'get' in resource 'things'"
            " (also /paths/~1things~1{thing_id}/get)"
        ],
    ),
    "path parameter missing from the path": (
        edit("  /things/{thing_id}:", "  /things/{id}:"),
        [
            "7: /paths/~1things~1{id}/get: path parameter {id} of /things/{id} is not declared",
            "12: /paths/~1things~1{id}/get/parameters/0: path parameter 'thing_id' is missing from the path /things/{id}",
        ],
    ),
    "unknown extension value": (
        edit("request-type: CreateThing", "request-type: create thing"),
        [
            "29: /paths/~1things/post/x-tinker-future/request-type: "
            "invalid value: 'create thing' does not match '^[A-Za-z][A-Za-z0-9]*$'"
        ],
    ),
    "unknown extension": (
        edit("      x-tinker-future:", "      x-tinker-futur:"),
        [
            "27: /paths/~1things/post/x-tinker-futur: unknown extension x-tinker-futur; known: x-tinker-aliases, x-tinker-default, x-tinker-future,"
            " x-tinker-helpers, x-tinker-multi-segment, x-tinker-pagination, x-tinker-redirect, x-tinker-rest"
        ],
    ),
    "extension in the wrong place": (
        edit(
            "          schema: {type: string}",
            "          schema: {type: string}\n      x-tinker-multi-segment: true",
        ),
        [
            "16: /paths/~1things~1{thing_id}/get/x-tinker-multi-segment: x-tinker-multi-segment belongs on parameter objects"
        ],
    ),
    "name that cannot become an identifier": (
        edit("operationId: things.create", "operationId: things.--"),
        ["25: /paths/~1things/post/operationId: method '--' cannot become a Python identifier"],
    ),
    "schema name that is not a class name": (
        edit("    Thing:\n", "    thing-record:\n").replace("schemas/Thing'", "schemas/thing-record'"),
        [
            "43: /components/schemas/thing-record: schema name 'thing-record' must be a PascalCase Python class name"
        ],
    ),
    "tinker-path variant without checkpoint path parameters": (
        edit(
            "      x-tinker-future:",
            "      x-tinker-rest: {tinker-path: [create_from_tinker_path]}\n      x-tinker-future:",
        ),
        ["27: /paths/~1things/post/x-tinker-rest: a tinker path cannot fill the path parameters of /things"],
    ),
    "RestClient method named twice": (
        edit(
            "      summary: Get a thing.",
            "      summary: Get a thing.\n      x-tinker-rest: {name: get_thing}",
        ).replace("      x-tinker-future:", "      x-tinker-rest: {name: get_thing}\n      x-tinker-future:"),
        [
            "28: /paths/~1things/post/x-tinker-rest: RestClient method 'get_thing' is taken"
            " (/paths/~1things~1{thing_id}/get/x-tinker-rest)"
        ],
    ),
    "alias of a missing property": (
        edit(
            "    Thing:\n      type: object\n",
            "    Thing:\n      type: object\n      x-tinker-aliases: {id: thing}\n",
        ),
        ["45: /components/schemas/Thing/x-tinker-aliases/id: 'thing' is not a property of this schema"],
    ),
    "cookie parameter": (
        edit("          in: path\n", "          in: path\n").replace(
            "      parameters:\n",
            "      parameters:\n        - {name: trace, in: cookie, schema: {type: string}}\n",
            1,
        ),
        [
            "12: /paths/~1things~1{thing_id}/get/parameters/0: cookie parameters are not supported; only path, query and header"
        ],
    ),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_broken_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list[str]
) -> None:
    code, lines = run(tmp_path, capsys, text)
    assert code == 2
    assert lines == expected


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = MINIMAL.replace("operationId: things.create", "operationId: things.get").replace(
        "  /things/{thing_id}:", "  /things/{id}:"
    )
    code, lines = run(tmp_path, capsys, text)
    assert code == 2
    assert len(lines) == 3


def test_the_minimal_spec_is_fine(tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(MINIMAL)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "resources" / "things.py").is_file()


def test_missing_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--spec", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "cannot read the spec" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
