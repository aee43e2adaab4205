"""A broken spec: every problem as `file:LINE: /pointer: message`, exit 2, output untouched."""

from __future__ import annotations

import time
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
            "16: /paths/~1things~1{thing_id}/get/responsez: Unevaluated properties are not allowed ('responsez' was unexpected)"
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
            "25: /paths/~1things/post/operationId: Operation ID 'things.get' for 'post' in '/things' is not unique"
        ],
    ),
    "path parameter missing from the path": (
        edit("  /things/{thing_id}:", "  /things/{id}:"),
        [
            "7: /paths/~1things~1{id}/get: Path parameter 'id' for 'get' operation in '/things/{id}' was not resolved",
            "12: /paths/~1things~1{id}/get/parameters/0: Path parameter 'thing_id' for 'get' operation in '/things/{id}' was not resolved",
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
    "schema names equal once made class names": (
        edit("    Thing:\n", "    thing-record:\n").replace("schemas/Thing'", "schemas/thing-record'")
        + "    ThingRecord: {type: string}\n",
        [
            "56: /components/schemas/ThingRecord: schema name 'ThingRecord' becomes 'ThingRecord',"
            " as 'thing-record' does; rename one"
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
    # Each validator message at the node it is about (issue 9, item 13), not at line 1 or /.
    "validator: a schema keyword reached through a $ref": (
        edit(
            "thing_id: {type: string}\n    CreateThingRequest",
            "thing_id: {type: strin}\n    CreateThingRequest",
        ),
        [
            "47: /components/schemas/Thing/properties/thing_id/type:"
            " 'strin' is not valid under any of the given schemas"
        ],
    ),
    "validator: a default of the wrong type": (
        edit("name: {type: string, minLength: 1}", "name: {type: string, minLength: 1, default: 3}"),
        ["53: /components/schemas/CreateThingRequest/properties/name/default: 3 is not of type 'string'"],
    ),
    "validator: a duplicate tag": (
        edit("servers:", "tags: [{name: a}, {name: a}]\nservers:"),
        ["3: /tags/1: Duplicate tag name 'a'"],
    ),
    "validator: required names a missing property": (
        edit("required: [name]", "required: [name, nope]\n      allOf: [{type: object}]"),
        [
            "51: /components/schemas/CreateThingRequest/required: Required list has not defined properties: ['nope']"
        ],
    ),
    "validator: parameters that are not a list": (
        edit(
            "      parameters:\n        - name: thing_id\n          in: path\n          required: true\n"
            "          schema: {type: string}\n",
            "      parameters: {a: 1}\n",
        ),
        ["11: /paths/~1things~1{thing_id}/get/parameters: {'a': 1} is not of type 'array'"],
    ),
    "validator: the unexpected key itself": (
        edit("          description: The new thing.\n", "          descriptio: The new thing.\n"),
        [
            "36: /paths/~1things/post/responses/200: 'description' is a required property",
            "37: /paths/~1things/post/responses/200/descriptio:"
            " Unevaluated properties are not allowed ('descriptio' was unexpected)",
        ],
    ),
    # $refs the build could not follow (issue 9, item 11).
    "a schema $ref to a node that is not a schema": (
        edit("schema: {$ref: '#/components/schemas/Thing'}", "schema: {$ref: '#/paths'}"),
        [
            "21: /paths/~1things~1{thing_id}/get/responses/200/content/application~1json/schema/$ref:"
            " a schema $ref must name a schema: #/components/schemas/<Name>, not #/paths"
        ],
    ),
    "a parameter $ref to a schema": (
        edit(
            "        - name: thing_id\n          in: path\n          required: true\n          schema: {type: string}\n",
            "        - $ref: '#/components/schemas/Thing'\n",
        ),
        [
            "12: /paths/~1things~1{thing_id}/get/parameters/0/$ref:"
            " this $ref must name one of #/components/parameters, not #/components/schemas/Thing"
        ],
    ),
    "a path item given by $ref": (
        edit("  /things:\n", "  /things2: {$ref: '#/paths/~1things'}\n  /things:\n"),
        ["22: /paths/~1things2/$ref: a path item given by $ref is not supported; write the operations out"],
    ),
    "a $ref cycle": (
        MINIMAL + "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
        [
            "56: /components/schemas/A/$ref: $ref cycle:"
            " #/components/schemas/B -> #/components/schemas/A -> #/components/schemas/B",
            "57: /components/schemas/B/$ref: $ref cycle:"
            " #/components/schemas/A -> #/components/schemas/B -> #/components/schemas/A",
        ],
    ),
    "a self-referential array schema": (
        MINIMAL + "    Arr: {type: array, items: {$ref: '#/components/schemas/Arr'}}\n",
        [
            "56: /components/schemas/Arr: schema recursion without an object schema between:"
            " Arr -> Arr; no Python type can contain itself this way"
        ],
    ),
    "mutually recursive non-object schemas": (
        MINIMAL
        + "    A: {type: array, items: {$ref: '#/components/schemas/B'}}\n"
        + "    B: {anyOf: [{$ref: '#/components/schemas/A'}, {type: string}]}\n",
        [
            "56: /components/schemas/A: schema recursion without an object schema between:"
            " A -> B -> A; no Python type can contain itself this way"
        ],
    ),
    # YAML that is not JSON data.
    "a YAML date": (
        edit('version: "1"', "version: 2020-01-01"),
        ["2: /info/version: a YAML date is not a JSON value; quote it"],
    ),
    "a YAML binary value": (
        edit('version: "1"', "version: !!binary aGVsbG8="),
        ["2: /info/version: a YAML binary value is not a JSON value; quote it"],
    ),
    "a non-finite number": (
        edit("name: {type: string, minLength: 1}", "name: {type: number, default: .nan}"),
        ["53: /components/schemas/CreateThingRequest/properties/name/default: .nan is not a JSON number"],
    ),
    "an integer too long to convert": (
        edit("minLength: 1", "minLength: " + "9" * 5000),
        [
            "53: /components/schemas/CreateThingRequest/properties/name/minLength:"
            " 99999999999999999999... (5,000 characters) is not a usable int"
        ],
    ),
    "a key that is a collection": (
        edit("info:", "? [a, b]\n: 1\ninfo:"),
        ["2: /: key that is a collection must be a string; quote it"],
    ),
    "an alias inside its own anchor": (
        MINIMAL + "x-r: &r [*r]\n",
        ["56: /x-r/0: alias *r refers to a node that contains it"],
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


LIMITS = {
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
        )
        + MINIMAL,
        "5: /e: the document expands to more than 100,000 nodes",
    ),
    "many nodes": ("x-many: [" + "1, " * 110_000 + "1]\n" + MINIMAL, "1: /x-many: the document expands"),
    "deep flow nesting": (MINIMAL + "x-deep: " + "[" * 100_000 + "]" * 100_000 + "\n", "56: /x-deep/0/0/0/"),
    "deep block nesting": (
        MINIMAL.replace(
            "components:\n",
            "components:\n  x-a:\n"
            + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(200))
            + "  " * 202
            + "v: 1\n",
        ),
        "105: /components/x-a/k0/k1/k2/",
    ),
    "deep schema nesting": (
        MINIMAL
        + "    Deep:\n"
        + "".join("      " + "  " * i + "items:\n" for i in range(70))
        + "      "
        + "  " * 70
        + "type: string\n",
        "118: /components/schemas/Deep/items/items/",
    ),
    "long $ref chain": (
        MINIMAL
        + "".join(f"    R{i}: {{$ref: '#/components/schemas/R{i + 1}'}}\n" for i in range(30))
        + "    R30: {type: string}\n",
        "56: /components/schemas/R0/$ref: more than 16 $refs in a row from #/components/schemas/R1",
    ),
    "a value too long": (
        MINIMAL + "x-long: '" + "a" * 1_000_001 + "'\n",
        "56: /x-long: a value is longer than",
    ),
    "a file too large": (
        MINIMAL + "#" * (8 * 1024 * 1024),
        "1: /: the spec is larger than the limit of 8,388,608 bytes",
    ),
}


@pytest.mark.parametrize("text, expected", LIMITS.values(), ids=LIMITS.keys())
def test_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str) -> None:
    """Past a limit: a located problem in seconds, not a crash, a hang or a killed process."""
    started = time.monotonic()
    code, lines = run(tmp_path, capsys, text)
    assert time.monotonic() - started < 10  # the old loader took minutes or died of RecursionError
    assert code == 2
    assert any(line.startswith(expected) for line in lines), lines


def test_validator_messages_are_one_line_and_warnings_are_not_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit("summary: Get a thing.", 'summary: Get a thing.\n      x-bad: 1\n      "a\\nb": 1')
    code, lines = run(tmp_path, capsys, text)
    assert code == 2
    err_lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert not any("Warning" in line for line in err_lines)
    assert lines == [
        "12: /paths/~1things~1{thing_id}/get/a\\nb: Unevaluated properties are not allowed ('a\\nb' was unexpected)"
    ]


def test_a_spec_without_operations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Valid OpenAPI, but nothing to generate: refused, not a package that does not parse."""
    text = (
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://a.example'}]\npaths: {}\n"
    )
    code, lines = run(tmp_path, capsys, text)
    assert code == 2
    assert lines == ["4: /paths: the spec has no operations to generate"]


def test_an_unexpected_error_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug\nover two lines")

    monkeypatch.setattr("generator.cli.generate", broken)
    spec = tmp_path / "ok.yaml"
    spec.write_text(MINIMAL)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].endswith(
        "internal error of the generator (nothing written): KeyError: 'a bug\\nover two lines'"
    )
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(MINIMAL)
    (tmp_path / "a-file").write_text("")
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "a-file" / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{tmp_path}/a-file/out: cannot write the package: ")
